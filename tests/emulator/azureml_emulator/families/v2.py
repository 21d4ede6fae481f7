"""The v2 resources under a workspace (ARM, api-version 2025-12-01; ``mfe.json``/``workspaceRP.json``), and registries.

One store, two views: a job is the run of the same id (run history's table), a model version the v1 model
``name:version``, a v2 datastore the v1 datastore of the same name, computes the existing compute table. The kinds
only the v2 API has live in their own tables (``store.KINDS``), stored as the bodies served.

- Lists: ``{value, nextLink}``; ``nextLink`` absolute with ``$skipToken`` (``$skip`` accepted too), keyset order of the
  kind's id; ``$top`` (or ``count``) caps the page. ``listViewType``: ``ActiveOnly`` (default), ``ArchivedOnly``, ``All``
  on jobs and asset containers/versions (``properties.isArchived``) except codes (no such parameter); schedules
  ``EnabledOnly`` (default), ``DisabledOnly``, ``All``.
  Jobs lists leave out the child jobs of pipelines (runs with ``parentRunId``): they are only in run history (a GET by
  name still finds them).
- Deletes: jobs, endpoints, deployments, schedules and computes are long-running (202 + ``Location`` +
  ``Azure-AsyncOperation`` + ``Retry-After``, polled like the workspace delete); asset versions and containers,
  connections and datastores are synchronous (200, then 204). A container with versions left answers 409. Deleting a
  job removes its run, metrics and artifacts from run history; an endpoint takes its deployments; a pipeline job does
  not take its child jobs (docs/emulator.md).
- Connections never show their credentials; ``POST .../connections/{name}/listsecrets`` does (a read, not a mutation).
"""

from __future__ import annotations

import bisect
import uuid

from .. import objects_v2 as v2
from ..context import Ctx
from ..errors import ApiError, bad_request
from ..routing import WS, Route
from ..store import PROVIDER, Operation, Table, Workspace, delete_v2
from .arm import find_operation

OPS_BASE = "/subscriptions/{subscription_id}/providers/Microsoft.MachineLearningServices/locations/{location}"
REGISTRIES = "/providers/Microsoft.MachineLearningServices/registries"
ARCHIVE_VIEWS = {"activeonly": False, "archivedonly": True, "all": None}  # archived? (None: both)
SCHEDULE_VIEWS = {"enabledonly": True, "disabledonly": False, "all": None}  # enabled? (None: both)


# -- paging and views ------------------------------------------------------------------------

def arm_page(ctx: Ctx, table: Table, *, group: str | None = None, grouped: bool = False, predicate=None,
             transform=None) -> dict:
    """An ARM list page over a table in key order: ``{value, nextLink}`` (``$skipToken``; absent on the last page)."""
    token = ctx.q("$skipToken") or ctx.q("$skip")
    after = ctx.decode_token(token)
    items, last = table.page_after(after, ctx.page_size(ctx.q_int("$top"), ctx.q_int("count")), group=group, grouped=grouped,
                                   predicate=predicate)
    body: dict = {"value": [transform(o) for o in items] if transform else items}
    if last is not None:
        body["nextLink"] = ctx.link_with("$skipToken", ctx.encode_token(last))
    return body


def _view(ctx: Ctx, views: dict, default: str):
    """The wanted value of the view flag (None: every object) from ``listViewType``; the switch ``v2_list_view_type``
    off ignores the parameter (every list answers its default view)."""
    raw = ctx.q("listViewType")
    key = (raw or default).lower()
    if key not in views:
        raise bad_request("arm", f"The value '{raw}' is not valid for listViewType ({', '.join(views)}).")
    if not ctx.config.v2_list_view_type:
        key = default.lower()
    return views[key]


def archive_filter(ctx: Ctx, is_archived):
    wanted = _view(ctx, ARCHIVE_VIEWS, "ActiveOnly")
    return None if wanted is None else (lambda o: is_archived(o) == wanted)


def _native_archived(obj: dict) -> bool:
    return bool(obj["properties"].get("isArchived"))


def _missing(ctx: Ctx, ws: Workspace, what: str) -> ApiError:
    return ApiError(404, "ResourceNotFound",
                    f"The Resource 'Microsoft.MachineLearningServices/workspaces/{ws.name}/{what}' under resource group "
                    f"'{ws.resource_group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def _id(ws: Workspace, *parts: str) -> str:
    return "/".join([ws.arm_id, *parts])


# -- long-running deletes --------------------------------------------------------------------

def _op_urls(ctx: Ctx, op: Operation) -> tuple[str, str]:
    # (run history's experiment delete sends no api-version: its operation URLs carry the ARM one, an assumption)
    api = ctx.q("api-version") or "2025-12-01"
    base = f"{ctx.base_url}/subscriptions/{op.subscription_id}/providers/{PROVIDER}/locations/{op.location}"
    return f"{base}/mfeOperationsStatus/{op.id}?api-version={api}", f"{base}/mfeOperationResults/{op.id}?api-version={api}"


def start_delete(ctx: Ctx, ws: Workspace, kind: str, key: str, obj: dict | None):
    """202 with the operation's URLs; the object goes when the operation finishes (a second DELETE: the same one)."""
    target = f"{kind}|{key}"
    op = ctx.store.pending_operation("v2_delete", ws.key, target)
    if op is None:
        op = Operation(id=f"{kind.rstrip('s')}delete:{uuid.uuid4()}", kind="v2_delete", workspace_key=ws.key,
                       location=ws.location, subscription_id=ws.subscription_id, target=target,
                       needed_polls=ctx.config.lro_polls, max_seconds=ctx.config.lro_seconds)
        ctx.store.add_operation(op)
        if obj is not None and isinstance(obj.get("properties"), dict) and "provisioningState" in obj["properties"]:
            obj["properties"]["provisioningState"] = "Deleting"
    status_url, result_url = _op_urls(ctx, op)
    return ctx.empty(202, {"Location": result_url, "Azure-AsyncOperation": status_url,
                           "Retry-After": str(ctx.config.retry_after)})


def _operation(ctx: Ctx) -> Operation:
    return find_operation(ctx, "v2_delete")


async def operation_status(ctx: Ctx):
    op = _operation(ctx)
    ctx.store.poll(op)
    body = {"id": ctx.request.path, "name": op.id, "status": "Succeeded" if op.done else "InProgress",
            "startTime": op.started}
    if op.done:
        body.update(endTime=op.ended, percentComplete=100.0)
    return ctx.json(body)


async def operation_result(ctx: Ctx):
    op = _operation(ctx)
    ctx.store.poll(op)
    if not op.done:
        return ctx.empty(202, {"Location": _op_urls(ctx, op)[1], "Retry-After": str(ctx.config.retry_after)})
    return ctx.empty(204)


def sync_delete(ws: Workspace, kind: str, key: str, exists: bool):
    if not exists:
        return Ctx.empty(204)
    delete_v2(ws, kind, key)
    return Ctx.empty(200)


# -- jobs (the runs of run history) ----------------------------------------------------------

def _job_body(ctx: Ctx, ws: Workspace):
    exps = ws.table("experiments")
    runs = ws.table("runs")

    def body(run: dict) -> dict:
        exp = exps.get(runs.group_of.get(run["runId"]) or "") or {}
        return v2.job(ws, run, ctx.store.users, exp.get("name", ""), ("runs", run["runId"]) in ws.archived)
    return body


async def list_jobs(ctx: Ctx):
    ws = ctx.workspace()
    view = archive_filter(ctx, lambda r: ("runs", r["runId"]) in ws.archived)
    return ctx.json(arm_page(ctx, ws.table("runs"), transform=_job_body(ctx, ws),
                             predicate=lambda r: not r.get("parentRunId") and (view is None or view(r))))


def _run(ctx: Ctx, ws: Workspace) -> dict | None:
    return ws.table("runs").get(ctx.params["name"])


async def get_job(ctx: Ctx):
    ws = ctx.workspace()
    run = _run(ctx, ws)
    if run is None:
        raise _missing(ctx, ws, f"jobs/{ctx.params['name']}")
    return ctx.json(_job_body(ctx, ws)(run))


async def delete_job(ctx: Ctx):
    ws = ctx.workspace()
    run = _run(ctx, ws)
    if run is None:
        return ctx.empty(204)
    return start_delete(ctx, ws, "jobs", run["runId"], None)


# -- assets: containers and versions ---------------------------------------------------------

def _asset(ctx: Ctx) -> tuple[str, str]:
    """(state kind prefix, ARM path segment) of the route."""
    return ctx.route.options["prefix"], ctx.route.options["path"]


def _asset_view(ctx: Ctx):
    """Codes have no ``listViewType`` in the 2025-12-01 spec: their lists hold every code, archived ones too (an
    assumption, docs/emulator.md); the other assets honour it."""
    return None if ctx.route.options["prefix"] == "code" else archive_filter(ctx, _native_archived)


async def list_containers(ctx: Ctx):
    ws = ctx.workspace()
    prefix, _ = _asset(ctx)
    return ctx.json(arm_page(ctx, ws.table(f"{prefix}_containers"), predicate=_asset_view(ctx)))


async def get_container(ctx: Ctx):
    ws = ctx.workspace()
    prefix, path = _asset(ctx)
    obj = ws.table(f"{prefix}_containers").get(_id(ws, path, ctx.params["name"]))
    if obj is None:
        raise _missing(ctx, ws, f"{path}/{ctx.params['name']}")
    return ctx.json(obj)


def _model_versions(ws: Workspace, name: str) -> list[str]:
    return [k for k, m in ws.table("models").items.items() if m.get("name") == name]


async def delete_container(ctx: Ctx):
    ws = ctx.workspace()
    prefix, path = _asset(ctx)
    key = _id(ws, path, ctx.params["name"])
    exists = ws.table(f"{prefix}_containers").get(key) is not None
    if exists:
        left = (_model_versions(ws, ctx.params["name"]) if prefix == "model"
                else [k for k, g in ws.table(f"{prefix}_versions").group_of.items() if g == key])
        if left:
            raise ApiError(409, "Conflict", f"Cannot delete {path} container '{ctx.params['name']}': it still has "
                                            f"{len(left)} version(s); delete them first.")
    return sync_delete(ws, f"{prefix}_containers", key, exists)


def _model_version_body(ctx: Ctx, ws: Workspace):
    return lambda m: v2.model_version(ws, m, ctx.store.users, ("models", m["id"]) in ws.archived)


async def list_versions(ctx: Ctx):
    ws = ctx.workspace()
    prefix, path = _asset(ctx)
    name = ctx.params["name"]
    if prefix == "model":  # the v1 models of that name
        view = archive_filter(ctx, lambda m: ("models", m["id"]) in ws.archived)
        return ctx.json(arm_page(ctx, ws.table("models"), transform=_model_version_body(ctx, ws),
                                 predicate=lambda m: m.get("name") == name and (view is None or view(m))))
    return ctx.json(arm_page(ctx, ws.table(f"{prefix}_versions"), group=_id(ws, path, name), grouped=True,
                             predicate=_asset_view(ctx)))


async def get_version(ctx: Ctx):
    ws = ctx.workspace()
    prefix, path = _asset(ctx)
    name, version = ctx.params["name"], ctx.params["version"]
    if prefix == "model":
        model = ws.table("models").get(f"{name}:{version}")
        if model is None:
            raise _missing(ctx, ws, f"models/{name}/versions/{version}")
        return ctx.json(_model_version_body(ctx, ws)(model))
    obj = ws.table(f"{prefix}_versions").get(_id(ws, path, name, "versions", version))
    if obj is None:
        raise _missing(ctx, ws, f"{path}/{name}/versions/{version}")
    return ctx.json(obj)


async def delete_version(ctx: Ctx):
    ws = ctx.workspace()
    prefix, path = _asset(ctx)
    name, version = ctx.params["name"], ctx.params["version"]
    if prefix == "model":
        key = f"{name}:{version}"
        return sync_delete(ws, "model_versions", key, ws.table("models").get(key) is not None)
    key = _id(ws, path, name, "versions", version)
    return sync_delete(ws, f"{prefix}_versions", key, ws.table(f"{prefix}_versions").get(key) is not None)


# -- endpoints, deployments, schedules, connections (v2-only tables) --------------------------

def _kind(ctx: Ctx) -> str:
    return ctx.route.options["kind"]


def _key(ctx: Ctx, ws: Workspace) -> str:
    o = ctx.route.options
    if "parent_path" in o:
        return _id(ws, o["parent_path"], ctx.params["parent"], o["path"], ctx.params["name"])
    return _id(ws, o["path"], ctx.params["name"])


async def list_native(ctx: Ctx):
    ws = ctx.workspace()
    o = ctx.route.options
    predicate = None
    if _kind(ctx) == "schedules":
        wanted = _view(ctx, SCHEDULE_VIEWS, "EnabledOnly")
        predicate = None if wanted is None else (lambda s: bool(s["properties"].get("isEnabled")) == wanted)
    if "parent_path" in o:
        parent = _id(ws, o["parent_path"], ctx.params["parent"])
        if ws.table(o["parent_kind"]).get(parent) is None:
            raise _missing(ctx, ws, f"{o['parent_path']}/{ctx.params['parent']}")
        return ctx.json(arm_page(ctx, ws.table(_kind(ctx)), group=parent, grouped=True, predicate=predicate))
    return ctx.json(arm_page(ctx, ws.table(_kind(ctx)), predicate=predicate))


async def get_native(ctx: Ctx):
    ws = ctx.workspace()
    obj = ws.table(_kind(ctx)).get(_key(ctx, ws))
    if obj is None:
        raise _missing(ctx, ws, _key(ctx, ws)[len(ws.arm_id) + 1:])
    return ctx.json(obj)


async def delete_native(ctx: Ctx):
    ws = ctx.workspace()
    key = _key(ctx, ws)
    obj = ws.table(_kind(ctx)).get(key)
    if ctx.route.options.get("lro"):
        return ctx.empty(204) if obj is None else start_delete(ctx, ws, _kind(ctx), key, obj)
    return sync_delete(ws, _kind(ctx), key, obj is not None)


async def list_connection_secrets(ctx: Ctx):
    ws = ctx.workspace()
    key = _key(ctx, ws)
    obj = ws.table("connections").get(key)
    if obj is None:
        raise _missing(ctx, ws, f"connections/{ctx.params['name']}")
    body = {**obj, "properties": {**obj["properties"], "credentials": dict(ws.connection_secrets.get(key, {}))}}
    return ctx.json(body)


# -- the v2 view of datastores and computes --------------------------------------------------

def _datastore_body(ws: Workspace):
    return lambda ds: v2.datastore(ws, ds, ws.created_by)


async def list_datastores(ctx: Ctx):
    ws = ctx.workspace()
    body = _datastore_body(ws)
    return ctx.json(arm_page(ctx, ws.table("datastores"), predicate=lambda ds: body(ds) is not None, transform=body))


def _datastore(ctx: Ctx, ws: Workspace) -> dict | None:
    ds = ws.table("datastores").get(ctx.params["name"])
    return ds if ds is not None and _datastore_body(ws)(ds) is not None else None


async def get_datastore(ctx: Ctx):
    ws = ctx.workspace()
    ds = _datastore(ctx, ws)
    if ds is None:
        raise _missing(ctx, ws, f"datastores/{ctx.params['name']}")
    return ctx.json(_datastore_body(ws)(ds))


async def delete_datastore(ctx: Ctx):
    """Removes the registration (the v1 datastore of that name too: one object); the data stays where it is."""
    ws = ctx.workspace()
    ds = _datastore(ctx, ws)
    return sync_delete(ws, "datastores", ctx.params["name"], ds is not None)


async def delete_compute(ctx: Ctx):
    ws = ctx.workspace()
    obj = ws.table("computes").get(ctx.params["compute_name"])
    if obj is None:
        return ctx.empty(204)
    return start_delete(ctx, ws, "computes", ctx.params["compute_name"], obj)


# -- registries (resource group level, read-only) --------------------------------------------

def _registries(ctx: Ctx, rg: str | None) -> list[dict]:
    sub = ctx.params["subscription_id"].lower()
    out = []
    for where, regs in ctx.store.registries.items():
        s, _, r = where.partition("/")
        if s == sub and (rg is None or r == rg.lower()):
            out.extend(regs.values())
    return sorted(out, key=lambda r: r["id"].lower())


def _registry_page(ctx: Ctx, regs: list[dict]) -> dict:
    after = ctx.decode_token(ctx.q("$skipToken") or ctx.q("$skip"))
    keys = [r["id"].lower() for r in regs]
    start = 0 if after is None else bisect.bisect_right(keys, after)
    size = ctx.page_size(ctx.q_int("$top"))
    chunk = regs[start:start + size]
    body: dict = {"value": chunk}
    if start + size < len(regs):
        body["nextLink"] = ctx.link_with("$skipToken", ctx.encode_token(chunk[-1]["id"].lower()))
    return body


def _check_scope(ctx: Ctx, rg: str | None) -> None:
    sub = ctx.params["subscription_id"]
    if not ctx.store.has_subscription(sub):
        raise ApiError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
    if rg is not None and not ctx.store.has_resource_group(sub, rg):
        raise ApiError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")


async def list_registries(ctx: Ctx):
    rg = ctx.params.get("resource_group")
    _check_scope(ctx, rg)
    return ctx.json(_registry_page(ctx, _registries(ctx, rg)))


async def get_registry(ctx: Ctx):
    rg = ctx.params["resource_group"]
    _check_scope(ctx, rg)
    reg = next((r for r in _registries(ctx, rg) if r["name"].lower() == ctx.params["name"].lower()), None)
    if reg is None:
        raise ApiError(404, "ResourceNotFound", f"The Resource 'Microsoft.MachineLearningServices/registries/"
                                                f"{ctx.params['name']}' under resource group '{rg}' was not found.")
    return ctx.json(reg)


# -- the route table -------------------------------------------------------------------------

# v2-only kinds with their own table: (kind, path, parent (kind, path) or None, long-running delete)
NATIVE = (
    ("online_endpoints", "onlineEndpoints", None, True),
    ("online_deployments", "deployments", ("online_endpoints", "onlineEndpoints"), True),
    ("batch_endpoints", "batchEndpoints", None, True),
    ("batch_deployments", "deployments", ("batch_endpoints", "batchEndpoints"), True),
    ("schedules", "schedules", None, True),
    ("connections", "connections", None, False),
)


def _routes() -> list[Route]:
    rows = [
        Route("jobs.list", "arm", "GET", WS + "/jobs", list_jobs, "current"),
        Route("jobs.get", "arm", "GET", WS + "/jobs/{name}", get_job, "current"),
        Route("jobs.delete", "arm", "DELETE", WS + "/jobs/{name}", delete_job, "current"),
        Route("datastores_v2.list", "arm", "GET", WS + "/datastores", list_datastores, "current"),
        Route("datastores_v2.get", "arm", "GET", WS + "/datastores/{name}", get_datastore, "current"),
        Route("datastores_v2.delete", "arm", "DELETE", WS + "/datastores/{name}", delete_datastore, "current"),
        Route("computes.delete", "arm", "DELETE", WS + "/computes/{compute_name}", delete_compute, "current"),
        Route("v2_operations.status", "arm", "GET", OPS_BASE + "/mfeOperationsStatus/{operation_id}", operation_status,
              "current"),
        Route("v2_operations.result", "arm", "GET", OPS_BASE + "/mfeOperationResults/{operation_id}", operation_result,
              "current"),
        Route("registries.list_subscription", "arm", "GET", "/subscriptions/{subscription_id}" + REGISTRIES,
              list_registries, "current"),
        Route("registries.list", "arm", "GET", "/subscriptions/{subscription_id}/resourceGroups/{resource_group}" + REGISTRIES,
              list_registries, "current"),
        Route("registries.get", "arm", "GET",
              "/subscriptions/{subscription_id}/resourceGroups/{resource_group}" + REGISTRIES + "/{name}", get_registry,
              "current"),
    ]
    for prefix, path in v2.ASSET_KINDS:
        opts = {"prefix": prefix, "path": path}
        c, vv = f"{prefix}_containers", f"{prefix}_versions"
        rows += [
            Route(f"{c}.list", "arm", "GET", f"{WS}/{path}", list_containers, "current", options=opts),
            Route(f"{c}.get", "arm", "GET", f"{WS}/{path}/{{name}}", get_container, "current", options=opts),
            Route(f"{c}.delete", "arm", "DELETE", f"{WS}/{path}/{{name}}", delete_container, "current", options=opts),
            Route(f"{vv}.list", "arm", "GET", f"{WS}/{path}/{{name}}/versions", list_versions, "current", options=opts),
            Route(f"{vv}.get", "arm", "GET", f"{WS}/{path}/{{name}}/versions/{{version}}", get_version, "current",
                  options=opts),
            Route(f"{vv}.delete", "arm", "DELETE", f"{WS}/{path}/{{name}}/versions/{{version}}", delete_version, "current",
                  options=opts),
        ]
    for kind, path, parent, lro in NATIVE:
        opts: dict = {"kind": kind, "path": path, "lro": lro}
        base = f"{WS}/{path}"
        if parent:
            opts.update(parent_kind=parent[0], parent_path=parent[1])
            base = f"{WS}/{parent[1]}/{{parent}}/{path}"
        rows += [
            Route(f"{kind}.list", "arm", "GET", base, list_native, "current", options=opts),
            Route(f"{kind}.get", "arm", "GET", base + "/{name}", get_native, "current", options=opts),
            Route(f"{kind}.delete", "arm", "DELETE", base + "/{name}", delete_native, "current", options=opts),
        ]
    rows.append(Route("connections.list_secrets", "arm", "POST", WS + "/connections/{name}/listsecrets",
                      list_connection_secrets, "current", mutating=False,
                      options={"kind": "connections", "path": "connections"}))
    return rows


ROUTES = _routes()
