"""azure-ai-ml 1.35.2's ARM client (generated from the 2025-12-01 spec) against the emulator's v2 resources.

Every list with ``listViewType=All`` (where the operation has it) followed to its end at page sizes 2 and the default,
holding exactly the objects of ``/_emulator/state`` (each once); every body deserialised into the client's models and
checked against them: the fields the generated models declare required (annotations without ``Optional``) are
present, every value has the declared type, every discriminator names a known subtype, no undeclared property (the
models accept anything: a misspelt field would pass silently otherwise). Every ``begin_delete`` polled to completion;
synchronous deletes; the default views (``ActiveOnly``, ``EnabledOnly``); connection secrets only via ``list_secrets``.

azure-ai-ml 1.35.2's models are TypeSpec-generated (``_utils/model_base.py``): they have no msrest ``_validation`` maps;
required fields and types come from their type annotations (``typing.get_type_hints``) instead.
``test_switches_v2.py`` shows that the list checks fail when the emulator breaks paging or ``listViewType``.
"""

from __future__ import annotations

import datetime
import functools
import typing
from collections import Counter

import pytest

MAX_PAGES = 2000
DEFAULT_PAGE_SIZE = 50
WORKSPACES = ("ws-sales-analytics", "ws_hr-people", "mlresearch01", "Research-Vision-WS", "ws-empty-sandbox")


# -- shapes: the generated models' annotations ---------------------------------------------------

def _mm():
    import azure.ai.ml._restclient.arm_ml_service.models._models as mm
    from azure.ai.ml._restclient.arm_ml_service import models

    return mm, models


@functools.cache
def _hints(cls) -> dict:
    mm, models = _mm()
    return typing.get_type_hints(cls, globalns=vars(mm), localns={"_models": models})


def _is_model(tp) -> bool:
    from azure.ai.ml._restclient.arm_ml_service._utils.model_base import Model

    return isinstance(tp, type) and issubclass(tp, Model)


def _deserialize(cls, raw):
    from azure.ai.ml._restclient.arm_ml_service._utils.model_base import _deserialize

    return _deserialize(cls, raw)


def shape_problems(obj, where: str) -> list[str]:
    """What in a deserialised model breaks the generated model: required fields, types, discriminators, extras."""
    cls = type(obj)
    problems = []
    raw = obj._data  # the JSON object as received
    if "__mapping__" in cls.__dict__ and cls.__mapping__:
        problems.append(f"{where}: discriminator of {cls.__name__} names no known subtype: {dict(raw)!r:.200}")
    hints = _hints(cls)
    declared = set()
    for attr, rf in cls._attr_to_rest_field.items():
        name = rf._rest_name
        declared.add(name)
        hint = hints.get(attr)
        optional = typing.get_origin(hint) is typing.Union and type(None) in typing.get_args(hint)
        if name not in raw or raw[name] is None:
            if not optional and hint is not None:
                problems.append(f"{where}.{name}: required by {cls.__name__}, missing")
            continue
        problems += value_problems(raw[name], hint, f"{where}.{name}")
    extra = sorted(set(raw) - declared)
    if extra:
        problems.append(f"{where}: undeclared properties of {cls.__name__}: {extra}")
    return problems


def value_problems(value, hint, where: str) -> list[str]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is None or hint is typing.Any:
        return []
    if origin is typing.Union:
        options = [a for a in args if a is not type(None)]
        if any(o is str for o in options) and isinstance(value, str):
            return []  # Union[str, SomeEnum]: extensible enums are strings
        attempts = [value_problems(value, o, where) for o in options]
        return [] if any(not a for a in attempts) else attempts[0]
    if origin is list:
        if not isinstance(value, (list, tuple)):
            return [f"{where}: {value!r:.80} is not a list"]
        return [p for i, v in enumerate(value) for p in value_problems(v, args[0] if args else None, f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, (dict, typing.Mapping)):
            return [f"{where}: {value!r:.80} is not an object"]
        return [p for k, v in value.items() for p in value_problems(v, args[1] if len(args) > 1 else None, f"{where}.{k}")]
    if origin is typing.Literal:
        return [] if value in args else [f"{where}: {value!r} is not one of {args}"]
    if hint is str or (isinstance(hint, type) and issubclass(hint, str)):  # str and str enums
        return [] if isinstance(value, str) else [f"{where}: {value!r:.80} is not a string"]
    if hint is bool:
        return [] if isinstance(value, bool) else [f"{where}: {value!r:.80} is not a boolean"]
    if hint is int:
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{where}: {value!r:.80} is not an integer"]
    if hint is float:
        return [] if isinstance(value, (int, float)) and not isinstance(value, bool) else [f"{where}: {value!r:.80} is not a number"]
    if hint is datetime.datetime:
        try:
            datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return [f"{where}: {value!r:.80} is not a date-time"]
        return []
    if hint is datetime.timedelta:
        return [] if isinstance(value, str) and value.startswith("P") else [f"{where}: {value!r:.80} is not a duration"]
    if _is_model(hint):
        if _is_model(type(value)):  # already deserialised (the client caches what it read)
            return shape_problems(value, where)
        if not isinstance(value, dict):
            return [f"{where}: {value!r:.80} is not an object ({hint.__name__})"]
        return shape_problems(_deserialize(hint, value), where)
    return []


def check(obj, where: str) -> None:
    problems = shape_problems(obj, where)
    assert not problems, "\n".join(problems[:30])


# -- lists -------------------------------------------------------------------------------------

def every_page(pager, what: str) -> list:
    """Every item of every page; fails when the list does not end or a page repeats."""
    items, seen_tokens = [], set()
    pages = pager.by_page()
    for n, page in enumerate(pages):
        assert n < MAX_PAGES, f"{what}: the list does not end"
        items.extend(page)
        token = pages.continuation_token
        if token:
            assert token not in seen_tokens, f"{what}: a nextLink repeats: {token}"
            seen_tokens.add(token)
    return items


def once(names, expected, what):
    dupes = [k for k, n in Counter(names).items() if n > 1]
    assert not dupes, f"{what}: listed more than once: {dupes}"
    assert sorted(names) == sorted(expected), f"{what}: the client listed {sorted(names)}, the emulator holds {sorted(expected)}"


def _ws(state, name):
    return next(w for w in state["workspaces"] if w["name"] == name)


def _rg(state, name):
    return _ws(state, name)["resource_group"]


@pytest.fixture(params=[2, DEFAULT_PAGE_SIZE], ids=["page2", "default"])
def page_size(request, emulator):
    emulator.configure(page_size=request.param)
    yield request.param
    emulator.configure(page_size=DEFAULT_PAGE_SIZE)


def _leaf(arm_id: str) -> str:
    return arm_id.rsplit("/", 1)[-1]


@pytest.mark.parametrize("ws_name", WORKSPACES)
def test_every_list_with_list_view_type_all_holds_every_object_once(client, state, emulator, page_size, ws_name):
    w = _ws(state, ws_name)
    o, rg = w["objects"], w["resource_group"]
    args = (rg, ws_name)

    jobs = every_page(client.jobs.list(*args, list_view_type="All"), "jobs")
    once([j.name for j in jobs], [r["id"] for r in o["runs"] if not r["parent_run_id"]], f"{ws_name} jobs")
    for j in jobs:
        check(j, f"jobs/{j.name}")

    for prefix, op in (("model", client.model_containers), ("data", client.data_containers),
                       ("environment", client.environment_containers), ("component", client.component_containers),
                       ("code", client.code_containers)):
        containers = every_page(op.list(*args, **({} if prefix == "code" else {"list_view_type": "All"})),
                                f"{prefix} containers")
        once([c.name for c in containers], [_leaf(c["id"]) for c in o[f"{prefix}_containers"]], f"{ws_name} {prefix} containers")
        versions_op = getattr(client, f"{prefix}_versions")
        for c in containers:
            check(c, f"{prefix}s/{c.name}")
            view = {} if prefix == "code" else {"list_view_type": "All"}  # codes: no listViewType in the spec
            versions = every_page(versions_op.list(*args, c.name, **view), f"{prefix} versions")
            if prefix == "model":
                expected = [m["id"].split(":", 1)[1] for m in o["models"] if m["name"] == c.name]
            else:
                expected = [_leaf(v["id"]) for v in o[f"{prefix}_versions"] if v["parent"] == c.id]
            once([v.name for v in versions], expected, f"{ws_name} {prefix} {c.name} versions")
            for v in versions:
                check(v, f"{prefix}s/{c.name}/versions/{v.name}")

    for kind, endpoints_op, deployments_op in (("online", client.online_endpoints, client.online_deployments),
                                               ("batch", client.batch_endpoints, client.batch_deployments)):
        endpoints = every_page(endpoints_op.list(*args), f"{kind} endpoints")
        once([e.name for e in endpoints], [_leaf(e["id"]) for e in o[f"{kind}_endpoints"]], f"{ws_name} {kind} endpoints")
        for e in endpoints:
            check(e, f"{kind}Endpoints/{e.name}")
            deployments = every_page(deployments_op.list(*args, e.name), f"{kind} deployments")
            once([d.name for d in deployments], [_leaf(d["id"]) for d in o[f"{kind}_deployments"] if d["parent"] == e.id],
                 f"{ws_name} {e.name} deployments")
            for d in deployments:
                check(d, f"{kind}Endpoints/{e.name}/deployments/{d.name}")

    schedules = every_page(client.schedules.list(*args, list_view_type="All"), "schedules")
    once([s.name for s in schedules], [_leaf(s["id"]) for s in o["schedules"]], f"{ws_name} schedules")
    connections = every_page(client.workspace_connections.list(*args), "connections")
    once([c.name for c in connections], [_leaf(c["id"]) for c in o["connections"]], f"{ws_name} connections")
    datastores = every_page(client.datastores.list(*args, count=page_size), "datastores")
    once([d.name for d in datastores],
         [d["name"] for d in o["datastores"] if d["datastore_type"] in ("AzureBlob", "AzureFile", "AzureDataLake")],
         f"{ws_name} datastores")
    computes = every_page(client.compute.list(*args), "computes")
    once([c.id for c in computes], [c["id"] for c in o["computes"]], f"{ws_name} computes")
    for obj in (*schedules, *connections, *datastores, *computes):
        check(obj, obj.id)


def test_registries_of_resource_groups_and_subscription(client, state, page_size):
    regs = every_page(client.registries.list_by_subscription(), "registries")
    once([r.id for r in regs], state["registries"], "registries of the subscription")
    assert regs, "the demo has a registry"
    for r in regs:
        check(r, r.id)
        rg = r.id.split("/")[4]
        assert client.registries.get(rg, r.name).id == r.id
        assert r.id in [x.id for x in every_page(client.registries.list(rg), "registries of a resource group")]


def test_gets_deserialise(client, state):
    w = _ws(state, "ws_hr-people")
    o, args = w["objects"], (w["resource_group"], w["name"])
    run = o["runs"][0]["id"]
    check(client.jobs.get(*args, run), "jobs.get")
    model = o["models"][0]
    check(client.model_versions.get(*args, model["name"], model["id"].split(":", 1)[1]), "model_versions.get")
    check(client.model_containers.get(*args, model["name"]), "model_containers.get")
    version = o["data_versions"][0]
    check(client.data_versions.get(*args, version["parent"].rsplit("/", 1)[1], _leaf(version["id"])), "data_versions.get")
    endpoint = _leaf(o["online_endpoints"][0]["id"])
    check(client.online_endpoints.get(*args, endpoint), "online_endpoints.get")
    check(client.online_deployments.get(*args, endpoint, _leaf(o["online_deployments"][0]["id"])), "online_deployments.get")
    check(client.schedules.get(*args, _leaf(o["schedules"][0]["id"])), "schedules.get")
    check(client.datastores.get(*args, "workspaceblobstore"), "datastores.get")


def demo_compute_instances(w):
    """The demo's ws_hr-people has two compute instances, assigned to two people (scenario count compute_instances)."""
    instances = [c for c in w["objects"]["computes"] if c.get("assigned_user")]
    assert len(instances) == 2 and len({c["assigned_user"] for c in instances}) == 2, instances
    return instances


def test_compute_instances_deserialise_with_their_user(client, emulator, state):
    try:
        w = _ws(state, "ws_hr-people")
        args = (w["resource_group"], w["name"])
        computes = every_page(client.compute.list(*args), "computes")
        once([c.id for c in computes], [c["id"] for c in w["objects"]["computes"]], "computes with instances")
        instances = demo_compute_instances(w)
        for instance in instances:
            ci = client.compute.get(*args, _leaf(instance["id"]))
            check(ci, "compute.get")
            assert ci.properties.compute_type == "ComputeInstance"
            assert ci.properties.properties.personal_compute_instance_settings.assigned_user.object_id == instance["assigned_user"]
    finally:
        emulator.reset()


def test_default_views_leave_archived_and_disabled_objects_out(client, state):
    """``ActiveOnly`` (jobs, assets) and ``EnabledOnly`` (schedules) are the defaults; ``ArchivedOnly``/``DisabledOnly``."""
    w = _ws(state, "ws-sales-analytics")
    o, args = w["objects"], (w["resource_group"], w["name"])
    archived_jobs = {r["id"] for r in o["runs"] if r["job_archived"]}
    assert archived_jobs
    default = {j.name for j in every_page(client.jobs.list(*args), "jobs")}
    assert default == {r["id"] for r in o["runs"] if not r["parent_run_id"]} - archived_jobs
    assert {j.name for j in every_page(client.jobs.list(*args, list_view_type="ArchivedOnly"), "jobs")} == archived_jobs
    assert all(j.properties.is_archived for j in every_page(client.jobs.list(*args, list_view_type="ArchivedOnly"), "jobs"))
    archived_data = {_leaf(c["id"]) for c in o["data_containers"] if c["archived"]}
    assert archived_data and not archived_data & {c.name for c in every_page(client.data_containers.list(*args), "data")}
    disabled = {_leaf(s["id"]) for s in o["schedules"] if not s["enabled"]}
    assert disabled
    assert not disabled & {s.name for s in every_page(client.schedules.list(*args), "schedules")}
    assert {s.name for s in every_page(client.schedules.list(*args, list_view_type="DisabledOnly"), "schedules")} == disabled


def test_connection_secrets_only_through_list_secrets(client, emulator, state):
    w = _ws(state, "ws_hr-people")
    args = (w["resource_group"], w["name"])
    canaries = {s for s in emulator.secrets() if s.startswith("EMULATOR-SECRET-connection-")}
    assert canaries
    for c in every_page(client.workspace_connections.list(*args), "connections"):
        assert "credentials" not in c.properties._data, c.name
        assert not any(s in str(c._data) for s in canaries)
        with_secrets = client.workspace_connections.list_secrets(*args, c.name)
        check(with_secrets, f"connections/{c.name}/listsecrets")
        assert any(s in str(with_secrets.properties.credentials._data) for s in canaries), c.name
    for d in every_page(client.datastores.list(*args), "datastores"):
        assert not any(s in str(d._data) for s in canaries), d.name


def test_every_begin_delete_completes_and_erases(client, emulator, state):
    """Long-running deletes polled to completion by the client; the objects (and what they take) are gone."""
    w = _ws(state, "ws_hr-people")
    args = (w["resource_group"], w["name"])
    o = w["objects"]
    from azure.core.exceptions import ResourceNotFoundError

    try:
        run = o["runs"][0]
        client.jobs.begin_delete(*args, run["id"]).result()
        with pytest.raises(ResourceNotFoundError):
            client.jobs.get(*args, run["id"])
        endpoint = _leaf(o["online_endpoints"][0]["id"])
        deployment = _leaf(o["online_deployments"][0]["id"])
        client.online_deployments.begin_delete(*args, endpoint, deployment).result()
        client.online_endpoints.begin_delete(*args, endpoint).result()
        batch = _leaf(o["batch_endpoints"][0]["id"])
        client.batch_deployments.begin_delete(*args, batch, _leaf(o["batch_deployments"][0]["id"])).result()
        client.batch_endpoints.begin_delete(*args, batch).result()
        client.schedules.begin_delete(*args, _leaf(o["schedules"][0]["id"])).result()
        instance = demo_compute_instances(w)[0]
        client.compute.begin_delete(*args, _leaf(instance["id"]), underlying_resource_action="Delete").result()
        after = _ws(emulator.state(), w["name"])["objects"]
        assert run["id"] not in {r["id"] for r in after["runs"]}
        assert not [m for m in after["metrics"] + after["metrics_v2"] + after["artifacts"] if m["run_id"] == run["id"]]
        assert not after["online_endpoints"] and not after["online_deployments"]
        assert not after["batch_endpoints"] and not after["batch_deployments"]  # an endpoint takes its deployments
        assert _leaf(o["schedules"][0]["id"]) not in {_leaf(s["id"]) for s in after["schedules"]}
        assert instance["id"] not in {c["id"] for c in after["computes"]}
        ops = [e["op"] for e in emulator.journal()]
        assert ops.count("v2_operations.status") >= 7, Counter(ops)
    finally:
        emulator.reset()


def test_synchronous_deletes(client, emulator, state):
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    w = _ws(state, "ws_hr-people")
    args = (w["resource_group"], w["name"])
    o = w["objects"]
    try:
        container = o["code_containers"][0]
        name = _leaf(container["id"])
        with pytest.raises(HttpResponseError) as info:  # versions first
            client.code_containers.delete(*args, name)
        assert info.value.status_code == 409
        for v in [v for v in o["code_versions"] if v["parent"] == container["id"]]:
            client.code_versions.delete(*args, name, _leaf(v["id"]))
        client.code_containers.delete(*args, name)
        with pytest.raises(ResourceNotFoundError):
            client.code_containers.get(*args, name)
        model = o["models"][0]
        client.model_versions.delete(*args, model["name"], model["id"].split(":", 1)[1])
        client.workspace_connections.delete(*args, _leaf(o["connections"][0]["id"]))
        client.datastores.delete(*args, "shared_sas")
        after = _ws(emulator.state(), w["name"])["objects"]
        assert model["id"] not in {m["id"] for m in after["models"]}  # the v1 model: one object
        assert "shared_sas" not in {d["id"] for d in after["datastores"]}
        assert len(after["connections"]) == len(o["connections"]) - 1
    finally:
        emulator.reset()
