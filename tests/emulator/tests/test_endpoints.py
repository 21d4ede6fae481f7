"""Every row of ENDPOINTS.md (by its architecture.md operation name) answers for seeded data,
and the journal records the operation under that name."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from emuhelpers import API, PROVIDER, RG, SUB, WS_NAME, enc, ws_path, ws_state

WS = ws_path()

DOCUMENTED = [
    "workspaces.list_subscription", "workspaces.list", "workspaces.get", "workspaces.delete",
    "computes.list", "computes.get", "experiments.list", "runs.list", "runs.get", "metrics.list", "metrics.get",
    "artifacts.list", "artifacts.contentinfo", "tasks.list", "tasks.get", "datastores.list", "datastores.get",
    "models.list", "models.get", "models.delete", "assets.list", "assets.get", "assets.delete",
    "images.list", "images.get", "images.delete", "services.list", "services.get", "services.delete",
    "mms_operations.get", "pipeline_experiments.get", "pipeline_graphs.get", "pipeline_modules.get",
    "pipeline_templates.get", "pipeline_datasources.get", "discovery.get",
]


def _pick(st: dict) -> dict:
    """Concrete objects of the hostile demo workspace to address."""
    objs = st["objects"]
    exp = next(e for e in objs["experiments"] if "%" in e["name"])  # needs percent-encoding
    run = next(r for r in objs["runs"] if r["experiment"] == exp["name"])
    metric = next(m for m in objs["metrics"] if m["experiment"] == exp["name"])
    art = next(a for a in objs["artifacts"] if a["path"] == "../../.ssh/authorized_keys")
    used_models = {m for i in objs["images"] for m in i["model_ids"]} | {m for s in objs["services"] for m in s["model_ids"]}
    used_images = {s["image_id"] for s in objs["services"]}
    return {
        "exp": exp, "run": run, "metric": metric, "art": art,
        "free_model": next(m for m in objs["models"] if m["id"] not in used_models),
        "free_image": next(i for i in objs["images"] if i["id"] not in used_images),
        "aci_service": next(s for s in objs["services"] if s["compute_type"] == "ACI"),
        "aks_service": next(s for s in objs["services"] if s["compute_type"] == "AKS"),
    }


def request_for(emu, op: str, st: dict) -> tuple[str, str, set[int]]:
    """(method, path, acceptable statuses) of one operation on seeded data."""
    p = _pick(st)
    objs = st["objects"]
    first = {k: v[0]["id"] for k, v in objs.items() if v}
    hist = f"/history/v1.0{WS}/experiments/{enc(p['exp']['name'])}"
    table = {
        "workspaces.list_subscription": ("GET", f"/subscriptions/{SUB}/providers/{PROVIDER}/workspaces?{API}", {200}),
        "workspaces.list": ("GET", f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{PROVIDER}/workspaces?{API}", {200}),
        "workspaces.get": ("GET", f"{WS}?{API}", {200}),
        "workspaces.delete": ("DELETE", f"{WS}?{API}", {202}),
        "computes.list": ("GET", f"{WS}/computes?{API}", {200}),
        "computes.get": ("GET", f"{WS}/computes/{objs['computes'][0]['name']}?{API}", {200}),
        "experiments.list": ("GET", f"/history/v1.0{WS}/experiments?viewType=All", {200}),
        "runs.list": ("GET", f"{hist}/runs", {200}),
        "runs.get": ("GET", f"{hist}/runs/{enc(p['run']['id'])}", {200}),
        "metrics.list": ("GET", f"{hist}/metrics", {200}),
        "metrics.get": ("GET", f"{hist}/metrics/{p['metric']['id']}", {200}),
        "artifacts.list": ("GET", f"/artifact/v1.0{WS}/artifacts/origins/ExperimentRun/containers/{enc(p['run']['container'])}", {200}),
        "artifacts.contentinfo": ("GET", f"/artifact/v1.0{WS}/artifacts/origins/ExperimentRun/containers/"
                                  f"{enc(p['art']['container'])}/contentinfo?path={quote(p['art']['path'], safe='')}", {200}),
        "tasks.list": ("GET", f"/notification/v1.0{WS}/tasks", {200}),
        "tasks.get": ("GET", f"/notification/v1.0{WS}/tasks/{first['tasks']}", {200}),
        "datastores.list": ("GET", f"/datastore/v1.0{WS}/datastores", {200}),
        "datastores.get": ("GET", f"/datastore/v1.0{WS}/datastores/{first['datastores']}", {200}),
        "models.delete": ("DELETE", f"/api{WS}/models/{enc(p['free_model']['id'])}?{API}", {200}),
        "assets.delete": ("DELETE", f"/api{WS}/assets/{first['assets']}?{API}", {200}),
        "images.delete": ("DELETE", f"/api{WS}/images/{enc(p['free_image']['id'])}?{API}", {200}),
        "services.delete": ("DELETE", f"/api{WS}/services/{enc(p['aci_service']['id'])}?{API}", {200}),
        "discovery.get": ("GET", "/discovery", {200}),
    }
    for kind in ("models", "assets", "images", "services"):
        table[f"{kind}.list"] = ("GET", f"/api{WS}/{kind}?{API}", {200})
        table[f"{kind}.get"] = ("GET", f"/api{WS}/{kind}/{enc(first[kind])}?{API}", {200})
    for kind, seg in (("experiments", "Experiments"), ("graphs", "Graphs"), ("modules", "Modules"),
                      ("templates", "Templates"), ("datasources", "DataSources")):
        table[f"pipeline_{kind}.get"] = ("GET", f"/api/v1.0{WS}/{seg}/{first['pipeline_' + kind]}", {200})
    if op == "mms_operations.get":
        r = emu.request("DELETE", f"/api{WS}/services/{enc(p['aks_service']['id'])}?{API}")
        assert r.status_code == 202
        return "GET", r.headers["Operation-Location"], {200}
    return table[op]


@pytest.mark.parametrize("op", DOCUMENTED)
def test_documented_operation_answers(emulator, op):
    st = ws_state(emulator)
    method, path, ok = request_for(emulator, op, st)
    since = emulator.journal()[-1]["seq"] if emulator.journal() else 0
    r = emulator.request(method, path)
    assert r.status_code in ok, f"{op}: {method} {path} -> {r.status_code} {r.text[:300]}"
    if r.status_code == 200 and method == "GET":
        body = r.json()
        assert body, f"{op} returned an empty body"
    entries = [e for e in emulator.journal(since) if e["request_id"] == r.headers["x-ms-request-id"]]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["op"] == op
    assert entry["status"] == r.status_code
    assert entry["profile"] == "documented"
    assert entry["mutating"] is (method == "DELETE")


def test_documented_lists_hold_the_seeded_objects(emulator):
    """A list of every kind is non-empty for the demo workspace and its items carry the kind's id field."""
    st = ws_state(emulator)
    p = _pick(st)
    hist = f"/history/v1.0{WS}/experiments/{enc(p['exp']['name'])}"
    for path, id_field, kind in [
        (f"{WS}/computes?{API}", "id", "computes"),
        (f"/history/v1.0{WS}/experiments?viewType=All", "experimentId", "experiments"),
        (f"{hist}/runs", "runId", None),
        (f"{hist}/metrics", "metricId", None),
        (f"/notification/v1.0{WS}/tasks", "id", "tasks"),
        (f"/datastore/v1.0{WS}/datastores", "name", "datastores"),
        (f"/api{WS}/models", "id", None),
    ]:
        value = emulator.get_json(path)["value"]
        assert value and all(id_field in o for o in value), path
        if kind and len(st["objects"][kind]) <= 50:
            assert sorted(o[id_field] for o in value) == sorted(x["id"] for x in st["objects"][kind])


def test_workspace_is_arm_shaped_and_points_at_discovery(emulator):
    ws = emulator.get_json(f"{WS}?{API}")
    assert ws["id"] == f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{PROVIDER}/workspaces/{WS_NAME}"
    assert ws["type"] == f"{PROVIDER}/workspaces"
    assert ws["properties"]["provisioningState"] == "Succeeded"
    assert ws["properties"]["discoveryUrl"] == f"{emulator.url}/discovery"
    disco = emulator.request("GET", ws["properties"]["discoveryUrl"], token=False)
    assert disco.status_code == 200
    doc = disco.json()
    for key in ("api", "catalog", "experimentation", "gallery", "history", "hyperdrive", "labeling",
                "modelmanagement", "pipelines", "studio", "studiocoreservices"):
        assert doc[key] == emulator.url


def test_names_needing_encoding_round_trip(emulator):
    """Experiment names with spaces, '%', '?', '&', non-ASCII: list → encode → get."""
    exps = emulator.get_json(f"/history/v1.0{WS}/experiments")["value"]
    names = {e["name"] for e in exps}
    assert {"Försäljning 2020", "customer churn v2", "100% rollout & A+B?", "日本語の実験"} <= names
    for name in names:
        runs = emulator.get_json(f"/history/v1.0{WS}/experiments/{enc(name)}/runs")["value"]
        assert runs, name
        one = emulator.get_json(f"/history/v1.0{WS}/experiments/{enc(name)}/runs/{enc(runs[0]['runId'])}")
        assert one["runId"] == runs[0]["runId"]
        assert {"userObjectId", "userTenantId", "userName"} <= set(one["createdBy"])
        assert one["userId"] == one["createdBy"]["userObjectId"]


def test_runs_have_several_creators(emulator):
    st = emulator.state()
    creators = {r["created_by"]["userObjectId"] for w in st["workspaces"] for r in w["objects"]["runs"]}
    assert len(creators) >= 4
    users = emulator.users()
    assert any(u["type"] == "service_principal" for u in users)
    assert len(users) >= 4


@pytest.mark.parametrize("op,method,path_fn,style", [
    ("models.list", "GET", lambda st: f"/modelmanagement/v1.0{WS}/models", None),
    ("models.get", "GET", lambda st: f"/modelmanagement/v1.0{WS}/models/{enc(st['objects']['models'][0]['id'])}", None),
    ("experiments.list", "POST", lambda st: f"/history/v1.0{WS}/experiments:query", None),
    ("runs.list", "POST", lambda st: f"/history/v1.0{WS}/experiments/{enc(st['objects']['experiments'][0]['name'])}/runs:query", None),
    ("metrics.list", "POST", lambda st: f"/history/v1.0{WS}/experiments/{enc(st['objects']['experiments'][0]['name'])}/metrics:query", None),
    ("artifacts.list", "GET", lambda st: f"/artifact/v2.0{WS}/artifacts/ExperimentRun/{enc(st['objects']['runs'][0]['container'])}", None),
])
def test_current_profile_routes_share_the_handlers(emulator, op, method, path_fn, style):
    st = ws_state(emulator)
    r = emulator.request(method, path_fn(st), json={} if method == "POST" else None)
    assert r.status_code == 200, r.text
    entry = [e for e in emulator.journal() if e["request_id"] == r.headers["x-ms-request-id"]][0]
    assert entry["op"] == op
    assert entry["profile"] == "current"
    assert entry["mutating"] is False  # POST :query is a read
