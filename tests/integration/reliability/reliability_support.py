"""Helpers of the reliability suite: one-host inventories, export and purge runs, bundle and secret checks."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from export_support import _bundle  # noqa: F401  (also puts the collection on sys.path)
from purge_support import PURGE_PLAYBOOK, SUB

EXPORT_PLAYBOOK = "gdpr.azureml.export_workspaces"
EXPORT_TASK = "gdpr.azureml.export_workspace_data : Export the workspace to its bundle"
SALES = "rg-gdpr-demo_ws-sales-analytics"
HR = "rg-gdpr-demo_ws_hr-people"
SANDBOX = "rg-gdpr-demo_ws-empty-sandbox"
VISION = "rg-ml-research_Research-Vision-WS"
STATIC_TOKEN = "emulator-static-token"
# What a retried request may repeat: reads and deletes (the collection sends nothing else; POST ...:query is a read).
REPEATABLE = ("GET", "DELETE")


class Runner:
    """Exports and purges of one or more demo hosts, with per-host ``azureml_options``."""

    def __init__(self, emu, ansible, tmp_path):
        self.emu = emu
        self.ansible = ansible
        self.tmp_path = tmp_path
        self.dest = tmp_path / "exports"

    def inventory(self, hosts=(SALES,), options=None, name="inventory.yml"):
        lines = ["all:", "  hosts:"]
        for host in hosts:
            rg, ws = host.split("_", 1)
            lines += [f"    {host}:", f"      azureml_subscription_id: {SUB}", f"      azureml_resource_group: {rg}",
                      f"      azureml_workspace_name: {ws}", "      azureml_location: westeurope"]
        lines += ["  vars:", "    ansible_connection: local", '    ansible_python_interpreter: "{{ ansible_playbook_python }}"']
        if options:
            lines.append(f"    azureml_options: {json.dumps(options)}")
        path = self.tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def export(self, hosts=(SALES,), dest=None, options=None, env=None, args=(), **variables):
        extra = {"export_workspace_data_dest": str(dest or self.dest)}
        extra.update(variables)
        return self.ansible.playbook(EXPORT_PLAYBOOK, *args, inventory=self.inventory(hosts, options, "export-inventory.yml"),
                                     extra_vars=extra, env=env)

    def purge(self, hosts=(SALES,), options=None, env=None, args=(), **variables):
        # the v1 kinds these tests count (the default takes the v2 kinds too: tests/integration/purge/test_v2_purge.py)
        extra = {"export_workspace_data_dest": str(self.dest), "purge_workspace_confirm": [h.split("_", 1)[1] for h in hosts],
                 "purge_workspace_kinds": ["services", "images", "models", "assets"]}
        extra.update(variables)
        return self.ansible.playbook(PURGE_PLAYBOOK, *args, inventory=self.inventory(hosts, options, "purge-inventory.yml"),
                                     extra_vars=extra, env=env)

    def audit(self, host=SALES):
        path = self.dest / "audit" / f"{host}.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def workspace(self, host=SALES):
        rg, name = host.split("_", 1)
        return next(w for w in self.emu.state()["workspaces"] if w["resource_group"] == rg and w["name"] == name)


def deletable(ws):
    return {k: sorted(o["id"] for o in ws["objects"][k]) for k in ("models", "assets", "images", "services")}


def files_of(folder):
    """``{relative path: bytes}`` of every file under ``folder``."""
    found = {}
    for top, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(top) / name
            found[str(path.relative_to(folder))] = path.read_bytes()
    return found


def kind_files(bundle):
    """``{file: sha256}`` of the kind files a manifest lists, and the manifest's ``{kind: (file, count, sha256)}``."""
    manifest = _bundle.read_manifest(str(bundle))
    listed = {k: (v["file"], v["count"], v["sha256"]) for k, v in manifest["kinds"].items()}
    digests = {v[0]: hashlib.sha256((Path(bundle) / v[0]).read_bytes()).hexdigest() for v in listed.values()}
    return listed, digests


def non_repeatable_twice(journal):
    """Journal entries of a method other than GET/DELETE (or a POST read: ``...:query``, the v2 metrics service) sent
    twice to the same path."""
    seen, twice = set(), []
    for entry in journal:
        if entry["method"] in REPEATABLE or (entry["method"] == "POST" and not entry["mutating"]):
            continue
        key = (entry["method"], entry["path"])
        if key in seen:
            twice.append(entry)
        seen.add(key)
    return twice


def leaks(data, markers):
    """The markers found in ``data`` (str or bytes)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return [m for m in markers if m and m.encode() in data]


def start_playbook(ansible, playbook, inventory, extra_vars, env=None):
    """``ansible-playbook`` started in a session of its own (:func:`kill_tree` kills it and everything it started)."""
    import subprocess
    import sys

    cmd = [str(Path(sys.executable).with_name("ansible-playbook")), str(playbook), "-i", str(inventory), "-e", json.dumps(extra_vars)]
    return subprocess.Popen(cmd, cwd=str(ansible.tmp_path), env=ansible.env(**(env or {})), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def kill_tree(proc):
    """SIGKILL ``ansible-playbook`` and every process descended from it.

    Killing its process group is not enough: Ansible's worker processes call ``setsid`` (a session and a process group
    of their own), so the module they run would go on deleting. The tree is frozen first (SIGSTOP, following the children
    recursively until no new one appears: a frozen process cannot start another), then every process of it is killed.
    """
    import psutil

    try:
        root = psutil.Process(proc.pid)
    except psutil.NoSuchProcess:
        proc.wait(timeout=30)
        return []
    frozen = {}
    while True:
        try:
            found = [root] + root.children(recursive=True)
        except psutil.NoSuchProcess:
            found = list(frozen.values())
        new = [p for p in found if p.pid not in frozen]
        if not new:
            break
        for process in new:
            try:
                process.suspend()
            except psutil.NoSuchProcess:
                continue
            frozen[process.pid] = process
    for process in frozen.values():
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(list(frozen.values()), timeout=30)
    proc.wait(timeout=30)
    return sorted(frozen)
