"""docs/api-routes.md is the route table and the spec map, written out: this test keeps it so.

Regenerate the table after changing a route: ``python tests/emulator/tests/test_api_routes_doc.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
for p in (ROOT / "build" / "collections", HERE, HERE.parent):
    sys.path.insert(0, str(p))

import spec_map  # noqa: E402
from ansible_collections.gdpr.azureml.plugins.module_utils import _routes  # noqa: E402

DOC = ROOT / "docs" / "api-routes.md"
BEGIN, END = "<!-- routes:begin -->", "<!-- routes:end -->"

SEED = {
    "workspaces.list_subscription": "workspaces of a subscription (inventory plugin; not a seed row)",
    "workspaces.list": "Export: list workspaces",
    "workspaces.get": "Export: one workspace",
    "workspaces.delete": "Delete: whole workspace",
    "computes.list": "Export: compute targets",
    "computes.get": "Export: one compute target",
    "experiments.list": "Export: experiments",
    "runs.list": "Export: runs of an experiment",
    "runs.get": "Export: one run",
    "runs.get_by_id": "a run by id, for its data container (artifact_info with run_ids; azureml-core, not a seed row)",
    "metrics.list": "Export: run metrics of an experiment",
    "experiments.delete": "Delete: an experiment left empty (azureml-core; not a seed row)",
    "metrics.get": "Export: one run metric",
    "metrics_v2.list": "Export: v2 metrics of a run (azureml-core's metrics service; not a seed row)",
    "metrics_v2.full": "Export: every value of one v2 metric (azureml-core's metrics service; not a seed row)",
    "artifacts.list": "Export: artifacts of a run (its data container)",
    "artifacts.contentinfo": "artifact content URI (optional content download; not a seed row)",
    "tasks.list": "Export: notification tasks",
    "tasks.get": "Export: one notification task",
    "datastores.list": "Export: datastores",
    "datastores.get": "Export: one datastore",
    "mms_operations.get": "service delete operation (202 + Operation-Location; not a seed row)",
    "pipeline_experiments.get": "Export: pipeline experiment",
    "pipeline_graphs.get": "Export: pipeline graph",
    "pipeline_modules.get": "Export: pipeline module",
    "pipeline_templates.get": "Export: pipeline template",
    "pipeline_datasources.get": "Export: pipeline data source",
    "discovery.get": "workspace discovery (`properties.discoveryUrl`; hosts for `current`)",
}
for _k in ("models", "assets", "images", "services"):
    SEED[_k + ".list"] = "Export and Delete: list " + _k
    SEED[_k + ".get"] = "Export: one of " + _k
    SEED[_k + ".delete"] = "Delete: one of " + _k

# The v2 resources (ARM 2025-12-01): not in the seed document, which predates them.
for _op in _routes.V2:
    _kind, _verb = _op.split(".")
    SEED[_op] = {"list": "Export: every " + _kind.replace("_", " ") + " (v2, every view; not a seed row)",
                 "get": "Export: one of " + _kind.replace("_", " ") + " (v2; not a seed row)",
                 "delete": "Delete: one of " + _kind.replace("_", " ") + " (v2; not a seed row)"}[_verb]
SEED["datastores_v2.list"] = ("Export and purge with storage: the datastores' account and container names, where the files of "
                              "data and model versions are (v2, no secrets; not a seed row)")


def _fmt(route):
    query = "?" + "&".join("%s=%s" % kv for kv in route.query.items()) if route.query else ""
    return "%s `%s%s`" % (route.method, route.path, query)


def rows():
    out = []
    for op in sorted(_routes.DOCUMENTED):
        documented, current = _routes.DOCUMENTED[op], _routes.CURRENT[op]
        spec = spec_map.MAP.get(op)
        if spec is None:
            backing = "none: " + spec_map.UNCOVERED.get(op, "not a call of the specs")
        elif spec.operation_id:
            backing = "%s `%s`" % (spec.spec, spec.operation_id)
        else:
            backing = "%s, no operation (%s)" % (spec.spec, spec.spec_route)
        cur = "same" if documented == current else _fmt(current)
        out.append("| `%s` | %s | %s | %s | %s |" % (op, SEED[op], _fmt(documented), cur, backing.replace("|", "/")))
    return out


def table():
    return "\n".join(["| operation | seed row | `documented` route | `current` route | spec backing it |",
                      "|---|---|---|---|---|", *rows()])


def test_doc_lists_every_route_as_the_table_has_it():
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    written = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert written == table(), "docs/api-routes.md is stale: run python %s" % Path(__file__).relative_to(ROOT)


def test_every_operation_has_a_seed_row_description():
    assert set(SEED) == set(_routes.DOCUMENTED) == set(_routes.CURRENT)


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    DOC.write_text(head + BEGIN + "\n" + table() + "\n" + END + rest.split(END, 1)[1], encoding="utf-8")
    print("wrote", DOC)
