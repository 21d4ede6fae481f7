"""Bearer tokens: the static token (``--token``) and tokens issued by the fake Azure AD until they expire.

Issued tokens look like Azure AD v1 access tokens (an unsigned-in-practice JWT: header.claims.signature)
so clients that peek at ``exp``/``oid``/``tid`` see plausible values; the emulator trusts its own
registry, not the signature. 401 bodies/codes follow ARM's (API-NOTES 9): ``AuthenticationFailed`` when
the header is missing or malformed, ``InvalidAuthenticationToken``, ``ExpiredAuthenticationToken``,
``InvalidAuthenticationTokenAudience``.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import datetime, timezone

from .errors import ApiError

# Resources an ARM token may be issued for (ARM and the AML data plane both accept the ARM token).
ACCEPTED_AUDIENCES = ("https://management.core.windows.net/", "https://management.core.windows.net",
                      "https://management.azure.com/", "https://management.azure.com",
                      "https://ml.azure.com", "https://ml.azure.com/")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%m/%d/%Y %H:%M:%S")


class Auth:
    def __init__(self, static_token: str):
        self.static_token = static_token
        self.issued: dict[str, dict] = {}  # token -> claims (exp in epoch seconds)
        self.aad_url = ""

    def issue(self, tenant: str, client_id: str, audience: str, lifetime: int) -> tuple[str, dict]:
        now = int(time.time())
        claims = {
            "aud": audience, "iss": f"https://sts.windows.net/{tenant}/", "iat": now, "nbf": now,
            "exp": now + lifetime, "appid": client_id, "appidacr": "1", "idtyp": "app",
            "oid": client_id, "sub": client_id, "tid": tenant, "ver": "1.0",
            "uti": secrets.token_urlsafe(16),
        }
        header = {"typ": "JWT", "alg": "RS256", "kid": "emulator"}
        token = f"{_b64(header)}.{_b64(claims)}.{secrets.token_urlsafe(32)}"
        self.issued[token] = claims
        # Forget long-expired tokens so the registry does not grow forever.
        if len(self.issued) > 10_000:
            cutoff = now - 86_400
            self.issued = {t: c for t, c in self.issued.items() if c["exp"] > cutoff}
        return token, claims

    def check(self, header: str | None) -> None:
        """Raise ApiError(401) unless ``header`` carries a token the emulator accepts."""
        if not header:
            raise self._error("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
                              "The authentication failed because of missing 'Authorization' header.")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise self._error("AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided "
                              "in an invalid format.", "The authentication failed because of invalid 'Authorization' header.")
        token = token.strip()
        if secrets.compare_digest(token.encode(), self.static_token.encode()):
            return
        claims = self.issued.get(token)
        if claims is None:
            raise self._error("InvalidAuthenticationToken", "The access token is invalid.", "The access token is invalid.")
        now = time.time()
        if claims["exp"] <= now:
            raise self._error("ExpiredAuthenticationToken",
                              f"The access token expiry UTC time '{_utc(claims['exp'])}' is earlier than current UTC "
                              f"time '{_utc(now)}'.", "The access token has expired.")
        if claims["aud"] not in ACCEPTED_AUDIENCES:
            raise self._error("InvalidAuthenticationTokenAudience",
                              f"The access token has been obtained for wrong audience or resource '{claims['aud']}'. "
                              "It should exactly match with one of the allowed audiences "
                              + ",".join(f"'{a}'" for a in ACCEPTED_AUDIENCES[:4]) + ".",
                              "The access token has been obtained for the wrong audience.")

    def _error(self, code: str, message: str, description: str) -> ApiError:
        challenge = (f'Bearer authorization_uri="{self.aad_url or "https://login.microsoftonline.com"}/", '
                     f'error="invalid_token", error_description="{description}"')
        return ApiError(401, code, message, headers={"WWW-Authenticate": challenge})
