"""Per-request context handed to every handler: parameters, query, workspace lookup, paging, replies."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING
from urllib.parse import quote

from aiohttp import web

from .config import FOREIGN_BASE_URL
from .errors import ApiError, bad_request, not_found
from .routing import Route
from .store import Workspace

if TYPE_CHECKING:
    from .app import Emulator

_TOKEN_VERSION = 1


class Ctx:
    def __init__(self, emu: Emulator, request: web.Request, route: Route, params: dict[str, str], *,
                 request_id: str, body: object = None):
        self.emu = emu
        self.store = emu.store
        self.config = emu.config
        self.request = request
        self.route = route
        self.family = route.family
        self.params = params
        self.request_id = request_id
        self.body = body
        self.base_url = base_url(request)
        self._query_lower = {k.lower(): v for k, v in request.query.items()}

    # -- query -------------------------------------------------------------------------------
    def q(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, looked up case-insensitively ($skiptoken / $skipToken)."""
        return self._query_lower.get(name.lower(), default)

    def q_bool(self, name: str, default: bool) -> bool:
        raw = self.q(name)
        if raw is None:
            return default
        if raw.lower() in ("true", "1"):
            return True
        if raw.lower() in ("false", "0"):
            return False
        raise bad_request(self.family, f"The value '{raw}' is not valid for query parameter '{name}'.")

    def q_int(self, name: str) -> int | None:
        raw = self.q(name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            raise bad_request(self.family, f"The value '{raw}' is not valid for query parameter '{name}'.") from None
        if value < 1:
            raise bad_request(self.family, f"The value '{raw}' is not valid for query parameter '{name}'.")
        return value

    # -- workspace lookup --------------------------------------------------------------------
    def workspace(self) -> Workspace:
        """The active workspace named by the path, or the family's 404."""
        p = self.params
        ws = self.store.find_workspace(p["subscription_id"], p["resource_group"], p["workspace_name"])
        if ws is not None and ws.status == "active":
            return ws
        if self.family == "arm":
            raise self.arm_not_found()
        raise not_found(self.family, f"Workspace '{p['workspace_name']}' was not found in resource group "
                                     f"'{p['resource_group']}' of subscription '{p['subscription_id']}'.")

    def arm_not_found(self) -> ApiError:
        """ARM's own 404s (API-NOTES 1.3): subscription, resource group, workspace, nested resource."""
        p = self.params
        sub, rg, name = p["subscription_id"], p["resource_group"], p["workspace_name"]
        if not self.store.has_subscription(sub):
            return ApiError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
        if not self.store.has_resource_group(sub, rg):
            return ApiError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        if self.route.op.startswith("workspaces."):
            return ApiError(404, "ResourceNotFound",
                            f"The Resource 'Microsoft.MachineLearningServices/workspaces/{name}' under resource group "
                            f"'{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")
        return ApiError(404, "ParentResourceNotFound",
                        f"Can not perform requested operation on nested resource. Parent resource '{name}' not found.")

    # -- paging ------------------------------------------------------------------------------
    def page_size(self, *caps: int | None) -> int:
        size = self.config.page_size
        for cap in caps:
            if cap:
                size = min(size, cap)
        return size

    def decode_token(self, token: str | None) -> str | None:
        if token is None or token == "":
            return None
        try:
            pad = "=" * (-len(token) % 4)
            data = json.loads(base64.urlsafe_b64decode(token + pad))
            if data.get("v") != _TOKEN_VERSION or not isinstance(data.get("after"), str):
                raise ValueError
            return data["after"]
        except (ValueError, TypeError, json.JSONDecodeError):
            raise bad_request(self.family, f"The continuation token '{token[:80]}' is invalid.",
                              code="InvalidSkipToken" if self.family == "arm" else None) from None

    def encode_token(self, after: str) -> str:
        """The token of the page after ``after`` (with ``paging_fault: repeat_token``, after the first page: the token
        this request was asked with, so the list never ends)."""
        if self.config.paging_fault == "repeat_token":
            asked = self.asked_token()
            if asked:
                return asked
        raw = json.dumps({"v": _TOKEN_VERSION, "after": after}, ensure_ascii=False, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def asked_token(self) -> str | None:
        """The continuation token of this request (query ``$skipToken`` / ``continuationToken``, or the POST body)."""
        if self.request.method == "POST" and isinstance(self.body, dict):
            return self.body.get("continuationToken") or None
        return self.q("$skiptoken") or self.q("continuationToken") or None

    def link_with(self, param: str, token: str) -> str:
        """This request's absolute URL with query parameter ``param`` set to ``token`` (others kept)."""
        parts = [f"{quote(k, safe='$-_.~')}={quote(v, safe='')}" for k, v in self.request.query.items()
                 if k.lower() != param.lower()]
        parts.append(f"{quote(param, safe='$')}={quote(token, safe='')}")
        path = self.request.raw_path.split("?", 1)[0]
        base = FOREIGN_BASE_URL if self.config.paging_fault == "foreign_link" else self.base_url
        return f"{base}{path}?{'&'.join(parts)}"

    # -- replies -----------------------------------------------------------------------------
    @staticmethod
    def json(body: object, status: int = 200, headers: dict | None = None) -> web.Response:
        return web.Response(body=json.dumps(body, ensure_ascii=False).encode(), status=status, headers=headers,
                            content_type="application/json", charset="utf-8")

    @staticmethod
    def empty(status: int, headers: dict | None = None) -> web.Response:
        return web.Response(status=status, headers=headers)


def base_url(request: web.Request) -> str:
    """The emulator's own base URL as the client reached it (scheme + Host header)."""
    return f"{request.scheme}://{request.host}"
