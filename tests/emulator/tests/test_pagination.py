"""Every list of every family, followed page by page, returns every object exactly once."""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from azureml_emulator.testing import EmulatorError
from emuhelpers import API, PROVIDER, RG, SUB, collect, enc, ids, ws_path, ws_state

WS = ws_path()


def _lists(st: dict) -> list[tuple[str, str, str, str, list[str]]]:
    """(name, path, paging style, id field, expected ids) for every list of the demo hostile workspace."""
    objs = st["objects"]
    out = [
        ("computes", f"{WS}/computes?{API}", "arm", "id", ids(st, "computes")),
        ("experiments", f"/history/v1.0{WS}/experiments?viewType=All", "continuation", "experimentId", ids(st, "experiments")),
        ("tasks", f"/notification/v1.0{WS}/tasks", "continuation", "id", ids(st, "tasks")),
        ("datastores", f"/datastore/v1.0{WS}/datastores", "continuation", "name", ids(st, "datastores")),
    ]
    for kind in ("models", "assets", "images", "services"):
        out.append((kind, f"/api{WS}/{kind}?{API}", "mms", "id", ids(st, kind)))
    for exp in objs["experiments"]:
        name = exp["name"]
        out.append((f"runs[{name}]", f"/history/v1.0{WS}/experiments/{enc(name)}/runs", "continuation", "runId",
                    [r["id"] for r in objs["runs"] if r["experiment"] == name]))
        out.append((f"metrics[{name}]", f"/history/v1.0{WS}/experiments/{enc(name)}/metrics", "continuation",
                    "metricId", [m["id"] for m in objs["metrics"] if m["experiment"] == name]))
    for run in objs["runs"][:4]:
        out.append((f"artifacts[{run['id']}]",
                    f"/artifact/v1.0{WS}/artifacts/origins/ExperimentRun/containers/{enc(run['container'])}",
                    "continuation", "artifactId", [a["id"] for a in objs["artifacts"] if a["run_id"] == run["id"]]))
    return out


@pytest.mark.parametrize("page_size", [3, 2])
def test_every_list_exactly_once(emulator, page_size):
    emulator.configure(page_size=page_size)
    st = ws_state(emulator)
    for name, path, style, id_field, expected in _lists(st):
        items, pages = collect(emulator, path, style)
        got = [o[id_field] for o in items]
        dupes = [k for k, n in Counter(got).items() if n > 1]
        assert not dupes, f"{name}: repeated {dupes}"
        assert sorted(got) == sorted(expected), name
        assert pages == max(1, -(-len(expected) // page_size)), f"{name}: {pages} pages for {len(expected)}"


@pytest.mark.parametrize("page_size", [3, 2])
def test_workspace_lists_exactly_once(emulator, page_size):
    emulator.configure(page_size=page_size)
    st = emulator.state()
    every = sorted(w["id"] for w in st["workspaces"] if w["status"] == "active")
    items, pages = collect(emulator, f"/subscriptions/{SUB}/providers/{PROVIDER}/workspaces?{API}", "arm")
    assert sorted(w["id"] for w in items) == every and pages > 1
    in_rg = sorted(w["id"] for w in st["workspaces"] if w["resource_group"] == RG)
    items, _ = collect(emulator, f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{PROVIDER}/workspaces?{API}", "arm")
    assert sorted(w["id"] for w in items) == in_rg


@pytest.mark.parametrize("page_size", [3, 2])
def test_current_profile_post_queries_page_by_body_token(emulator, page_size):
    emulator.configure(page_size=page_size)
    st = ws_state(emulator)
    items, pages = collect(emulator, f"/history/v1.0{WS}/experiments:query?viewType=All", "post")
    assert sorted(o["experimentId"] for o in items) == sorted(ids(st, "experiments")) and pages > 1
    exp = st["objects"]["experiments"][0]["name"]
    items, _ = collect(emulator, f"/history/v1.0{WS}/experiments/{enc(exp)}/runs:query", "post")
    assert sorted(o["runId"] for o in items) == sorted(r["id"] for r in st["objects"]["runs"] if r["experiment"] == exp)
    items, _ = collect(emulator, f"/modelmanagement/v1.0{WS}/models", "mms")
    assert sorted(o["id"] for o in items) == sorted(ids(st, "models"))


def test_continuation_token_as_query_parameter(emulator):
    """Resending the request with ?continuationToken= (no nextLink) works as well as following nextLink."""
    emulator.configure(page_size=2)
    st = ws_state(emulator)
    path = f"/datastore/v1.0{WS}/datastores"
    got: list[str] = []
    token = None
    while True:
        page = emulator.get_json(path + (f"?continuationToken={enc(token)}" if token else ""))
        got += [d["name"] for d in page["value"]]
        token = page["continuationToken"]
        if token is None:
            break
    assert sorted(got) == sorted(ids(st, "datastores"))


def test_count_caps_the_page(emulator):
    st = ws_state(emulator)
    page = emulator.get_json(f"/api{WS}/models?{API}&count=3")
    assert len(page["value"]) == 3
    link = page["nextLink"]
    assert parse_qs(urlsplit(link).query)["count"] == ["3"]  # kept on the next link
    items, _ = collect(emulator, f"/api{WS}/models?{API}&count=3", "mms")
    assert sorted(o["id"] for o in items) == sorted(ids(st, "models"))
    page = emulator.get_json(f"/datastore/v1.0{WS}/datastores?count=2")
    assert len(page["value"]) == 2 and page["continuationToken"]


def test_objects_deleted_between_pages_do_not_shift_the_rest(emulator):
    """Keyset tokens: deleting an already-listed object never makes a later one skip a page."""
    emulator.configure(page_size=3)
    st = ws_state(emulator)
    first = emulator.get_json(f"/api{WS}/assets?{API}")
    assert len(first["value"]) == 3 or "nextLink" not in first
    first_ids = [a["id"] for a in first["value"]]
    assert emulator.request("DELETE", f"/api{WS}/assets/{first_ids[0]}?{API}").status_code == 200
    rest, _ = collect(emulator, first["nextLink"], "mms") if first.get("nextLink") else ([], 0)
    assert sorted(first_ids + [a["id"] for a in rest]) == sorted(ids(st, "assets"))


@pytest.mark.parametrize("path,param", [
    (f"/api{WS}/models?{API}", "$skipToken"),
    (f"{WS}/computes?{API}", "$skiptoken"),
    (f"/history/v1.0{WS}/experiments?", "continuationToken"),
])
def test_garbage_token_is_a_400(emulator, path, param):
    sep = "" if path.endswith("?") else "&"
    r = emulator.request("GET", f"{path}{sep}{param}=not-a-token")
    assert r.status_code == 400


def test_mms_filters(emulator):
    st = ws_state(emulator)
    image = st["objects"]["images"][0]
    model_id = image["model_ids"][0]
    got = emulator.get_json(f"/api{WS}/images?{API}&modelId={enc(model_id)}")["value"]
    assert image["id"] in [i["id"] for i in got] and all(model_id in i["modelIds"] for i in got)
    name = st["objects"]["models"][0]["name"]
    got = emulator.get_json(f"/api{WS}/models?{API}&name={enc(name)}")["value"]
    assert got and all(m["name"] == name for m in got)


# -- misbehaving lists (paging_fault): what the client must refuse to follow ------------------------------------------------

def _second_page(emulator, path, style):
    first = emulator.request("POST", path, json={}) if style == "post" else emulator.request("GET", path)
    assert first.status_code == 200, first.text
    return first.json()


@pytest.mark.parametrize("path, param", [
    (f"{WS}/computes?{API}", "$skiptoken"),
    (f"/api{WS}/models?{API}", "$skipToken"),
    (f"/history/v1.0{WS}/experiments", "continuationToken"),
    (f"/datastore/v1.0{WS}/datastores", "continuationToken"),
])
def test_foreign_link_puts_the_next_page_on_another_host(emulator, path, param):
    emulator.configure(page_size=1, paging_fault="foreign_link")
    link = _second_page(emulator, path, "get")["nextLink"]
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == "https://paging-fault.invalid" and param in parse_qs(parts.query)
    # the same path and token on the emulator's own host would be a good next page
    own = emulator.request("GET", emulator.url + link[len("https://paging-fault.invalid"):])
    assert own.status_code == 200 and own.json()["value"]


@pytest.mark.parametrize("path, style, token_key", [
    (f"/api{WS}/models?{API}", "get", None),
    (f"/history/v1.0{WS}/experiments", "get", "continuationToken"),
    (f"/history/v1.0{WS}/experiments:query", "post", "continuationToken"),
])
def test_repeat_token_answers_pages_after_the_first_with_their_own_token(emulator, path, style, token_key):
    emulator.configure(page_size=1, paging_fault="repeat_token")
    first = _second_page(emulator, path, style)
    if style == "post":
        again = emulator.request("POST", path, json={"continuationToken": first["continuationToken"]}).json()
        assert again["continuationToken"] == first["continuationToken"]
    else:
        again = emulator.request("GET", first["nextLink"]).json()
        assert again["nextLink"] == first["nextLink"]
        if token_key:
            assert again[token_key] == first[token_key]


def test_paging_fault_is_validated_and_reset(emulator):
    with pytest.raises(EmulatorError):
        emulator.configure(paging_fault="sometimes")
    with pytest.raises(EmulatorError):
        emulator.configure(paging_fault=1)
    assert emulator.configure(paging_fault="repeat_token")["paging_fault"] == "repeat_token"
    assert emulator.configure(reset=True)["paging_fault"] == ""
