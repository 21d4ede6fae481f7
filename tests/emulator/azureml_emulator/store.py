"""In-memory state: subscriptions, resource groups, workspaces and the objects they hold.

Single-threaded (asyncio): handlers never await while they mutate, so no locks are needed.
Every kind lives in a ``Table`` keyed by the kind's id field (docs/architecture.md, "Kinds, files
and ids"); lists are served in the sorted order of that key, which makes keyset pagination exact:
every object appears exactly once across pages even when objects come and go between pages.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

PROVIDER = "Microsoft.MachineLearningServices"

# kind -> (id field used as the sort key, field naming the object in the state dump)
KINDS: dict[str, tuple[str, str]] = {
    "computes": ("name", "name"),  # keyed by compute name; the state dump reports the ARM id
    "experiments": ("experimentId", "name"),
    "runs": ("runId", "name"),
    "metrics": ("metricId", "name"),
    "metrics_v2": ("id", "name"),  # the v2 metrics service: one object per (run, metric), grouped by run id
    "artifacts": ("artifactId", "path"),
    "tasks": ("id", "name"),
    "datastores": ("name", "name"),
    "models": ("id", "name"),
    "assets": ("id", "name"),
    "images": ("id", "name"),
    "services": ("id", "name"),
    "pipeline_experiments": ("id", "name"),
    "pipeline_graphs": ("id", "name"),
    "pipeline_modules": ("id", "name"),
    "pipeline_templates": ("id", "name"),
    "pipeline_datasources": ("id", "name"),
    # The v2 (ARM, 2025-12-01) kinds that exist only there (families/v2.py). Jobs, model versions, v2 datastores and
    # computes are views of the run history, model management, datastore and compute tables above: one store, two views.
    # Keyed by ARM id; versions are grouped by their container's id, deployments by their endpoint's id. The objects are
    # stored as the ARM bodies the API serves (a connection's credentials in ``Workspace.connection_secrets``).
    "model_containers": ("id", "name"),
    "data_containers": ("id", "name"),
    "data_versions": ("id", "name"),
    "environment_containers": ("id", "name"),
    "environment_versions": ("id", "name"),
    "component_containers": ("id", "name"),
    "component_versions": ("id", "name"),
    "code_containers": ("id", "name"),
    "code_versions": ("id", "name"),
    "online_endpoints": ("id", "name"),
    "online_deployments": ("id", "name"),
    "batch_endpoints": ("id", "name"),
    "batch_deployments": ("id", "name"),
    "schedules": ("id", "name"),
    "connections": ("id", "name"),
}
PIPELINE_KINDS = ("pipeline_experiments", "pipeline_graphs", "pipeline_modules", "pipeline_templates", "pipeline_datasources")


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class Table:
    """Objects of one kind in one workspace, optionally grouped (runs by experiment, ...)."""

    def __init__(self, key_field: str):
        self.key_field = key_field
        self.items: dict[str, dict] = {}
        self.group_of: dict[str, str | None] = {}
        self._members: dict[str | None, set[str]] = {}  # group -> keys
        self._sorted: dict[tuple, list[str]] = {}  # ("all",) or ("g", group) -> sorted keys (cache)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, obj: dict, group: str | None = None) -> dict:
        key = obj[self.key_field]
        if key in self.items:
            raise ValueError(f"duplicate {self.key_field} {key!r}")
        self.items[key] = obj
        self.group_of[key] = group
        self._members.setdefault(group, set()).add(key)
        self._invalidate(group)
        return obj

    def remove(self, key: str) -> dict | None:
        obj = self.items.pop(key, None)
        if obj is not None:
            group = self.group_of.pop(key, None)
            self._members.get(group, set()).discard(key)
            self._invalidate(group)
        return obj

    def members(self, group: str | None) -> list[str]:
        """The keys of ``group`` (a copy: the caller may remove them)."""
        return list(self._members.get(group, ()))

    def _invalidate(self, group: str | None) -> None:
        self._sorted.pop(("all",), None)
        self._sorted.pop(("g", group), None)

    def get(self, key: str, group: str | None = None) -> dict | None:
        obj = self.items.get(key)
        if obj is None or (group is not None and self.group_of.get(key) != group):
            return None
        return obj

    def sorted_keys(self, group: str | None = None, grouped: bool = False) -> list[str]:
        """Keys in sort order: all of them, or (grouped=True) those of ``group``."""
        cache_key = ("g", group) if grouped else ("all",)
        keys = self._sorted.get(cache_key)
        if keys is None:
            keys = sorted(self._members.get(group, ())) if grouped else sorted(self.items)
            self._sorted[cache_key] = keys
        return keys

    def page_after(self, after: str | None, size: int, group: str | None = None, grouped: bool = False,
                   predicate=None) -> tuple[list[dict], str | None]:
        """Keyset page: up to ``size`` objects whose key sorts after ``after``; returns (objects, last key if more)."""
        keys = self.sorted_keys(group, grouped)
        start = 0 if after is None else bisect.bisect_right(keys, after)
        out: list[dict] = []
        last = None
        i = start
        while i < len(keys) and len(out) < size:
            obj = self.items[keys[i]]
            if predicate is None or predicate(obj):
                out.append(obj)
                last = keys[i]
            i += 1
        # Is anything left after this page?
        more = False
        while i < len(keys):
            if predicate is None or predicate(self.items[keys[i]]):
                more = True
                break
            i += 1
        return out, (last if more else None)


@dataclass
class Workspace:
    subscription_id: str
    resource_group: str
    name: str
    location: str
    workspace_id: str
    creation_time: str
    description: str = ""
    friendly_name: str = ""
    tags: dict = field(default_factory=dict)
    sku: str = "Basic"
    principal_id: str = ""
    tenant_id: str = ""
    created_by: dict | None = None  # the user behind systemData.createdBy (newer api-versions)
    storage_account: str = ""  # the scenario's storage_account (workspaces may share one); see storage_account_name
    storage_resource_group: str = ""  # the scenario's storage_resource_group: the account's (default: the workspace's)
    status: str = "active"  # active | soft_deleted  (purged workspaces are removed from the store)
    provisioning_state: str = "Succeeded"  # Deleting while a delete operation runs
    deleted_at: str | None = None
    tables: dict[str, Table] = field(default_factory=dict)
    experiment_by_name: dict[str, str] = field(default_factory=dict)
    # next version number per model/image name (MMS assigns versions)
    versions: dict[str, int] = field(default_factory=dict)
    # v2 view of objects stored in v1 tables: (kind, key) archived through the v2 API (``properties.isArchived``) -
    # jobs ("runs", runId) and model versions ("models", "name:version"); the v1 bodies do not change
    archived: set[tuple[str, str]] = field(default_factory=set)
    # connection ARM id -> its ``credentials`` (served only by POST .../connections/{name}/listsecrets)
    connection_secrets: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self):
        if not self.tables:
            self.tables = {kind: Table(key) for kind, (key, _name) in KINDS.items()}

    @property
    def arm_id(self) -> str:
        return (f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
                f"/providers/{PROVIDER}/workspaces/{self.name}")

    @property
    def storage_account_name(self) -> str:
        """The workspace's storage account (its ``storageAccount`` ARM id; an Azurite account with ``--storage``)."""
        return self.storage_account or f"st{self.workspace_id[:8]}"

    @property
    def key(self) -> str:
        return workspace_key(self.subscription_id, self.resource_group, self.name)

    def table(self, kind: str) -> Table:
        return self.tables[kind]

    def experiment(self, name: str) -> dict | None:
        exp_id = self.experiment_by_name.get(name)
        return self.tables["experiments"].get(exp_id) if exp_id else None


def workspace_key(subscription_id: str, resource_group: str, name: str) -> str:
    # ARM names are case-insensitive.
    return f"{subscription_id.lower()}/{resource_group.lower()}/{name.lower()}"


@dataclass
class Operation:
    """A long-running operation: a workspace delete (ARM) or a service delete (model management)."""

    id: str
    kind: str  # workspace_delete | service_delete | v2_delete
    workspace_key: str
    location: str
    subscription_id: str
    target: str = ""  # service id for service_delete; "<kind>|<key>" for v2_delete
    purge: bool = False
    needed_polls: int = 2
    max_seconds: float = 0.0
    polls: int = 0
    started_mono: float = field(default_factory=time.monotonic)
    started: str = field(default_factory=utc_now_iso)
    ended: str | None = None
    done: bool = False

    def due(self) -> bool:
        if self.done:
            return False
        if self.polls > self.needed_polls:
            return True
        return bool(self.max_seconds) and time.monotonic() - self.started_mono >= self.max_seconds


class Store:
    """Everything the emulator holds. Rebuilt from a scenario on reset."""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.workspaces: dict[str, Workspace] = {}
        # subscription id (lower) -> {resource group (lower) -> display name}
        self.resource_groups: dict[str, dict[str, str]] = {}
        self.subscription_names: dict[str, str] = {}
        self.operations: dict[str, Operation] = {}
        # the operations not done yet: by (kind, workspace, target), and by the time they are due (a heap): a request
        # looks at the operations it concerns, not at every operation ever started
        self._open: dict[tuple[str, str, str], Operation] = {}
        self._deadlines: list[tuple[float, int, str]] = []
        self.users: list[dict] = []
        self.tenant = ""
        # key of the fake blob storage's SAS signatures (derived from the seed: deterministic URLs)
        self.blob_key = hashlib.sha256(f"emulator-blob-key-{seed}".encode()).digest()
        self.serial = 0  # counter for objects created at run time
        # registries (v2, resource-group level, read-only): "<subscription>/<resource group>" (lower) -> name -> ARM body
        self.registries: dict[str, dict[str, dict]] = {}

    # -- subscriptions / resource groups / workspaces -------------------------------------
    def add_resource_group(self, subscription_id: str, name: str) -> None:
        self.subscription_names.setdefault(subscription_id.lower(), subscription_id)
        self.resource_groups.setdefault(subscription_id.lower(), {})[name.lower()] = name

    def has_subscription(self, subscription_id: str) -> bool:
        return subscription_id.lower() in self.resource_groups

    def has_resource_group(self, subscription_id: str, name: str) -> bool:
        return name.lower() in self.resource_groups.get(subscription_id.lower(), {})

    def add_workspace(self, ws: Workspace) -> Workspace:
        self.add_resource_group(ws.subscription_id, ws.resource_group)
        self.workspaces[ws.key] = ws
        return ws

    def find_workspace(self, subscription_id: str, resource_group: str, name: str) -> Workspace | None:
        return self.workspaces.get(workspace_key(subscription_id, resource_group, name))

    def find_workspace_by_id(self, arm_id: str) -> Workspace | None:
        parts = arm_id.strip("/").split("/")
        # subscriptions/{s}/resourceGroups/{rg}/providers/{p}/workspaces/{name}
        if len(parts) != 8 or parts[0].lower() != "subscriptions" or parts[6].lower() != "workspaces":
            return None
        return self.find_workspace(parts[1], parts[3], parts[7])

    def active_workspaces(self, subscription_id: str, resource_group: str | None = None) -> list[Workspace]:
        out = [ws for ws in self.workspaces.values()
               if ws.status == "active" and ws.subscription_id.lower() == subscription_id.lower()
               and (resource_group is None or ws.resource_group.lower() == resource_group.lower())]
        return sorted(out, key=lambda w: w.arm_id.lower())

    # -- long-running operations -----------------------------------------------------------
    def add_operation(self, op: Operation) -> Operation:
        """Start ``op`` (findable by its id, by :meth:`pending_operation` until done, finished by :meth:`tick` when due)."""
        self.operations[op.id] = op
        self._open[(op.kind, op.workspace_key, op.target)] = op
        if op.max_seconds:
            heapq.heappush(self._deadlines, (op.started_mono + op.max_seconds, len(self.operations), op.id))
        return op

    def tick(self) -> None:
        """Finish the operations whose time is up (called at the start of every request)."""
        now = time.monotonic()
        while self._deadlines and self._deadlines[0][0] <= now:
            op = self.operations.get(heapq.heappop(self._deadlines)[2])
            if op is not None and op.due():
                self.finish(op)

    def poll(self, op: Operation) -> None:
        op.polls += 1
        if op.due():
            self.finish(op)

    def finish(self, op: Operation) -> None:
        if op.done:
            return
        op.done = True
        if self._open.get((op.kind, op.workspace_key, op.target)) is op:
            del self._open[(op.kind, op.workspace_key, op.target)]
        op.ended = utc_now_iso()
        ws = self.workspaces.get(op.workspace_key)
        if op.kind == "workspace_delete":
            if ws is None:
                return
            if op.purge:
                del self.workspaces[op.workspace_key]
            else:
                ws.status = "soft_deleted"
                ws.provisioning_state = "Succeeded"
                ws.deleted_at = op.ended
        elif op.kind == "service_delete" and ws is not None:
            ws.table("services").remove(op.target)
        elif op.kind == "v2_delete" and ws is not None:
            kind, _, key = op.target.partition("|")
            delete_v2(ws, kind, key)

    def pending_operation(self, kind: str, workspace_key: str, target: str = "") -> Operation | None:
        op = self._open.get((kind, workspace_key, target))
        return op if op is not None and not op.done else None


def delete_v2(ws: Workspace, kind: str, key: str) -> None:
    """Carry out the delete of a v2 object (at once for synchronous deletes, when its operation finishes otherwise).

    A job is its run: the run, its metrics (v1 and v2) and its artifacts leave run history. The runs of a pipeline job's
    child jobs (``parentRunId``) stay: docs/emulator.md says why (unknown, so the conservative choice). An endpoint takes
    its deployments. A model version is the v1 model ``name:version``.
    """
    if kind == "jobs":
        runs = ws.table("runs")
        experiment = runs.group_of.get(key)
        run = runs.remove(key)
        if run is None:
            return
        ws.archived.discard(("runs", key))
        container = run.get("dataContainerId") or key
        # Each table is grouped by what ties its objects to a run (metrics: the run's experiment; v2 metrics: the run;
        # artifacts: the data container): only those groups are looked at, not every object of the workspace.
        metrics = ws.table("metrics")
        for k in metrics.members(experiment):
            if metrics.items[k].get("runId") == key:
                metrics.remove(k)
        metrics_v2 = ws.table("metrics_v2")
        for k in metrics_v2.members(key):
            metrics_v2.remove(k)
        artifacts = ws.table("artifacts")
        for k in artifacts.members(container) + (artifacts.members(key) if key != container else []):
            artifacts.remove(k)
    elif kind == "model_versions":
        ws.table("models").remove(key)
        ws.archived.discard(("models", key))
    elif kind in ("online_endpoints", "batch_endpoints"):
        ws.table(kind).remove(key)
        deployments = ws.table(kind.replace("endpoints", "deployments"))
        for k in [k for k, g in deployments.group_of.items() if g == key]:
            deployments.remove(k)
    elif kind == "connections":
        ws.table(kind).remove(key)
        ws.connection_secrets.pop(key, None)
    else:  # computes and datastores (keyed by name), the other v2 kinds (by ARM id)
        ws.table(kind).remove(key)
