"""The release artefact: ``ansible-galaxy collection build`` gives a tarball without the development tools, which
installs into an empty collections path and runs the export playbook from there against the emulator started from
the repository (the session ``emulator``). Nothing of the repository's copy is on any path of that run."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
NOT_SHIPPED = ("tests/emulator", "bench", "demo", "demo-output", "extensions", ".venv", "build")


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"]
    path = out / ("gdpr-azureml-%s.tar.gz" % version)
    assert path.is_file(), sorted(p.name for p in out.iterdir())
    return path


def test_tarball_holds_the_collection_without_the_development_tools(tarball):
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        files = json.load(tar.extractfile("FILES.json"))
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    for prefix in NOT_SHIPPED:
        leaked = [n for n in names if n == prefix or n.startswith(prefix + "/")]
        assert not leaked, "%s is in the tarball: %s" % (prefix, leaked[:5])
    for needed in ("plugins/modules/export_bundle.py", "plugins/modules/bundle_report.py", "plugins/module_utils/_report.py",
                   "plugins/inventory/workspaces.py", "roles/export_workspace_data/meta/argument_specs.yml",
                   "roles/purge_workspace/tasks/main.yml", "playbooks/export_workspaces.yml", "meta/runtime.yml",
                   "requirements.txt", "docs/user-guide.md", "README.md"):
        assert needed in names, needed
    assert manifest["collection_info"]["namespace"] == "gdpr" and manifest["collection_info"]["name"] == "azureml"
    assert all(not f["name"].startswith("tests/emulator") for f in files["files"])


def test_tarball_ships_only_files_of_the_repository(tarball):
    """No output of a run or a test (a fleet summary, a plan, an audit log, an importer result) ships, even when one
    lies in the work tree: every file in the tarball is a tracked file (build_ignore and .gitignore say the same)."""
    tracked = set(subprocess.run(["git", "ls-files", "-z"], cwd=str(ROOT), capture_output=True, check=True).stdout.decode().split("\0"))
    with tarfile.open(tarball) as tar:
        files = {m.name for m in tar.getmembers() if m.isfile()} - {"MANIFEST.json", "FILES.json"}
    assert files and files <= tracked, sorted(files - tracked)[:10]
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    for output in ("fleet-summary.json", "purge-plan.json", "*.jsonl", "importer_result.json"):
        assert output in ignored and any(p.endswith(output) for p in galaxy["build_ignore"]), output


def test_installed_collection_exports_the_fleet(tarball, ansible, demo_inventory, tmp_path):
    collections = tmp_path / "collections"
    # With the repository on ANSIBLE_COLLECTIONS_PATH (as `make` sets it) ansible-galaxy would find gdpr.azureml
    # "already installed" and install nothing: install as a user would, with only the target path.
    clean = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    clean.pop("PYTHONPATH", None)  # make puts the repository's collection tree there too
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", str(tarball), "-p", str(collections)],
                          capture_output=True, text=True, timeout=600, check=False, env=clean)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = collections / "ansible_collections" / "gdpr" / "azureml"
    assert (installed / "MANIFEST.json").is_file() and not (installed / "tests" / "emulator").exists()

    # Only the installed copy: no path to the repository (the Makefile's PYTHONPATH points at its build/collections).
    env = {"ANSIBLE_COLLECTIONS_PATH": str(collections), "PYTHONPATH": None, "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false"}
    where = subprocess.run([str(BIN / "ansible-doc"), "gdpr.azureml.export_bundle"], env=ansible.env(**env),
                           capture_output=True, text=True, timeout=120, check=False)
    assert where.returncode == 0 and str(installed) in where.stdout.splitlines()[0], where.stdout[:500] + where.stderr

    dest = tmp_path / "exports"
    run = ansible.playbook("gdpr.azureml.export_workspaces", inventory=demo_inventory, env=env,
                           extra_vars={"export_workspace_data_dest": str(dest)})
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    workspaces = ansible.emulator.state()["workspaces"]
    assert workspaces
    for ws in workspaces:
        bundle = dest / ("%s_%s" % (ws["resource_group"], ws["name"]))
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["workspace"]["id"].lower() == ws["id"].lower()
        for kind, entry in manifest["kinds"].items():
            data = (bundle / entry["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], (bundle, kind)
            if kind in ws["objects"] and entry["scope"] == "all":
                assert entry["count"] == len(ws["objects"][kind]), (bundle, kind)
        assert (bundle / "report.html").is_file() and (bundle / "report.md").is_file()
    summary = json.loads((dest / "fleet-summary.json").read_text(encoding="utf-8"))
    assert summary
