"""Performance budgets as counts, not times (they hold on any machine): docs/performance.md.

A change that makes an export or a purge of the demo scenario send more requests, start more module
processes per workspace, or ask Azure AD for more than one token per module run fails here. When a
change lowers a count, lower the budget with it; when a feature needs more requests, raise it in the
same change and say why in docs/performance.md.

The emulator is the session's (page size 3, no latency), reseeded by ``fresh_emulator``.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXPORT = ROOT / "playbooks" / "export_workspaces.yml"
PURGE = ROOT / "playbooks" / "purge_workspaces.yml"
SALES = "rg-gdpr-demo_ws-sales-analytics"

# Requests of the export playbook, demo scenario, page size 3, default kinds and options, api_profile current (journal,
# exact). Issue 14 added, per workspace: one metrics_v2.list per run and one metrics_v2.full per page of each v2 metric
# (2 metrics of 1 to 4 values per run of the demo: 7 per experiment of 3 runs). No discovery.get: base_url (the emulator)
# replaces every host, so the discovery document would name hosts that are never used, and is not read.
# Issue 20 added the v2 resources: 10 lists per workspace (jobs, the five asset containers, online and batch endpoints,
# schedules, connections: the 10 of the empty workspace), then per container its versions and per endpoint its
# deployments, each paged at 3 (and the resource group's registries when an exported object refers to one).
EXPORT_REQUESTS = {
    "rg-gdpr-demo_ws-sales-analytics": 125,  # 95 (v1: 45 + 15 + 35) + 30 (v2)
    # 61: its 2 compute instances make 5 computes, 2 pages at 3 (issue 20: computes at 2025-12-01 show them)
    "rg-gdpr-demo_ws_hr-people": 89,  # 61 (v1: 31 + 9 + 21) + 28 (v2)
    "rg-gdpr-demo_ws-empty-sandbox": 19,  # 9 + 10 (v2)
    "rg-ml-research_mlresearch01": 88,  # 60 (v1: 30 + 9 + 21) + 28 (v2)
    "rg-ml-research_Research-Vision-WS": 67,  # 43 (v1: 23 + 6 + 14) + 24 (v2)
}
REGISTRY_LISTS = 4
# Module runs (processes) per workspace export: export_bundle alone (every service call, then subjects.json and the
# report, read from the bundle just written).
EXPORT_MODULE_RUNS = 1
# Requests of the purge of ws-sales-analytics (deletable kinds, not the workspace), page size 3, api_profile current:
# as under documented: with base_url no purge_plan run reads the workspace or its discovery document to find hosts
# (it was 47: a workspaces.get and a discovery.get more in each of the two purge_plan runs).
# Issue 20 (234): the default kinds take the v2 kinds and the experiments left empty: each kind listed by the plan, again
# by the apply before its deletes and by the verification (asset versions under each container, at 3 per page), one DELETE
# per object (each model once: its v2 model version is not deleted again), and the polls of the long-running deletes
# (jobs, experiments, schedules, deployments, endpoints: 56 operation polls).
PURGE_REQUESTS = 234
# Module runs per workspace purge: purge_plan (plan), purge_plan (apply: every delete, then the verification),
# bundle_report. Whatever the number of kinds to delete.
PURGE_MODULE_RUNS = 3


def _inventory(tmp_path, hosts, name="inventory.yml"):
    lines = ["all:", "  hosts:"]
    for host in hosts:
        rg, ws = host.split("_", 1)
        lines += ["    %s:" % host, "      azureml_subscription_id: 00000000-0000-4000-8000-000000000001",
                  "      azureml_resource_group: %s" % rg, "      azureml_workspace_name: %s" % ws]
    lines += ["  vars:", "    ansible_connection: local", '    ansible_python_interpreter: "{{ ansible_playbook_python }}"']
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _workspace_of(entry):
    parts = entry["path"].split("/")
    if "resourceGroups" in parts and "workspaces" in parts:
        return "%s_%s" % (parts[parts.index("resourceGroups") + 1], parts[parts.index("workspaces") + 1])
    return None


def _service_runs(run):
    """Module runs that call the service (the modules of the action group azureml, meta/runtime.yml), per host."""
    group = set(yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))["action_groups"]["azureml"])
    return Counter(r["host"] for r in run.results if r["action"].startswith("gdpr.azureml.") and r["status"] != "skipped"
                   and r["action"].split(".")[-1] in group)


def _module_runs(run):
    """Module processes started per host: tasks of the collection's modules (plugins/modules) that ran, but those an action
    plugin runs in the controller's process (plugins/action: fleet_summary_json)."""
    modules = {p.stem for p in (ROOT / "plugins" / "modules").glob("*.py")} - {p.stem for p in (ROOT / "plugins" / "action").glob("*.py")}
    return Counter(r["host"] for r in run.results if r["action"].startswith("gdpr.azureml.") and r["status"] != "skipped"
                   and r["action"].split(".")[-1] in modules)


def test_export_requests_and_module_runs(ansible, demo_inventory, fresh_emulator, tmp_path):
    run = ansible.playbook(EXPORT, inventory=demo_inventory, extra_vars={"export_workspace_data_dest": str(tmp_path / "exports")})
    assert run.rc == 0, run.stdout[-3000:]
    entries = fresh_emulator.journal()
    per_ws = Counter(_workspace_of(e) for e in entries)
    assert [e for e in entries if e["op"] == "discovery.get"] == []  # base_url replaces every host: nothing to discover
    # registries are listed at the resource group (no workspace in the path): once per workspace whose exported objects
    # refer to a registry (4 of the demo's 5; the empty sandbox refers to none)
    registries = [e for e in entries if _workspace_of(e) is None]
    assert [e["op"] for e in registries] == ["registries.list"] * REGISTRY_LISTS, [e["op"] for e in registries]
    per_ws.pop(None, None)
    assert dict(per_ws) == EXPORT_REQUESTS
    assert sum(1 for e in entries if e["mutating"]) == 0
    assert _module_runs(run) == dict.fromkeys(EXPORT_REQUESTS, EXPORT_MODULE_RUNS), dict(_module_runs(run))
    assert _service_runs(run) == dict.fromkeys(EXPORT_REQUESTS, 1)  # every service call in one module run


def test_one_token_grant_per_module_run_at_most(ansible, demo_inventory, fresh_emulator, tmp_path):
    emu = fresh_emulator
    before = emu.counters()["token_grants"]
    run = ansible.playbook(EXPORT, inventory=demo_inventory, extra_vars={"export_workspace_data_dest": str(tmp_path / "exports")}, env={
        "ANSIBLE_AZURE_AUTH_SOURCE": "env", "AZUREML_ACCESS_TOKEN": None, "AZURE_AUTHORITY_HOST": emu.aad_url,
        "REQUESTS_CA_BUNDLE": emu.ca_path, "AZURE_TENANT": emu.tenant, "AZURE_CLIENT_ID": emu.client_id,
        "AZURE_SECRET": emu.client_secret})
    assert run.rc == 0, run.stdout[-3000:]
    grants = emu.counters()["token_grants"] - before
    runs = sum(_service_runs(run).values())
    assert runs == len(EXPORT_REQUESTS)
    assert 1 <= grants <= runs, (grants, runs)


@pytest.fixture
def quick_operations(fresh_emulator):
    """Service delete operations complete after one poll answered with Retry-After: 1 (as in the purge tests)."""
    fresh_emulator.configure(retry_after=1, lro_polls=1, lro_seconds=0)
    yield fresh_emulator
    fresh_emulator.configure(reset=True)


def test_purge_requests(ansible, quick_operations, tmp_path):
    emu = quick_operations
    dest = tmp_path / "exports"
    inventory = _inventory(tmp_path, [SALES])
    run = ansible.playbook(EXPORT, inventory=inventory, extra_vars={"export_workspace_data_dest": str(dest)})
    assert run.rc == 0, run.stdout[-3000:]
    emu.clear_journal()
    run = ansible.playbook(PURGE, inventory=inventory, extra_vars={"export_workspace_data_dest": str(dest),
                                                                   "purge_workspace_confirm": ["ws-sales-analytics"]})
    assert run.rc == 0, run.stdout[-3000:]
    entries = emu.journal()
    state = {k: len(v) for k, v in emu.get_json("/_emulator/state?workspace=ws-sales-analytics")["workspaces"][0]["objects"].items()}
    assert all(state.get(kind, 0) == 0 for kind in ("models", "assets", "images", "services")), state
    assert len(entries) == PURGE_REQUESTS, Counter(e["op"] for e in entries)
    assert _module_runs(run) == {SALES: PURGE_MODULE_RUNS}, dict(_module_runs(run))
