"""/_emulator/: journal, counters, state (ids match the listings), secrets, reset, config, objects;
and determinism of the scenarios."""

from __future__ import annotations

import json

import pytest
from azureml_emulator.testing import EmulatorError, EmulatorProcess
from emuhelpers import collect_metrics_v2, API, PROVIDER, SUB, collect, enc, ws_path, ws_state

WS = ws_path()
ENTRY_KEYS = {"seq", "time", "method", "path", "query", "op", "status", "mutating", "request_id", "client_request_id",
              "profile"}


def test_journal_entries(emulator):
    emulator.clear_journal()
    exp = "Försäljning 2020"
    r = emulator.request("GET", f"/history/v1.0{WS}/experiments/{enc(exp)}/runs?continuationToken=&x=1",
                         headers={"x-ms-client-request-id": "cid-1"})
    assert r.status_code == 200
    emulator.request("DELETE", f"/api{WS}/assets/nope?{API}")
    emulator.request("POST", f"/history/v1.0{WS}/experiments:query", json={})
    entries = emulator.journal()
    assert len(entries) == 3
    first, second, third = entries
    assert ENTRY_KEYS <= set(first)
    assert first["path"] == f"/history/v1.0{WS}/experiments/{exp}/runs"  # decoded
    assert first["query"] == {"continuationToken": "", "x": "1"}
    assert first["op"] == "runs.list" and first["status"] == 200 and first["method"] == "GET"
    assert first["mutating"] is False and first["client_request_id"] == "cid-1"
    assert first["request_id"] == r.headers["x-ms-request-id"]
    assert second["op"] == "assets.delete" and second["status"] == 204 and second["mutating"] is True
    assert third["op"] == "experiments.list" and third["mutating"] is False and third["profile"] == "current"
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    # since= returns only what came after
    assert emulator.journal(first["seq"]) == entries[1:]
    body = emulator.session.get(f"{emulator.url}/_emulator/journal?since={second['seq']}").json()
    assert body["next"] == third["seq"] and len(body["entries"]) == 1
    # introspection itself is not journaled
    assert len(emulator.journal()) == 3


def test_counters_count_mutations(emulator):
    emulator.clear_journal()
    st = ws_state(emulator)
    for a in st["objects"]["assets"]:
        emulator.request("DELETE", f"/api{WS}/assets/{a['id']}?{API}")
    emulator.request("GET", f"/api{WS}/assets?{API}")
    emulator.request("GET", f"/api{WS}/assets?{API}", token=False)
    c = emulator.counters()
    assert set(c) >= {"requests", "mutating", "token_grants", "faults", "throttled", "dropped", "by_status", "by_op"}
    n = len(st["objects"]["assets"])
    assert c["mutating"] == n and c["requests"] == n + 2
    assert c["by_op"]["assets.delete"] == n and c["by_op"]["assets.list"] == 2
    assert c["by_status"]["200"] == n + 1 and c["by_status"]["401"] == 1
    emulator.clear_journal()
    assert emulator.counters()["requests"] == 0 and emulator.journal() == []


def test_state_ids_match_the_listings(emulator):
    emulator.configure(page_size=4)
    st = emulator.state()
    assert st["workspaces"]
    for w in st["workspaces"]:
        assert set(w) >= {"id", "subscription_id", "resource_group", "name", "location", "status", "objects"}
        assert w["status"] == "active"
        assert w["id"] == f"/subscriptions/{w['subscription_id']}/resourceGroups/{w['resource_group']}/providers/{PROVIDER}/workspaces/{w['name']}"
        ws = ws_path(w["subscription_id"], w["resource_group"], w["name"])
        assert emulator.get_json(f"{ws}?{API}")["id"] == w["id"]
        o = w["objects"]
        checks = [("computes", f"{ws}/computes?api-version=2025-12-01", "arm", "id"),  # compute instances too
                  ("experiments", f"/history/v1.0{ws}/experiments?viewType=All", "continuation", "experimentId"),
                  ("tasks", f"/notification/v1.0{ws}/tasks", "continuation", "id"),
                  ("datastores", f"/datastore/v1.0{ws}/datastores", "continuation", "name")]
        checks += [(k, f"/api{ws}/{k}?{API}", "mms", "id") for k in ("models", "assets", "images", "services")]
        for kind, path, style, field in checks:
            items, _ = collect(emulator, path, style)
            assert sorted(i[field] for i in items) == sorted(x["id"] for x in o[kind]), (w["name"], kind)
        runs, metrics = [], []
        for e in o["experiments"]:
            items, _ = collect(emulator, f"/history/v1.0{ws}/experiments/{enc(e['name'])}/runs", "continuation")
            runs += items
            items, _ = collect(emulator, f"/history/v1.0{ws}/experiments/{enc(e['name'])}/metrics", "continuation")
            metrics += items
        assert sorted(r["runId"] for r in runs) == sorted(x["id"] for x in o["runs"])
        assert sorted(m["metricId"] for m in metrics) == sorted(x["id"] for x in o["metrics"])
        by_run = {r["runId"]: r for r in runs}
        for x in o["runs"]:  # created_by is the run's createdBy
            assert x["created_by"] == by_run[x["id"]]["createdBy"]
        arts = []
        for r in runs:
            items, _ = collect(emulator, f"/artifact/v1.0{ws}/artifacts/origins/ExperimentRun/containers/{enc(r['dataContainerId'])}",
                               "continuation")
            arts += items
        assert sorted(a["artifactId"] for a in arts) == sorted(x["id"] for x in o["artifacts"])
        values = []
        for r in runs:
            for metric in collect_metrics_v2(emulator, ws, r["runId"]):
                values += [(r["runId"], metric["name"], v["metricId"]) for v in metric["value"]]
        assert sorted(values) == sorted((x["run_id"], x["name"], v) for x in o["metrics_v2"] for v in x["value_ids"])
        for kind in ("pipeline_experiments", "pipeline_graphs", "pipeline_modules", "pipeline_templates",
                     "pipeline_datasources"):
            seg = {"pipeline_experiments": "Experiments", "pipeline_graphs": "Graphs", "pipeline_modules": "Modules",
                   "pipeline_templates": "Templates", "pipeline_datasources": "DataSources"}[kind]
            for x in o[kind]:
                got = emulator.get_json(f"/api/v1.0{ws}/{seg}/{x['id']}")
                assert got["id"] == x["id"] and got["createdBy"]["userObjectId"] == x["created_by"]["userObjectId"]
        models = {m["id"]: m for m in collect(emulator, f"/api{ws}/models?{API}", "mms")[0]}
        for x in o["models"]:
            assert x["created_by"]["userObjectId"] == models[x["id"]]["createdBy"]["userObjectId"]


def test_state_filters_and_soft_deleted_status(emulator):
    st = ws_state(emulator)
    one = emulator.session.get(f"{emulator.url}/_emulator/state",
                               params={"workspace": st["id"], "kinds": "models,runs"}).json()
    assert len(one["workspaces"]) == 1 and set(one["workspaces"][0]["objects"]) == {"models", "runs"}
    emulator.configure(lro_polls=0)
    r = emulator.request("DELETE", f"{WS}?{API}")
    emulator.request("GET", r.headers["Azure-AsyncOperation"])
    assert ws_state(emulator)["status"] == "soft_deleted"


def test_objects_created_later_show_up_everywhere(emulator):
    st = ws_state(emulator)
    run = emulator.create_object(st["id"], "runs", {"experimentName": "Försäljning 2020"}, user="dmitri.ivanov@fabrikam.example")
    assert run["createdBy"]["userName"] == "Dmitri Ivanov"
    runs = emulator.get_json(f"/history/v1.0{WS}/experiments/{enc('Försäljning 2020')}/runs")["value"]
    assert run["runId"] in [r["runId"] for r in runs]
    art = emulator.create_object(st["id"], "artifacts", {"runId": run["runId"], "path": "outputs/late.txt"})
    assert art["artifactId"] == f"ExperimentRun/{run['dataContainerId']}/outputs/late.txt"
    ds = emulator.create_object(st["id"], "datastores", {"name": "late_store"})
    assert ds["azureStorageSection"]["accountKey"] in emulator.secrets()
    svc = emulator.create_object(st["id"], "services", {"name": "svc-late", "computeType": "AKS"})
    assert emulator.get_json(f"/api{WS}/services/svc-late?{API}")["id"] == svc["id"]
    after = ws_state(emulator)["objects"]
    assert run["runId"] in [r["id"] for r in after["runs"]]
    assert "late_store" in [d["id"] for d in after["datastores"]]
    for kind in ("experiments", "metrics", "tasks", "computes", "assets", "pipeline_graphs"):
        made = emulator.create_object(st["id"], kind, {})
        assert made
    with pytest.raises(EmulatorError):
        emulator.create_object(st["id"], "nonsense", {})
    with pytest.raises(EmulatorError):
        emulator.create_object("/subscriptions/x/resourceGroups/y/providers/p/workspaces/z", "models", {})


def test_reset_restores_and_switches_scenarios(emulator):
    before = emulator.state()
    asset = ws_state(emulator)["objects"]["assets"][0]["id"]
    assert emulator.request("DELETE", f"/api{WS}/assets/{asset}?{API}").status_code == 200
    assert emulator.state() != before
    emulator.reset()
    assert emulator.state() == before
    emulator.reset("empty")
    st = emulator.state()
    assert st["scenario"] == "empty" and all(not any(w["objects"].values()) for w in st["workspaces"])
    emulator.reset("demo", seed=99)
    other = emulator.state()
    assert other["seed"] == 99 and other != before
    with pytest.raises(EmulatorError):
        emulator.reset("no-such-scenario")


def test_config_round_trip_and_validation(emulator):
    cfg = emulator.configure(page_size=7, latency_ms=1)
    assert cfg["page_size"] == 7 and cfg["latency_ms"] == 1
    assert emulator.config()["page_size"] == 7
    for bad in ({"page_size": 0}, {"fault_rate": 2}, {"nope": 1}, {"soft_delete": "yes"}):
        with pytest.raises(EmulatorError):
            emulator.configure(**bad)
    assert emulator.configure(reset=True)["page_size"] == 50


def test_demo_is_deterministic_across_starts(emulator):
    with EmulatorProcess("demo") as other:
        assert other.state() == emulator.state()
        assert other.secrets() == emulator.secrets()
        path = f"/api{WS}/models?{API}"
        assert other.get_json(path)["value"] == emulator.get_json(path)["value"]


def test_scenario_file_and_large_scenario(tmp_path):
    spec = {
        "seed": 5,
        "users": [{"name": "Eva Ek", "email": "eva@example.org"}, {"name": "Bot", "type": "service_principal"}],
        "subscriptions": [{"id": "00000000-0000-4000-8000-0000000000ff", "resource_groups": [
            {"name": "rg-a", "workspaces": [{"name": "ws-a", "counts": {"models": 4, "experiments": 1}}]}]}],
    }
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(spec))
    yaml_path = tmp_path / "scenario.yaml"
    yaml_path.write_text("seed: 5\nsubscriptions:\n  - id: 00000000-0000-4000-8000-0000000000ff\n    resource_groups:\n"
                         "      - name: rg-a\n        workspaces:\n          - name: ws-a\n            counts: {models: 4}\n")
    with EmulatorProcess(str(path)) as emu:
        st = emu.state()
        assert [w["name"] for w in st["workspaces"]] == ["ws-a"]
        assert len(st["workspaces"][0]["objects"]["models"]) == 4
        assert {u["name"] for u in emu.users()} == {"Eva Ek", "Bot"}
        emu.reset(str(yaml_path))
        assert len(emu.state()["workspaces"][0]["objects"]["models"]) == 4
    with EmulatorProcess("large") as emu:  # no timed assertion (it failed on a busy machine); start() has its timeout
        ws = ws_path(SUB, "rg-large", "ws-large")
        st = emu.session.get(f"{emu.url}/_emulator/state", params={"workspace": "ws-large",
                                                                    "kinds": "runs,models,artifacts,services"}).json()
        o = st["workspaces"][0]["objects"]
        # 50 x 100 runs, and 20 pipeline runs of 3 steps each (the v2 side's pipeline jobs)
        assert (len(o["runs"]), len(o["models"]), len(o["artifacts"]), len(o["services"])) == (5080, 2000, 10000, 100)
        models, pages = collect(emu, f"/api{ws}/models?{API}", "mms")
        assert len({m["id"] for m in models}) == 2000 and pages == 40


def test_a_bad_scenario_fails_fast():
    with pytest.raises(EmulatorError):
        EmulatorProcess("no-such-scenario").start(timeout=10)
