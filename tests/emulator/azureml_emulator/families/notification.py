"""Notification tasks. No public spec exists (API-NOTES 5): the routes are the 2020 document's (with the
missing ``/`` before ``tasks`` restored) and the conventions are run history's (continuation paging,
``ErrorResponse``). The task shape is invented; see docs/emulator.md.
"""

from __future__ import annotations

from ..context import Ctx
from ..errors import not_found
from ..routing import WS, Route
from . import continuation

BASE = "/notification/v1.0" + WS + "/tasks"


async def list_tasks(ctx: Ctx):
    ws = ctx.workspace()
    return ctx.json(continuation.page(ctx, ws.table("tasks")))


async def get_task(ctx: Ctx):
    ws = ctx.workspace()
    task = ws.table("tasks").get(ctx.params["task_id"])
    if task is None:
        raise not_found("notification", f"Task {ctx.params['task_id']} was not found.")
    return ctx.json(task)


ROUTES = [
    Route("tasks.list", "notification", "GET", BASE, list_tasks),
    Route("tasks.get", "notification", "GET", BASE + "/{task_id}", get_task),
]
