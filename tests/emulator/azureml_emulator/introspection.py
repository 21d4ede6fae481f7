"""``/_emulator/``: what tests read and steer. No auth, no faults, not journaled.

Shapes are documented in docs/emulator.md ("Introspection"); docs/architecture.md fixes the core ones.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from aiohttp import web

from . import objects as ob
from . import storage as st
from .creation import create_object
from .store import KINDS, Workspace

if TYPE_CHECKING:
    from .app import Emulator


def _json(body: object, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(body, ensure_ascii=False).encode(), status=status,
                        content_type="application/json", charset="utf-8")


def _error(message: str, status: int = 400) -> web.Response:
    return _json({"error": message}, status)


async def _body(request: web.Request) -> dict:
    raw = await request.read()
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def state_of(ws: Workspace, kinds: list[str] | None = None, users: list[dict] | None = None) -> dict:
    runs = ws.table("runs")
    exp_names = {e["experimentId"]: e["name"] for e in ws.table("experiments").items.values()}
    run_of_container = {ob.data_container(r): r["runId"] for r in runs.items.values()}

    def run_creator(run_id: str | None) -> dict | None:
        run = runs.get(run_id) if run_id else None
        return ob.state_identity(run.get("createdBy")) if run else None

    objects: dict[str, list[dict]] = {}
    for kind in kinds or list(KINDS):
        table = ws.table(kind)
        _, name_field = KINDS[kind]
        out = []
        for key in table.sorted_keys():
            o = table.items[key]
            item: dict = {"id": o["id"] if kind == "computes" else key, "name": o.get(name_field), "created_by": None}
            if kind == "runs":
                item["created_by"] = ob.state_identity(o.get("createdBy"))
                item["experiment"] = exp_names.get(o.get("experimentId"))
                item["container"] = ob.data_container(o)
                # the v2 view: the job of the same name
                item["job_archived"] = ("runs", key) in ws.archived
                item["parent_run_id"] = o.get("parentRunId")
            elif kind == "metrics":
                item["created_by"] = run_creator(o.get("runId"))
                item["run_id"] = o.get("runId")
                item["experiment"] = exp_names.get(table.group_of.get(key))
            elif kind == "artifacts":
                run_id = run_of_container.get(o.get("container"), o.get("container"))
                item["created_by"] = run_creator(run_id)
                item["run_id"] = run_id
                item["container"] = o.get("container")
                item["path"] = o.get("path")
            elif kind == "metrics_v2":
                item["created_by"] = run_creator(o.get("runId"))
                item["run_id"] = o.get("runId")
                item["namespace"] = o.get("namespace")
                item["value_ids"] = [v["metricId"] for v in o.get("values", [])]
            elif kind in ("models", "images", "services", "tasks") or kind.startswith("pipeline_"):
                item["created_by"] = ob.state_identity(o.get("createdBy"))
            elif kind in V2_KINDS:
                item["created_by"] = _v2_creator(o, users or [])
                props = o.get("properties") or {}
                item["archived"] = bool(props.get("isArchived"))
                if kind == "schedules":
                    item["enabled"] = bool(props.get("isEnabled"))
                if table.group_of.get(key):
                    item["parent"] = table.group_of[key]
            elif kind == "datastores":
                item["datastore_type"] = o.get("dataStoreType")
            elif kind == "computes":
                assigned = ((o.get("properties") or {}).get("properties") or {}).get("personalComputeInstanceSettings")
                if assigned:
                    item["assigned_user"] = assigned["assignedUser"]["objectId"]
            if kind == "models":
                item["run_id"] = o.get("runId")
                item["version_archived"] = ("models", key) in ws.archived
            elif kind == "images":
                item["model_ids"] = list(o.get("modelIds", []))
            elif kind == "services":
                item["image_id"] = o.get("imageId")
                item["model_ids"] = [m.get("id") for m in o.get("models", [])]
                item["compute_type"] = o.get("computeType")
                item["state"] = o.get("state")
            elif kind == "experiments":
                item["experiment_id"] = key
                item["archived"] = ob.is_archived(o)
            out.append(item)
        objects[kind] = out
    return {
        "id": ws.arm_id, "subscription_id": ws.subscription_id, "resource_group": ws.resource_group,
        "name": ws.name, "location": ws.location, "workspace_id": ws.workspace_id, "status": ws.status,
        "provisioning_state": ws.provisioning_state, "deleted_at": ws.deleted_at, "objects": objects,
    }


V2_KINDS = set(list(KINDS)[list(KINDS).index("model_containers"):])


def _v2_creator(obj: dict, users: list[dict]) -> dict | None:
    """The user behind a v2 object's ``systemData.createdBy`` (a display name, or an application's id)."""
    who = (obj.get("systemData") or {}).get("createdBy")
    user = next((u for u in users if who in (u["name"], u.get("app_id"))), None)
    return ob.state_identity(ob.created_by(user)) if user else None


def add_routes(app: web.Application, emu: Emulator) -> None:
    r = app.router

    async def index(request: web.Request) -> web.Response:
        return _json({"endpoints": ["GET journal?since=&limit=", "DELETE journal", "GET counters", "GET state",
                                    "GET secrets", "POST reset", "GET|POST config", "POST objects", "GET users",
                                    "GET health"],
                      "scenario": emu.scenario, "aad": emu.aad_url, "ca": emu.ca_path,
                      "storage": emu.azurite.url if emu.azurite is not None else None})

    async def health(request: web.Request) -> web.Response:
        return _json({"status": "ok"})

    async def journal(request: web.Request) -> web.Response:
        try:
            since = int(request.query.get("since", "0"))
            limit = int(request.query["limit"]) if "limit" in request.query else None
        except ValueError:
            return _error("since and limit must be integers")
        return _json(emu.journal.since(since, limit))

    async def clear_journal(request: web.Request) -> web.Response:
        emu.journal.clear()
        return _json({"cleared": True, "next": emu.journal.seq})

    async def counters(request: web.Request) -> web.Response:
        return _json(emu.journal.counters())

    async def state(request: web.Request) -> web.Response:
        emu.store.tick()
        wanted = request.query.get("workspace")
        kinds = [k for k in request.query.get("kinds", "").split(",") if k] or None
        if kinds and set(kinds) - set(KINDS):
            return _error(f"unknown kinds {sorted(set(kinds) - set(KINDS))}")
        out = []
        for ws in sorted(emu.store.workspaces.values(), key=lambda w: w.arm_id.lower()):
            if not wanted or ws.arm_id.lower() == wanted.lower() or ws.name.lower() == wanted.lower():
                item = state_of(ws, kinds, emu.store.users)
                if emu.azurite is not None and ws.key in emu.storage_state:
                    item["storage"] = st.state_of(emu.storage_state[ws.key], emu.azurite.url)
                out.append(item)
        body = {"scenario": emu.scenario, "seed": emu.store.seed, "tenant": emu.store.tenant, "workspaces": out,
                "registries": sorted((r["id"] for regs in emu.store.registries.values() for r in regs.values()), key=str.lower)}
        if emu.azurite is not None:
            body["storage"] = {"service": "azurite", "url": emu.azurite.url, "accounts": sorted(emu.azurite.accounts)}
        return _json(body)

    async def secrets(request: web.Request) -> web.Response:
        by_ws: dict[str, list[str]] = {}
        for ws in emu.store.workspaces.values():
            found = set()
            for ds in ws.table("datastores").items.values():
                found.update(ob.datastore_secrets(ds))
            for svc in ws.table("services").items.values():
                found.update(ob.service_secrets(svc))
            for creds in ws.connection_secrets.values():  # the v2 connections' canaries (only listsecrets shows them)
                found.update(v for k, v in creds.items() if k != "username")
            if emu.azurite is not None:
                found.add(emu.azurite.accounts.get(ws.storage_account_name, ""))
            by_ws[ws.arm_id] = sorted(found - {""})
        every = sorted({s for v in by_ws.values() for s in v})
        body = {"secrets": every, "by_workspace": by_ws}
        if emu.azurite is not None:  # the account keys (test code reads Azurite with them; the collection never does)
            body["storage_account_keys"] = dict(sorted(emu.azurite.accounts.items()))
        return _json(body)

    async def users(request: web.Request) -> web.Response:
        return _json({"users": emu.store.users, "tenant": emu.store.tenant})

    async def reset(request: web.Request) -> web.Response:
        try:
            body = await _body(request)
            emu.reset(body.get("scenario"), body.get("seed"), bool(body.get("clear_journal", True)))
            if emu.azurite is not None:  # the files too: every container emptied, then seeded again
                await asyncio.get_running_loop().run_in_executor(None, emu.seed_storage, True)
            if body.get("config") is not None:
                emu.configure(body["config"] if isinstance(body["config"], dict) else {"reset": True})
        except (ValueError, TypeError, OSError) as exc:
            return _error(str(exc))
        return _json({"scenario": emu.scenario, "seed": emu.store.seed, "workspaces": len(emu.store.workspaces)})

    async def get_config(request: web.Request) -> web.Response:
        return _json(emu.config.as_dict())

    async def set_config(request: web.Request) -> web.Response:
        try:
            emu.configure(await _body(request))
        except (ValueError, TypeError) as exc:
            return _error(str(exc))
        return _json(emu.config.as_dict())

    async def objects(request: web.Request) -> web.Response:
        try:
            body = await _body(request)
            ref = body.get("workspace") or ""
            ws = emu.store.find_workspace_by_id(ref) or next(
                (w for w in emu.store.workspaces.values() if w.name.lower() == str(ref).lower()), None)
            if ws is None:
                return _error(f"no workspace {ref!r} (give its ARM id)", 404)
            made = create_object(emu.store, ws, body.get("kind", ""), body.get("object") or {}, body.get("user"))
        except (ValueError, TypeError, KeyError) as exc:
            return _error(str(exc))
        return _json(made, 201)

    r.add_get("/_emulator", index)
    r.add_get("/_emulator/", index)
    r.add_get("/_emulator/health", health)
    r.add_get("/_emulator/journal", journal)
    r.add_delete("/_emulator/journal", clear_journal)
    r.add_get("/_emulator/counters", counters)
    r.add_get("/_emulator/state", state)
    r.add_get("/_emulator/secrets", secrets)
    r.add_get("/_emulator/users", users)
    r.add_post("/_emulator/reset", reset)
    r.add_get("/_emulator/config", get_config)
    r.add_post("/_emulator/config", set_config)
    r.add_post("/_emulator/objects", objects)

    async def unknown(request: web.Request) -> web.Response:
        return _error(f"no introspection endpoint {request.method} {request.path}", 404)

    r.add_route("*", "/_emulator/{tail:.*}", unknown)
