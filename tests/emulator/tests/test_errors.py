"""Each family's own error body, status and headers (API-NOTES 1.3, 2, 3; architecture.md)."""

from __future__ import annotations

import pytest
from emuhelpers import API, PROVIDER, RG, SUB, enc, ws_path

WS = ws_path()
MISSING = ws_path(name="no-such-ws")


def assert_arm_error(r, status: int, code: str):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert err["code"] == code
    assert isinstance(err["message"], str) and err["message"]
    assert err["details"] == [] and err["additionalInfo"] == []
    return err


def assert_mms_error(r, status: int, code: str):
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and body["statusCode"] == status and body["message"]
    assert isinstance(body["details"], list)
    assert "error" not in body  # flat, not wrapped
    return body


def assert_history_error(r, status: int, code: str | None = None):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"error", "correlation", "environment", "location", "time"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    assert set(body["correlation"]) == {"operation", "request"}
    return body


def assert_ids(r):
    assert r.headers["x-ms-request-id"]
    assert r.headers["x-ms-correlation-request-id"]


def test_arm_404s_name_the_missing_level(emulator):
    r = emulator.request("GET", f"{MISSING}?{API}")
    err = assert_arm_error(r, 404, "ResourceNotFound")
    assert err["message"] == (f"The Resource '{PROVIDER}/workspaces/no-such-ws' under resource group '{RG}' was not found. "
                              "For more details please go to https://aka.ms/ARMResourceNotFoundFix")
    assert_ids(r)
    assert "x-ms-ratelimit-remaining-subscription-reads" in r.headers
    r = emulator.request("GET", f"{ws_path(rg='rg-nope')}?{API}")
    assert assert_arm_error(r, 404, "ResourceGroupNotFound")["message"] == "Resource group 'rg-nope' could not be found."
    r = emulator.request("GET", f"{MISSING}/computes?{API}")
    err = assert_arm_error(r, 404, "ParentResourceNotFound")
    assert "Parent resource 'no-such-ws' not found" in err["message"]
    r = emulator.request("GET", f"/subscriptions/{SUB}/resourceGroups/rg-nope/providers/{PROVIDER}/workspaces?{API}")
    assert_arm_error(r, 404, "ResourceGroupNotFound")
    r = emulator.request("GET", f"/subscriptions/11111111-1111-4111-8111-111111111111/providers/{PROVIDER}/workspaces?{API}")
    assert_arm_error(r, 404, "SubscriptionNotFound")
    r = emulator.request("GET", f"{WS}/computes/nope?{API}")
    assert_arm_error(r, 404, "ResourceNotFound")


def test_arm_requires_api_version(emulator):
    r = emulator.request("GET", WS)
    assert_arm_error(r, 400, "MissingApiVersionParameter")
    r = emulator.request("GET", f"{WS}?api-version=banana")
    assert_arm_error(r, 400, "InvalidApiVersionParameter")
    r = emulator.request("GET", f"{WS}?api-version=2015-01-01")
    assert_arm_error(r, 400, "NoRegisteredProviderFound")
    for version in ("2019-11-01", "2023-06-01-preview", "2024-04-01", "2025-06-01"):
        assert emulator.request("GET", f"{WS}?api-version={version}").status_code == 200, version


def test_data_plane_ignores_unknown_api_version(emulator):
    assert emulator.request("GET", f"/api{WS}/models?api-version=1999-01-01").status_code == 200
    assert emulator.request("GET", f"/history/v1.0{WS}/experiments?api-version=whatever").status_code == 200


def test_mms_404s(emulator):
    r = emulator.request("GET", f"/api{WS}/models/{enc('nope:1')}?{API}")
    body = assert_mms_error(r, 404, "NotFound")
    assert "nope:1" in body["message"]
    assert_ids(r)
    r = emulator.request("GET", f"/api{MISSING}/models?{API}")
    assert_mms_error(r, 404, "NotFound")


@pytest.mark.parametrize("path", [
    f"/history/v1.0{MISSING}/experiments",
    f"/artifact/v1.0{MISSING}/artifacts/origins/ExperimentRun/containers/x",
    f"/notification/v1.0{MISSING}/tasks",
    f"/datastore/v1.0{MISSING}/datastores",
    f"/api/v1.0{MISSING}/Graphs/00000000-0000-4000-8000-000000000000",
])
def test_data_plane_workspace_404(emulator, path):
    r = emulator.request("GET", path)
    assert_history_error(r, 404, "UserError")
    assert_ids(r)
    assert r.headers["x-ms-response-type"] == "error"


def test_history_item_404s(emulator):
    r = emulator.request("GET", f"/history/v1.0{WS}/experiments/nope/runs")
    assert "Experiment nope" in assert_history_error(r, 404, "UserError")["error"]["message"]
    exp = emulator.get_json(f"/history/v1.0{WS}/experiments")["value"][0]["name"]
    r = emulator.request("GET", f"/history/v1.0{WS}/experiments/{enc(exp)}/runs/nope")
    assert assert_history_error(r, 404)["error"]["message"] == "Run nope was not found"
    r = emulator.request("GET", f"/notification/v1.0{WS}/tasks/nope")
    assert_history_error(r, 404)
    r = emulator.request("GET", f"/datastore/v1.0{WS}/datastores/nope")
    assert_history_error(r, 404)
    r = emulator.request("GET", f"/api/v1.0{WS}/Modules/nope")
    assert_history_error(r, 404)


@pytest.mark.parametrize("path,family", [
    (f"{WS}?{API}", "arm"),
    (f"/api{WS}/models?{API}", "mms"),
    (f"/history/v1.0{WS}/experiments", "history"),
    (f"/artifact/v1.0{WS}/artifacts/origins/ExperimentRun/containers/x", "history"),
    (f"/notification/v1.0{WS}/tasks", "history"),
    (f"/datastore/v1.0{WS}/datastores", "history"),
    (f"/api/v1.0{WS}/Graphs/x", "history"),
])
def test_401_without_or_with_a_bad_token(emulator, path, family):
    for token, code in ((False, "AuthenticationFailed"), ("not-a-token", "InvalidAuthenticationToken")):
        r = emulator.request("GET", path, token=token)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"].startswith("Bearer ")
        assert_ids(r)
        if family == "arm":
            assert_arm_error(r, 401, code)
        elif family == "mms":
            assert_mms_error(r, 401, code)
        else:
            assert_history_error(r, 401, code)
    r = emulator.request("GET", path, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401


def test_client_request_id_is_echoed(emulator):
    for path in (f"{WS}?{API}", f"/api{WS}/models/nope?{API}", "/discovery"):
        r = emulator.request("GET", path, headers={"x-ms-client-request-id": "my-id-42",
                                                   "x-ms-correlation-request-id": "corr-7"})
        assert r.headers["x-ms-client-request-id"] == "my-id-42"
        assert r.headers["x-ms-correlation-request-id"] == "corr-7"
        assert r.headers["x-ms-request-id"] not in ("my-id-42", "corr-7")


def test_unknown_routes_and_methods(emulator):
    r = emulator.request("GET", f"/api{WS}/nothing-here?{API}")
    assert r.status_code == 404 and "code" in r.json()
    r = emulator.request("PATCH", f"/api{WS}/models/x?{API}")
    assert r.status_code == 405 and "DELETE" in r.headers["Allow"]
    assert_ids(r)


def test_arm_headers_on_every_arm_response(emulator):
    r = emulator.request("GET", f"{WS}?{API}")
    reads = int(r.headers["x-ms-ratelimit-remaining-subscription-reads"])
    r2 = emulator.request("GET", f"{WS}?{API}")
    assert int(r2.headers["x-ms-ratelimit-remaining-subscription-reads"]) == reads - 1
    r = emulator.request("DELETE", f"{ws_path(name='ws-empty-sandbox')}?{API}")
    assert "x-ms-ratelimit-remaining-subscription-deletes" in r.headers
