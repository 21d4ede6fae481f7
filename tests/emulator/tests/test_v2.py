"""The v2 resources (ARM, api-version 2025-12-01): every family, paging, listViewType, long-running deletes, what a
delete takes (cascade), the journal, and the shapes of the spec's examples copied in tests/emulator/specs.

azure-ai-ml's generated client checks the same routes in tests/conformance/v2; these tests need only the emulator.
"""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
import spec_map
from azureml_emulator import scenarios
from azureml_emulator import spec_validation as sv
from azureml_emulator.families import v2 as v2_family
from emuhelpers import PROVIDER, SUB, enc, ws_path, ws_state

API = "api-version=2025-12-01"
HR = "ws_hr-people"
EXAMPLES = sv.SPECS_ROOT / "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2025-12-01/examples"


def hr():
    return ws_path(name=HR)


def leaf(arm_id: str) -> str:
    return arm_id.rsplit("/", 1)[-1]


def pages(emu, path: str, max_pages: int = 1000) -> tuple[list[dict], int]:
    """Every item of a v2 list, following ``nextLink`` as given; (items, pages)."""
    url = path + ("&" if "?" in path else "?") + API
    items, n, seen = [], 0, set()
    while url:
        r = emu.request("GET", url)
        assert r.status_code == 200, f"{url} -> {r.status_code} {r.text[:300]}"
        body = r.json()
        assert set(body) <= {"value", "nextLink"}, body.keys()
        items.extend(body["value"])
        n += 1
        assert n <= max_pages, "paging does not end"
        url = body.get("nextLink")
        if url:
            # $skipToken ($skiptoken on the computes list, the 2019 route): ARM query names are case-insensitive
            assert url.startswith(emu.url + "/") and "$skiptoken" in {k.lower() for k in parse_qs(urlsplit(url).query)}, url
            assert url not in seen
            seen.add(url)
    return items, n


def once(items, expected, what):
    names = [i["id"] for i in items]
    assert not [k for k, c in Counter(names).items() if c > 1], f"{what}: an object listed twice"
    assert sorted(names) == sorted(expected), what


# -- every family, paging ----------------------------------------------------------------------

def _expected(emu, st):
    """List path -> the ARM ids /_emulator/state says it must hold (listViewType=All)."""
    o, ws = st["objects"], st["id"]
    out = {
        "/jobs?listViewType=All": [f"{ws}/jobs/{r['id']}" for r in o["runs"] if not r["parent_run_id"]],
        "/models?listViewType=All": [c["id"] for c in o["model_containers"]],
        "/schedules?listViewType=All": [s["id"] for s in o["schedules"]],
        "/connections": [c["id"] for c in o["connections"]],
        "/onlineEndpoints": [e["id"] for e in o["online_endpoints"]],
        "/batchEndpoints": [e["id"] for e in o["batch_endpoints"]],
        "/datastores": [f"{ws}/datastores/{d['name']}" for d in o["datastores"]
                        if d["datastore_type"] in ("AzureBlob", "AzureFile", "AzureDataLake")],
        "/computes": [c["id"] for c in o["computes"]],
    }
    for c in o["model_containers"]:
        out[f"/models/{enc(c['name'])}/versions?listViewType=All"] = [
            f"{ws}/models/{m['name']}/versions/{m['id'].split(':', 1)[1]}" for m in o["models"] if m["name"] == c["name"]]
    for prefix, path in (("data", "data"), ("environment", "environments"), ("component", "components"), ("code", "codes")):
        view = "" if prefix == "code" else "?listViewType=All"
        out[f"/{path}{view}"] = [c["id"] for c in o[f"{prefix}_containers"]]
        for c in o[f"{prefix}_containers"]:
            out[f"/{path}/{enc(c['name'])}/versions{view}"] = [v["id"] for v in o[f"{prefix}_versions"] if v["parent"] == c["id"]]
    for kind in ("online", "batch"):
        for e in o[f"{kind}_endpoints"]:
            out[f"/{kind}Endpoints/{enc(e['name'])}/deployments"] = [d["id"] for d in o[f"{kind}_deployments"] if d["parent"] == e["id"]]
    return out


@pytest.mark.parametrize("page_size", [1, 3])
def test_every_list_pages_to_every_object_once(emulator, page_size):
    emulator.configure(page_size=page_size)
    st = ws_state(emulator, HR)
    for path, expected in _expected(emulator, st).items():
        items, n = pages(emulator, hr() + path)
        once(items, expected, path)
        assert n == max(1, -(-len(expected) // page_size)), (path, n, len(expected))
        for item in items:
            assert item["systemData"]["createdBy"] and item["systemData"]["createdByType"] in ("User", "Application"), item["id"]
            assert {"createdAt", "lastModifiedBy", "lastModifiedByType", "lastModifiedAt"} <= set(item["systemData"])


def test_top_and_count_only_lower_the_page_size(emulator):
    first = emulator.get_json(f"{hr()}/jobs?{API}&$top=2")
    assert len(first["value"]) == 2 and "$top=2" in first["nextLink"]
    assert len(emulator.get_json(f"{hr()}/datastores?{API}&count=1")["value"]) == 1


def test_a_bad_skip_token_or_view_type_is_refused(emulator):
    r = emulator.request("GET", f"{hr()}/jobs?{API}&$skipToken=not-a-token")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidSkipToken"
    r = emulator.request("GET", f"{hr()}/jobs?{API}&listViewType=Everything")
    assert r.status_code == 400 and "listViewType" in r.json()["error"]["message"]


def test_every_kind_has_two_creators_in_the_demo(emulator):
    st = ws_state(emulator, "ws-sales-analytics")
    for kind in ("data_versions", "environment_versions", "component_versions", "code_versions", "online_deployments",
                 "batch_deployments", "schedules", "connections"):
        creators = {json.dumps(o["created_by"], sort_keys=True) for o in st["objects"][kind]}
        assert len(creators) >= 2 and "null" not in creators, (kind, creators)


# -- listViewType ------------------------------------------------------------------------------

def _names(items):
    return {i["name"] for i in items}


def test_list_view_type_of_jobs_and_assets(emulator):
    st = ws_state(emulator, HR)
    o = st["objects"]
    archived = {r["id"] for r in o["runs"] if r["job_archived"]}
    everything = {r["id"] for r in o["runs"] if not r["parent_run_id"]}
    assert archived and archived < everything
    assert _names(pages(emulator, f"{hr()}/jobs")[0]) == everything - archived  # ActiveOnly is the default
    assert _names(pages(emulator, f"{hr()}/jobs?listViewType=ActiveOnly")[0]) == everything - archived
    archived_items = pages(emulator, f"{hr()}/jobs?listViewType=ArchivedOnly")[0]
    assert _names(archived_items) == archived and all(j["properties"]["isArchived"] for j in archived_items)
    for prefix, path in (("data", "data"), ("environment", "environments"), ("component", "components")):
        gone = {leaf(c["id"]) for c in o[f"{prefix}_containers"] if c["archived"]}
        assert gone, prefix
        assert not gone & _names(pages(emulator, f"{hr()}/{path}")[0])
        assert _names(pages(emulator, f"{hr()}/{path}?listViewType=ArchivedOnly")[0]) == gone
        c = o[f"{prefix}_containers"][0]
        versions = {leaf(v["id"]) for v in o[f"{prefix}_versions"] if v["parent"] == c["id"]}
        archived_v = {leaf(v["id"]) for v in o[f"{prefix}_versions"] if v["parent"] == c["id"] and v["archived"]}
        assert archived_v and _names(pages(emulator, f"{hr()}/{path}/{c['name']}/versions")[0]) == versions - archived_v
    archived_models = [m for m in o["models"] if m["version_archived"]]
    assert archived_models
    m = archived_models[0]
    active = {x["id"].split(":", 1)[1] for x in o["models"] if x["name"] == m["name"] and not x["version_archived"]}
    assert _names(pages(emulator, f"{hr()}/models/{enc(m['name'])}/versions")[0]) == active
    # codes: no listViewType in the spec; every code is listed, archived ones too
    assert _names(pages(emulator, f"{hr()}/codes")[0]) == {leaf(c["id"]) for c in o["code_containers"]}


def test_schedules_list_enabled_only_by_default(emulator):
    o = ws_state(emulator, HR)["objects"]
    enabled = {leaf(s["id"]) for s in o["schedules"] if s["enabled"]}
    disabled = {leaf(s["id"]) for s in o["schedules"] if not s["enabled"]}
    assert enabled and disabled
    assert _names(pages(emulator, f"{hr()}/schedules")[0]) == enabled
    assert _names(pages(emulator, f"{hr()}/schedules?listViewType=DisabledOnly")[0]) == disabled
    assert _names(pages(emulator, f"{hr()}/schedules?listViewType=All")[0]) == enabled | disabled


def test_the_switch_ignores_list_view_type(emulator):
    emulator.configure(v2_list_view_type=False)
    o = ws_state(emulator, HR)["objects"]
    archived = {r["id"] for r in o["runs"] if r["job_archived"]}
    assert not archived & _names(pages(emulator, f"{hr()}/jobs?listViewType=All")[0])
    assert len(pages(emulator, f"{hr()}/schedules?listViewType=All")[0]) < len(o["schedules"])


# -- one store, two views ----------------------------------------------------------------------

def test_a_job_is_the_run_of_the_same_id(emulator):
    st = ws_state(emulator, HR)
    made = emulator.create_object(st["id"], "runs", {"experimentName": "churn-prediction", "isArchived": True}, user=2)
    job = emulator.get_json(f"{hr()}/jobs/{made['runId']}?{API}")
    assert job["name"] == made["runId"] and job["properties"]["isArchived"] is True
    assert job["properties"]["experimentName"] == "churn-prediction" and job["properties"]["jobType"] == "Command"
    assert job["systemData"]["createdBy"] == emulator.users()[2]["name"]
    assert made["runId"] in _names(pages(emulator, f"{hr()}/jobs?listViewType=ArchivedOnly")[0])


def test_a_v1_model_is_a_v2_model_version(emulator):
    st = ws_state(emulator, HR)
    m = st["objects"]["models"][0]
    version = m["id"].split(":", 1)[1]
    body = emulator.get_json(f"{hr()}/models/{enc(m['name'])}/versions/{version}?{API}")
    assert body["name"] == version and body["id"].endswith(f"/models/{m['name']}/versions/{version}")
    made = emulator.create_object(st["id"], "models", {"name": "brand-new-model"})
    assert emulator.get_json(f"{hr()}/models/brand-new-model?{API}")["name"] == "brand-new-model"  # its container
    assert [v["name"] for v in pages(emulator, f"{hr()}/models/brand-new-model/versions")[0]] == [str(made["version"])]


def add_compute_instances(emulator, st):
    """The demo's ws_hr-people has two compute instances assigned to two people (scenario count compute_instances); one
    more made through /_emulator/objects, assigned to a third."""
    emulator.create_object(st["id"], "computes", {"name": "ci-extra", "properties": {"computeType": "ComputeInstance"}},
                           user=3)
    return ws_state(emulator, HR)


def test_compute_instances_name_their_user_from_api_versions_that_know_them(emulator):
    demo = [c for c in ws_state(emulator, HR)["objects"]["computes"] if c.get("assigned_user")]
    assert len(demo) == 2 and len({c["assigned_user"] for c in demo}) == 2  # the demo's two, assigned to two people
    st = add_compute_instances(emulator, ws_state(emulator, HR))
    instances = [c for c in st["objects"]["computes"] if c.get("assigned_user")]
    assert len(instances) == 3 and len({c["assigned_user"] for c in instances}) == 3
    old = {c["id"] for c in emulator.get_json(f"{hr()}/computes?api-version=2019-11-01")["value"]}
    assert not old & {c["id"] for c in instances}
    body = emulator.get_json(f"{instances[0]['id']}?{API}")
    settings = body["properties"]["properties"]["personalComputeInstanceSettings"]
    assert settings["assignedUser"]["objectId"] == instances[0]["assigned_user"]
    assert body["systemData"]["createdByType"] == "User"
    assert emulator.request("GET", f"{instances[0]['id']}?api-version=2019-11-01").status_code == 404


def test_v2_datastores_never_carry_credentials(emulator):
    secrets = emulator.secrets()
    items = pages(emulator, f"{hr()}/datastores")[0]
    assert items and not any(s in json.dumps(items) for s in secrets)
    assert {"sqldb_finance", "postgres_hr"}.isdisjoint(_names(items))  # v1-only types: no 2025-12-01 datastoreType
    blob = emulator.get_json(f"{hr()}/datastores/workspaceblobstore?{API}")
    assert blob["properties"]["credentials"] == {"credentialsType": "AccountKey", "secrets": {"secretsType": "AccountKey"}}


def test_connection_secrets_only_through_listsecrets(emulator):
    st = ws_state(emulator, HR)
    canaries = [s for s in emulator.secrets() if s.startswith("EMULATOR-SECRET-connection-")]
    assert canaries
    listed = pages(emulator, f"{hr()}/connections")[0]
    assert listed and not any(s in json.dumps(listed) for s in canaries)
    c = listed[0]
    assert "credentials" not in emulator.get_json(f"{c['id']}?{API}")["properties"]
    emulator.clear_journal()
    r = emulator.request("POST", f"{c['id']}/listsecrets?{API}")
    assert r.status_code == 200 and any(s in json.dumps(r.json()["properties"]["credentials"]) for s in canaries)
    entry = emulator.journal()[-1]
    assert entry["op"] == "connections.list_secrets" and entry["mutating"] is False
    assert c["id"] in {x["id"] for x in st["objects"]["connections"]}


def test_registries_are_read_only_at_resource_group_level(emulator):
    regs = emulator.state()["registries"]
    assert regs
    rg_path = f"/subscriptions/{SUB}/resourceGroups/rg-ml-research/providers/{PROVIDER}/registries"
    assert [r["id"] for r in pages(emulator, rg_path)[0]] == regs
    assert [r["id"] for r in pages(emulator, f"/subscriptions/{SUB}/providers/{PROVIDER}/registries")[0]] == regs
    assert pages(emulator, f"/subscriptions/{SUB}/resourceGroups/rg-gdpr-demo/providers/{PROVIDER}/registries")[0] == []
    assert emulator.get_json(f"{regs[0]}?{API}")["id"] == regs[0]
    assert emulator.request("DELETE", f"{regs[0]}?{API}").status_code == 405
    assert emulator.request("GET", f"{rg_path}/nope?{API}").status_code == 404


# -- deletes -----------------------------------------------------------------------------------

def _poll(emulator, response):
    """Follow a 202's Azure-AsyncOperation to Succeeded, then its Location to 204; returns the statuses seen."""
    assert response.status_code == 202
    for header in ("Location", "Azure-AsyncOperation", "Retry-After"):
        assert header in response.headers, header
    seen = []
    for _ in range(20):
        status = emulator.get_json(response.headers["Azure-AsyncOperation"])["status"]
        seen.append(status)
        if status == "Succeeded":
            break
    assert emulator.request("GET", response.headers["Location"]).status_code == 204
    return seen


def test_deleting_a_job_is_long_running_and_erases_the_run_its_metrics_and_artifacts(emulator):
    st = ws_state(emulator, HR)
    o = st["objects"]
    run = o["runs"][0]
    other = o["runs"][1]
    emulator.clear_journal()
    r = emulator.request("DELETE", f"{hr()}/jobs/{run['id']}?{API}")
    assert emulator.request("GET", f"{hr()}/jobs/{run['id']}?{API}").status_code == 200  # until the operation ends
    seen = _poll(emulator, r)
    assert seen[0] == "InProgress" and seen[-1] == "Succeeded"
    assert emulator.request("GET", f"{hr()}/jobs/{run['id']}?{API}").status_code == 404
    assert emulator.request("GET", f"/history/v1.0{hr()}/runs/{run['id']}").status_code == 404
    after = ws_state(emulator, HR)["objects"]
    for kind in ("metrics", "metrics_v2", "artifacts"):
        assert not [x for x in after[kind] if x["run_id"] == run["id"]], kind
        assert [x for x in after[kind] if x["run_id"] == other["id"]], kind  # everyone else's stay
    assert len(after["runs"]) == len(o["runs"]) - 1
    assert emulator.request("DELETE", f"{hr()}/jobs/{run['id']}?{API}").status_code == 204
    journal = emulator.journal()
    assert [(e["op"], e["status"], e["mutating"]) for e in journal if e["method"] == "DELETE"] == [
        ("jobs.delete", 202, True), ("jobs.delete", 204, True)]
    assert {"v2_operations.status", "v2_operations.result"} <= {e["op"] for e in journal}


def test_deleting_a_pipeline_job_leaves_its_child_jobs(emulator):
    st = ws_state(emulator, HR)
    parent = emulator.create_object(st["id"], "runs", {"experimentName": "churn-prediction", "runType": "azureml.PipelineRun"})
    child = emulator.create_object(st["id"], "runs", {"experimentName": "churn-prediction", "parentRunId": parent["runId"],
                                                      "runType": "azureml.StepRun"})
    listed = _names(pages(emulator, f"{hr()}/jobs?listViewType=All")[0])
    assert parent["runId"] in listed and child["runId"] not in listed  # child jobs: only in run history
    assert emulator.get_json(f"{hr()}/jobs/{parent['runId']}?{API}")["properties"]["jobType"] == "Pipeline"
    assert emulator.get_json(f"{hr()}/jobs/{child['runId']}?{API}")["name"] == child["runId"]
    _poll(emulator, emulator.request("DELETE", f"{hr()}/jobs/{parent['runId']}?{API}"))
    runs = {r["id"] for r in ws_state(emulator, HR)["objects"]["runs"]}
    assert parent["runId"] not in runs and child["runId"] in runs
    _poll(emulator, emulator.request("DELETE", f"{hr()}/jobs/{child['runId']}?{API}"))
    assert child["runId"] not in {r["id"] for r in ws_state(emulator, HR)["objects"]["runs"]}


def test_deleting_an_endpoint_takes_its_deployments(emulator):
    o = ws_state(emulator, HR)["objects"]
    for kind in ("online", "batch"):
        endpoint = o[f"{kind}_endpoints"][0]
        r = emulator.request("DELETE", f"{endpoint['id']}?{API}")
        assert emulator.get_json(f"{endpoint['id']}?{API}")["properties"]["provisioningState"] == "Deleting"
        again = emulator.request("DELETE", f"{endpoint['id']}?{API}")
        assert again.status_code == 202 and again.headers["Location"] == r.headers["Location"]  # the same operation
        _poll(emulator, r)
    after = ws_state(emulator, HR)["objects"]
    assert not after["online_endpoints"] and not after["online_deployments"]
    assert not after["batch_endpoints"] and not after["batch_deployments"]


def test_long_running_deletes_of_deployments_schedules_and_computes(emulator):
    o = add_compute_instances(emulator, ws_state(emulator, HR))["objects"]
    targets = [o["online_deployments"][0]["id"], o["batch_deployments"][0]["id"], o["schedules"][0]["id"],
               next(c["id"] for c in o["computes"] if c.get("assigned_user"))]
    for arm_id in targets:
        _poll(emulator, emulator.request("DELETE", f"{arm_id}?{API}"))
        assert emulator.request("GET", f"{arm_id}?{API}").status_code == 404, arm_id
        assert emulator.request("DELETE", f"{arm_id}?{API}").status_code == 204


def test_version_and_container_deletes_are_synchronous(emulator):
    o = ws_state(emulator, HR)["objects"]
    container = o["environment_containers"][0]
    r = emulator.request("DELETE", f"{container['id']}?{API}")
    assert r.status_code == 409 and "version" in r.json()["error"]["message"]
    for v in [v for v in o["environment_versions"] if v["parent"] == container["id"]]:
        assert emulator.request("DELETE", f"{v['id']}?{API}").status_code == 200
        assert emulator.request("DELETE", f"{v['id']}?{API}").status_code == 204
    assert emulator.request("DELETE", f"{container['id']}?{API}").status_code == 200
    assert emulator.request("GET", f"{container['id']}?{API}").status_code == 404
    m = o["models"][0]
    version_id = f"{hr()}/models/{enc(m['name'])}/versions/{m['id'].split(':', 1)[1]}"
    assert emulator.request("DELETE", f"{version_id}?{API}").status_code == 200
    assert emulator.request("GET", f"/api{hr()}/models/{enc(m['id'])}?api-version=2019-11-01").status_code == 404  # one object
    for arm_id in (o["connections"][0]["id"], f"{hr()}/datastores/shared_sas"):
        assert emulator.request("DELETE", f"{arm_id}?{API}").status_code == 200
        assert emulator.request("DELETE", f"{arm_id}?{API}").status_code == 204
    assert emulator.request("GET", f"/datastore/v1.0{hr()}/datastores/shared_sas").status_code == 404  # v1 view too


def test_every_v2_operation_answers(emulator):
    """Each v2 route (spec_map.V2) is exercised with a success here: a new route cannot go unexercised."""
    st = ws_state(emulator, HR)
    o = st["objects"]
    emulator.clear_journal()
    _expected_paths = _expected(emulator, st)
    for path in _expected_paths:
        pages(emulator, hr() + path)
    first = {k: o[k][0]["id"] for k in ("model_containers", "data_containers", "data_versions", "environment_containers",
                                        "environment_versions", "component_containers", "component_versions", "code_containers",
                                        "code_versions", "online_endpoints", "online_deployments", "batch_endpoints",
                                        "batch_deployments", "schedules", "connections")}
    m = o["models"][0]
    model_version = f"{hr()}/models/{enc(m['name'])}/versions/{m['id'].split(':', 1)[1]}"
    run = o["runs"][0]["id"]
    for arm_id in (*first.values(), model_version, f"{hr()}/jobs/{run}", f"{hr()}/datastores/workspaceblobstore"):
        assert emulator.request("GET", f"{arm_id}?{API}").status_code == 200, arm_id
    emulator.request("POST", f"{first['connections']}/listsecrets?{API}")
    regs = emulator.state()["registries"]
    pages(emulator, f"/subscriptions/{SUB}/providers/{PROVIDER}/registries")
    pages(emulator, regs[0].rsplit("/", 1)[0])
    emulator.request("GET", f"{regs[0]}?{API}")
    for kind in ("data", "environment", "component", "code"):  # versions first, then the container
        versions = [v["id"] for v in o[f"{kind}_versions"] if v["parent"] == first[f"{kind}_containers"]]
        for v in versions:
            emulator.request("DELETE", f"{v}?{API}")
        emulator.request("DELETE", f"{first[f'{kind}_containers']}?{API}")
    for v in [x for x in o["models"] if x["name"] == o["model_containers"][0]["name"]]:
        emulator.request("DELETE", f"{hr()}/models/{enc(v['name'])}/versions/{v['id'].split(':', 1)[1]}?{API}")
    emulator.request("DELETE", f"{first['model_containers']}?{API}")
    for key in ("online_deployments", "batch_deployments", "online_endpoints", "batch_endpoints", "schedules"):
        _poll(emulator, emulator.request("DELETE", f"{first[key]}?{API}"))
    _poll(emulator, emulator.request("DELETE", f"{hr()}/jobs/{run}?{API}"))
    _poll(emulator, emulator.request("DELETE", f"{hr()}/computes/cpu-cluster?{API}"))
    emulator.request("DELETE", f"{first['connections']}?{API}")
    emulator.request("DELETE", f"{hr()}/datastores/workspaceblobstore?{API}")
    ok = {e["op"] for e in emulator.journal() if e["status"] and 200 <= e["status"] < 300}
    assert set(spec_map.V2) - ok == set()
    assert set(spec_map.V2) == {r.op for r in v2_family.ROUTES}


# -- the spec's examples -----------------------------------------------------------------------

def _types_agree(example, ours, where="$"):
    """Where the example and our body both have a field, its JSON type is the same (example nulls: any)."""
    problems = []
    if example is None:
        return problems
    kinds = (dict, list, str, bool, int, float)
    ek = next((k for k in kinds if isinstance(example, k)), None)
    ok = next((k for k in kinds if isinstance(ours, k)), None)
    if ek in (int, float) and ok in (int, float):
        return problems
    if ek is not ok:
        return [f"{where}: example {ek.__name__ if ek else ek}, emulator {ok.__name__ if ok else ok}"]
    if ek is dict:
        for k in set(example) & set(ours):
            problems += _types_agree(example[k], ours[k], f"{where}.{k}")
    return problems


def _example(path):
    return json.loads((EXAMPLES / path).read_text(encoding="utf-8"))["responses"]


def test_bodies_match_the_specs_examples(emulator):
    st = add_compute_instances(emulator, ws_state(emulator, HR))
    o = st["objects"]
    m = o["models"][0]
    instance = next(c["id"] for c in o["computes"] if c.get("assigned_user"))
    pairs = [
        ("Job/CommandJob/get.json", f"{hr()}/jobs/{o['runs'][0]['id']}",
         {"properties.jobType", "properties.command", "properties.environmentId", "properties.status", "properties.experimentName"}),
        ("Workspace/ModelContainer/get.json", o["model_containers"][0]["id"], {"properties.isArchived"}),
        ("Workspace/ModelVersion/get.json", f"{hr()}/models/{enc(m['name'])}/versions/{m['id'].split(':', 1)[1]}",
         {"properties.modelUri", "properties.isAnonymous"}),
        ("Workspace/OnlineEndpoint/get.json", o["online_endpoints"][0]["id"],
         {"location", "properties.authMode", "properties.scoringUri", "identity.type"}),
        ("WorkspaceConnection/get.json", o["connections"][0]["id"], {"properties.category", "properties.target", "properties.authType"}),
        ("Datastore/get.json", f"{hr()}/datastores/workspaceblobstore",
         {"properties.datastoreType", "properties.credentials.credentialsType", "properties.accountName"}),
        ("Compute/get/ComputeInstance.json", instance,
         {"properties.properties.personalComputeInstanceSettings.assignedUser.objectId",
          "properties.properties.createdBy.userId", "properties.computeType"}),
    ]
    for example_path, arm_id, required in pairs:
        example = _example(example_path)["200"]["body"]
        ours = emulator.get_json(f"{arm_id}?{API}")
        problems = _types_agree(example, ours)
        assert not problems, (example_path, problems)
        for dotted in required:  # fields the collection or the client relies on
            u = ours
            for part in dotted.split("."):
                u = u.get(part) if isinstance(u, dict) else None
            assert u is not None, (example_path, dotted)
        if "systemData" in example:
            assert set(ours["systemData"]) == set(example["systemData"]), example_path
        if example_path.startswith(("WorkspaceConnection", "Datastore")):  # GET shows no secret value
            assert "credentials" not in ours["properties"] or set(ours["properties"]["credentials"].get("secrets", {})) <= {"secretsType"}
    # the job delete's answers: 202 with a location (the spec also allows 200 and 204: 204 for a job that is gone)
    delete = _example("Job/delete.json")
    assert {"202", "204"} <= set(delete) and "location" in {h.lower() for h in delete["202"]["headers"]}
    r = emulator.request("DELETE", f"{hr()}/jobs/{o['runs'][0]['id']}?{API}")
    assert str(r.status_code) in delete and "Location" in r.headers


# -- scenarios ---------------------------------------------------------------------------------

def _v1(store):
    """The v1 objects of a store: what the collection's v1 exports read."""
    v1 = ("computes", "experiments", "runs", "metrics", "metrics_v2", "artifacts", "tasks", "datastores", "models", "assets", "images",
          "services", "pipeline_experiments")
    def v1_view(kind, obj):  # compute instances are served from api-version 2020-01-01 only (not in the v1 list)
        return kind != "computes" or (obj.get("properties") or {}).get("computeType") != "ComputeInstance"

    return {ws.name: {k: json.dumps([ws.table(k).items[x] for x in ws.table(k).sorted_keys() if v1_view(k, ws.table(k).items[x])],
                                    sort_keys=True) for k in v1}
            for ws in store.workspaces.values()}


def test_v2_seeding_leaves_every_v1_object_as_it_was():
    config = scenarios.builtin("demo")
    without = json.loads(json.dumps(config))
    zero = dict.fromkeys(("archived_jobs", "pipeline_jobs", "archived_model_versions", "asset_containers", "online_endpoints",
                          "batch_endpoints", "schedules", "connections", "compute_instances"), 0)
    without["defaults"] = {"counts": zero}
    for sub in without["subscriptions"]:
        for rg in sub["resource_groups"]:
            for w in rg["workspaces"]:
                w["counts"] = {**w.get("counts", {}), **zero}
    assert _v1(scenarios.build(config)) == _v1(scenarios.build(without))


def test_the_large_scenario_holds_thousands_of_jobs_and_versions():
    store = scenarios.build(scenarios.builtin("large"))
    ws = next(w for w in store.workspaces.values() if w.name == "ws-large")
    assert len(ws.table("runs")) >= 5000
    assert sum(len(ws.table(f"{p}_versions")) for p in ("data", "environment", "component", "code")) >= 4000
    assert len(ws.table("models")) >= 2000
    assert len([k for k in ws.archived if k[0] == "runs"]) > 100
    # a realistic spread of the other v2 kinds: pipeline jobs with their steps, containers with versions (some archived),
    # endpoints with deployments, schedules (some disabled), connections, compute instances with their user
    runs = ws.table("runs").items.values()
    pipelines = [r for r in runs if r.get("runType") == "azureml.PipelineRun"]
    assert len(pipelines) == 20 and sum(1 for r in runs if r.get("parentRunId")) == 60
    for prefix in ("data", "environment", "component", "code"):
        containers = ws.table(f"{prefix}_containers").items.values()
        assert len(containers) == 20 and sum(1 for c in containers if c["properties"]["isArchived"]) == 1
        versions = ws.table(f"{prefix}_versions").items.values()
        assert len(versions) == 1000 and sum(1 for v in versions if v["properties"]["isArchived"]) == 20
    assert len(ws.table("model_containers")) == 5 and len([k for k in ws.archived if k[0] == "models"]) == 100
    for kind in ("online", "batch"):
        assert len(ws.table(f"{kind}_endpoints")) == 10 and len(ws.table(f"{kind}_deployments")) == 30
    schedules = ws.table("schedules").items.values()
    assert len(schedules) == 40 and sum(1 for s in schedules if not s["properties"]["isEnabled"]) == 20
    assert len(ws.table("connections")) == 20
    assert sum(1 for c in ws.table("computes").items.values() if (c.get("properties") or {}).get("computeType") == "ComputeInstance") == 4
