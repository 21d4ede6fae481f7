"""The v2 metrics service: the metrics today's SDKs log (azureml-core 1.61 ``AZUREML_METRICS_V2``, default true).

No public swagger: routes and shapes from azureml-core 1.61 ``_restclient/operations/metric_operations.py`` and
its models (``ListMetricsDto``, ``PaginatedMetricDefinitionDto``, ``MetricDefinitionDto``, ``DerivedMetricKeyDto``,
``RetrieveFullFidelityMetricRequestDto``, ``MetricV2Dto``, ``MetricV2Value``, ``MetricProperties``).

- ``POST /metric/v2.0{ws}/runs/{runId}/list``, body ``{metricNamespace?, continuationToken?}``: the run's metric
  definitions ``{value: [{metricKey: {namespace, name}, columns}], continuationToken}``.
- ``POST /metric/v2.0{ws}/runs/{runId}/full``, body ``{metricName, startTime?, endTime?, continuationToken?}``: one
  metric's values ``{dataContainerId, name, columns, properties, value: [{metricId, createdUtc, step, data}],
  continuationToken}``; 404 when the run has no such metric (as the SDK expects).

Both are reads (never journaled as mutating), paged by ``page_size`` with the token in the body. A run the
workspace does not know lists no metric. Switch ``metrics_v2: false`` makes both routes answer 404, as the
emulator did before it served this service.
"""

from __future__ import annotations

import base64
import json

from ..context import Ctx
from ..errors import ApiError, bad_request, not_found
from ..routing import WS, Route

BASE = "/metric/v2.0" + WS + "/runs/{run_id}"


def _body(ctx: Ctx) -> dict:
    if not ctx.config.metrics_v2:
        raise ApiError(404, "NotFound", f"No route for POST {ctx.request.path}.")
    if ctx.body is None:
        return {}
    if not isinstance(ctx.body, dict):
        raise bad_request("metric", "The request body must be a JSON object.")
    return ctx.body


def _token(ctx: Ctx, body: dict) -> int:
    """The index the page starts at, from the body's continuationToken."""
    token = body.get("continuationToken")
    if token in (None, ""):
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)))
        if not isinstance(data, dict) or not isinstance(data.get("i"), int) or data["i"] < 0:
            raise ValueError
        return data["i"]
    except (ValueError, TypeError):
        raise bad_request("metric", f"The continuation token '{str(token)[:80]}' is invalid.") from None


def _next_token(ctx: Ctx, body: dict, index: int) -> str:
    if ctx.config.paging_fault == "repeat_token" and body.get("continuationToken"):
        return body["continuationToken"]
    return base64.urlsafe_b64encode(json.dumps({"i": index}).encode()).decode().rstrip("=")


def _page(ctx: Ctx, body: dict, items: list) -> tuple[list, str | None]:
    start = _token(ctx, body)
    end = start + ctx.page_size()
    return items[start:end], (_next_token(ctx, body, end) if end < len(items) else None)


def _metrics_of_run(ctx: Ctx) -> list[dict]:
    ws = ctx.workspace()
    table = ws.table("metrics_v2")
    return [table.items[k] for k in table.sorted_keys(ctx.params["run_id"], grouped=True)]


async def list_metrics(ctx: Ctx):
    body = _body(ctx)
    namespace = body.get("metricNamespace")
    metrics = [m for m in _metrics_of_run(ctx) if namespace is None or m["namespace"] == namespace]
    page, token = _page(ctx, body, metrics)
    value = [{"metricKey": {"namespace": m["namespace"], "name": m["name"]}, "columns": m["columns"]} for m in page]
    return ctx.json({"value": value, "continuationToken": token})


async def full_fidelity(ctx: Ctx):
    body = _body(ctx)
    name = body.get("metricName")
    if not isinstance(name, str) or not name:
        raise bad_request("metric", "The field 'metricName' is required.")
    found = [m for m in _metrics_of_run(ctx) if m["name"] == name]
    if not found:
        raise not_found("metric", f"Metric {name} was not found for run {ctx.params['run_id']}.")
    metric = sorted(found, key=lambda m: m["namespace"])[0]  # the request names no namespace
    page, token = _page(ctx, body, metric["values"])
    return ctx.json({"dataContainerId": metric["dataContainerId"], "name": metric["name"], "columns": metric["columns"],
                     "properties": metric["properties"], "value": page, "continuationToken": token})


ROUTES = [
    Route("metrics_v2.list", "metric", "POST", BASE + "/list", list_metrics, "current", mutating=False),
    Route("metrics_v2.full", "metric", "POST", BASE + "/full", full_fidelity, "current", mutating=False),
]
