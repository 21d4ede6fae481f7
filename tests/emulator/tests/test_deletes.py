"""Deletes: the ARM workspace long-running operation (soft delete, purge), model management's
200/204/412 ordering and the service delete operation."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from emuhelpers import API, PROVIDER, RG, SUB, enc, ws_path, ws_state

WS = ws_path()
NEW_API = "api-version=2024-04-01"


def ws_status(emu, name: str) -> str | None:
    return next((w["status"] for w in emu.state()["workspaces"] if w["name"] == name), None)


def start_delete(emu, path: str, query: str = API):
    r = emu.request("DELETE", f"{path}?{query}")
    assert r.status_code == 202, r.text
    return r


def poll_to_end(emu, url: str, max_polls: int = 20) -> list[str]:
    statuses = []
    for _ in range(max_polls):
        r = emu.request("GET", url)
        assert r.status_code == 200
        statuses.append(r.json()["status"])
        if statuses[-1] in ("Succeeded", "Failed", "Canceled"):
            return statuses
    raise AssertionError(f"never finished: {statuses}")


def test_workspace_delete_sequence(emulator):
    r = start_delete(emulator, WS)
    loc = "westeurope"
    async_url, location_url = r.headers["Azure-AsyncOperation"], r.headers["Location"]
    base = f"{emulator.url}/subscriptions/{SUB}/providers/{PROVIDER}/locations/{loc}"
    assert re.fullmatch(re.escape(base) + r"/workspaceOperationsStatus/[0-9a-f-]{36}\?api-version=2019-11-01", async_url)
    assert re.fullmatch(re.escape(base) + r"/workspaceOperationsResults/[0-9a-f-]{36}\?api-version=2019-11-01", location_url)
    assert int(r.headers["Retry-After"]) >= 0
    # while running, the workspace is still there, Deleting
    ws = emulator.get_json(f"{WS}?{API}")
    assert ws["properties"]["provisioningState"] == "Deleting"
    # --lro-polls 2: two polls say InProgress, the third Succeeded
    assert poll_to_end(emulator, async_url) == ["InProgress", "InProgress", "Succeeded"]
    body = emulator.get_json(async_url)
    assert body["status"] == "Succeeded" and body["endTime"]
    assert emulator.request("GET", location_url).status_code == 204
    # gone on every family
    assert emulator.request("GET", f"{WS}?{API}").json()["error"]["code"] == "ResourceNotFound"
    assert emulator.request("GET", f"{WS}/computes?{API}").json()["error"]["code"] == "ParentResourceNotFound"
    for path in (f"/api{WS}/models", f"/history/v1.0{WS}/experiments", f"/notification/v1.0{WS}/tasks",
                 f"/datastore/v1.0{WS}/datastores", f"/artifact/v1.0{WS}/artifacts/origins/ExperimentRun/containers/x",
                 f"/api/v1.0{WS}/Graphs/x"):
        assert emulator.request("GET", path).status_code == 404, path
    listed = emulator.get_json(f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{PROVIDER}/workspaces?{API}")
    assert "ws-sales-analytics" not in [w["name"] for w in listed["value"]]
    # a repeated DELETE: nothing to delete
    assert emulator.request("DELETE", f"{WS}?{API}").status_code == 204
    # the default is a soft delete: the data is retained, invisible
    assert ws_status(emulator, "ws-sales-analytics") == "soft_deleted"


def test_location_polling(emulator):
    path = ws_path(name="ws_hr-people")
    r = start_delete(emulator, path)
    location_url = r.headers["Location"]
    codes = [emulator.request("GET", location_url).status_code for _ in range(3)]
    assert codes == [202, 202, 204]
    assert emulator.request("GET", f"{path}?{API}").status_code == 404


def test_soft_delete_then_purge_with_new_api_version(emulator):
    r = start_delete(emulator, WS, NEW_API)
    assert "api-version=2024-04-01" in r.headers["Azure-AsyncOperation"]
    poll_to_end(emulator, r.headers["Azure-AsyncOperation"])
    assert ws_status(emulator, "ws-sales-analytics") == "soft_deleted"
    # a soft-deleted workspace is invisible to GET and lists, whatever the api-version
    for api in (API, NEW_API, "api-version=2023-06-01-preview"):
        assert emulator.request("GET", f"{WS}?{api}").json()["error"]["code"] == "ResourceNotFound"
    # a plain DELETE has nothing left to do...
    assert emulator.request("DELETE", f"{WS}?{NEW_API}").status_code == 204
    # ...but a purge has: 202, an operation, then the workspace is gone for good
    r = start_delete(emulator, WS, NEW_API + "&forceToPurge=true")
    poll_to_end(emulator, r.headers["Azure-AsyncOperation"])
    assert ws_status(emulator, "ws-sales-analytics") is None
    assert emulator.request("DELETE", f"{WS}?{NEW_API}&forceToPurge=true").status_code == 204


def test_force_to_purge_on_an_active_workspace(emulator):
    r = start_delete(emulator, WS, NEW_API + "&forceToPurge=true")
    poll_to_end(emulator, r.headers["Azure-AsyncOperation"])
    assert ws_status(emulator, "ws-sales-analytics") is None


def test_force_to_purge_needs_an_api_version_that_has_it(emulator):
    r = start_delete(emulator, WS, API + "&forceToPurge=true")  # 2019-11-01 has no forceToPurge
    poll_to_end(emulator, r.headers["Azure-AsyncOperation"])
    assert ws_status(emulator, "ws-sales-analytics") == "soft_deleted"


def test_soft_delete_can_be_switched_off(emulator):
    emulator.configure(soft_delete=False)
    r = start_delete(emulator, WS)
    poll_to_end(emulator, r.headers["Azure-AsyncOperation"])
    assert ws_status(emulator, "ws-sales-analytics") is None


def test_operations_also_finish_with_time(emulator):
    emulator.configure(lro_polls=1000, lro_seconds=0.3)
    start_delete(emulator, WS)
    assert emulator.request("GET", f"{WS}?{API}").status_code == 200
    time.sleep(0.4)
    assert emulator.request("GET", f"{WS}?{API}").status_code == 404


def test_delete_of_missing_workspace_and_resource_group(emulator):
    assert emulator.request("DELETE", f"{ws_path(name='never-existed')}?{API}").status_code == 204
    r = emulator.request("DELETE", f"{ws_path(rg='rg-nope', name='x12')}?{API}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceGroupNotFound"


# -- model management ---------------------------------------------------------------------------

def test_412_until_dependents_are_gone(emulator):
    st = ws_state(emulator)
    objs = st["objects"]
    svc = next(s for s in objs["services"] if s["compute_type"] == "ACI" and s["image_id"])
    image_id = svc["image_id"]
    model_id = svc["model_ids"][0]
    holders_of_model = ([f"image '{i['id']}'" for i in objs["images"] if model_id in i["model_ids"]]
                        + [f"service '{s['id']}'" for s in objs["services"] if model_id in s["model_ids"]])
    r = emulator.request("DELETE", f"/api{WS}/models/{enc(model_id)}?{API}")
    assert r.status_code == 412
    body = r.json()
    assert body["code"] == "DeletionRequired" and body["statusCode"] == 412
    for holder in holders_of_model:
        assert holder in body["message"]
    r = emulator.request("DELETE", f"/api{WS}/images/{enc(image_id)}?{API}")
    assert r.status_code == 412 and f"service '{svc['id']}'" in r.json()["message"]
    # the safe order: services, images, models — every one 200 (or 202 then done)
    for s in objs["services"]:
        r = emulator.request("DELETE", f"/api{WS}/services/{enc(s['id'])}?{API}")
        assert r.status_code in (200, 202)
        if r.status_code == 202:
            while emulator.get_json(r.headers["Operation-Location"])["state"] != "Succeeded":
                pass
    for i in objs["images"]:
        assert emulator.request("DELETE", f"/api{WS}/images/{enc(i['id'])}?{API}").status_code == 200
    for m in objs["models"]:
        assert emulator.request("DELETE", f"/api{WS}/models/{enc(m['id'])}?{API}").status_code == 200
    for a in objs["assets"]:
        assert emulator.request("DELETE", f"/api{WS}/assets/{a['id']}?{API}").status_code == 200
    # and then 204: already gone
    assert emulator.request("DELETE", f"/api{WS}/models/{enc(model_id)}?{API}").status_code == 204
    left = ws_state(emulator)["objects"]
    assert not (left["models"] or left["images"] or left["services"] or left["assets"])
    assert emulator.get_json(f"/api{WS}/models?{API}")["value"] == []


def test_aks_service_delete_is_an_operation(emulator):
    st = ws_state(emulator)
    svc = next(s for s in st["objects"]["services"] if s["compute_type"] == "AKS")
    path = f"/api{WS}/services/{enc(svc['id'])}?{API}"
    r = emulator.request("DELETE", path)
    assert r.status_code == 202
    op_url = r.headers["Operation-Location"]
    assert op_url.startswith(emulator.url + "/api" + WS + "/operations/")
    op_id = urlsplit(op_url).path.rsplit("/", 1)[1]
    # still there while the operation runs, and the holder of its image
    assert emulator.get_json(path)["state"] == "Transitioning"
    r2 = emulator.request("DELETE", path)
    assert r2.status_code == 202 and r2.headers["Operation-Location"] == op_url
    states = []
    while not states or states[-1] != "Succeeded":
        body = emulator.get_json(op_url)
        assert body["id"] == op_id
        states.append(body["state"])
        assert len(states) < 10
    assert states == ["Running", "Running", "Succeeded"]
    assert emulator.request("GET", path).status_code == 404
    assert emulator.request("DELETE", path).status_code == 204


def test_current_profile_delete_points_at_its_own_operations_route(emulator):
    st = ws_state(emulator)
    svc = next(s for s in st["objects"]["services"] if s["compute_type"] == "AKS")
    r = emulator.request("DELETE", f"/modelmanagement/v1.0{WS}/services/{enc(svc['id'])}")
    assert r.status_code == 202
    assert r.headers["Operation-Location"].startswith(f"{emulator.url}/modelmanagement/v1.0{WS}/operations/")
    assert emulator.get_json(r.headers["Operation-Location"])["state"] == "Running"


def test_created_objects_take_part_in_dependencies(emulator):
    """A model created "after the export" and an image using it: 412 applies to them too."""
    st = ws_state(emulator)
    model = emulator.create_object(st["id"], "models", {"name": "late-model"}, user=1)
    assert model["id"] == "late-model:1" and model["createdBy"]["userName"]
    image = emulator.create_object(st["id"], "images", {"name": "late-image", "modelIds": [model["id"]]})
    assert emulator.request("DELETE", f"/api{WS}/models/late-model:1?{API}").status_code == 412
    assert emulator.request("DELETE", f"/api{WS}/images/{enc(image['id'])}?{API}").status_code == 200
    assert emulator.request("DELETE", f"/api{WS}/models/late-model:1?{API}").status_code == 200


def test_hold_deletes_after_carries_out_the_delete_and_holds_its_answer(emulator):
    """The fault of the audit-log interruption test: after N answered DELETEs, the next is done but not answered."""
    import threading

    assets = [a["id"] for a in ws_state(emulator)["objects"]["assets"]][:2]
    emulator.configure(hold_deletes_after=1)
    assert emulator.request("DELETE", f"/api{WS}/assets/{enc(assets[0])}?{API}").status_code == 200
    answered = []
    thread = threading.Thread(target=lambda: answered.append(
        emulator.request("DELETE", f"/api{WS}/assets/{enc(assets[1])}?{API}").status_code), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while assets[1] in [a["id"] for a in ws_state(emulator)["objects"]["assets"]] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert assets[1] not in [a["id"] for a in ws_state(emulator)["objects"]["assets"]]  # carried out...
    thread.join(0.5)
    assert answered == []  # ...its answer held
    emulator.configure(hold_deletes_after=-1)
    thread.join(10)
    assert answered == [200]
