"""The export and purge playbooks over the inventory plugin's fleet: forks, bundles, the fleet summary."""
from __future__ import annotations

import hashlib
import json
import stat

import pytest

DEMO_SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"  # docs/emulator.md, scenario demo
ROOT_PLAYBOOKS = "gdpr.azureml.export_workspaces"


@pytest.fixture
def fleet(fresh_emulator, write_inventory):
    fresh_emulator.configure(page_size=2)
    return write_inventory({"subscriptions": [DEMO_SUBSCRIPTION], "keyed_groups": [{"key": "azureml_resource_group", "prefix": "rg"}]})


def state_objects(ws):
    return {kind: len(items) for kind, items in ws["objects"].items()}


def test_export_over_the_plugin_inventory_with_four_forks_writes_every_bundle_and_the_summary(ansible, fresh_emulator, fleet, tmp_path):
    dest = tmp_path / "exports"
    run = ansible.playbook(ROOT_PLAYBOOKS, "-f", "4", inventory=fleet, extra_vars={"export_workspace_data_dest": str(dest)})
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    workspaces = fresh_emulator.state()["workspaces"]
    hosts = {"%s_%s" % (ws["resource_group"], ws["name"]): ws for ws in workspaces}
    assert set(run.recap) == set(hosts) | {"localhost"}
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in run.recap.values())

    summary_path = dest / "fleet-summary.json"
    assert stat.S_IMODE(summary_path.stat().st_mode) == 0o600
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert [w["host"] for w in summary["workspaces"]] == sorted(hosts, key=str.lower)
    assert summary["totals"]["workspaces"] == len(hosts) == summary["totals"]["ok"]
    for entry in summary["workspaces"]:
        ws = hosts[entry["host"]]
        bundle = dest / entry["host"]
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["workspace"]["id"] == ws["id"] == entry["workspace_id"]
        assert entry["status"] == "ok" and entry["failures"] == [] and entry["deleted"] is None
        assert entry["exported"] == sum(k["count"] for k in manifest["kinds"].values())
        for kind, info in manifest["kinds"].items():
            data = (bundle / info["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == info["sha256"]
            assert entry["kinds"][kind] == info["count"]
        # the bundle holds what the emulator holds
        for kind, count in state_objects(ws).items():
            if kind in manifest["kinds"] and not kind.startswith("pipeline_"):
                assert manifest["kinds"][kind]["count"] == count, (entry["host"], kind)
    assert summary["totals"]["exported"] == sum(w["exported"] for w in summary["workspaces"])
    assert "Fleet summary (export): %d workspaces, %d ok, 0 failed" % (len(hosts), len(hosts)) in run.stdout


def test_a_failing_workspace_does_not_stop_the_others_and_fails_the_run_at_the_end(ansible, fresh_emulator, fleet, tmp_path):
    ghost = tmp_path / "ghost.yml"  # a second inventory source: one workspace that does not exist
    ghost.write_text(
        "all:\n  hosts:\n    rg-gdpr-demo_ws-gone:\n"
        "      azureml_subscription_id: %s\n      azureml_resource_group: rg-gdpr-demo\n      azureml_workspace_name: ws-gone\n"
        "      ansible_connection: local\n      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n" % DEMO_SUBSCRIPTION,
        encoding="utf-8")
    dest = tmp_path / "exports"
    run = ansible.playbook(ROOT_PLAYBOOKS, "-f", "4", "-i", str(ghost), inventory=fleet, extra_vars={"export_workspace_data_dest": str(dest)})
    assert run.rc != 0
    # rescued, not failed: the others and the summary go on; the summary fails the run
    assert run.recap["rg-gdpr-demo_ws-gone"]["rescued"] == 1 and run.recap["rg-gdpr-demo_ws-gone"]["failed"] == 0
    healthy = {"%s_%s" % (ws["resource_group"], ws["name"]) for ws in fresh_emulator.state()["workspaces"]}
    for host in healthy:
        assert run.recap[host]["failed"] == 0
        assert (dest / host / "manifest.json").is_file()
    summary = json.loads((dest / "fleet-summary.json").read_text(encoding="utf-8"))  # written before the play fails
    by_host = {w["host"]: w for w in summary["workspaces"]}
    assert by_host["rg-gdpr-demo_ws-gone"]["status"] == "failed"
    assert any("ws-gone" in f or "404" in f or "not found" in f.lower() for f in by_host["rg-gdpr-demo_ws-gone"]["failures"])
    assert summary["totals"] == dict(summary["totals"], failed=1, ok=len(healthy), workspaces=len(healthy) + 1)
    assert run.recap["localhost"]["failed"] == 1
    assert "1 workspace(s) failed" in run.stdout


def test_check_mode_prints_the_summary_and_writes_nothing(ansible, fresh_emulator, fleet, tmp_path):
    dest = tmp_path / "exports"
    run = ansible.playbook(ROOT_PLAYBOOKS, "-e", "target=rg_rg_ml_research", inventory=fleet, check=True,
                           extra_vars={"export_workspace_data_dest": str(dest)})
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    research = [ws for ws in fresh_emulator.state()["workspaces"] if ws["resource_group"] == "rg-ml-research"]
    assert "Fleet summary (export): %d workspaces" % len(research) in run.stdout
    assert "Check mode: the fleet summary is not written." in run.stdout
    assert not dest.exists()
    assert not [e for e in fresh_emulator.journal() if e["mutating"]]


def test_purge_over_the_plugin_inventory_reports_deletions_in_the_summary(ansible, fresh_emulator, fleet, tmp_path):
    host = "rg-ml-research_Research-Vision-WS"
    dest = tmp_path / "exports"
    exported = ansible.playbook(ROOT_PLAYBOOKS, "-e", "target=" + host, inventory=fleet, extra_vars={"export_workspace_data_dest": str(dest)})
    assert exported.rc == 0, exported.stdout[-3000:]
    ws = next(w for w in fresh_emulator.state()["workspaces"] if w["name"] == "Research-Vision-WS")
    deletable = sum(len(ws["objects"][k]) for k in ("models", "assets", "images", "services"))
    assert deletable > 0

    run = ansible.playbook("gdpr.azureml.purge_workspaces", "-e", "target=" + host, inventory=fleet,
                           extra_vars={"export_workspace_data_dest": str(dest), "purge_workspace_confirm": ["Research-Vision-WS"],
                                       "purge_workspace_kinds": ["services", "images", "models", "assets"]})  # the kinds counted
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    summary = json.loads((dest / "fleet-summary.json").read_text(encoding="utf-8"))
    assert [w["host"] for w in summary["workspaces"]] == [host]
    entry = summary["workspaces"][0]
    assert entry["status"] == "ok" and entry["deleted"] == deletable == summary["totals"]["deleted"]
    after = next(w for w in fresh_emulator.state()["workspaces"] if w["name"] == "Research-Vision-WS")
    assert sum(len(after["objects"][k]) for k in ("models", "assets", "images", "services")) == 0
