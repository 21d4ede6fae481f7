"""Run history: experiments, runs and run metrics (runHistory.json 2019-09-30, API-NOTES 3).

Documented lists are GETs (the 2020 document); the current profile adds the spec's POST
``experiments:query``, ``experiments/{name}/runs:query`` and ``experiments/{name}/metrics:query``.

Experiments can be archived (``archivedTime``): the experiment lists take ``viewType``
(``Default``/``ActiveOnly``: active only, the default; ``ArchivedOnly``; ``All``), as a query
parameter (azureml-core ``experiment_operations.py``) or, for ``experiments:query``, in the body
(``ExperimentQueryParamsDto.viewType``, what ``Experiment.list`` sends). The runs of an archived experiment are still
listed when asked by experiment. ``GET {ws}/runs/{runId}`` gets a run without its experiment
(azureml-core ``RunOperations.get_workspace_run``).
"""

from __future__ import annotations

from .. import objects as ob
from ..context import Ctx
from ..errors import ApiError, bad_request, not_found
from ..routing import WS, Route
from . import continuation

BASE = "/history/v1.0" + WS


def _experiment(ctx: Ctx):
    ws = ctx.workspace()
    name = ctx.params["experiment_name"]
    exp = ws.experiment(name)
    if exp is None:
        raise not_found("history", f"Experiment {name} was not found in workspace {ws.name}.")
    return ws, exp


VIEW_TYPES = {"default": False, "activeonly": False, "archivedonly": True, "all": None}  # archived? (None: both)


def _view_filter(ctx: Ctx):
    """The predicate of ``viewType`` (None: every experiment): the POST body's ``viewType``
    (``ExperimentQueryParamsDto``, what azureml-core's ``Experiment.list`` sends), else the query parameter."""
    raw = ctx.body.get("viewType") if ctx.request.method == "POST" and isinstance(ctx.body, dict) else None
    raw = raw or ctx.q("viewType")
    key = (raw or "Default").lower()
    if key not in VIEW_TYPES:
        raise bad_request("history", f"The value '{raw}' is not valid for viewType (Default, All, ActiveOnly, ArchivedOnly).")
    if not ctx.config.experiment_view_type:  # switch: the emulator's old behaviour, viewType ignored
        return None
    archived = VIEW_TYPES[key]
    return None if archived is None else (lambda e: ob.is_archived(e) == archived)


async def list_experiments(ctx: Ctx):
    ws = ctx.workspace()
    return ctx.json(continuation.page(ctx, ws.table("experiments"), predicate=_view_filter(ctx)))


async def get_experiment(ctx: Ctx):
    _, exp = _experiment(ctx)
    return ctx.json(exp)


async def list_runs(ctx: Ctx):
    ws, exp = _experiment(ctx)
    return ctx.json(continuation.page(ctx, ws.table("runs"), group=exp["experimentId"], grouped=True))


async def get_run(ctx: Ctx):
    ws, exp = _experiment(ctx)
    run = ws.table("runs").get(ctx.params["run_id"], group=exp["experimentId"])
    if run is None:
        raise not_found("history", f"Run {ctx.params['run_id']} was not found")
    return ctx.json(run)


async def get_workspace_run(ctx: Ctx):
    ws = ctx.workspace()
    run = ws.table("runs").get(ctx.params["run_id"])
    if run is None:
        raise not_found("history", f"Run {ctx.params['run_id']} was not found")
    return ctx.json(run)


async def list_metrics(ctx: Ctx):
    ws, exp = _experiment(ctx)
    return ctx.json(continuation.page(ctx, ws.table("metrics"), group=exp["experimentId"], grouped=True))


async def get_metric(ctx: Ctx):
    ws, exp = _experiment(ctx)
    metric = ws.table("metrics").get(ctx.params["metric_id"], group=exp["experimentId"])
    if metric is None:
        raise not_found("history", f"Metric {ctx.params['metric_id']} was not found")
    return ctx.json(metric)


async def delete_experiment(ctx: Ctx):
    """azureml-core ``WorkspaceClient.delete_experiment`` ("delete empty experiment by experiment_id"): 202 with
    ``Location`` (polled: 202 while running, then 204), the experiment gone once the operation ends; 404 when there is
    none; 409 while it still has runs (an assumption: the SDK only deletes empty experiments, docs/emulator.md)."""
    from .v2 import start_delete  # the long-running delete of the v2 resources: one operation store, one poll route

    ws = ctx.workspace()
    exp_id = ctx.params["experiment_id"]
    if ws.table("experiments").get(exp_id) is None:
        raise not_found("history", f"Experiment {exp_id} was not found in workspace {ws.name}.")
    left = [r for r in ws.table("runs").items.values() if r.get("experimentId") == exp_id]
    if left:
        raise ApiError(409, "Conflict", f"Experiment {exp_id} still has {len(left)} run(s): only an empty experiment can be deleted.")
    return start_delete(ctx, ws, "experiments", exp_id, None)


EXP = BASE + "/experiments/{experiment_name}"

ROUTES = [
    Route("experiments.list", "history", "GET", BASE + "/experiments", list_experiments),
    Route("experiments.get", "history", "GET", EXP, get_experiment),
    Route("runs.list", "history", "GET", EXP + "/runs", list_runs),
    Route("runs.get", "history", "GET", EXP + "/runs/{run_id}", get_run),
    Route("runs.get_by_id", "history", "GET", BASE + "/runs/{run_id}", get_workspace_run),
    Route("metrics.list", "history", "GET", EXP + "/metrics", list_metrics),
    Route("metrics.get", "history", "GET", EXP + "/metrics/{metric_id}", get_metric),
    Route("experiments.delete", "history", "DELETE", BASE + "/experimentids/{experiment_id}", delete_experiment),
    # current profile: the spec's POST queries (continuationToken in the JSON body); reads, not mutations
    Route("experiments.list", "history", "POST", BASE + "/experiments:query", list_experiments, "current", mutating=False),
    Route("runs.list", "history", "POST", EXP + "/runs:query", list_runs, "current", mutating=False),
    Route("metrics.list", "history", "POST", EXP + "/metrics:query", list_metrics, "current", mutating=False),
]
