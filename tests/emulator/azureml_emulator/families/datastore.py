"""Datastores (datastore.json 2019-09-30, API-NOTES 6).

``includeSecret`` defaults to true, as in the spec: lists and gets return the credentials
(account keys, SAS tokens, client secrets, passwords) unless the client asks ``includeSecret=false``.
Paging by the ``continuationToken`` query parameter; ``count`` caps the page size.
"""

from __future__ import annotations

from .. import objects as ob
from ..context import Ctx
from ..errors import not_found
from ..routing import WS, Route
from . import continuation

BASE = "/datastore/v1.0" + WS


def _names(ctx: Ctx) -> set[str] | None:
    values = ctx.request.query.getall("dataStoreNames", [])
    names = {n for v in values for n in v.split(",") if n}
    return names or None


async def list_datastores(ctx: Ctx):
    ws = ctx.workspace()
    names = _names(ctx)
    secrets = ctx.q_bool("includeSecret", True)
    return ctx.json(continuation.page(ctx, ws.table("datastores"),
                                      predicate=(lambda d: d["name"] in names) if names else None,
                                      transform=None if secrets else ob.datastore_without_secrets))


def _reply(ctx: Ctx, ds: dict):
    return ctx.json(ds if ctx.q_bool("includeSecret", True) else ob.datastore_without_secrets(ds))


async def get_datastore(ctx: Ctx):
    ws = ctx.workspace()
    ds = ws.table("datastores").get(ctx.params["name"])
    if ds is None:
        raise not_found("datastore", f"DataStore {ctx.params['name']} was not found in workspace {ws.name}.")
    return _reply(ctx, ds)


async def get_default(ctx: Ctx):
    ws = ctx.workspace()
    table = ws.table("datastores")
    ds = table.get("workspaceblobstore") or (table.items[table.sorted_keys()[0]] if len(table) else None)
    if ds is None:
        raise not_found("datastore", f"Workspace {ws.name} has no default datastore.")
    return _reply(ctx, ds)


ROUTES = [
    Route("datastores.list", "datastore", "GET", BASE + "/datastores", list_datastores),
    Route("datastores.get", "datastore", "GET", BASE + "/datastores/{name}", get_datastore),
    Route("datastores.get_default", "datastore", "GET", BASE + "/default", get_default),
]
