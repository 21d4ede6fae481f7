"""The platform's command line: ``ansible-navigator run --mode stdout --ee false`` (no container engine here).

With ``--pae false`` (playbook artifact disabled) the export leaves nothing but what it should: the bundles. Without
it, ansible-navigator saves every task result of the run beside the playbook, with the file mode of the umask: for
this collection that is personal data (who created which model, run, service) outside the bundle's 0700/0600
folders and outside the purge's reach. docs/fleet.md says so.
"""
from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from platform_support import (
    COLLECTIONS, SUBSCRIPTION, TOKEN, awx_injected_env, demo_hosts, find_secrets, load_credential_type, write_inventory,
)

BIN = Path(sys.executable).parent
SALES = "rg-gdpr-demo_ws-sales-analytics"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def navigator(cwd, emu, playbook, inventory, *args):
    """``ansible-navigator run`` with the environment of a token credential (docs/examples/awx_credential_type.yml)."""
    credential = awx_injected_env(load_credential_type(), {
        "auth_source": "token", "subscription_id": SUBSCRIPTION, "access_token": TOKEN, "cloud_environment": "AzureCloud",
        "base_url": emu.url})
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AZURE_", "AZUREML_", "ANSIBLE_NAVIGATOR_")) and k not in ("ANSIBLE_AZURE_AUTH_SOURCE", "REQUESTS_CA_BUNDLE")}
    env.update(credential, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1", HOME=str(cwd),
               PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    cmd = [str(BIN / "ansible-navigator"), "run", str(playbook), "-i", str(inventory), "--mode", "stdout", "--ee", "false", *args]
    proc = subprocess.run(cmd, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=600, check=False)
    return proc.returncode, ANSI.sub("", proc.stdout), proc.stderr


def test_export_through_navigator_leaves_only_the_bundles(platform_emu, tmp_path):
    hosts = demo_hosts(platform_emu)
    work = tmp_path / "project"
    work.mkdir()
    playbook = work / "export.yml"
    playbook.write_text("- name: Export\n  ansible.builtin.import_playbook: gdpr.azureml.export_workspaces\n", encoding="utf-8")
    inventory = write_inventory(work / "inventory.yml", hosts)
    dest = tmp_path / "exports"
    rc, out, err = navigator(work, platform_emu, playbook, inventory, "--pae", "false", "-e", "export_workspace_data_dest=%s" % dest)
    assert rc == 0, out[-3000:] + err[-2000:]
    recap = {m[0]: tuple(int(x) for x in m[1:]) for m in RECAP.findall(out)}
    assert set(hosts) <= set(recap) and all(r[2:] == (0, 0) for r in recap.values()), recap
    assert not [e for e in platform_emu.journal() if e["mutating"] or e["status"] >= 400]
    for host in hosts:
        assert (dest / host / "manifest.json").is_file(), host
    made = sorted(p.name for p in work.iterdir())
    assert not [n for n in made if "artifact" in n], made  # --pae false: no playbook artifact
    assert not find_secrets([tmp_path], {"token": TOKEN}), "the token is in a file of the run"
    assert TOKEN not in out and TOKEN not in err


def test_without_pae_false_navigator_saves_personal_data_beside_the_playbook(platform_emu, tmp_path):
    """The default (playbook artifact enabled): one model listing is enough to put creators' names in a loose file."""
    work = tmp_path / "project"
    work.mkdir()
    playbook = work / "models.yml"
    playbook.write_text("""- name: List the models
  hosts: all
  gather_facts: false
  tasks:
    - name: List them
      gdpr.azureml.model_info:
        resource_group: "{{ azureml_resource_group }}"
        workspace_name: "{{ azureml_workspace_name }}"
""", encoding="utf-8")
    inventory = write_inventory(work / "inventory.yml", [SALES])
    rc, out, err = navigator(work, platform_emu, playbook, inventory)
    assert rc == 0, out[-3000:] + err[-2000:]
    (artifact,) = work.glob("models-artifact-*.json")
    text = artifact.read_text(encoding="utf-8")
    sales = next(ws for ws in platform_emu.state()["workspaces"] if ws["name"] == "ws-sales-analytics")
    creators = {m["created_by"]["userName"] for m in sales["objects"]["models"] if m.get("created_by")}
    assert creators and all(name in text for name in creators), creators  # personal data, outside any bundle
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(artifact.stat().st_mode) == 0o666 & ~umask  # the umask's mode (0644 under 022), not 0600
    assert json.loads(text)["plays"]  # the whole run, task results included
    assert not find_secrets([tmp_path], {"token": TOKEN})  # the token itself stays out (no_log)
