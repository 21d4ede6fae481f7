"""A fake Azure AD (Microsoft identity platform) over HTTPS, with a test CA made by trustme.

Serves what ``azure.identity.ClientSecretCredential(..., authority=<this>, disable_instance_discovery=True)``
calls (two requests, measured with azure-identity): ``GET /{tenant}/v2.0/.well-known/openid-configuration`` and
``POST /{tenant}/oauth2/v2.0/token`` (client-credentials grant), plus the v1 endpoint
``POST /{tenant}/oauth2/token`` (``resource=`` form, as azureml-core's older clients send it). Errors use Azure AD's JSON error
shape with its AADSTS codes (invalid_client / AADSTS7000215 for a wrong secret, ...).
"""

from __future__ import annotations

import os
import ssl
import tempfile
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import trustme
from aiohttp import web

if TYPE_CHECKING:
    from .app import Emulator


class TestCA:
    """One CA for the emulator: a server certificate for the AAD (and the API with ``--tls``)."""

    def __init__(self, ca_dir: str | None, hosts: list[str]):
        self.ca = trustme.CA(organization_name="azureml-emulator test CA")
        names = sorted({"127.0.0.1", "localhost", "::1", *hosts})
        self.cert = self.ca.issue_cert(*names)
        self.dir = ca_dir or tempfile.mkdtemp(prefix="azureml-emulator-ca-")
        os.makedirs(self.dir, exist_ok=True)
        self.ca_path = os.path.join(self.dir, "emulator-ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_path)

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(ctx)
        return ctx


def _aad_error(status: int, error: str, code: int, description: str) -> web.Response:
    now = datetime.now(timezone.utc)
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\n"
                             f"Timestamp: {now.strftime('%Y-%m-%d %H:%M:%SZ')}",
        "error_codes": [code],
        "timestamp": now.strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": trace,
        "correlation_id": corr,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return web.json_response(body, status=status)


def make_aad_app(emu: Emulator) -> web.Application:
    app = web.Application()

    def base(request: web.Request) -> str:
        return f"https://{request.host}"

    def known_tenant(tenant: str) -> bool:
        return tenant.lower() in (emu.options.tenant.lower(), "organizations", "common")

    async def openid(request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        if not known_tenant(tenant):
            return _aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        b = f"{base(request)}/{tenant}"
        return web.json_response({
            "token_endpoint": f"{b}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{b}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{b}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base(request)}/oidc/userinfo",
            "authorization_endpoint": f"{b}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{b}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{b}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "oid", "tid", "ver"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        })

    async def keys(request: web.Request) -> web.Response:
        return web.json_response({"keys": []})

    async def token(request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        v1 = request.match_info.get("v") is None
        form = await request.post()
        if not known_tenant(tenant) or tenant.lower() in ("organizations", "common"):
            return _aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have "
                              "the correct tenant ID and are signing into the correct cloud.")
        grant = form.get("grant_type")
        if grant != "client_credentials":
            return _aad_error(400, "unsupported_grant_type", 70003,
                              f"The app requested an unsupported grant type '{grant}'.")
        client_id = str(form.get("client_id") or "")
        secret = str(form.get("client_secret") or "")
        if client_id not in emu.options.clients:
            return _aad_error(400, "unauthorized_client", 700016,
                              f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.")
        if emu.options.clients[client_id] != secret:
            return _aad_error(401, "invalid_client", 7000215,
                              "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                              f"secret value, not the client secret ID, for a secret added to app '{client_id}'.")
        if v1:
            audience = str(form.get("resource") or "")
        else:
            scope = str(form.get("scope") or "")
            scopes = scope.split()
            if len(scopes) != 1 or not scopes[0].endswith("/.default"):
                return _aad_error(400, "invalid_scope", 1002012,
                                  f"The provided value for scope {scope} is not valid. Client credential flows must have "
                                  "a scope value with /.default suffixed to the resource identifier (application ID URI).")
            audience = scopes[0][: -len(".default")]  # 'https://management.core.windows.net//.default' -> '...net/'
            if audience.endswith("//"):
                audience = audience[:-1]
            elif audience.endswith("/") and audience.count("/") == 3:
                audience = audience[:-1]
        if not audience:
            return _aad_error(400, "invalid_request", 900144, "The request body must contain the following parameter: 'resource'.")
        lifetime = emu.config.token_lifetime
        access_token, claims = emu.auth.issue(tenant, client_id, audience, lifetime)
        emu.journal.token_grants += 1
        body: dict = {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                      "access_token": access_token}
        if v1:  # the v1 endpoint answers strings and names the resource (API-NOTES 9)
            body = {"token_type": "Bearer", "expires_in": str(lifetime), "ext_expires_in": str(lifetime),
                    "expires_on": str(claims["exp"]), "not_before": str(claims["nbf"]), "resource": audience,
                    "access_token": access_token}
        return web.json_response(body, headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", openid)
    app.router.add_get("/{tenant}/.well-known/openid-configuration", openid)
    app.router.add_get("/{tenant}/discovery/v2.0/keys", keys)
    app.router.add_post("/{tenant}/oauth2/{v:v2.0}/token", token)
    app.router.add_post("/{tenant}/oauth2/token", token)
    return app
