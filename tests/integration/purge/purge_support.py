"""Helpers of the purge integration tests (imported by conftest.py and the tests)."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PURGE_PLAYBOOK = ROOT / "playbooks" / "purge_workspaces.yml"
EXPORT_ROLE = ROOT / "roles" / "export_workspace_data" / "tasks" / "main.yml"
SUB = "00000000-0000-4000-8000-000000000001"
PROVIDER = "Microsoft.MachineLearningServices/workspaces"
DELETABLE = ("models", "assets", "images", "services")
ROLE = "gdpr.azureml.purge_workspace : "  # the prefix of the role's task names in results

# The demo scenario's hosts (<resource group>_<workspace name>), as tests/integration/conftest.py names them.
SALES = "rg-gdpr-demo_ws-sales-analytics"
HR = "rg-gdpr-demo_ws_hr-people"
SANDBOX = "rg-gdpr-demo_ws-empty-sandbox"
RESEARCH = "rg-ml-research_mlresearch01"
VISION = "rg-ml-research_Research-Vision-WS"


def ws_id(host):
    rg, name = host.split("_", 1)
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/{PROVIDER}/{name}"


def ws_name(host):
    return host.split("_", 1)[1]


class Purge:
    """Runs exports and purges for a set of hosts, and reads what the emulator saw."""

    def __init__(self, emu, ansible, tmp_path):
        self.emu = emu
        self.ansible = ansible
        self.dest = tmp_path / "exports"
        self.tmp_path = tmp_path

    # -- inventory and runs ------------------------------------------------------------------------------------------------
    def inventory(self, hosts, name="inventory.yml", host_vars=None):
        lines = ["all:", "  hosts:"]
        for host in hosts:
            rg, wsname = host.split("_", 1)
            lines += [f"    {host}:", f"      azureml_subscription_id: {SUB}", f"      azureml_resource_group: {rg}",
                      f"      azureml_workspace_name: {wsname}"]
            for key, value in (host_vars or {}).get(host, {}).items():
                lines.append(f"      {key}: {json.dumps(value)}")
        lines += ["  vars:", "    ansible_connection: local", '    ansible_python_interpreter: "{{ ansible_playbook_python }}"']
        path = self.tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def export(self, hosts, **variables):
        """Export the hosts' bundles (the export role once it exists, else the module it runs); ``variables``: more extra
        vars (``export_workspace_data_kinds``, ...)."""
        inventory = self.inventory(hosts, "export-inventory.yml")
        if EXPORT_ROLE.exists():
            text = ("- hosts: all\n  gather_facts: false\n  roles:\n    - role: gdpr.azureml.export_workspace_data\n")
        else:  # until the export helper's role lands
            text = ("- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Export\n      gdpr.azureml.export_bundle:\n"
                    "        subscription_id: '{{ azureml_subscription_id }}'\n        resource_group: '{{ azureml_resource_group }}'\n"
                    "        workspace_name: '{{ azureml_workspace_name }}'\n"
                    "        dest: '{{ export_workspace_data_dest }}/{{ inventory_hostname }}'\n")
        playbook = self.ansible.write_playbook("export.yml", text)
        run = self.ansible.playbook(playbook, inventory=inventory, extra_vars=dict({"export_workspace_data_dest": str(self.dest)},
                                                                                   **variables))
        assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
        for host in hosts:
            assert (self.dest / host / "manifest.json").is_file()
        return run

    def purge(self, hosts, check=False, diff=False, default_kinds=False, **variables):
        """The purge playbook on ``hosts``; on the v1 kinds (``DELETABLE``) unless ``purge_workspace_kinds`` is given or
        ``default_kinds`` (the role's default, every deletable kind but connections, datastores and computes: the v2 kinds
        too, ``test_v2_purge.py``): the tests written for the v1 kinds keep their scope and their counts."""
        inventory = self.inventory(hosts)
        if not default_kinds:
            variables.setdefault("purge_workspace_kinds", list(DELETABLE))
        extra = {"export_workspace_data_dest": str(self.dest)}
        extra.update(variables)
        return self.ansible.playbook(PURGE_PLAYBOOK, inventory=inventory, check=check, diff=diff, extra_vars=extra)

    # -- what the service saw and holds -----------------------------------------------------------------------------------
    def mark(self):
        entries = self.emu.journal(0)
        return entries[-1]["seq"] if entries else 0

    def journal(self, since=0):
        return self.emu.journal(since)

    def deletes(self, since=0):
        return [e for e in self.journal(since) if e["method"] == "DELETE"]

    def mutating(self, since=0):
        return [e for e in self.journal(since) if e["mutating"]]

    def workspace_state(self, host):
        for ws in self.emu.state()["workspaces"]:
            if ws["id"].lower() == ws_id(host).lower():
                return ws
        return None

    def objects(self, host):
        ws = self.workspace_state(host)
        return {k: sorted(o["id"] for o in ws["objects"][k]) for k in DELETABLE} if ws else None

    def audit_path(self, host):
        return self.dest / "audit" / f"{host}.jsonl"

    def audit(self, host):
        path = self.audit_path(host)
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def snapshot(self):
        """{relative path: sha256} of every file under the export root."""
        files = {}
        for folder, _dirs, names in os.walk(self.dest):
            for name in names:
                path = Path(folder) / name
                files[str(path.relative_to(self.dest))] = hashlib.sha256(path.read_bytes()).hexdigest()
        return files


def failed_hosts(run):
    """Hosts whose purge failed: the fleet summary's row status, else the recap (the playbook rescues the role)."""
    failed = set()
    for result in run.results:
        if result["task"] == "Record the failure for the fleet summary":
            failed.add(result["host"])
    failed.update(h for h, r in run.recap.items() if r["failed"] and h != "localhost")
    return failed


def output(run):
    return run.stdout + run.stderr
