"""azureml-core's generated REST clients (``azureml._restclient``) and its Image/Webservice objects against the emulator.

For every API family the collection reads: each list is followed to its last page the way the SDK pages it
(continuation token as a query parameter or in the body, ``$skipToken`` from ``nextLink``), at page sizes 1, 2
and the default, and must hold exactly the objects of ``/_emulator/state`` (each once); every body must
deserialise into the SDK's models with the fields the SDK relies on; every error must parse into the SDK's
error model. What is checked here is what Microsoft's client sends and reads, not what the 2019 swaggers say.

The SDK's routes the collection depends on (issue 14): artifacts in the run's data container
(``dataContainerId``), ``viewType`` on the experiment lists, the v2 metrics service, content information
with the path in the URL. ``test_switches.py`` shows that each emulator switch that restores an old
behaviour turns the matching test here red.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from msrest.exceptions import DeserializationError, HttpOperationError

PLAIN_WS = "ws_hr-people"  # artifact paths without dot segments: the SDK sends paths unquoted (skip_quote)
HOSTILE_WS = "ws-sales-analytics"  # names that need encoding, traversal-like artifact paths
VIEW_TYPES = {"ActiveOnly": False, "Default": False, "ArchivedOnly": True, "All": None}
MAX_PAGES = 5000


def _ws(state, name):
    return next(w for w in state["workspaces"] if w["name"] == name)


def _args(ws):
    return ws["subscription_id"], ws["resource_group"], ws["name"]


def _once(ids, expected, what):
    dupes = [k for k, n in Counter(ids).items() if n > 1]
    assert not dupes, f"{what}: listed more than once: {dupes}"
    assert sorted(ids) == sorted(expected), f"{what}: the SDK listed {sorted(ids)}, the emulator holds {sorted(expected)}"


def follow(first, again):
    """Items of every page: ``first()`` then ``again(token)`` while the DTO has a continuation token."""
    items, page, seen = [], first(), set()
    for _ in range(MAX_PAGES):
        assert isinstance(page.value, list), f"a page without value: {page!r}"
        items.extend(page.value)
        token = page.continuation_token
        if not token:
            return items
        assert token not in seen, "a continuation token repeats"
        seen.add(token)
        page = again(token)
    raise AssertionError("the list does not end")


def follow_skip_token(first, again):
    """Model management: ``$skipToken`` of ``next_link`` (``ClientBase._call_paginated_api``)."""
    items, page, seen = [], first(), set()
    for _ in range(MAX_PAGES):
        items.extend(page.value)
        link = getattr(page, "next_link", None)
        if not link:
            return items
        token = parse_qs(urlsplit(link).query)["$skipToken"][0]
        assert token not in seen, "a skip token repeats"
        seen.add(token)
        page = again(token)
    raise AssertionError("the list does not end")


# -- run history -------------------------------------------------------------------------------------------------------

def _experiments(rest, ws, view_type, in_body):
    from azureml._restclient.models import ExperimentQueryParamsDto

    def call(token=None):
        if in_body:  # what azureml-core's Experiment.list sends: viewType in ExperimentQueryParamsDto
            return rest.experiment.get_by_query(*_args(ws), query_params=ExperimentQueryParamsDto(view_type=view_type,
                                                                                                  continuation_token=token))
        return rest.experiment.get_by_query(*_args(ws), query_params=ExperimentQueryParamsDto(continuation_token=token),
                                            view_type=view_type)

    return follow(call, call)


@pytest.mark.parametrize("in_body", [True, False], ids=["body", "query"])
def test_experiments_of_every_view_type(rest, state, page_size, in_body):
    for ws in state["workspaces"]:
        exps = ws["objects"]["experiments"]
        for view_type, archived in VIEW_TYPES.items():
            got = _experiments(rest, ws, view_type, in_body)
            for e in got:
                assert e.experiment_id and e.name and e.created_utc is not None, e
                assert (e.archived_time is not None) == next(x["archived"] for x in exps if x["id"] == e.experiment_id)
            expected = [x["id"] for x in exps if archived is None or x["archived"] == archived]
            _once([e.experiment_id for e in got], expected, f"{ws['name']} experiments viewType={view_type}")
    assert any(x["archived"] for ws in state["workspaces"] for x in ws["objects"]["experiments"]), "no archived experiment"


def test_an_archived_experiment_is_got_by_name_and_its_runs_listed(rest, state):
    ws = _ws(state, HOSTILE_WS)
    archived = next(x for x in ws["objects"]["experiments"] if x["archived"])
    got = rest.experiment.get(*_args(ws), archived["name"], view_type="All")
    assert got.experiment_id == archived["id"] and got.archived_time is not None
    runs = follow(lambda: rest.run.get_by_query(*_args(ws), archived["name"]),
                  lambda t: rest.run.get_by_query(*_args(ws), archived["name"], query_params=_query(t)))
    assert runs and {r.run_id for r in runs} == {r["id"] for r in ws["objects"]["runs"] if r["experiment"] == archived["name"]}


def _query(token):
    from azureml._restclient.models import QueryParamsDto

    return QueryParamsDto(continuation_token=token)


def test_runs(rest, state, page_size):
    for name in (HOSTILE_WS, PLAIN_WS):
        ws = _ws(state, name)
        for exp in ws["objects"]["experiments"]:
            runs = follow(lambda e=exp: rest.run.get_by_query(*_args(ws), e["name"]),
                          lambda t, e=exp: rest.run.get_by_query(*_args(ws), e["name"], query_params=_query(t)))
            expected = [r for r in ws["objects"]["runs"] if r["experiment"] == exp["name"]]
            _once([r.run_id for r in runs], [r["id"] for r in expected], f"{name} runs of {exp['name']}")
            for run in runs:
                assert run.created_by.user_object_id and run.data_container_id and run.experiment_id == exp["id"]
        one = ws["objects"]["runs"][0]
        by_name = rest.run.get(*_args(ws), one["experiment"], one["id"])
        by_id = rest.run.get_workspace_run(*_args(ws), one["id"])  # GET {ws}/runs/{runId}: no experiment needed
        assert by_name.run_id == by_id.run_id == one["id"] and by_id.data_container_id == one["container"]


def test_metrics_v1(rest, state, page_size):
    for name in (HOSTILE_WS, PLAIN_WS):
        ws = _ws(state, name)
        for exp in ws["objects"]["experiments"]:
            metrics = follow(lambda e=exp: rest.run_metric.get_by_query(*_args(ws), e["name"]),
                             lambda t, e=exp: rest.run_metric.get_by_query(*_args(ws), e["name"], query_params=_query(t)))
            expected = [m["id"] for m in ws["objects"]["metrics"] if m["experiment"] == exp["name"]]
            _once([m.metric_id for m in metrics], expected, f"{name} metrics of {exp['name']}")
            assert all(m.run_id and m.cells for m in metrics)
        one = ws["objects"]["metrics"][0]
        assert rest.run_metric.get(*_args(ws), one["experiment"], one["id"]).metric_id == one["id"]


def _v2_definitions(rest, ws, run_id):
    from azureml._restclient.models import ListMetricsDto

    return follow(lambda: rest.metric.list_metrics(*_args(ws), run_id, ListMetricsDto()),
                  lambda t: rest.metric.list_metrics(*_args(ws), run_id, ListMetricsDto(continuation_token=t)))


def _v2_values(rest, ws, run_id, name):
    from azureml._restclient.models import RetrieveFullFidelityMetricRequestDto as Full

    pages = []

    def call(token=None):
        page = rest.metric.get_full_fidelity(*_args(ws), run_id, Full(metric_name=name, continuation_token=token))
        pages.append(page)
        return page

    values = follow(call, call)
    return pages[0], values


def test_metrics_v2(rest, state, page_size):
    """The metrics today's SDKs log: every definition of every run, every value of every metric (MetricV2Dto)."""
    for name in (HOSTILE_WS, PLAIN_WS):
        ws = _ws(state, name)
        expected = {(m["run_id"], m["name"]): m for m in ws["objects"]["metrics_v2"]}
        assert expected, f"{name} holds no v2 metric"
        seen = []
        for run in ws["objects"]["runs"]:
            for definition in _v2_definitions(rest, ws, run["id"]):
                key = definition.metric_key
                seen.append((run["id"], key.name))
                head, values = _v2_values(rest, ws, run["id"], key.name)
                assert head.name == key.name and head.data_container_id == run["container"] and head.columns
                for v in values:
                    assert v.metric_id and v.created_utc is not None and v.step is not None and key.name in v.data
                _once([v.metric_id for v in values], expected[(run["id"], key.name)]["value_ids"], f"{name} {run['id']} {key.name}")
        _once(seen, list(expected), f"{name} v2 metric definitions")


# -- artifacts -----------------------------------------------------------------------------------------------------------

def _artifacts(rest, ws, container):
    return follow(lambda: rest.artifact.list_in_container(*_args(ws), "ExperimentRun", container),
                  lambda t: rest.artifact.list_in_container(*_args(ws), "ExperimentRun", container, continuation_token=t))


def test_artifacts_are_listed_in_the_runs_data_container(rest, state, page_size):
    for name in (HOSTILE_WS, PLAIN_WS):
        ws = _ws(state, name)
        for run in ws["objects"]["runs"]:
            got = _artifacts(rest, ws, run["container"])  # azureml-core: Run._container is the run's data_container_id
            expected = [a for a in ws["objects"]["artifacts"] if a["run_id"] == run["id"]]
            assert expected, f"{name}: run {run['id']} has no artifact"
            _once([a.artifact_id for a in got], [a["id"] for a in expected], f"{name} artifacts of {run['id']}")
            for a in got:
                assert a.origin == "ExperimentRun" and a.container == run["container"] and a.path
                assert a.artifact_id == f"ExperimentRun/{run['container']}/{a.path}"


def test_artifact_content_with_the_path_in_the_url(rest, state):
    """``get_content_information`` and ``download`` put the path in the URL (``skip_quote``), as the SDK does;
    the content URI is a SAS URL the SDK fetches without the bearer token."""
    ws = _ws(state, PLAIN_WS)
    for art in ws["objects"]["artifacts"][:6]:
        info = rest.artifact.get_content_information(*_args(ws), "ExperimentRun", art["container"], art["path"])
        assert (info.origin, info.container, info.path) == ("ExperimentRun", art["container"], art["path"])
        blob = requests.get(info.content_uri, timeout=30)
        assert blob.status_code == 200 and art["id"].encode() in blob.content
        streamed = b"".join(rest.artifact.download(*_args(ws), "ExperimentRun", art["container"], art["path"]))
        assert streamed == blob.content


# -- datastores, model management ------------------------------------------------------------------------------------------

def test_datastores(rest, state, page_size):
    for ws in state["workspaces"]:
        got = follow(lambda w=ws: rest.data_stores.list(*_args(w), count=page_size, include_secret=False),
                     lambda t, w=ws: rest.data_stores.list(*_args(w), continuation_token=t, count=page_size, include_secret=False))
        _once([d.name for d in got], [d["id"] for d in ws["objects"]["datastores"]], f"{ws['name']} datastores")
        for d in got:
            assert d.data_store_type, d.name
            one = rest.data_stores.get(*_args(ws), d.name)
            assert one.name == d.name


class _ImageConfig:
    """The two settings ``ImageOperations`` reads from its client's configuration (not part of ``RestClient``'s)."""

    description = None
    expand = None


def _images_ops(rest):
    """azureml-core's generated image operations (``RestClient`` has none: the SDK's images use ``/modelmanagement/v1.0``
    the same way), on the same pipeline and models."""
    import importlib
    import pkgutil

    import azureml._restclient.models as models_package
    from azureml._restclient.operations.image_operations import ImageOperations
    from msrest import Deserializer, Serializer
    from msrest.serialization import Model
    from enum import Enum

    classes = {}
    for info in pkgutil.iter_modules(models_package.__path__):  # the image models are not exported by the package
        module = importlib.import_module(f"{models_package.__name__}.{info.name}")
        classes.update({k: v for k, v in vars(module).items() if isinstance(v, type) and (issubclass(v, (Model, Enum)))})
    return ImageOperations(rest._client, _ImageConfig(), Serializer(classes), Deserializer(classes))


def test_model_management_lists(rest, state, page_size):
    images = _images_ops(rest)
    for ws in state["workspaces"]:
        o = ws["objects"]
        lists = {
            "models": (lambda t=None, w=ws: rest.ml_models.list_query(*_args(w), skip_token=t), rest.ml_models.query_by_id),
            "assets": (lambda t=None, w=ws: rest.assets.list_query(*_args(w), skip_token=t), rest.assets.query_by_id),
            "images": (lambda t=None, w=ws: images.list_query(*_args(w), skip_token=t), images.query_by_id),
            "services": (lambda t=None, w=ws: rest.services.list_query(*_args(w), skip_token=t), rest.services.query_by_id),
        }
        for kind, (lister, getter) in lists.items():
            got = follow_skip_token(lister, lister)
            _once([x.id for x in got], [x["id"] for x in o[kind]], f"{ws['name']} {kind}")
            for x in got[:3]:
                assert getter(*_args(ws), x.id).id == x.id


def _sdk_workspace(emulator, ws):
    from azureml.core import Workspace

    return Workspace(ws["subscription_id"], ws["resource_group"], ws["name"], auth=_StaticAuth(emulator.token),
                     _location=ws["location"], _disable_service_check=True)


def test_images_and_services_become_sdk_objects(emulator, state, page_size):
    """``Image.list`` / ``Webservice.list`` (the SDK's own model-management paging, then ``deserialize`` into
    ``ContainerImage``, ``AciWebservice``, ``AksWebservice``): the SDK refuses payloads without the fields it needs
    (images ``assets``; ACI ``cname``, ``publicIp``, ``sslCertificate``, ``sslKey``; AKS ``autoScaler``, ...)."""
    from azureml.core.image import Image
    from azureml.core.webservice import Webservice

    seen = Counter()
    for ws in state["workspaces"]:
        workspace = _sdk_workspace(emulator, ws)
        images = Image.list(workspace)
        _once([i.id for i in images], [i["id"] for i in ws["objects"]["images"]], f"{ws['name']} Image.list")
        for image in images:
            assert image.assets and image.models and image.driver_program, image.id
            seen[type(image).__name__] += 1
        services = Webservice.list(workspace)
        _once([s.name for s in services], [s["id"] for s in ws["objects"]["services"]], f"{ws['name']} Webservice.list")
        for service in services:
            assert service.models and service.image_id, service.name
            if service.compute_type == "ACI":
                assert service.public_ip and service.container_resource_requirements is not None
                assert service.ssl_enabled == bool(service.ssl_key) == bool(service.ssl_certificate)
            else:
                assert service.autoscaler.max_replicas and service.liveness_probe_requirements.period_seconds
                assert service.data_collection is not None and service.token_auth_enabled is False
            seen[type(service).__name__] += 1
    assert {"ContainerImage", "AciWebservice", "AksWebservice"} <= set(seen), seen


class _StaticAuth:
    """The emulator's static bearer token as an azureml-core authentication object."""

    def __new__(cls, token):
        from azureml.core.authentication import AbstractAuthentication

        class Static(AbstractAuthentication):
            def _get_arm_token(self):
                return token

            def _get_graph_token(self):
                return token

            def _get_all_subscription_ids(self):
                return [], False

            def get_authentication_header(self):
                return {"Authorization": "Bearer " + token}

        return Static()


# -- deletes and errors ----------------------------------------------------------------------------------------------------

def _error_of(call):
    with pytest.raises(HttpOperationError) as caught:
        call()
    return caught.value


def test_deletes_their_412s_then_the_safe_order(rest, emulator, state):
    images = _images_ops(rest)
    ws = _ws(state, HOSTILE_WS)
    o = ws["objects"]
    try:
        used = o["images"][0]["model_ids"][0]
        err = _error_of(lambda: rest.ml_models.delete(*_args(ws), used))
        assert err.response.status_code == 412 and err.error.code == "DeletionRequired", err.response.text
        held = o["services"][0]["image_id"]
        err = _error_of(lambda: images.delete(*_args(ws), held))
        assert err.response.status_code == 412 and err.error.code == "DeletionRequired"
        emulator.configure(lro_polls=0, lro_seconds=0.001)  # an AKS delete (202 + Operation-Location) ends at once
        for svc in o["services"]:
            assert rest.services.delete(*_args(ws), svc["id"], raw=True).response.status_code in (200, 202)
        for svc in o["services"]:  # gone: a second delete answers 204 ("does not exist")
            assert rest.services.delete(*_args(ws), svc["id"], raw=True).response.status_code == 204
        for kind, delete in (("images", images.delete), ("models", rest.ml_models.delete), ("assets", rest.assets.delete)):
            for x in o[kind]:
                assert delete(*_args(ws), x["id"], raw=True).response.status_code == 200, (kind, x["id"])
        after = next(w for w in emulator.state()["workspaces"] if w["name"] == HOSTILE_WS)["objects"]
        assert not any(after[k] for k in ("images", "models", "assets")), after
    finally:
        emulator.reset()
        emulator.configure(reset=True)


def test_the_sdk_deletes_an_experiment_once_its_runs_are_gone(emulator, state):
    """azureml-core's own ``Experiment.delete`` (``WorkspaceClient.delete_experiment``: ``DELETE
    /history/v1.0{ws}/experimentids/{id}``, 200 or 202, then its ``AzureMLPolling`` of ``Location`` to the end): refused
    while the experiment has runs, done once every run went (as jobs, the ARM delete the purge uses)."""
    from azureml.core import Experiment
    from azureml._restclient.models.error_response import ErrorResponseException

    ws = _ws(state, PLAIN_WS)
    runs = ws["objects"]["runs"]
    exp = next(e for e in ws["objects"]["experiments"] if any(r["experiment"] == e["name"] for r in runs))
    workspace = _sdk_workspace(emulator, ws)
    headers = {"Authorization": "Bearer " + emulator.token}
    emulator.configure(retry_after=0, lro_polls=0, lro_seconds=0)
    try:
        with pytest.raises(ErrorResponseException) as refused:
            Experiment.delete(workspace, exp["experiment_id"])
        assert refused.value.response.status_code == 409
        for run in (r for r in runs if r["experiment"] == exp["name"]):
            answer = requests.delete(f"{emulator.url}{ws['id']}/jobs/{run['id']}", params={"api-version": "2025-12-01"},
                                     headers=headers, timeout=30)
            assert answer.status_code == 202, answer.text
            assert requests.get(answer.headers["Location"], headers=headers, timeout=30).status_code in (200, 204)
        Experiment.delete(workspace, exp["experiment_id"])  # the SDK polls its Location until the operation ends
        after = next(w for w in emulator.state()["workspaces"] if w["name"] == PLAIN_WS)["objects"]
        assert exp["experiment_id"] not in {e["experiment_id"] for e in after["experiments"]}
    finally:
        emulator.reset()
        emulator.configure(reset=True)


def test_error_bodies_parse_into_the_sdk_models(rest, emulator, state):
    ws = _ws(state, PLAIN_WS)
    checks = [
        lambda: rest.run.get_workspace_run(*_args(ws), "no-such-run"),
        lambda: rest.experiment.get(*_args(ws), "no-such-experiment"),
        lambda: rest.run_metric.get(*_args(ws), ws["objects"]["experiments"][0]["name"], "00000000-0000-4000-8000-000000000000"),
        lambda: rest.artifact.get_content_information(*_args(ws), "ExperimentRun", "dcid.no-such-run", "outputs/none.txt"),
        lambda: rest.data_stores.get(*_args(ws), "no_such_store"),
        lambda: rest.metric.get_full_fidelity(*_args(ws), ws["objects"]["runs"][0]["id"], _full("no_such_metric")),
    ]
    for call in checks:
        err = _error_of(call)
        assert err.response.status_code == 404, err.response.text
        assert err.error is not None and err.error.error.code and err.error.error.message, err.response.text
        assert err.error.correlation, err.response.text
    for call in (lambda: rest.ml_models.query_by_id(*_args(ws), "no-such-model:1"),
                 lambda: rest.services.query_by_id(*_args(ws), "no-such-service")):
        err = _error_of(call)
        assert err.response.status_code == 404 and err.error.code and err.error.message, err.response.text
    # no token: 401 with the family's body
    from azureml._restclient.rest_client import RestClient
    from msrest.authentication import BasicTokenAuthentication

    anonymous = RestClient(BasicTokenAuthentication({"access_token": "not-a-token"}), base_url=emulator.url)
    anonymous.config.retry_policy.retries = 0
    err = _error_of(lambda: anonymous.run.get_workspace_run(*_args(ws), ws["objects"]["runs"][0]["id"]))
    assert err.response.status_code == 401 and err.error.error.code == "InvalidAuthenticationToken"


def _full(name):
    from azureml._restclient.models import RetrieveFullFidelityMetricRequestDto

    return RetrieveFullFidelityMetricRequestDto(metric_name=name)


def test_no_body_failed_to_deserialise():
    """A marker that the checks above raise on malformed bodies: msrest's DeserializationError is what they would see."""
    from azureml._restclient.models import ExperimentDto
    from msrest import Deserializer

    with pytest.raises(DeserializationError):
        Deserializer({"ExperimentDto": ExperimentDto})("ExperimentDto", {"createdUtc": "not a time"})
