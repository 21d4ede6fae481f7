"""One module per API family; each exports ``ROUTES`` (rows of the route table)."""

from __future__ import annotations

from ..routing import Route
from . import arm, artifact, datastore, discovery, history, metric, mms, notification, pipelines, v2


def all_routes() -> list[Route]:
    routes: list[Route] = []
    for module in (arm, mms, history, metric, artifact, notification, datastore, pipelines, v2, discovery):
        routes.extend(module.ROUTES)
    return routes
