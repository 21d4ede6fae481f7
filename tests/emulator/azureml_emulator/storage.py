"""The workspaces' storage on Azurite (``--storage azurite``): accounts, datastores, and the files they hold.

With storage, every workspace's ``storageAccount`` names an Azurite account (one per workspace unless the
scenario gives several workspaces the same ``storage_account``; ``storage_resource_group`` names the account's
resource group when it is not the workspace's, so that workspaces of two groups share one ARM id) whose key is
derived from its name, and
its default datastores point at it, as in a real workspace:

- ``workspaceartifactstore``: container ``azureml`` -- every run's files under :func:`run_blob_prefix`
  (``ExperimentRun/dcid.<runId>/``): its registered artifacts (same paths and bytes as the artifact
  contents the emulator serves) and logs/outputs that are not registered artifacts;
- ``workspaceblobstore``: container ``azureml-blobstore-<workspace guid>`` -- uploads
  (``LocalUpload/<hash>/...``: model files, code snapshots of the runs, assets without a run), the files the
  pipeline datasources point at, and files that belong to nobody in particular (``shared/...``).

The first runs of a workspace have a blob with a snapshot (the earlier content). Everything is deterministic
from the scenario seed except snapshot ids and etags, which Azurite assigns. :func:`plan` says what to
seed, :func:`seed` writes it (with the account key: the emulator's own doing, never the collection's),
:func:`wipe` empties the accounts before a reset seeds again. ``/_emulator/state`` reports the seeded blobs
(:func:`state_of`); the live truth is Azurite's own listing (``EmulatorProcess.storage_blobs()``).

Artifact paths that cannot be a blob name are not seeded (reported as ``not_seeded``): a ``.`` or ``..``
segment (clients and servers resolve them in the URL, so the blob cannot be addressed) or a backslash
(Azurite turns it into ``/``, which gives another name).
"""

from __future__ import annotations

import base64
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from . import objects as ob
from . import objects_v2 as v2
from .store import Store, Workspace

ARTIFACT_CONTAINER = "azureml"
SEED_CONCURRENCY = 8
BIG_BLOB_SIZE = 1536 * 1024 + 17  # one blob per workspace larger than a download chunk (not a round number)


def run_blob_prefix(run: dict) -> str:
    """``ExperimentRun/<dataContainerId>/``: where a run's files live in the ``azureml`` container.

    The ONE place the emulator maps a run to its storage prefix: the run's ``dataContainerId``
    (``dcid.<runId>``), falling back to ``dcid.<runId>`` for a run without one.
    """
    return f"ExperimentRun/{run.get('dataContainerId') or 'dcid.' + run['runId']}/"


def blobstore_container(ws: Workspace) -> str:
    """``azureml-blobstore-<workspace guid>``: the container of the workspace's ``workspaceblobstore``."""
    return f"azureml-blobstore-{ws.workspace_id}"


def account_key(account: str) -> str:
    """The account's key (base64 of 64 bytes, like Azure's), derived from its name: Azurite reads its accounts once
    (``AZURITE_ACCOUNTS``), so a reset to another seed keeps them."""
    return base64.b64encode(hashlib.sha512(f"emulator-storage-key/{account}".encode()).digest()).decode()


def storable(name: str) -> str | None:
    """Why ``name`` cannot be a blob name (None when it can)."""
    if "\\" in name:
        return "a backslash (Azurite stores it as '/', another name)"
    if any(part in (".", "..") for part in name.split("/")):
        return "a '.' or '..' segment (resolved in the URL: the blob cannot be addressed)"
    if name.endswith(("/", ".")):
        return "ends with '/' or '.'"
    return None


def _noise(size: int, *parts: object) -> bytes:
    return hashlib.shake_256("\x1f".join(str(p) for p in parts).encode()).digest(size)


def _text(lines: int, *parts: object) -> bytes:
    digest = ob.det_hex(48, *parts)
    return "".join(f"{i:05d} {digest} {ob.det_hex(24, i, *parts)}\n" for i in range(lines)).encode()


@dataclass
class SeedBlob:
    """One blob to seed (``data``) and what ``/_emulator/state`` says about it."""

    workspace: str
    account: str
    container: str
    name: str
    data: bytes
    run_id: str | None = None
    owner: dict | None = None  # {userObjectId, userTenantId, userName} of the person the file is about
    referenced_by: dict | None = None  # {"kind": ..., "id": ...}: the object the file belongs to
    artifact: bool = False  # the bytes of a registered artifact
    earlier: list[bytes] = field(default_factory=list)  # contents kept as snapshots, oldest first

    def state(self, snapshots: list[dict] | None = None) -> dict:
        out = {"account": self.account, "container": self.container, "name": self.name, "size": len(self.data),
               "sha256": hashlib.sha256(self.data).hexdigest(), "run_id": self.run_id, "owner": self.owner,
               "referenced_by": self.referenced_by, "artifact": self.artifact}
        out["snapshots"] = snapshots if snapshots is not None else [
            {"snapshot": None, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for d in self.earlier]
        return out


@dataclass
class WorkspaceStorage:
    account: str
    containers: list[str]
    blobs: list[SeedBlob]
    not_seeded: list[dict]


def attach(store: Store) -> None:
    """Point every workspace's default datastores at its storage account (call after ``scenarios.build``)."""
    for ws in store.workspaces.values():
        table = ws.table("datastores")
        for name, container in (("workspaceblobstore", blobstore_container(ws)), ("workspaceartifactstore", ARTIFACT_CONTAINER)):
            current = table.get(name)
            if current is None or (current.get("azureStorageSection") or {}).get("credentialType") != "AccountKey":
                if current is not None:
                    table.remove(name)
                current = table.add(ob.datastore(ws, name, "AzureBlob-key", store.tenant))
            key = account_key(ws.storage_account_name)
            current["azureStorageSection"].update(accountName=ws.storage_account_name, containerName=container,
                                                  credential=key, accountKey=key)


def accounts(store: Store) -> dict[str, str]:
    """``{account: key}`` of every workspace (``AZURITE_ACCOUNTS``)."""
    return {ws.storage_account_name: account_key(ws.storage_account_name) for ws in store.workspaces.values()}


def plan(store: Store) -> dict[str, WorkspaceStorage]:
    """What every workspace's storage holds, by workspace key (deterministic from the seed)."""
    return {ws.key: _plan_workspace(store, ws) for ws in sorted(store.workspaces.values(), key=lambda w: w.key)}


def _plan_workspace(store: Store, ws: Workspace) -> WorkspaceStorage:
    account, bstore, seed = ws.storage_account_name, blobstore_container(ws), store.seed
    blobs: list[SeedBlob] = []
    not_seeded: list[dict] = []

    def add(container: str, name: str, data: bytes, **kw) -> None:
        blobs.append(SeedBlob(ws.arm_id, account, container, name, data, **kw))

    runs = ws.table("runs")
    run_by_container: dict[str, dict] = {}
    for run in runs.items.values():
        run_by_container[run["runId"]] = run
        if run.get("dataContainerId"):
            run_by_container[run["dataContainerId"]] = run
    files_of: dict[str, list[tuple[str, bytes]]] = {}
    arts = ws.table("artifacts")
    for key in arts.sorted_keys():
        art = arts.items[key]
        run = run_by_container.get(art.get("container", ""))
        if art.get("origin") != "ExperimentRun" or run is None:
            continue
        reason = storable(run_blob_prefix(run) + art["path"])
        if reason:
            not_seeded.append({"run_id": run["runId"], "path": art["path"], "reason": reason})
            continue
        files_of.setdefault(run["runId"], []).append((art["path"], ob.artifact_content(art)))

    big_done = False
    for index, run_id in enumerate(runs.sorted_keys()):
        run = runs.items[run_id]
        owner = ob.state_identity(run.get("createdBy"))
        who = (run.get("createdBy") or {}).get("userName", "")
        prefix = run_blob_prefix(run)
        ref = {"kind": "runs", "id": run_id}
        taken = set()
        for path, data in files_of.get(run_id, []):
            add(ARTIFACT_CONTAINER, prefix + path, data, run_id=run_id, owner=owner, referenced_by=ref, artifact=True)
            taken.add(path)
        log = f"run {run_id} started by {who}\n".encode() + _text(20 + index % 7, seed, ws.key, run_id, "std_log")
        extra = [("user_logs/std_log.txt", log),
                 ("system_logs/cs_capability/cs-capability.log", _text(8, seed, ws.key, run_id, "cs"))]
        if run.get("status") == "Completed":
            size = BIG_BLOB_SIZE if not big_done else 4096 + int(ob.det_hex(4, seed, run_id), 16) % 60000
            big_done = True
            extra.append(("outputs/predictions.bin", _noise(size, seed, ws.key, run_id, "predictions")))
        for path, data in extra:
            if path not in taken:
                earlier = [b"first attempt of " + data[:200]] if path == "user_logs/std_log.txt" and index < 2 else []
                add(ARTIFACT_CONTAINER, prefix + path, data, run_id=run_id, owner=owner, referenced_by=ref, earlier=earlier)
        snapshot_id = (run.get("properties") or {}).get("ContentSnapshotId")
        if snapshot_id:
            upload = f"LocalUpload/{ob.det_hex(32, 'snapshot', snapshot_id)}/src/"
            add(bstore, upload + "train.py", f"# training script of run {run_id}\n".encode() + _text(12, seed, snapshot_id),
                run_id=run_id, owner=owner, referenced_by={"kind": "runs", "id": run_id, "snapshot": snapshot_id})

    models = ws.table("models")
    for key in models.sorted_keys():
        model = models.items[key]
        upload = f"LocalUpload/{ob.det_hex(32, 'upload', ws.key, model['id'])}/{model['name']}.pkl"
        add(bstore, upload, _noise(2048 + len(model["id"]) * 64, seed, ws.key, model["id"]),
            owner=ob.state_identity(model.get("createdBy")), referenced_by={"kind": "models", "id": model["id"]})
    seeded = {(b.container, b.name) for b in blobs}
    versions = [("data_versions", "dataUri", "dataType", ws.table("data_versions").items[key])
                for key in ws.table("data_versions").sorted_keys()]
    versions += [("model_versions", "modelUri", "modelType", v2.model_version(ws, models.items[key], store.users, False))
                 for key in models.sorted_keys()]  # a model version is the v1 model name:version
    for kind, uri_field, type_field, version in versions:
        props = version.get("properties") or {}
        name = version_blob_path(ws, props.get(uri_field))
        if name is None:
            continue  # not on this workspace's blob store (adl://, ...): nothing to seed
        ref = {"kind": kind, "id": version["id"]}
        if props.get(type_field) == "uri_file":
            files = [(name, b"customer_id,email,country\n" + _text(10, seed, ws.key, name))]
        else:
            files = [(name + "part-000.csv", b"customer_id,email,country\n" + _text(15, seed, ws.key, name, 0)),
                     (name + "part-001.csv", b"customer_id,email,country\n" + _text(9, seed, ws.key, name, 1))] \
                if kind == "data_versions" else \
                [(name + "model.pkl", _noise(3000 + len(name) * 8, seed, ws.key, name)),
                 (name + "conda.yaml", b"name: model\ndependencies:\n  - python=3.10\n")]
        for blob_name, data in files:
            if (bstore, blob_name) not in seeded and not storable(blob_name):
                seeded.add((bstore, blob_name))
                add(bstore, blob_name, data, referenced_by=ref)
    assets = ws.table("assets")
    for key in assets.sorted_keys():
        asset = assets.items[key]
        for art in asset.get("artifacts") or []:
            if str(art.get("id", "")).startswith("LocalUpload/"):
                add(bstore, art["id"], _noise(1024, seed, ws.key, art["id"]), referenced_by={"kind": "assets", "id": asset["id"]})
    sources = ws.table("pipeline_datasources")
    for key in sources.sorted_keys():
        source = sources.items[key]
        path = source.get("pathOnDataStore")
        if path and source.get("dataStoreName") == "workspaceblobstore" and not storable(path):
            add(bstore, path, b"customer_id,email,country\n" + _text(30, seed, ws.key, path),
                owner=ob.state_identity(source.get("createdBy")), referenced_by={"kind": "pipeline_datasources", "id": key})

    add(bstore, "shared/readme.txt", f"Shared files of workspace {ws.name}.\n".encode())
    add(bstore, "shared/reference/countries.csv", b"code,name\n" + _text(40, seed, ws.key, "countries"))
    add(ARTIFACT_CONTAINER, f"metadata/{ws.workspace_id}.json", f'{{"workspace": "{ws.name}"}}\n'.encode())
    return WorkspaceStorage(account, sorted({ARTIFACT_CONTAINER, bstore}), blobs, not_seeded)


def version_blob_path(ws: Workspace, uri: str | None) -> str | None:
    """The blob path on the workspace blob store of a data or model version's URI (a folder ends with ``/``): the
    ``azureml://.../datastores/workspaceblobstore/paths/<path>`` forms and ``https://<account>.blob.core.windows.net/
    <blobstore container>/<path>``; None for anything else (the collection reports those as not reachable)."""
    uri = str(uri or "")
    marker = "/datastores/workspaceblobstore/paths/"
    if uri.startswith("azureml://") and marker in uri:
        return uri.split(marker, 1)[1]
    https = f"https://{ws.storage_account_name}.blob.core.windows.net/{blobstore_container(ws)}/"
    if uri.startswith(https):
        return uri[len(https):]
    return None


def artifact_blob(ws: Workspace, art: dict) -> str | None:
    """The name of the blob holding the artifact's bytes in the ``azureml`` container (as :func:`plan` seeds it), or None."""
    if art.get("origin") != "ExperimentRun":
        return None
    runs = ws.table("runs")
    container = art.get("container", "")
    run = next((r for r in runs.items.values() if r.get("dataContainerId") == container), None) or runs.get(container)
    if run is None or storable(run_blob_prefix(run) + art["path"]):
        return None
    return run_blob_prefix(run) + art["path"]


def read_blob(azurite, account: str, name: str) -> tuple[bytes, str] | None:
    """``(bytes, ETag header value)`` of the blob as Azurite holds it now (None when it does not exist): what a SAS URL of
    the artifact serves, as on Azure, where the artifact content and the run's blob are the same blob."""
    from azure.core.exceptions import ResourceNotFoundError

    services = azurite.__dict__.setdefault("_readers", {})
    service = services.get(account) or services.setdefault(account, azurite.service_client(account))
    try:
        stream = service.get_blob_client(ARTIFACT_CONTAINER, name).download_blob()
        data = stream.readall()
    except ResourceNotFoundError:
        return None
    etag = str(stream.properties.etag)
    return data, etag if etag.startswith('"') else f'"{etag}"'


def write_blob(azurite, account: str, name: str, data: bytes) -> None:
    """Overwrite the blob ``name`` of the ``azureml`` container (the emulator's own doing, with the account key)."""
    services = azurite.__dict__.setdefault("_readers", {})
    service = services.get(account) or services.setdefault(account, azurite.service_client(account))
    service.get_blob_client(ARTIFACT_CONTAINER, name).upload_blob(data, overwrite=True)


def wipe(azurite, account_names) -> None:
    """Delete every container of ``account_names`` (before seeding again)."""
    for account in sorted(account_names):
        service = azurite.service_client(account)
        for container in service.list_containers():
            service.delete_container(container.name)


def seed(azurite, planned: dict[str, WorkspaceStorage]) -> dict[str, dict]:
    """Write ``planned`` into Azurite; return ``{workspace key: state}`` (:func:`state_of`'s input)."""
    services: dict[str, object] = {}
    for storage in planned.values():
        service = services.setdefault(storage.account, azurite.service_client(storage.account))
        existing = {c.name for c in service.list_containers()}
        for container in storage.containers:
            if container not in existing:
                service.create_container(container)
                existing.add(container)
    every = [blob for storage in planned.values() for blob in storage.blobs]

    def put(blob: SeedBlob) -> list[dict]:
        client = services[blob.account].get_blob_client(blob.container, blob.name)
        snapshots = []
        for data in blob.earlier:
            client.upload_blob(data, overwrite=True)
            taken = client.create_snapshot()
            snapshots.append({"snapshot": taken["snapshot"], "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        client.upload_blob(blob.data, overwrite=True)
        return snapshots

    with ThreadPoolExecutor(max_workers=SEED_CONCURRENCY) as pool:
        snapshots = list(pool.map(put, every))
    taken = {id(blob): snaps for blob, snaps in zip(every, snapshots)}
    return {key: {"account": storage.account, "containers": storage.containers, "not_seeded": storage.not_seeded,
                  "blobs": [blob.state(taken[id(blob)]) for blob in storage.blobs]}
            for key, storage in planned.items()}


def state_of(seeded: dict, azurite_url: str) -> dict:
    """The ``storage`` entry of a workspace in ``/_emulator/state``."""
    return {"account": seeded["account"], "blob_endpoint": f"{azurite_url}/{seeded['account']}",
            "containers": list(seeded["containers"]), "blobs": list(seeded["blobs"]), "not_seeded": list(seeded["not_seeded"])}
