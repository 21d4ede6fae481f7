"""ARM (management.azure.com): workspaces, computes, and the workspace delete long-running operation.

Spec: resource-manager 2019-11-01 machineLearningServices.json; delete/LRO semantics from the ARM RPC
(API-NOTES 1.2); soft delete / ``forceToPurge`` from the public behaviour documented in docs/emulator.md.
"""

from __future__ import annotations

import bisect
import uuid

from .. import objects as ob
from .. import objects_v2 as v2
from ..context import Ctx
from ..errors import ApiError
from ..routing import WS, Route
from ..store import PROVIDER, Operation

# forceToPurge exists from this api-version on (Workspaces_Delete in 2023-04-01-preview).
PURGE_API_VERSION = "2023-04-01"
OPS_BASE = "/subscriptions/{subscription_id}/providers/Microsoft.MachineLearningServices/locations/{location}"


def _page(ctx: Ctx, keyed: list[tuple[str, dict]], body_of) -> dict:
    """ARM list page over (sort key, object) pairs: ``{value, nextLink}`` with ``$skiptoken``."""
    after = ctx.decode_token(ctx.q("$skiptoken"))
    keys = [k for k, _ in keyed]
    start = 0 if after is None else bisect.bisect_right(keys, after)
    size = ctx.page_size(ctx.q_int("$top"))
    chunk = keyed[start:start + size]
    body: dict = {"value": [body_of(obj) for _, obj in chunk]}
    if start + size < len(keyed):
        body["nextLink"] = ctx.link_with("$skiptoken", ctx.encode_token(chunk[-1][0]))
    return body


async def list_subscription(ctx: Ctx):
    sub = ctx.params["subscription_id"]
    if not ctx.store.has_subscription(sub):
        raise ApiError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
    return ctx.json(_list_workspaces(ctx, sub, None))


async def list_resource_group(ctx: Ctx):
    sub, rg = ctx.params["subscription_id"], ctx.params["resource_group"]
    if not ctx.store.has_subscription(sub):
        raise ApiError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
    if not ctx.store.has_resource_group(sub, rg):
        raise ApiError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
    return ctx.json(_list_workspaces(ctx, sub, rg))


def _list_workspaces(ctx: Ctx, sub: str, rg: str | None) -> dict:
    api = ctx.q("api-version") or ""
    keyed = [(ws.arm_id.lower(), ws) for ws in ctx.store.active_workspaces(sub, rg)]
    return _page(ctx, keyed, lambda ws: ob.workspace_arm(ws, ctx.base_url, api))


async def get_workspace(ctx: Ctx):
    ws = ctx.workspace()
    return ctx.json(ob.workspace_arm(ws, ctx.base_url, ctx.q("api-version") or ""))


async def delete_workspace(ctx: Ctx):
    """202 + Location/Azure-AsyncOperation/Retry-After; 204 when there is nothing (left) to delete."""
    p = ctx.params
    api = ctx.q("api-version") or ""
    store = ctx.store
    if not store.has_subscription(p["subscription_id"]) or not store.has_resource_group(p["subscription_id"], p["resource_group"]):
        raise ctx.arm_not_found()
    force = api[:10] >= PURGE_API_VERSION and ctx.q_bool("forceToPurge", False)
    ws = store.find_workspace(p["subscription_id"], p["resource_group"], p["workspace_name"])
    if ws is None:
        return ctx.empty(204)
    if ws.status == "soft_deleted":
        if not force:
            return ctx.empty(204)  # already deleted as far as ARM is concerned
        op = store.pending_operation("workspace_delete", ws.key) or _start(ctx, ws, purge=True)
        return _accepted(ctx, op, api)
    op = store.pending_operation("workspace_delete", ws.key)
    if op is None:
        op = _start(ctx, ws, purge=force or not ctx.config.soft_delete)
    elif force:
        op.purge = True
    ws.provisioning_state = "Deleting"
    return _accepted(ctx, op, api)


def _start(ctx: Ctx, ws, purge: bool) -> Operation:
    op = Operation(id=str(uuid.uuid4()), kind="workspace_delete", workspace_key=ws.key, location=ws.location,
                   subscription_id=ws.subscription_id, purge=purge, needed_polls=ctx.config.lro_polls,
                   max_seconds=ctx.config.lro_seconds)
    ctx.store.add_operation(op)
    return op


def _op_urls(ctx: Ctx, op: Operation, api: str) -> tuple[str, str]:
    base = f"{ctx.base_url}/subscriptions/{op.subscription_id}/providers/{PROVIDER}/locations/{op.location}"
    return (f"{base}/workspaceOperationsStatus/{op.id}?api-version={api}",
            f"{base}/workspaceOperationsResults/{op.id}?api-version={api}")


def _accepted(ctx: Ctx, op: Operation, api: str):
    status_url, result_url = _op_urls(ctx, op, api)
    return ctx.empty(202, {"Location": result_url, "Azure-AsyncOperation": status_url,
                           "Retry-After": str(ctx.config.retry_after)})


def find_operation(ctx: Ctx, kind: str) -> Operation:
    """The operation of the URL (its id, subscription and location) if it is of ``kind``; else ARM's 404."""
    op = ctx.store.operations.get(ctx.params["operation_id"])
    if (op is None or op.kind != kind
            or op.subscription_id.lower() != ctx.params["subscription_id"].lower()
            or op.location.lower() != ctx.params["location"].lower()):
        raise ApiError(404, "NotFound", f"The operation '{ctx.params['operation_id']}' was not found.")
    return op


def _operation(ctx: Ctx) -> Operation:
    return find_operation(ctx, "workspace_delete")


async def operation_status(ctx: Ctx):
    """Azure-AsyncOperation poll: always 200; ``status`` InProgress until the operation is done."""
    op = _operation(ctx)
    ctx.store.poll(op)
    body = {"id": ctx.request.path, "name": op.id, "status": "Succeeded" if op.done else "InProgress",
            "startTime": op.started}
    if op.done:
        body["endTime"] = op.ended
        body["percentComplete"] = 100.0
    return ctx.json(body)


async def operation_result(ctx: Ctx):
    """Location poll: 202 (no body) while running, 204 once done."""
    op = _operation(ctx)
    ctx.store.poll(op)
    if not op.done:
        _, result_url = _op_urls(ctx, op, ctx.q("api-version") or "")
        return ctx.empty(202, {"Location": result_url, "Retry-After": str(ctx.config.retry_after)})
    return ctx.empty(204)


async def list_computes(ctx: Ctx):
    ws = ctx.workspace()
    table = ws.table("computes")
    keyed = [(k, table.items[k]) for k in table.sorted_keys() if _served(ctx, table.items[k])]
    return ctx.json(_page(ctx, keyed, _compute_body(ctx, ws)))


# computeType ComputeInstance exists from this api-version on; an older one cannot represent it (an assumption:
# docs/emulator.md) and lists leave compute instances out, a GET answers 404
COMPUTE_INSTANCE_API_VERSION = "2020-01-01"


def _served(ctx: Ctx, compute: dict) -> bool:
    return (compute["properties"].get("computeType") != "ComputeInstance"
            or (ctx.q("api-version") or "")[:10] >= COMPUTE_INSTANCE_API_VERSION)


def _compute_body(ctx: Ctx, ws):
    """Computes as stored (2019-11-01); with ``systemData`` for api-versions that have it (from 2020-09-01)."""
    if (ctx.q("api-version") or "") >= "2020-09-01":
        return lambda c: v2.compute_v2(ws, c, ctx.store.users)
    return lambda c: c


async def get_compute(ctx: Ctx):
    ws = ctx.workspace()
    name = ctx.params["compute_name"]
    obj = ws.table("computes").get(name)
    if obj is None or not _served(ctx, obj):
        raise ApiError(404, "ResourceNotFound",
                       f"The Resource 'Microsoft.MachineLearningServices/workspaces/{ws.name}/computes/{name}' under "
                       f"resource group '{ws.resource_group}' was not found. For more details please go to "
                       "https://aka.ms/ARMResourceNotFoundFix")
    return ctx.json(_compute_body(ctx, ws)(obj))


WORKSPACES = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/workspaces"

ROUTES = [
    Route("workspaces.list_subscription", "arm", "GET",
          "/subscriptions/{subscription_id}/providers/Microsoft.MachineLearningServices/workspaces", list_subscription),
    Route("workspaces.list", "arm", "GET", WORKSPACES, list_resource_group),
    Route("workspaces.get", "arm", "GET", WS, get_workspace),
    Route("workspaces.delete", "arm", "DELETE", WS, delete_workspace),
    Route("workspaces.operation_status", "arm", "GET", OPS_BASE + "/workspaceOperationsStatus/{operation_id}",
          operation_status),
    Route("workspaces.operation_result", "arm", "GET", OPS_BASE + "/workspaceOperationsResults/{operation_id}",
          operation_result),
    Route("computes.list", "arm", "GET", WS + "/computes", list_computes),
    Route("computes.get", "arm", "GET", WS + "/computes/{compute_name}", get_compute),
]
