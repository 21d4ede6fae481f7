"""Workspace service discovery (API-NOTES 8): an unauthenticated flat JSON map of service → base URL.

Every workspace's ``properties.discoveryUrl`` points here, and every service key maps to the
emulator itself (derived from the request's Host), so discovery-driven clients stay on the emulator.
"""

from __future__ import annotations

from ..context import Ctx
from ..routing import Route

SERVICE_KEYS = ("api", "catalog", "experimentation", "gallery", "history", "hyperdrive", "labeling",
                "modelmanagement", "pipelines", "studio", "studiocoreservices")


async def get_discovery(ctx: Ctx):
    return ctx.json(dict.fromkeys(SERVICE_KEYS, ctx.base_url))


ROUTES = [Route("discovery.get", "discovery", "GET", "/discovery", get_discovery, auth=False)]
