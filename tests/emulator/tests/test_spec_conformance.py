"""The emulator's responses conform to the official Azure ML swagger specs (issue 2).

Through the explicit map in spec_map.py, every operation the specs cover is exercised on seeded
data and each body is validated with azureml_emulator.spec_validation: list pages as their page
type *and* item by item, errors against the family's error definition, deletes by the status codes
the spec declares. The specs are open, so properties they do not declare are reported too and
must be listed, with a source, in spec_map.UNDOCUMENTED_ALLOWED (a misspelt field fails).
test_spec_validation_lib.py shows the same validator rejecting wrong types and missing fields.

Everything runs on the session ``emulator`` (demo scenario): a read-only walk of every workspace
at the default page size, at the document's routes and at the specs' own routes; then, at page
size 2, a walk that sees every page wrapper with its next-page fields set, injected faults,
throttling, and the deletes (412, 200/202 + MMS operation polls, 204, the workspace LRO). The
emulator is put back as seeded afterwards (here and by conftest's restore).
"""

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from azureml_emulator.spec_validation import SpecSet, SpecValidationError

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


def _load_sibling(name):
    """Import tests/emulator/tests/<name>.py whatever pytest's import mode."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / (name + ".py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


spec_map = _load_sibling("spec_map")
MAP, UNCOVERED, ERRORS = spec_map.MAP, spec_map.UNCOVERED, spec_map.ERRORS

ARM_API = {"api-version": "2019-11-01"}
MAX_PAGES = 500
GETS_PER_KIND = 6  # single gets per kind and workspace, chosen to cover distinct shapes


@pytest.fixture(scope="module")
def specs():
    return SpecSet(overlays=spec_map.OVERLAYS)


# =============================================================================================
# the map itself (no emulator)


def architecture_operations():
    """Operation names of docs/architecture.md's table ("`models.get` / … `.get`" expanded)."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Operation names", 1)[1].split("\n## ", 1)[0]
    ops, group = set(), []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cell = line.split("|")[1]
        names = re.findall(r"`([a-z_]+)\.([a-z_]+)`", cell)
        if len(names) > 1:
            group = [kind for kind, _verb in names]
        if "…" in cell or "..." in cell:
            verb = names[0][1]
            names = [(kind, verb) for kind in group]
        ops.update(f"{kind}.{verb}" for kind, verb in names)
    return ops


def test_architecture_table_parses():
    ops = architecture_operations()
    assert {"models.list", "images.get", "services.delete", "artifacts.contentinfo", "discovery.get"} <= ops
    assert len(ops) >= 35, sorted(ops)


def emulator_routes():
    from azureml_emulator.families import all_routes  # noqa: PLC0415

    return all_routes()


def test_every_operation_is_mapped_or_uncovered_with_a_reason():
    """docs/architecture.md's operations and every route of the emulator (both API profiles):
    each is in spec_map.MAP or in spec_map.UNCOVERED with a reason, so a new route cannot skip
    validation silently."""
    documented = architecture_operations()
    served = {r.op for r in emulator_routes()}
    assert not set(MAP) & set(UNCOVERED), "an operation cannot be both mapped and uncovered"
    missing = (documented | served) - set(MAP) - set(UNCOVERED) - set(spec_map.V2)
    assert not missing, f"operations with no spec mapping and no reason to be uncovered: {sorted(missing)}"
    stale = (set(MAP) | set(UNCOVERED)) - documented - served
    assert not stale, f"map entries for operations neither documented nor served: {sorted(stale)}"
    for op, reason in UNCOVERED.items():
        assert len(reason) > 20, op


def _norm(template):
    return re.sub(r"\{[^}]*\}", "{}", template).lower()


def test_the_emulator_serves_each_mapped_operation_at_the_spec_route_too():
    """Besides the document's route, the spec's own route (api_profile ``current``) of every
    mapped operation exists in the emulator under the same operation name."""
    routes = {(r.op, r.method, _norm(r.template)) for r in emulator_routes()}
    missing = []
    for op, m in sorted(MAP.items()):
        if m.operation_id:
            method, path = m.spec_route.split(" ", 1)
            if (op, method, _norm(path)) not in routes:
                missing.append(f"{op}: {m.spec_route}")
    assert not missing, "spec routes the emulator does not serve:\n  " + "\n  ".join(missing)


@pytest.mark.parametrize("op", sorted(MAP))
def test_map_entry_agrees_with_the_spec(specs, op):
    m = MAP[op]
    doc = specs.document(m.spec)
    if m.operation_id:
        path, method = doc.operation(m.operation_id)
        assert m.spec_route == f"{method.upper()} {path}", f"spec_route of {op} is not {m.operation_id}'s route"
        declared = set(doc.statuses(m.operation_id)) - {"default"}
        assert set(m.success) <= declared, f"{op}: {m.operation_id} declares {sorted(declared)}, the map {m.success}"
        for status in m.success:
            assert specs.response(m.spec, m.operation_id, status).definition == m.definition, (op, status)
    if m.definition:
        doc.definition_uri(m.definition)
    if m.item_definition:
        value = doc.converted["definitions"][m.definition]["properties"]["value"]
        value = value.get("anyOf", [value])[0]
        items = value["items"].get("anyOf", [value["items"]])[0]
        assert items["$ref"].endswith("/definitions/" + m.item_definition), (op, value)


@pytest.mark.parametrize("family", sorted(ERRORS) + sorted(spec_map.CONVENTION_ERRORS))
def test_error_map_agrees_with_the_spec(specs, family):
    e = ERRORS.get(family) or spec_map.CONVENTION_ERRORS[family]
    r = specs.response(e.spec, e.operation_id, "default")
    assert r.definition == e.definition


def test_overlays_name_their_source():
    for overlay in spec_map.OVERLAYS:
        assert len(overlay.source) > 20, overlay


# =============================================================================================
# exercising the emulator


@dataclass
class Seen:
    op: str
    family: str
    method: str
    url: str
    status: int
    body: object
    headers: dict
    request_id: str


@dataclass
class Observed:
    by_op: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)  # walk-level problems (a page loop, a wrong status, a journal mismatch)
    samples: dict = field(default_factory=dict)  # ids of seeded objects found on the way

    def add(self, seen):
        self.by_op.setdefault(seen.op, []).append(seen)

    def all(self):
        return [s for lst in self.by_op.values() for s in lst]


def _json(resp):
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return resp.content


def _seg(value):
    return quote(str(value), safe="")


class Walker:
    def __init__(self, em, observed):
        self.em = em
        self.obs = observed

    def call(self, op, family, method, path, params=None, *, expect=None, json=None, token=None):
        kw = {"params": params or {}}
        if json is not None:
            kw["json"] = json
        resp = self.em.request(method, path, token=token, **kw)
        seen = Seen(op, family, method, resp.url, resp.status_code, _json(resp), dict(resp.headers), resp.headers.get("x-ms-request-id", ""))
        self.obs.add(seen)
        if expect is not None and resp.status_code not in expect:
            self.obs.problems.append(f"{op} {method} {resp.url} -> {resp.status_code} (expected {expect}): {resp.text:.300}")
        return seen

    def pages(self, op, family, path, params=None, method="GET"):
        """Every page of a list (nextLink, else continuationToken); returns the items."""
        params = dict(params or {})
        url, query, body, seen_links, items = path, dict(params), ({} if method == "POST" else None), set(), []
        for _ in range(MAX_PAGES):
            page = self.call(op, family, method, url, query, expect=(200,), json=body)
            if page.status != 200 or not isinstance(page.body, dict) or not isinstance(page.body.get("value"), list):
                return items
            items.extend(page.body["value"])
            link, token = page.body.get("nextLink"), page.body.get("continuationToken")
            if link or token:
                key = link or token
                if key in seen_links:
                    self.obs.problems.append(f"{op}: a page repeats {key}")
                    return items
                seen_links.add(key)
            if link:
                url, query = link, {}
            elif token and method == "POST":
                body = {"continuationToken": token}
            elif token:
                url, query = path, dict(params, continuationToken=token)
            else:
                return items
        self.obs.problems.append(f"{op}: more than {MAX_PAGES} pages")
        return items


def diverse(items, signature, cap=GETS_PER_KIND):
    """Up to ``cap`` items: first, last, then one per distinct ``signature`` (shape coverage)."""
    if len(items) <= cap:
        return list(items)
    chosen, sigs = [items[0], items[-1]], {signature(items[0]), signature(items[-1])}
    for item in items[1:-1]:
        if len(chosen) >= cap:
            break
        sig = signature(item)
        if sig not in sigs:
            sigs.add(sig)
            chosen.append(item)
    return chosen


def shape(item):
    if not isinstance(item, dict):
        return type(item).__name__
    nested = item.get("properties") if isinstance(item.get("properties"), dict) else {}
    return (
        tuple(sorted(item)),
        item.get("computeType") or nested.get("computeType"),
        item.get("dataStoreType"),
        item.get("status"),
        item.get("imageFlavor"),
    )


def walk_workspace(w, ws, first):
    """Every read operation of one workspace (``ws``: an entry of /_emulator/state); the
    operations no spec covers too (they must answer, and the journal must name them)."""
    wsp = ws["id"]
    sample = {"ws": wsp}
    body = w.call("workspaces.get", "arm", "GET", wsp, ARM_API, expect=(200,)).body
    if first and isinstance(body, dict):
        discovery = (body.get("properties") or {}).get("discoveryUrl")
        if discovery:
            w.call("discovery.get", "discovery", "GET", discovery, expect=(200,))

    computes = w.pages("computes.list", "arm", wsp + "/computes", ARM_API)
    for c in diverse(computes, shape):
        w.call("computes.get", "arm", "GET", f"{wsp}/computes/{_seg(c['name'])}", ARM_API, expect=(200,))
        sample["compute_name"] = c["name"]

    hist = "/history/v1.0" + wsp
    experiments = w.pages("experiments.list", "history", hist + "/experiments", {"viewType": "All"})
    for i, exp in enumerate(experiments):
        exp_path = f"{hist}/experiments/{_seg(exp['name'])}"
        if i < 3:
            w.call("experiments.get", "history", "GET", exp_path, expect=(200,))
        runs = w.pages("runs.list", "history", exp_path + "/runs")
        for run in diverse(runs, shape, cap=3 if i else GETS_PER_KIND):
            w.call("runs.get", "history", "GET", f"{exp_path}/runs/{_seg(run['runId'])}", expect=(200,))
        metrics = w.pages("metrics.list", "history", exp_path + "/metrics")
        for met in diverse(metrics, shape, cap=2 if i else GETS_PER_KIND):
            w.call("metrics.get", "history", "GET", f"{exp_path}/metrics/{_seg(met['metricId'])}", expect=(200,))
        for run in runs[:2]:
            art_path = f"/artifact/v1.0{wsp}/artifacts/origins/ExperimentRun/containers/{_seg(run['dataContainerId'])}"
            artifacts = w.pages("artifacts.list", "artifact", art_path)
            for art in diverse(artifacts, lambda a: a.get("path", "")[:3], cap=3):
                info = w.call("artifacts.contentinfo", "artifact", "GET", art_path + "/contentinfo", {"path": art["path"]}, expect=(200,))
                if first and "blob" not in sample and isinstance(info.body, dict) and info.body.get("contentUri"):
                    sample["blob"] = info.body["contentUri"]
                    w.call("blobs.get", "blob", "GET", info.body["contentUri"], expect=(200,))
                if metrics and "artifact_path" not in sample:
                    sample.update(experiment_name=exp["name"], run_id=run["runId"], container=run["dataContainerId"],
                                  artifact_path=art["path"], metric_id=metrics[0]["metricId"])

    ds_path = f"/datastore/v1.0{wsp}/datastores"
    stores = w.pages("datastores.list", "datastore", ds_path)
    w.pages("datastores.list", "datastore", ds_path, {"includeSecret": "false"})
    for store in diverse(stores, lambda s: (s.get("dataStoreType"), shape(s)), cap=10):
        w.call("datastores.get", "datastore", "GET", f"{ds_path}/{_seg(store['name'])}", expect=(200,))
        sample["datastore"] = store["name"]
    w.call("datastores.get_default", "datastore", "GET", f"/datastore/v1.0{wsp}/default", expect=(200, 404))

    mms = "/api" + wsp
    for kind in ("models", "assets", "images", "services"):
        items = w.pages(kind + ".list", "mms", f"{mms}/{kind}", ARM_API)
        for item in diverse(items, shape):
            w.call(kind + ".get", "mms", "GET", f"{mms}/{kind}/{_seg(item['id'])}", ARM_API, expect=(200,))
            sample[kind] = item["id"]

    if first:
        tasks = w.pages("tasks.list", "notification", f"/notification/v1.0{wsp}/tasks")
        for task in tasks[:2]:
            w.call("tasks.get", "notification", "GET", f"/notification/v1.0{wsp}/tasks/{_seg(task['id'])}", expect=(200,))
        for kind, segment in (
            ("pipeline_experiments", "Experiments"),
            ("pipeline_graphs", "Graphs"),
            ("pipeline_modules", "Modules"),
            ("pipeline_templates", "Templates"),
            ("pipeline_datasources", "DataSources"),
        ):
            for obj in ws["objects"].get(kind, [])[:1]:
                w.call(kind + ".get", "pipelines", "GET", f"/api/v1.0{wsp}/{segment}/{_seg(obj['id'])}", expect=(200,))
    return sample


def walk_spec_routes(w, sample):
    """The same reads at the specs' own routes (api_profile ``current``)."""
    wsp = sample["ws"]
    hist = "/history/v1.0" + wsp
    w.pages("experiments.list", "history", hist + "/experiments:query", method="POST")
    if "run_id" in sample:
        exp = f"{hist}/experiments/{_seg(sample['experiment_name'])}"
        w.pages("runs.list", "history", exp + "/runs:query", method="POST")
        w.pages("metrics.list", "history", exp + "/metrics:query", method="POST")
        art = f"/artifact/v2.0{wsp}/artifacts/ExperimentRun/{_seg(sample['container'])}"
        w.pages("artifacts.list", "artifact", art)
        w.call("artifacts.contentinfo", "artifact", "GET", art + "/contentinfo", {"path": sample["artifact_path"]}, expect=(200,))
        # azureml-core's routes (no 2019 swagger: UNCOVERED; tests/conformance checks them with the SDK's own models)
        path = "/".join(_seg(p) for p in sample["artifact_path"].split("/"))
        root = f"/artifact/v2.0{wsp}/artifacts"
        w.call("artifacts.contentinfo", "artifact", "GET", f"{root}/contentinfo/ExperimentRun/{_seg(sample['container'])}/{path}",
               expect=(200,))
        w.call("artifacts.content", "artifact", "GET", f"{root}/content/ExperimentRun/{_seg(sample['container'])}/{path}",
               expect=(200,))
        w.call("runs.get_by_id", "history", "GET", f"{hist}/runs/{_seg(sample['run_id'])}", expect=(200,))
        metric = f"/metric/v2.0{wsp}/runs/{_seg(sample['run_id'])}"
        listed = w.call("metrics_v2.list", "metric", "POST", metric + "/list", json={}, expect=(200,)).body
        for definition in (listed or {}).get("value", [])[:1]:
            w.call("metrics_v2.full", "metric", "POST", metric + "/full", json={"metricName": definition["metricKey"]["name"]},
                   expect=(200,))
    mms = "/modelmanagement/v1.0" + wsp
    for kind in ("models", "assets", "images", "services"):
        w.pages(kind + ".list", "mms", f"{mms}/{kind}")
        if kind in sample:
            w.call(kind + ".get", "mms", "GET", f"{mms}/{kind}/{_seg(sample[kind])}", expect=(200,))


def walk_errors(w, ws):
    """One error per family, on the same operations, for objects that do not exist."""
    wsp = ws["id"]
    missing_ws = wsp.rsplit("/", 1)[0] + "/no-such-workspace-0"
    w.call("workspaces.get", "arm", "GET", missing_ws, ARM_API, expect=(404,))
    w.call("computes.get", "arm", "GET", wsp + "/computes/no-such-compute", ARM_API, expect=(404,))
    w.call("models.get", "mms", "GET", f"/api{wsp}/models/no-such-model:1", ARM_API, expect=(404,))
    w.call("services.get", "mms", "GET", f"/api{wsp}/services/no-such-service", ARM_API, expect=(404,))
    w.call("images.get", "mms", "GET", f"/api{wsp}/images/no-such-image:1", ARM_API, expect=(404,))
    exp = f"/history/v1.0{wsp}/experiments/no-such-experiment"
    w.call("experiments.get", "history", "GET", exp, expect=(404,))
    w.call("runs.get", "history", "GET", exp + "/runs/no-such-run", expect=(404,))
    w.call("metrics.get", "history", "GET", exp + "/metrics/00000000-0000-4000-8000-000000000000", expect=(404,))
    w.call(
        "artifacts.contentinfo",
        "artifact",
        "GET",
        f"/artifact/v1.0{wsp}/artifacts/origins/ExperimentRun/containers/no-such-run/contentinfo",
        {"path": "outputs/none.txt"},
        expect=(404,),
    )
    w.call("datastores.get", "datastore", "GET", f"/datastore/v1.0{wsp}/datastores/no-such-store", expect=(404,))
    w.call("tasks.get", "notification", "GET", f"/notification/v1.0{wsp}/tasks/no-such-task", expect=(404,))
    for call in _one_call_per_family(wsp):
        w.call(*call, expect=(401,), token=False)


def _one_call_per_family(wsp):
    """(op, family, method, path, params): one list per family with a spec, and notifications."""
    return [
        ("workspaces.get", "arm", "GET", wsp, ARM_API),
        ("models.list", "mms", "GET", f"/api{wsp}/models", ARM_API),
        ("experiments.list", "history", "GET", f"/history/v1.0{wsp}/experiments", None),
        ("artifacts.list", "artifact", "GET", f"/artifact/v1.0{wsp}/artifacts/origins/ExperimentRun/containers/no-such-run", None),
        ("datastores.list", "datastore", "GET", f"/datastore/v1.0{wsp}/datastores", None),
        ("tasks.list", "notification", "GET", f"/notification/v1.0{wsp}/tasks", None),
    ]


def check_journal(em, obs):
    """The emulator's journal names each request as the map does (route <-> operation name)."""
    ops = {e.get("request_id"): e.get("op") for e in em.journal(0)}
    for s in obs.all():
        if s.request_id and ops.get(s.request_id, s.op) != s.op:
            obs.problems.append(f"journal names {s.method} {s.url} {ops.get(s.request_id)!r}, the map {s.op!r}")
    if not any(s.request_id in ops for s in obs.all()):
        obs.problems.append("no request of the walk is in the journal (request ids: x-ms-request-id)")


def _active(ws):
    return str(ws.get("status", "active")).lower() in ("active", "succeeded", "none")


@pytest.fixture(scope="module")
def observed(emulator):
    """Read-only walk of every workspace of the seeded demo data, at the default page size."""
    obs = Observed()
    w = Walker(emulator, obs)
    workspaces = emulator.state()["workspaces"]
    assert workspaces, "the session emulator holds no workspace"
    for sub in sorted({ws["subscription_id"] for ws in workspaces}):
        w.pages("workspaces.list_subscription", "arm", f"/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/workspaces", ARM_API)
    for sub, rg in sorted({(ws["subscription_id"], ws["resource_group"]) for ws in workspaces}):
        w.pages("workspaces.list", "arm", f"/subscriptions/{sub}/resourceGroups/{_seg(rg)}/providers/Microsoft.MachineLearningServices/workspaces", ARM_API)
    active = sorted((ws for ws in workspaces if _active(ws)), key=lambda ws: -sum(len(v) for v in ws["objects"].values()))
    for i, ws in enumerate(active):  # the richest first: it gets the extra walks
        sample = walk_workspace(w, ws, first=i == 0)
        if i == 0:
            obs.samples = sample
            walk_spec_routes(w, sample)
    walk_errors(w, active[0])
    check_journal(emulator, obs)
    return obs


def _richest(workspaces):
    return max((ws for ws in workspaces if _active(ws)), key=lambda ws: sum(len(v) for v in ws["objects"].values()))


@pytest.fixture(scope="module")
def mutations(emulator, observed):
    """Small pages (every wrapper with a next page), then deletes, on the session emulator; put
    back as seeded afterwards (conftest's restore does it too)."""
    obs = Observed()
    w = Walker(emulator, obs)
    try:
        emulator.configure(page_size=2, lro_polls=1, retry_after=0)
        ws = _richest(emulator.state()["workspaces"])
        wsp = ws["id"]
        # -- small pages
        w.pages("computes.list", "arm", wsp + "/computes", ARM_API)
        for kind in ("models", "assets", "images", "services"):
            w.pages(kind + ".list", "mms", f"/api{wsp}/{kind}", ARM_API)
        experiments = w.pages("experiments.list", "history", f"/history/v1.0{wsp}/experiments")
        if experiments:
            exp = f"/history/v1.0{wsp}/experiments/{_seg(experiments[0]['name'])}"
            runs = w.pages("runs.list", "history", exp + "/runs")
            w.pages("metrics.list", "history", exp + "/metrics")
            if runs:
                w.pages("artifacts.list", "artifact",
                        f"/artifact/v1.0{wsp}/artifacts/origins/ExperimentRun/containers/{_seg(runs[0]['dataContainerId'])}")
        w.pages("datastores.list", "datastore", f"/datastore/v1.0{wsp}/datastores")
        w.pages("workspaces.list", "arm", wsp.rsplit("/", 1)[0], ARM_API)

        # -- injected faults and throttling: the same error bodies
        emulator.configure(fault_rate=1.0, retry_after=1)
        for call in _one_call_per_family(wsp):
            w.call(*call, expect=(500, 503))
        emulator.configure(fault_rate=0.0, rate_limit=0.001, rate_burst=1)
        for call in _one_call_per_family(wsp):
            w.call(*call)  # the first may pass, the others answer 429
            w.call(*call, expect=(429,))
        emulator.configure(rate_limit=0.0, retry_after=0)

        # -- deletes, in the only order the service accepts, with a 412 first
        mms = "/api" + wsp
        images = w.pages("images.list", "mms", mms + "/images", ARM_API)
        services = w.pages("services.list", "mms", mms + "/services", ARM_API)
        used = [mid for img in images for mid in img.get("modelIds") or []]
        if used:
            w.call("models.delete", "mms", "DELETE", f"{mms}/models/{_seg(used[0])}", ARM_API, expect=(412,))
        for svc in services:
            url = f"{mms}/services/{_seg(svc['id'])}"
            first = w.call("services.delete", "mms", "DELETE", url, ARM_API, expect=(200, 202))
            location = first.headers.get("Operation-Location")
            if first.status == 202:
                if not location:
                    obs.problems.append("services.delete 202 without Operation-Location")
                    continue
                for _ in range(20):
                    poll = w.call("mms_operations.get", "mms", "GET", location, expect=(200,))
                    if not isinstance(poll.body, dict) or poll.body.get("state") in ("Succeeded", "Failed", "Cancelled", "TimedOut"):
                        break
            w.call("services.delete", "mms", "DELETE", url, ARM_API, expect=(204,))
        for kind, cap in (("images", None), ("models", 3), ("assets", 3)):
            for item in w.pages(kind + ".list", "mms", f"{mms}/{kind}", ARM_API)[:cap]:
                url = f"{mms}/{kind}/{_seg(item['id'])}"
                w.call(kind + ".delete", "mms", "DELETE", url, ARM_API, expect=(200,))
                w.call(kind + ".delete", "mms", "DELETE", url, ARM_API, expect=(204,))
        w.call("mms_operations.get", "mms", "GET", mms + "/operations/no-such-operation", ARM_API, expect=(404,))

        # -- an experiment (azureml-core's delete of an empty one): 409 while it has runs; once they went as jobs, 202 and
        # its Location polled to the end, then 404
        if experiments:
            exp = experiments[0]
            url = f"/history/v1.0{wsp}/experimentids/{_seg(exp['experimentId'])}"
            w.call("experiments.delete", "history", "DELETE", url, expect=(409,))
            v2_api = {"api-version": "2025-12-01"}
            for run in w.pages("runs.list", "history", f"/history/v1.0{wsp}/experiments/{_seg(exp['name'])}/runs"):
                job = w.call("jobs.delete", "arm", "DELETE", f"{wsp}/jobs/{_seg(run['runId'])}", v2_api, expect=(202,))
                for _ in range(20):
                    if w.call("v2_operations.result", "arm", "GET", job.headers["Location"], expect=(202, 204)).status == 204:
                        break
            first = w.call("experiments.delete", "history", "DELETE", url, expect=(202,))
            for _ in range(20):
                if w.call("v2_operations.result", "arm", "GET", first.headers["Location"], expect=(202, 204)).status == 204:
                    break
            w.call("experiments.delete", "history", "DELETE", url, expect=(404,))

        # -- the workspace: 202, polled to the end, then 204; afterwards 404
        first = w.call("workspaces.delete", "arm", "DELETE", wsp, ARM_API, expect=(200, 202))
        status_url = first.headers.get("Azure-AsyncOperation")
        if first.status == 202 and first.headers.get("Location"):
            w.call("workspaces.operation_result", "arm", "GET", first.headers["Location"], expect=(200, 202, 204))
        if first.status == 202 and status_url:
            for _ in range(20):
                poll = w.call("workspaces.operation_status", "arm", "GET", status_url, expect=(200,))
                if not isinstance(poll.body, dict) or poll.body.get("status") in ("Succeeded", "Failed", "Canceled"):
                    break
        w.call("workspaces.delete", "arm", "DELETE", wsp, ARM_API, expect=(204,))
        w.call("workspaces.get", "arm", "GET", wsp, ARM_API, expect=(404,))
        check_journal(emulator, obs)
    finally:
        emulator.configure(reset=True)
        emulator.reset()
    return obs


# =============================================================================================
# validation


def _allowed(spec, owner, name):
    return f"{spec}:{owner}.{name}" in spec_map.UNDOCUMENTED_ALLOWED


def _undocumented(specs, spec, definition, body, where):
    found = {}
    for owner, path, name in specs.undocumented(body, spec, definition):
        if not _allowed(spec, owner, name):
            found.setdefault(f"{spec}:{owner}.{name}", []).append(path)
    out = []
    for key, paths in found.items():
        more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
        out.append(f"{where}: undeclared property {key} (at {paths[0]}{more})")
    return out


def check(specs, m, seen):
    """Problems (strings) of one response of mapped operation ``m``."""
    where = f"{m.op} {seen.method} {seen.url} -> {seen.status}"
    status = str(seen.status)
    out = []
    if status in m.success:
        if m.operation_id and not specs.response(m.spec, m.operation_id, status).declared:
            out.append(f"{where}: status {status} is not declared by {m.operation_id}")
        if m.definition is None:
            return out
        if not isinstance(seen.body, (dict, list)):
            return out + [f"{where}: not a JSON body: {seen.body!r:.200}"]
        if m.operation_id:
            try:
                specs.validate_response(seen.body, m.spec, m.operation_id, status)
            except SpecValidationError as e:
                out += [f"{where}: {m.definition}: {err}" for err in e.errors]
        else:
            out += [f"{where}: {m.definition}: {err}" for err in specs.errors(seen.body, m.spec, m.definition)]
        if m.item_definition and isinstance(seen.body, dict) and isinstance(seen.body.get("value"), list):
            for i, item in enumerate(seen.body["value"]):
                out += [f"{where}: value[{i}] {m.item_definition}: {err}" for err in specs.errors(item, m.spec, m.item_definition)]
        return out + _undocumented(specs, m.spec, m.definition, seen.body, where)
    if seen.status >= 400:
        e = ERRORS.get(m.family)
        if e is None:
            return [f"{where}: no error definition for family {m.family}"]
        if m.operation_id:
            declared = specs.response(m.spec, m.operation_id, status).definition
            if declared != e.definition:
                out.append(f"{where}: the spec declares {declared} for {status}, the map {e.definition}")
        out += [f"{where}: {e.definition}: {err}" for err in specs.errors(seen.body, e.spec, e.definition)]
        return out + _undocumented(specs, e.spec, e.definition, seen.body, where)
    return [f"{where}: neither a success status the map expects {m.success} nor an error"]


def _report(problems):
    if problems:
        raise SpecValidationError(f"{len(problems)} response(s)", problems)


@pytest.mark.parametrize("op", sorted(MAP))
def test_responses_conform(specs, observed, mutations, op):
    seen = observed.by_op.get(op, []) + mutations.by_op.get(op, [])
    assert seen, f"no response of {op} was exercised"
    ok = {s.status for s in seen if str(s.status) in MAP[op].success}
    assert ok, f"no successful response of {op}: {sorted({s.status for s in seen})}"
    problems = []
    for s in seen:
        problems += check(specs, MAP[op], s)
    _report(problems)


def test_every_success_status_of_deletes_was_seen(mutations):
    for op in ("services.delete", "models.delete", "images.delete", "assets.delete", "workspaces.delete"):
        statuses = {str(s.status) for s in mutations.by_op.get(op, [])}
        assert statuses & set(MAP[op].success) and "204" in statuses, (op, statuses)
    assert "202" in {str(s.status) for s in mutations.by_op["services.delete"]}, "no service delete answered 202"
    assert mutations.by_op.get("mms_operations.get"), "no MMS operation was polled"


def test_the_walk_found_what_it_expected(observed, mutations):
    _report(observed.problems + mutations.problems)


def test_every_family_error_was_validated(observed, mutations):
    families = {MAP[s.op].family for s in observed.all() + mutations.all() if s.op in MAP and s.status >= 400}
    assert families >= set(ERRORS), sorted(set(ERRORS) - families)


def test_pages_with_a_next_page_were_validated(mutations):
    """At page size 2 every list wrapper is seen with its next-page fields set."""
    lists = sorted(op for op, m in MAP.items() if m.item_definition and op != "workspaces.list_subscription")
    missing = [
        op
        for op in lists
        if not any(isinstance(s.body, dict) and (s.body.get("nextLink") or s.body.get("continuationToken")) for s in mutations.by_op.get(op, []))
    ]
    assert not missing, f"lists never seen with a next page: {missing}"


def test_list_items_were_validated(observed):
    """Guard against a vacuous pass: every list returned items somewhere in the seeded data."""
    empty = sorted(
        op for op, m in MAP.items() if m.item_definition and not any(isinstance(s.body, dict) and s.body.get("value") for s in observed.by_op.get(op, []))
    )
    assert not empty, f"lists never returned an item: {empty}"


def test_spec_routes_answer_like_the_documented_ones(observed):
    """The api_profile ``current`` walk reached the spec routes (checked by test_responses_conform)."""
    spec_style = [s for s in observed.all() if "/modelmanagement/v1.0/" in s.url or ":query" in s.url or "/artifact/v2.0/" in s.url]
    ops = {s.op for s in spec_style if s.status == 200}
    assert {"experiments.list", "models.list", "services.get", "artifacts.list", "artifacts.contentinfo"} <= ops, sorted(ops)


@pytest.mark.parametrize("family", sorted(spec_map.CONVENTION_ERRORS))
def test_errors_of_families_without_a_spec_follow_their_convention(specs, observed, family):
    e = spec_map.CONVENTION_ERRORS[family]
    seen = [s for s in observed.all() if s.family == family and s.status >= 400]
    assert seen, f"no error of {family} was exercised"
    problems = []
    for s in seen:
        where = f"{s.op} {s.url} -> {s.status}"
        problems += [f"{where}: {e.definition}: {err}" for err in specs.errors(s.body, e.spec, e.definition)]
    _report(problems)


@pytest.mark.parametrize("op", sorted(UNCOVERED))
def test_uncovered_operations_still_answer(observed, mutations, op):
    """No schema check, but the route exists and answers (the journal names it as the map does)."""
    seen = observed.by_op.get(op, []) + mutations.by_op.get(op, [])
    assert seen, f"{op} was never exercised"
    assert any(200 <= s.status < 300 for s in seen), (op, sorted({s.status for s in seen}))


# =============================================================================================
# the pipeline above can fail: the same check() on bodies that break the spec


def _fake(op, status, body):
    return Seen(op, MAP[op].family, "GET", "http://emulator/fake", status, body, {}, "")


GOOD_MODEL = {"id": "m:1", "name": "m", "version": 1, "url": "aml://asset/x", "mimeType": "application/octet-stream"}


@pytest.mark.parametrize(
    "op, status, body, expected",
    [
        ("models.get", 200, dict(GOOD_MODEL, version="x"), "$.version: 'x' is not of type 'integer', 'null'"),
        ("models.get", 200, {k: v for k, v in GOOD_MODEL.items() if k != "url"}, "$: 'url' is a required property"),
        ("models.get", 200, dict(GOOD_MODEL, createdUTC="2020-01-01T00:00:00Z"), "undeclared property mms:Model.createdUTC"),
        ("models.list", 200, {"value": {}}, "$.value: {} is not of type 'array'"),
        ("models.list", 200, {"value": [{"name": "m"}]}, "value[0] Model: $: 'url' is a required property"),
        ("models.list", 200, {"nextLink": None}, "$: 'value' is a required property"),
        ("experiments.list", 200, {"value": [{"name": "e", "createdUtc": 12}]}, "$.createdUtc: 12 is not of type 'string', 'null'"),
        ("runs.get", 200, {"runId": "r", "createdBy": {"userObjectId": 7}}, "$.createdBy.userObjectId: 7 is not of type 'string', 'null'"),
        ("metrics.get", 200, {"metricId": "not-a-uuid"}, "$.metricId: 'not-a-uuid' is not a 'uuid'"),
        ("computes.get", 200, {"properties": {"computeType": "Kubernetes"}}, "'Kubernetes' is not one of"),
        ("services.get", 200, {"computeType": "ACI", "models": [{"name": "m"}]}, "$.models[0]: 'url' is a required property"),
        ("datastores.get", 200, {"name": "d", "azureStorageSection": {"subscriptionId": "sub-1"}}, "is not a 'uuid'"),
        ("artifacts.list", 200, {"value": [{"origin": "ExperimentRun", "path": "p"}]}, "$: 'container' is a required property"),
        ("models.get", 404, {"message": "not found", "statusCode": 404}, "$: 'code' is a required property"),
        ("workspaces.get", 404, {"error": {"message": "gone"}}, "$.error: 'code' is a required property"),
        ("runs.get", 404, {"error": {"code": "UserError"}}, "$.error: 'message' is a required property"),
        ("models.delete", 202, None, "neither a success status the map expects"),
        ("models.get", 200, b"<html>", "not a JSON body"),
    ],
)
def test_check_rejects_bodies_that_break_the_spec(specs, op, status, body, expected):
    problems = check(specs, MAP[op], _fake(op, status, body))
    assert any(expected in p for p in problems), problems


def test_check_accepts_a_conforming_body(specs):
    assert check(specs, MAP["models.get"], _fake("models.get", 200, GOOD_MODEL)) == []
    assert check(specs, MAP["models.delete"], _fake("models.delete", 204, None)) == []
    assert check(specs, MAP["models.get"], _fake("models.get", 404, {"code": "NotFound", "message": "m", "statusCode": 404})) == []


# =============================================================================================
# end to end: objects created at run time (POST /_emulator/objects) go through the same check


def _fetch(emulator, op, path, params=None):
    r = emulator.request("GET", path, params=params or {})
    return Seen(op, MAP[op].family, "GET", r.url, r.status_code, _json(r), dict(r.headers), "")


def test_a_malformed_object_served_by_the_emulator_fails_the_check(specs, emulator):
    ws = _richest(emulator.state()["workspaces"])
    made = emulator.create_object(ws["id"], "models", {"name": "bad-model", "version": "x", "mimeType": 5, "createdUTC": "2020-01-01T00:00:00Z"})
    mms = "/api" + ws["id"]
    one = check(specs, MAP["models.get"], _fetch(emulator, "models.get", f"{mms}/models/{_seg(made['id'])}", ARM_API))
    assert any("$.version: 'x' is not of type 'integer'" in p for p in one), one
    assert any("$.mimeType: 5 is not of type 'string'" in p for p in one), one
    assert any("undeclared property mms:Model.createdUTC" in p for p in one), one
    obs = Observed()
    Walker(emulator, obs).pages("models.list", "mms", f"{mms}/models", ARM_API)
    listed = [p for page in obs.by_op["models.list"] for p in check(specs, MAP["models.list"], page)]
    assert any("Model: $.version: 'x' is not of type 'integer'" in p for p in listed), listed


def test_objects_created_at_run_time_conform(specs, emulator):
    ws = _richest(emulator.state()["workspaces"])
    wsp, mms = ws["id"], "/api" + ws["id"]
    model = emulator.create_object(wsp, "models", {"name": "created-later"})
    image = emulator.create_object(wsp, "images", {"name": "img-later", "modelIds": [model["id"]]})
    service = emulator.create_object(wsp, "services", {"name": "svc-later", "imageId": image["id"], "computeType": "AKS"})
    asset = emulator.create_object(wsp, "assets", {})
    exp = emulator.create_object(wsp, "experiments", {"name": "created later é"})
    run = emulator.create_object(wsp, "runs", {"experimentName": exp["name"]})
    metric = emulator.create_object(wsp, "metrics", {"runId": run["runId"]})
    art = emulator.create_object(wsp, "artifacts", {"runId": run["runId"], "path": "outputs/../later.txt"})
    store = emulator.create_object(wsp, "datastores", {"name": "later_store"})
    compute = emulator.create_object(wsp, "computes", {"name": "later-aks", "properties": {"computeType": "AKS"}})
    exp_path = f"/history/v1.0{wsp}/experiments/{_seg(exp['name'])}"
    fetched = [
        _fetch(emulator, "models.get", f"{mms}/models/{_seg(model['id'])}", ARM_API),
        _fetch(emulator, "images.get", f"{mms}/images/{_seg(image['id'])}", ARM_API),
        _fetch(emulator, "services.get", f"{mms}/services/{_seg(service['id'])}", ARM_API),
        _fetch(emulator, "assets.get", f"{mms}/assets/{_seg(asset['id'])}", ARM_API),
        _fetch(emulator, "experiments.get", exp_path),
        _fetch(emulator, "runs.get", f"{exp_path}/runs/{_seg(run['runId'])}"),
        _fetch(emulator, "metrics.get", f"{exp_path}/metrics/{_seg(metric['metricId'])}"),
        _fetch(
            emulator,
            "artifacts.contentinfo",
            f"/artifact/v1.0{wsp}/artifacts/origins/ExperimentRun/containers/{_seg(art['container'])}/contentinfo",
            {"path": art["path"]},
        ),
        _fetch(emulator, "datastores.get", f"/datastore/v1.0{wsp}/datastores/{_seg(store['name'])}"),
        _fetch(emulator, "computes.get", f"{wsp}/computes/{_seg(compute['name'])}", ARM_API),
    ]
    problems = []
    for seen in fetched:
        assert seen.status == 200, (seen.op, seen.url, seen.status, seen.body)
        problems += check(specs, MAP[seen.op], seen)
    _report(problems)
