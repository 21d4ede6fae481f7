"""Model management: models, assets, images, services, and the service-delete operations.

Spec: data-plane 2019-09-30 modelManagement.json (images from azureml-core, API-NOTES 2).
Documented routes ``/api{ws}/...``; current routes ``/modelmanagement/v1.0{ws}/...`` share the handlers.
Lists: ``{value, nextLink}`` with an absolute ``nextLink`` carrying ``$skipToken``; ``count`` caps the page.
Deletes: 200, then 204 once gone; 412 ``DeletionRequired`` while something still uses the object;
a service on AKS answers 202 + ``Operation-Location`` and goes away when the operation completes.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

from ..context import Ctx
from ..errors import ApiError, not_found
from ..routing import WS, Route
from ..store import Operation, Workspace

SINGULAR = {"models": "model", "assets": "asset", "images": "image", "services": "service"}
# query parameter -> predicate builder, per kind (the spec's list filters the emulator honours)
FILTERS = {
    "models": {"name": lambda v: lambda o: o.get("name") == v,
               "runId": lambda v: lambda o: o.get("runId") == v,
               "framework": lambda v: lambda o: o.get("framework") == v},
    "assets": {"name": lambda v: lambda o: o.get("name") == v,
               "runId": lambda v: lambda o: o.get("runid") == v},
    "images": {"name": lambda v: lambda o: o.get("name") == v,
               "modelId": lambda v: lambda o: v in o.get("modelIds", []),
               "modelName": lambda v: lambda o: any(m.split(":")[0] == v for m in o.get("modelIds", []))},
    "services": {"name": lambda v: lambda o: o.get("name") == v,
                 "imageId": lambda v: lambda o: o.get("imageId") == v,
                 "imageName": lambda v: lambda o: o.get("imageId", "").split(":")[0] == v,
                 "modelId": lambda v: lambda o: any(m.get("id") == v for m in o.get("models", [])),
                 "modelName": lambda v: lambda o: any(m.get("name") == v for m in o.get("models", [])),
                 "computeType": lambda v: lambda o: o.get("computeType", "").lower() == v.lower()},
}


async def list_objects(ctx: Ctx):
    kind = ctx.route.options["kind"]
    ws = ctx.workspace()
    preds = [FILTERS[kind][name](ctx.q(name)) for name in FILTERS[kind] if ctx.q(name) is not None]
    after = ctx.decode_token(ctx.q("$skipToken"))
    size = ctx.page_size(ctx.q_int("count"))
    items, last = ws.table(kind).page_after(after, size, predicate=(lambda o: all(p(o) for p in preds)) if preds else None)
    body: dict = {"value": items}
    if last is not None:
        body["nextLink"] = ctx.link_with("$skipToken", ctx.encode_token(last))
    return ctx.json(body)


async def get_object(ctx: Ctx):
    kind = ctx.route.options["kind"]
    ws = ctx.workspace()
    obj = ws.table(kind).get(ctx.params["id"])
    if obj is None:
        raise not_found("mms", f"{SINGULAR[kind].capitalize()} with id {ctx.params['id']} not found in workspace {ws.name}.")
    return ctx.json(obj)


def holders(ws: Workspace, kind: str, obj_id: str) -> list[str]:
    """What still uses the object: ``image '<id>'`` / ``service '<id>'`` (API-NOTES 2, architecture.md)."""
    out: list[str] = []
    if kind == "models":
        out += [f"image '{i['id']}'" for i in ws.table("images").items.values() if obj_id in i.get("modelIds", [])]
        out += [f"service '{s['id']}'" for s in ws.table("services").items.values()
                if any(m.get("id") == obj_id for m in s.get("models", []))]
    elif kind == "images":
        out += [f"service '{s['id']}'" for s in ws.table("services").items.values() if s.get("imageId") == obj_id]
    return sorted(out)


async def delete_object(ctx: Ctx):
    kind = ctx.route.options["kind"]
    ws = ctx.workspace()
    obj_id = ctx.params["id"]
    table = ws.table(kind)
    obj = table.get(obj_id)
    if obj is None:
        return ctx.empty(204)  # "The resource does not exist and the request was well formed."
    used_by = holders(ws, kind, obj_id)
    if used_by:
        message = (f"{SINGULAR[kind].capitalize()} {obj_id} cannot be deleted: it is used by "
                   f"{', '.join(used_by)}. DeletionRequired: delete those first.")
        raise ApiError(412, "DeletionRequired", message,
                       details=[{"code": "DeletionRequired", "message": f"used by {h}", "target": h} for h in used_by])
    if kind == "services" and obj.get("computeType") == "AKS":
        op = ctx.store.pending_operation("service_delete", ws.key, obj_id)
        if op is None:
            op = Operation(id=str(uuid.uuid4()), kind="service_delete", workspace_key=ws.key, location=ws.location,
                           subscription_id=ws.subscription_id, target=obj_id, needed_polls=ctx.config.lro_polls,
                           max_seconds=ctx.config.lro_seconds)
            ctx.store.add_operation(op)
            obj["state"] = "Transitioning"  # the WebServiceState of a service being torn down
        response = ctx.empty(202, {"Operation-Location": _operation_url(ctx, ws, op.id),
                                   "Retry-After": str(ctx.config.retry_after)})
    else:
        table.remove(obj_id)
        response = ctx.empty(200)
    await ctx.emu.faults.after_delete()  # the hold_deletes_after fault: carried out, its answer held
    return response


def _operation_url(ctx: Ctx, ws: Workspace, op_id: str) -> str:
    prefix = "/modelmanagement/v1.0" if ctx.route.profile == "current" else "/api"
    ws_path = (f"/subscriptions/{quote(ws.subscription_id)}/resourceGroups/{quote(ws.resource_group)}"
               f"/providers/Microsoft.MachineLearningServices/workspaces/{quote(ws.name)}")
    return f"{ctx.base_url}{prefix}{ws_path}/operations/{op_id}"


async def get_operation(ctx: Ctx):
    """``AsyncOperationStatus``: ``state`` Running until the operation completes, then Succeeded."""
    ws = ctx.workspace()
    op = ctx.store.operations.get(ctx.params["operation_id"])
    if op is None or op.kind != "service_delete" or op.workspace_key != ws.key:
        raise not_found("mms", f"Operation {ctx.params['operation_id']} not found.")
    ctx.store.poll(op)
    body = {"id": op.id, "operationType": "Delete", "state": "Succeeded" if op.done else "Running",
            "createdTime": op.started, "resourceLocation": f"/services/{op.target}",
            "operationDetails": {"subOperationType": "DeleteService", "subOperationState": "Done" if op.done else "Running"}}
    if op.done:
        body["endTime"] = op.ended
    return ctx.json(body)


def _routes() -> list[Route]:
    routes: list[Route] = []
    for prefix, profile in (("/api", "documented"), ("/modelmanagement/v1.0", "current")):
        for kind in SINGULAR:
            base = f"{prefix}{WS}/{kind}"
            routes += [
                Route(f"{kind}.list", "mms", "GET", base, list_objects, profile, options={"kind": kind}),
                Route(f"{kind}.get", "mms", "GET", base + "/{id}", get_object, profile, options={"kind": kind}),
                Route(f"{kind}.delete", "mms", "DELETE", base + "/{id}", delete_object, profile, options={"kind": kind}),
            ]
        routes.append(Route("mms_operations.get", "mms", "GET", f"{prefix}{WS}/operations/{{operation_id}}",
                            get_operation, profile))
    return routes


ROUTES = _routes()
