"""Artifacts of runs, their content information, and the fake blob storage behind the SAS URLs.

Spec: artifact.json 2019-09-30 (``Artifact``, ``ArtifactContentInformation``, ``PaginatedArtifactList``).
Documented routes ``/artifact/v1.0{ws}/artifacts/origins/{origin}/containers/{container}[/contentinfo]``;
current routes ``/artifact/v2.0{ws}/artifacts/{origin}/{container}[/contentinfo]`` share the handlers.
azureml-core 1.61 asks content information (and content) with the path in the URL:
``/artifact/v2.0{ws}/artifacts/contentinfo/{origin}/{container}/{path}`` (``.../content/...``).

A run's artifacts live in the container its ``dataContainerId`` names (``dcid.<runId>``); any other
container name is an empty storage prefix: an empty list, as the service answers. Switch
``artifact_data_container: false`` restores the emulator's old behaviour (artifacts served under the
run id, ``dcid.`` containers empty); ``contentinfo_path_form: false`` makes the path form answer 404.

``contentinfo`` returns a ``contentUri`` on the emulator (``/_blobs/<opaque>?...&sig=...``) that, like an
Azure Storage SAS URL, needs no Authorization header: the signature is the credential. A wrong or
missing signature answers 403 with the storage service's XML error. With ``--storage azurite`` the URL serves the
run's blob as Azurite holds it now (its bytes and ETag), as on Azure, where the artifact is that blob; the emulator's
own bytes when there is no such blob.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import mimetypes
import time
from datetime import datetime, timezone
from urllib.parse import quote

from aiohttp import web

from .. import objects as ob
from .. import storage
from ..context import Ctx
from ..errors import ApiError, bad_request, not_found
from ..routing import WS, Route
from . import continuation

SAS_VERSION = "2019-02-02"
SAS_LIFETIME = 3600


def _stored(ctx: Ctx, ws) -> tuple[str | None, str | None]:
    """(the container the artifacts asked for are stored under, the name to serve them with; None: as stored).

    Today: the container asked for. Switch ``artifact_data_container: false`` (the old emulator): a run id
    serves the artifacts of that run's data container, renamed to the run id; a ``dcid.`` container is empty.
    """
    container = ctx.params["container"]
    if ctx.config.artifact_data_container:
        return container, None
    if container.startswith("dcid."):
        return None, None
    run = ws.table("runs").get(container)
    return (ob.data_container(run) if run else container), container


def _as_served(art: dict, rename: str | None) -> dict:
    if rename is None:
        return art
    return {**art, "container": rename, "artifactId": f"{art['origin']}/{rename}/{art['path']}"}


async def list_artifacts(ctx: Ctx):
    ws = ctx.workspace()
    origin = ctx.params["origin"]
    prefix = ctx.q("path")
    stored, rename = _stored(ctx, ws)

    def wanted(a: dict) -> bool:
        return a["origin"] == origin and (not prefix or a["path"].startswith(prefix))

    # An unknown container is an empty prefix in storage: an empty list, as the service answers.
    return ctx.json(continuation.page(ctx, ws.table("artifacts"), group=stored or "", grouped=True, predicate=wanted,
                                      transform=lambda a: _as_served(a, rename)))


def _artifact(ctx: Ctx, path: str | None) -> tuple[object, dict, str | None]:
    ws = ctx.workspace()
    if not path:
        raise bad_request("artifact", "The query parameter 'path' is required.")
    stored, rename = _stored(ctx, ws)
    art_id = f"{ctx.params['origin']}/{stored}/{path}"
    art = ws.table("artifacts").get(art_id) if stored else None
    if art is None:
        raise not_found("artifact", f"Artifact {ctx.params['origin']}/{ctx.params['container']}/{path} was not found.")
    return ws, art, rename


def _content_information(ctx: Ctx, path: str | None):
    ws, art, rename = _artifact(ctx, path)
    served = _as_served(art, rename)
    return ctx.json({"contentUri": sas_url(ctx, ws.key, art["artifactId"]), "origin": served["origin"],
                     "container": served["container"], "path": served["path"]})


async def content_info(ctx: Ctx):
    """``.../{container}/contentinfo?path=`` (the 2019 swagger's form)."""
    return _content_information(ctx, ctx.q("path"))


def _path_form(ctx: Ctx) -> str:
    if not ctx.config.contentinfo_path_form:  # switch: the old emulator had no such route
        raise ApiError(404, "NotFound", f"No route for GET {ctx.request.path}.")
    return ctx.params["path"]


async def content_info_path(ctx: Ctx):
    """``.../contentinfo/{origin}/{container}/{path}`` (what azureml-core sends)."""
    return _content_information(ctx, _path_form(ctx))


async def content(ctx: Ctx):
    """``.../content/{origin}/{container}/{path}``: the artifact's bytes (azureml-core ``ArtifactOperations.download``)."""
    ws, art, _rename = _artifact(ctx, _path_form(ctx))
    return web.Response(body=ob.artifact_content(art), content_type="application/octet-stream")


# -- SAS URLs ------------------------------------------------------------------------------------

def _sign(key: bytes, opaque: str, expiry: str) -> str:
    return base64.b64encode(hmac.new(key, f"{opaque}\n{expiry}".encode(), hashlib.sha256).digest()).decode()


def sas_url(ctx: Ctx, ws_key: str, artifact_id: str) -> str:
    opaque = base64.urlsafe_b64encode(json.dumps([ws_key, artifact_id], ensure_ascii=False).encode()).decode().rstrip("=")
    expiry = datetime.fromtimestamp(time.time() + SAS_LIFETIME, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sig = _sign(ctx.store.blob_key, opaque, expiry)
    return (f"{ctx.base_url}/_blobs/{opaque}?sv={SAS_VERSION}&sr=b&sp=r&se={quote(expiry, safe='')}"
            f"&sig={quote(sig, safe='')}")


def _auth_failed() -> ApiError:
    return ApiError(403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the value of "
                    "Authorization header is formed correctly including the signature.")


async def get_blob(ctx: Ctx):
    opaque = ctx.params["blob"]
    sig, expiry = ctx.q("sig"), ctx.q("se")
    if not sig or not expiry:
        raise ApiError(403, "AuthenticationFailed", "Server failed to authenticate the request. The signature "
                       "or its expiry (sig, se) is missing.")
    if not hmac.compare_digest(_sign(ctx.store.blob_key, opaque, expiry), sig):
        raise _auth_failed()
    try:
        exp = datetime.strptime(expiry, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise _auth_failed() from None
    if exp.timestamp() < time.time():
        raise ApiError(403, "AuthenticationFailed", "Server failed to authenticate the request. Signed expiry time "
                       f"[{expiry}] has to be after the current time.")
    try:
        ws_key, art_id = json.loads(base64.urlsafe_b64decode(opaque + "=" * (-len(opaque) % 4)))
    except (ValueError, TypeError):
        raise _auth_failed() from None
    ws = ctx.store.workspaces.get(ws_key)
    art = ws.table("artifacts").get(art_id) if ws is not None and ws.status == "active" else None
    if art is None:
        raise ApiError(404, "BlobNotFound", "The specified blob does not exist.")
    data, etag = ob.artifact_content(art), art["etag"]
    name = storage.artifact_blob(ws, art) if ctx.emu.azurite is not None else None
    if name:  # --storage azurite: the artifact's bytes are the run's blob there (as on Azure), its bytes and ETag now
        found = await asyncio.get_running_loop().run_in_executor(None, storage.read_blob, ctx.emu.azurite, ws.storage_account_name, name)
        if found is not None:
            data, etag = found
            if ctx.config.rewrite_blob_after_sas:  # served, then changed: same size, other bytes, another ETag
                await asyncio.get_running_loop().run_in_executor(None, storage.write_blob, ctx.emu.azurite, ws.storage_account_name,
                                                                 name, bytes(b ^ 0x5A for b in data))
    ctype = mimetypes.guess_type(art["path"].replace("\\", "/"))[0] or "application/octet-stream"
    headers = {"Content-MD5": base64.b64encode(hashlib.md5(data).digest()).decode(),  # noqa: S324 - storage's checksum
               "ETag": etag, "x-ms-blob-type": "BlockBlob", "x-ms-version": SAS_VERSION,
               "Last-Modified": "Mon, 02 Mar 2020 08:00:00 GMT", "Accept-Ranges": "bytes"}
    return web.Response(body=data, content_type=ctype, headers=headers)


V1 = "/artifact/v1.0" + WS + "/artifacts/origins/{origin}/containers/{container}"
V2 = "/artifact/v2.0" + WS + "/artifacts/{origin}/{container}"

V2_ROOT = "/artifact/v2.0" + WS + "/artifacts"

ROUTES = [
    Route("artifacts.list", "artifact", "GET", V1, list_artifacts),
    Route("artifacts.contentinfo", "artifact", "GET", V1 + "/contentinfo", content_info),
    Route("artifacts.list", "artifact", "GET", V2, list_artifacts, "current"),
    Route("artifacts.contentinfo", "artifact", "GET", V2 + "/contentinfo", content_info, "current"),
    Route("artifacts.contentinfo", "artifact", "GET", V2_ROOT + "/contentinfo/{origin}/{container}/{path*}", content_info_path,
          "current"),
    Route("artifacts.content", "artifact", "GET", V2_ROOT + "/content/{origin}/{container}/{path*}", content, "current"),
    Route("blobs.get", "blob", "GET", "/_blobs/{blob}", get_blob, auth=False),
]
