"""Each API family's error body (API-NOTES sections 1.3, 2, 3, 4, 6; storage for the blob SAS URLs).

- ARM: ``{"error": {code, message, details, additionalInfo}}`` (MachineLearningServiceError / ARM RPC).
- model management: flat ``{code, statusCode, message, details}`` (ModelErrorResponse).
- run history, artifacts, datastores and (by analogy, no spec) notifications and pipelines:
  ``{"error": RootError, "correlation": {...}, "environment", "location", "time"}`` (ErrorResponse).
- blob storage (SAS downloads): the storage service's XML ``<Error><Code/><Message/></Error>``.
"""

from __future__ import annotations

import json

from .store import utc_now_iso

# family -> the component name the AML data-plane services put in their errors
COMPONENTS = {"history": "run-history", "artifact": "artifact", "datastore": "datastore",
              "notification": "notification", "pipelines": "aether", "discovery": "discovery"}


class ApiError(Exception):
    """Raised by handlers and middlewares; the app renders it in the family's own error format."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict | None = None,
                 details: list | None = None, inner_code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.details = details or []
        self.inner_code = inner_code


def render(family: str, err: ApiError, request_id: str, correlation_id: str, location: str = "westeurope") -> tuple[bytes, str]:
    """(body, content type) of ``err`` for ``family``."""
    if family == "blob":
        xml = ('<?xml version="1.0" encoding="utf-8"?><Error>'
               f"<Code>{_xml(err.code)}</Code><Message>{_xml(err.message)}\nRequestId:{request_id}\n"
               f"Time:{utc_now_iso()}</Message></Error>")
        return xml.encode(), "application/xml"
    if family == "arm":
        body: dict = {"error": {"code": err.code, "message": err.message, "details": err.details, "additionalInfo": []}}
    elif family == "mms":
        body = {"code": err.code, "statusCode": err.status, "message": err.message, "details": err.details,
                "correlation": {"RequestId": request_id}}
    else:
        root: dict = {"code": err.code, "message": err.message, "details": err.details}
        if err.inner_code:
            root["innerError"] = {"code": err.inner_code}
        body = {"error": root,
                "correlation": {"operation": correlation_id.replace("-", ""), "request": request_id.replace("-", "")[:16]},
                "environment": location, "location": location, "time": utc_now_iso(),
                "componentName": COMPONENTS.get(family, family)}
    return json.dumps(body, ensure_ascii=False).encode(), "application/json; charset=utf-8"


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- constructors used across families ------------------------------------------------------

def not_found(family: str, what: str) -> ApiError:
    """A data-plane 404 in the family's vocabulary."""
    if family == "mms":
        return ApiError(404, "NotFound", what)
    return ApiError(404, "UserError", what, inner_code="NotFoundError")


def bad_request(family: str, message: str, code: str | None = None) -> ApiError:
    if family == "arm":
        return ApiError(400, code or "BadRequest", message)
    if family == "mms":
        return ApiError(400, code or "BadRequest", message)
    return ApiError(400, code or "UserError", message, inner_code="BadArgument")
