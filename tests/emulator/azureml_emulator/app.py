"""The Azure API server: one aiohttp catch-all handler running an explicit request pipeline.

Pipeline for every request outside ``/_emulator/`` (introspection, handled apart, never faulted):

1. ids: ``x-ms-request-id`` / ``x-ms-correlation-request-id`` (echoing the client's), client request id;
2. route lookup (the table of routing.py) and a journal entry (method, decoded path, query, op, profile);
3. finish long-running operations whose time is up;
4. latency (+ spikes), dropped connection, 500/503 fault;
5. auth (Bearer token), ARM ``api-version`` check, throttling (429);
6. the handler; ApiError becomes the family's error body.

Every response, errors included, carries the request-id headers; ARM responses also carry
``x-ms-ratelimit-remaining-subscription-reads|writes|deletes``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid

from aiohttp import web

from . import scenarios, storage
from .auth import Auth
from .config import RuntimeConfig, StartupOptions
from .context import Ctx
from .errors import ApiError, render
from .faults import Faults
from .families import all_routes
from .journal import Journal
from .routing import MethodNotAllowed, Router, family_of_path, split_path

log = logging.getLogger("azureml_emulator")

API_VERSION = re.compile(r"^(\d{4}-\d{2}-\d{2})(-preview|-privatepreview|-alpha|-beta)?$")
OLDEST_API_VERSION = "2018-03-01"  # the ML RP's first api-version (2018-03-01-preview)
SUPPORTED_SAMPLE = ("2018-03-01-preview, 2019-05-01, 2019-06-01, 2019-11-01, 2020-01-01, 2020-04-01, 2020-08-01, "
                    "2021-01-01, 2021-04-01, 2021-07-01, 2022-05-01, 2022-10-01, 2023-04-01, 2023-06-01-preview, "
                    "2023-10-01, 2024-04-01, 2024-10-01, 2025-04-01, 2025-06-01")
# ARM hourly per-principal budgets (request-limits-and-throttling, 2020): remaining counts shown in headers
ARM_BUDGET = {"read": 12000, "delete": 15000, "write": 1200}


class Emulator:
    def __init__(self, options: StartupOptions, config: RuntimeConfig):
        self.options = options
        self.config = config
        self.initial_config = config.as_dict()
        self.journal = Journal(options.journal_max)
        self.auth = Auth(options.static_token)
        self.faults = Faults(config)
        self.router = Router(all_routes())
        self.aad_url = ""
        self.ca_path = ""
        self.scenario = options.scenario
        self.scenario_seed = options.scenario_seed
        self.arm_usage: dict[tuple[str, str], int] = {}
        self.store = scenarios.build(scenarios.load(options.scenario), options.scenario_seed, options.tenant)
        self.azurite = None  # an azurite.Azurite with --storage azurite (started by __main__)
        self.storage_state: dict[str, dict] = {}  # workspace key -> what storage.seed() wrote
        if options.storage:
            storage.attach(self.store)

    # -- state control -------------------------------------------------------------------------
    def reset(self, scenario: str | None = None, seed: int | None = None, clear_journal: bool = True) -> None:
        scenario = scenario or self.scenario
        store = scenarios.build(scenarios.load(scenario), seed, self.options.tenant)  # may raise ValueError
        if self.options.storage:
            storage.attach(store)
            if self.azurite is not None:
                unknown = sorted(set(storage.accounts(store)) - set(self.azurite.accounts))
                if unknown:
                    raise ValueError(f"with --storage the storage accounts are fixed when Azurite starts; "
                                     f"{scenario} (seed {store.seed}) needs others: {', '.join(unknown)}")
        self.store = store
        self.scenario = scenario
        self.scenario_seed = seed
        self.arm_usage.clear()
        if clear_journal:
            self.journal.clear()

    def seed_storage(self, wipe: bool = False) -> None:
        """Fill Azurite with the scenario's files (blocking: run it in an executor once the server runs)."""
        if self.azurite is None:
            return
        if wipe:
            storage.wipe(self.azurite, self.azurite.accounts)
        self.storage_state = storage.seed(self.azurite, storage.plan(self.store))

    def configure(self, values: dict) -> None:
        if values.get("reset"):
            values = {**self.initial_config, **{k: v for k, v in values.items() if k != "reset"}}
        self.config.update(values)
        if {"seed", "rate_limit", "rate_burst"} & set(values):
            self.faults.reseed()
        if "hold_deletes_after" in values:
            self.faults.deletes = 0

    # -- aiohttp -------------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        from . import introspection

        app = web.Application(client_max_size=16 * 1024 * 1024)
        app["emulator"] = self
        introspection.add_routes(app, self)
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        request_id = str(uuid.uuid4())
        correlation_id = request.headers.get("x-ms-correlation-request-id") or request_id
        client_request_id = request.headers.get("x-ms-client-request-id")
        raw_path = request.raw_path.split("?", 1)[0]
        method = request.method
        family = family_of_path(raw_path)
        route = None
        params: dict[str, str] = {}
        lookup_error: ApiError | None = None
        try:
            found = self.router.match(method, raw_path)
            if found:
                route, params = found
                family = route.family
            else:
                lookup_error = ApiError(404, "NotFound" if family != "arm" else "InvalidResourceType",
                                        f"No route for {method} {split_path_text(raw_path)}.")
        except MethodNotAllowed as e:
            family = e.family
            lookup_error = ApiError(405, "MethodNotAllowed", f"The requested method {method} is not allowed; "
                                    f"allowed: {', '.join(e.allowed)}.", headers={"Allow": ", ".join(e.allowed)})
        mutating = route.is_mutating if route else (method not in ("GET", "HEAD") and ":query" not in raw_path)
        entry = self.journal.begin(method, "/".join(split_path(raw_path)), query=dict(request.query),
                                   op=route.op if route else None, mutating=mutating,
                                   profile=route.profile if route else None, family=family,
                                   request_id=request_id, client_request_id=client_request_id)
        location = "westeurope"
        if "workspace_name" in params:  # error bodies name the workspace's region, as the service does
            known = self.store.find_workspace(params["subscription_id"], params["resource_group"], params["workspace_name"])
            location = known.location if known else location
        subscription = params.get("subscription_id")
        try:
            self.store.tick()
            await self.faults.delay()
            if self.faults.drop():
                self.journal.finish(entry, None, dropped=True)
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError()
            fault = self.faults.fault(family, subscription)
            if fault is not None:
                self.journal.faults += 1
                raise fault
            if lookup_error is not None:
                raise lookup_error
            assert route is not None
            if route.auth:
                self.auth.check(request.headers.get("Authorization"))
            if family == "arm":
                self._check_api_version(request)
            throttled = self.faults.throttle(family, subscription, _arm_kind(method), self._actor(request))
            if throttled is not None:
                self.journal.throttled += 1
                raise throttled
            body = None
            if method == "POST" and request.can_read_body:
                raw = await request.read()
                if raw.strip():
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        raise ApiError(400, "UserError", "The request body is not valid JSON.") from None
            ctx = Ctx(self, request, route, params, request_id=request_id, body=body)
            response = await route.handler(ctx)
        except ApiError as err:
            payload, ctype = render(family, err, request_id, correlation_id, location)
            response = web.Response(body=payload, status=err.status, headers=err.headers)
            response.headers["Content-Type"] = ctype
            if family not in ("arm", "blob"):
                response.headers["x-ms-response-type"] = "error"
        except asyncio.CancelledError:
            # dropped on purpose, or the client went away: never leave the entry in flight
            self.journal.finish(entry, None, dropped=True)
            raise
        except Exception as exc:  # a bug in a handler: answer like a real 500, log it
            log.exception("unhandled error for %s %s", method, raw_path)
            err = ApiError(500, "InternalServerError" if family == "arm" else "ServiceError", f"Unhandled: {exc!r}")
            payload, ctype = render(family, err, request_id, correlation_id, location)
            response = web.Response(body=payload, status=500)
            response.headers["Content-Type"] = ctype
        self._decorate(response, family=family, method=method, subscription=subscription, request_id=request_id,
                       correlation_id=correlation_id, client_request_id=client_request_id)
        self.journal.finish(entry, response.status)
        return response

    # -- helpers ---------------------------------------------------------------------------------
    def _check_api_version(self, request: web.Request) -> None:
        api = next((v for k, v in request.query.items() if k.lower() == "api-version"), None)
        if not api:
            raise ApiError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.")
        m = API_VERSION.match(api)
        if not m:
            raise ApiError(400, "InvalidApiVersionParameter",
                           f"The api-version '{api}' is invalid. The supported versions are '{SUPPORTED_SAMPLE}'.")
        if m.group(1) < OLDEST_API_VERSION:
            raise ApiError(400, "NoRegisteredProviderFound",
                           f"No registered resource provider found for API version '{api}' and type 'workspaces'. "
                           f"The supported api-versions are '{SUPPORTED_SAMPLE}'.")

    @staticmethod
    def _actor(request: web.Request) -> str:
        return "emulator-principal"

    def _decorate(self, response: web.StreamResponse, *, family: str, method: str, subscription: str | None,
                  request_id: str, correlation_id: str, client_request_id: str | None) -> None:
        h = response.headers
        h["x-ms-request-id"] = request_id
        h["x-ms-correlation-request-id"] = correlation_id
        if client_request_id:
            h["x-ms-client-request-id"] = client_request_id
        if family == "arm":
            kind = _arm_kind(method)
            key = ((subscription or "").lower(), kind)
            self.arm_usage[key] = self.arm_usage.get(key, 0) + 1
            name = f"x-ms-ratelimit-remaining-subscription-{kind}s"
            if name not in h:
                h[name] = str(max(0, ARM_BUDGET[kind] - self.arm_usage[key]))
            h["x-ms-routing-request-id"] = f"EMULATOR:{request_id}"
            h["Cache-Control"] = "no-cache"
        elif family != "blob":
            h.setdefault("x-ms-response-type", "standard")


def _arm_kind(method: str) -> str:
    return {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(method, "write")


def split_path_text(raw_path: str) -> str:
    return "/".join(split_path(raw_path))
