"""Pipelines ("aether"): GET by id of experiments, graphs, modules, templates and data sources.

No public spec or SDK source exists (API-NOTES 7): only the 2020 document's GET-by-id routes are
served, with invented object shapes and run history's ``ErrorResponse`` for errors (docs/emulator.md).
The service has no list call; the ids are in the emulator's state dump.
"""

from __future__ import annotations

from ..context import Ctx
from ..errors import not_found
from ..routing import WS, Route

BASE = "/api/v1.0" + WS
SEGMENTS = {"pipeline_experiments": "Experiments", "pipeline_graphs": "Graphs", "pipeline_modules": "Modules",
            "pipeline_templates": "Templates", "pipeline_datasources": "DataSources"}


async def get_object(ctx: Ctx):
    kind = ctx.route.options["kind"]
    ws = ctx.workspace()
    obj = ws.table(kind).get(ctx.params["id"])
    if obj is None:
        raise not_found("pipelines", f"{SEGMENTS[kind][:-1]} {ctx.params['id']} was not found.")
    return ctx.json(obj)


ROUTES = [
    Route(f"{kind}.get", "pipelines", "GET", f"{BASE}/{segment}/{{id}}", get_object, options={"kind": kind})
    for kind, segment in SEGMENTS.items()
]
