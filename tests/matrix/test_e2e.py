"""The collection as users install it, on every ansible-core minor from 2.16 to 2.21 (make matrix-e2e).

One tarball is built (``ansible-galaxy collection build``); for each minor, that minor's ``ansible-galaxy`` installs it
into an empty collections path and that minor's ``ansible-playbook`` runs, against one emulator (reseeded per minor):
the export of one workspace (``gdpr.azureml.export_workspaces``), the purge under ``--check`` and the purge
(``gdpr.azureml.purge_workspaces``), with the inventory plugin as the inventory. Nothing of the repository is on any
path of those runs: ``ANSIBLE_COLLECTIONS_PATH`` is the temporary path alone, ``PYTHONPATH`` is unset, the working
directory is a temporary folder. The assertions read what the emulator saw (journal) and holds (state), and the files.

2.19 is the ansible-core of ``.venv``; each other minor has ``.venv-matrix/<minor>`` (the Makefile creates it from
``tests/matrix/requirements-<minor>.txt``, which pins the exact release this test checks it runs).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from azureml_emulator.testing import EmulatorProcess  # noqa: E402

MAIN_BIN = Path(sys.executable).parent  # .venv: ansible-core 2.19
MATRIX_DIR = ROOT / ".venv-matrix"
VERSIONS = ("2.16", "2.17", "2.18", "2.19", "2.20", "2.21")
HOST = "rg-gdpr-demo_ws-sales-analytics"
RESOURCE_GROUP, WORKSPACE = HOST.split("_", 1)
DELETABLE = ("services", "images", "models", "assets")
# The purges below name the v1 kinds: since 2.0.0 the default kinds also take the v2 resources, whose purge
# tests/integration/purge/test_v2_purge.py covers; this test is about the installed tarball on each ansible-core.
KINDS = ["-e", json.dumps({"purge_workspace_kinds": list(DELETABLE)})]
WARNING = re.compile(r"^.*\[(DEPRECATION )?WARNING\].*$", re.M)
RECAP = re.compile(r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)", re.M)


def bindir(minor):
    return MAIN_BIN if minor == "2.19" else MATRIX_DIR / minor / "bin"


def pinned(minor):
    """The ansible-core release the requirements file of ``minor`` pins (2.19: any 2.19 patch, .venv's)."""
    if minor == "2.19":
        return None
    text = (HERE / ("requirements-%s.txt" % minor)).read_text(encoding="utf-8")
    return re.search(r"^ansible-core==(\S+)$", text, re.M).group(1)


@pytest.fixture(scope="session")
def emulator():
    args = ["--page-size", "3", "--retry-after", "1", "--lro-polls", "1", "--lro-seconds", "0"]
    with EmulatorProcess(scenario="demo", args=args) as emu:
        yield emu


@pytest.fixture(scope="session")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([str(MAIN_BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=300)
    (path,) = out.glob("gdpr-azureml-*.tar.gz")
    return path


def clean_env(minor, collections, emulator):
    """Only the installed copy and the emulator: nothing of the repository, nothing of the caller's Azure settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "AZURE_", "AZUREML_")) and k not in ("PYTHONPATH", "REQUESTS_CA_BUNDLE", "VIRTUAL_ENV")}
    env.update(PATH=str(bindir(minor)) + os.pathsep + env.get("PATH", ""), ANSIBLE_COLLECTIONS_PATH=str(collections),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               AZUREML_BASE_URL=emulator.url, AZUREML_ACCESS_TOKEN=emulator.token, ANSIBLE_AZURE_AUTH_SOURCE="token")
    return env


def run(cmd, cwd, env, timeout=600):
    proc = subprocess.run([str(c) for c in cmd], cwd=str(cwd), env=env, capture_output=True, text=True, timeout=timeout, check=False)
    output = proc.stdout + proc.stderr
    # a deprecation or a warning of one ansible-core is what the matrix is there to see
    assert not WARNING.search(output), WARNING.search(output).group(0)
    return proc.returncode, output


def recap(output):
    return {m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")} for m in RECAP.finditer(output)}


def objects(emulator):
    """``{workspace name: {kind: [object ids]}}`` of the deletable kinds, as the emulator holds them."""
    return {ws["name"]: {k: sorted(o["id"] for o in ws["objects"][k]) for k in DELETABLE} for ws in emulator.state()["workspaces"]}


@pytest.mark.parametrize("minor", VERSIONS)
def test_export_check_purge_and_purge_from_the_installed_tarball(minor, emulator, tarball, tmp_path):
    if not (bindir(minor) / "ansible-playbook").exists():
        pytest.fail("no ansible-core %s here: make matrix-venvs creates .venv-matrix/%s" % (minor, minor))
    emulator.reset(scenario="demo")
    collections, dest, work = tmp_path / "collections", tmp_path / "exports", tmp_path / "work"
    work.mkdir()
    env = clean_env(minor, collections, emulator)

    rc, out = run(["ansible-playbook", "--version"], work, env)
    core = re.search(r"\[core ([^\]]+)\]", out).group(1)
    assert rc == 0 and core.startswith(minor + "."), out
    assert pinned(minor) in (None, core), (minor, core, pinned(minor))

    # install as a user would: that minor's ansible-galaxy, the tarball, an empty path
    rc, out = run([bindir(minor) / "ansible-galaxy", "collection", "install", tarball, "-p", collections], work, env)
    installed = collections / "ansible_collections" / "gdpr" / "azureml"
    assert rc == 0 and (installed / "MANIFEST.json").is_file(), out
    assert not (installed / "tests" / "emulator").exists()

    # the inventory plugin of the installed collection: the demo subscription, the target's resource group
    (work / "matrix.azureml.yml").write_text(yaml.safe_dump({
        "plugin": "gdpr.azureml.workspaces", "subscriptions": [emulator.state()["workspaces"][0]["subscription_id"]],
        "resource_groups": [RESOURCE_GROUP], "retries": 2}), encoding="utf-8")
    playbook = ["ansible-playbook", "-i", "matrix.azureml.yml", "-e", "target=%s" % HOST, "-e", "export_workspace_data_dest=%s" % dest]
    before = objects(emulator)
    assert all(before[WORKSPACE][k] for k in DELETABLE), before[WORKSPACE]

    # 1. the export: read-only, a bundle that verifies and holds every object
    emulator.clear_journal()
    rc, out = run(playbook + ["gdpr.azureml.export_workspaces"], work, env)
    assert rc == 0 and recap(out)[HOST]["failed"] == 0, out[-4000:]
    journal = emulator.journal()
    assert journal and not [e for e in journal if e["mutating"] or e["status"] >= 400], journal[:3]
    manifest = json.loads((dest / HOST / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["workspace"]["name"] == WORKSPACE
    for kind in DELETABLE:
        entry = manifest["kinds"][kind]
        data = (dest / HOST / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], kind
        assert entry["count"] == len(before[WORKSPACE][kind]), kind
    exported = sum(entry["count"] for entry in manifest["kinds"].values())
    summary = json.loads((dest / "fleet-summary.json").read_text(encoding="utf-8"))  # numbers as numbers on every core
    assert (summary["operation"], summary["totals"]) == ("export", {"workspaces": 1, "ok": 1, "failed": 0, "not_reached": 0,
                                                                    "exported": exported, "deleted": 0}), summary
    (row,) = summary["workspaces"]
    assert row["exported"] == exported and row["kinds"] == {k: e["count"] for k, e in manifest["kinds"].items()}, row

    # 2. the purge under --check: the plan, and not one request that changes anything
    emulator.clear_journal()
    rc, out = run(playbook + ["gdpr.azureml.purge_workspaces", "--check"] + KINDS, work, env)
    assert rc == 0 and recap(out)[HOST]["failed"] == 0 and recap(out)[HOST]["changed"] >= 1, out[-4000:]
    journal = emulator.journal()
    assert journal and [e for e in journal if e["method"] == "GET"] and not [e for e in journal if e["mutating"]], journal[:3]
    assert objects(emulator) == before
    plan = json.loads((dest / HOST / "purge-plan.json").read_text(encoding="utf-8"))
    assert plan

    # 3. the purge: every deletable object of the target deleted, nothing of another workspace, an audit line per DELETE
    emulator.clear_journal()
    rc, out = run(playbook + ["gdpr.azureml.purge_workspaces", "-e", "purge_workspace_confirm=%s" % WORKSPACE] + KINDS, work, env)
    assert rc == 0 and recap(out)[HOST]["failed"] == 0 and recap(out)[HOST]["changed"] >= 1, out[-4000:]
    deletes = [e for e in emulator.journal() if e["mutating"]]
    assert deletes and all(e["method"] == "DELETE" and e["status"] in (200, 202) for e in deletes), deletes
    assert all("/workspaces/%s/" % WORKSPACE in e["path"] for e in deletes)
    assert sorted(e["path"].rsplit("/", 1)[1] for e in deletes) == sorted(i for k in DELETABLE for i in before[WORKSPACE][k])
    after = objects(emulator)
    assert after[WORKSPACE] == {k: [] for k in DELETABLE}
    assert {n: o for n, o in after.items() if n != WORKSPACE} == {n: o for n, o in before.items() if n != WORKSPACE}
    audit = [json.loads(line) for line in (dest / "audit" / (HOST + ".jsonl")).read_text(encoding="utf-8").splitlines()]
    deleted = [x for x in audit if x["outcome"] == "deleted"]
    assert sorted(x["request_id"] for x in deleted) == sorted(e["request_id"] for e in deletes)
    summary = json.loads((dest / "fleet-summary.json").read_text(encoding="utf-8"))
    assert (summary["operation"], summary["totals"]["deleted"]) == ("purge", len(deletes)), summary
    assert summary["workspaces"][0]["kinds"] == {k: len(before[WORKSPACE][k]) for k in DELETABLE}, summary
