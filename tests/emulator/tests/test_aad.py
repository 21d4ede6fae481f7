"""The fake Azure AD: the real azure-identity credential gets tokens the API accepts; AAD errors; expiry."""

from __future__ import annotations

import time

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential
from azureml_emulator.testing import EmulatorProcess
from emuhelpers import API, ws_path

WS = ws_path()
ARM_SCOPE = "https://management.core.windows.net//.default"


def credential(emu, secret: str | None = None, client_id: str | None = None) -> ClientSecretCredential:
    return ClientSecretCredential(emu.tenant, client_id or emu.client_id, secret or emu.client_secret,
                                  authority=emu.aad_url, disable_instance_discovery=True, connection_verify=emu.ca_path)


def grant(emu, **form) -> requests.Response:
    data = {"grant_type": "client_credentials", "client_id": emu.client_id, "client_secret": emu.client_secret,
            "scope": ARM_SCOPE, **form}
    return requests.post(f"{emu.aad_url}/{emu.tenant}/oauth2/v2.0/token", data=data, verify=emu.ca_path, timeout=10)


def test_client_secret_credential_gets_a_token_the_api_accepts(emulator):
    before = emulator.counters()["token_grants"]
    cred = credential(emulator)
    token = cred.get_token(ARM_SCOPE)
    assert token.token and token.expires_on > time.time() + 3000
    for path in (f"{WS}?{API}", f"/api{WS}/models?{API}", f"/history/v1.0{WS}/experiments"):
        assert emulator.request("GET", path, token=token.token).status_code == 200
    cred.get_token(ARM_SCOPE)  # cached by the credential: no second grant
    assert emulator.counters()["token_grants"] == before + 1
    # the data-plane scope works as well
    ml = cred.get_token("https://ml.azure.com/.default")
    assert emulator.request("GET", f"/api{WS}/models?{API}", token=ml.token).status_code == 200


def test_wrong_secret_is_aadsts7000215(emulator):
    with pytest.raises(ClientAuthenticationError) as err:
        credential(emulator, secret="wrong").get_token(ARM_SCOPE)
    assert "AADSTS7000215" in str(err.value)
    r = grant(emulator, client_secret="wrong")
    assert r.status_code == 401
    body = r.json()
    assert body["error"] == "invalid_client" and body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")


def test_other_aad_errors(emulator):
    r = grant(emulator, client_id="00000000-0000-4000-8000-00000000dead")
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client"
    r = grant(emulator, grant_type="password")
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = grant(emulator, scope="https://management.azure.com/user_impersonation")
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    r = requests.post(f"{emulator.aad_url}/not-my-tenant/oauth2/v2.0/token", data={"grant_type": "client_credentials"},
                      verify=emulator.ca_path, timeout=10)
    assert r.status_code == 400 and "AADSTS90002" in r.json()["error_description"]


def test_openid_configuration(emulator):
    r = requests.get(f"{emulator.aad_url}/{emulator.tenant}/v2.0/.well-known/openid-configuration",
                     verify=emulator.ca_path, timeout=10)
    doc = r.json()
    assert doc["token_endpoint"] == f"{emulator.aad_url}/{emulator.tenant}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{emulator.aad_url}/{emulator.tenant}/oauth2/v2.0/authorize"
    assert doc["issuer"] == f"{emulator.aad_url}/{emulator.tenant}/v2.0"
    assert {"jwks_uri", "response_types_supported", "token_endpoint_auth_methods_supported"} <= set(doc)


def test_token_response_shape_and_v1_endpoint(emulator):
    body = grant(emulator).json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["ext_expires_in"] == 3600
    assert emulator.request("GET", f"{WS}?{API}", token=body["access_token"]).status_code == 200
    r = requests.post(f"{emulator.aad_url}/{emulator.tenant}/oauth2/token", verify=emulator.ca_path, timeout=10,
                      data={"grant_type": "client_credentials", "client_id": emulator.client_id,
                            "client_secret": emulator.client_secret, "resource": "https://management.azure.com/"})
    v1 = r.json()
    assert v1["resource"] == "https://management.azure.com/" and v1["expires_in"] == "3600"
    assert emulator.request("GET", f"{WS}?{API}", token=v1["access_token"]).status_code == 200


def test_expired_token_is_a_401_saying_so(emulator):
    emulator.configure(token_lifetime=1)
    token = grant(emulator).json()["access_token"]
    assert emulator.request("GET", f"{WS}?{API}", token=token).status_code == 200
    time.sleep(1.1)
    for path in (f"{WS}?{API}", f"/api{WS}/models?{API}", f"/history/v1.0{WS}/experiments"):
        r = emulator.request("GET", path, token=token)
        assert r.status_code == 401
        body = r.json()
        code = body["error"]["code"] if "error" in body else body["code"]
        message = body["error"]["message"] if "error" in body else body["message"]
        assert code == "ExpiredAuthenticationToken" and "expir" in message
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_token_for_another_resource_is_refused(emulator):
    token = grant(emulator, scope="https://storage.azure.com/.default").json()["access_token"]
    r = emulator.request("GET", f"{WS}?{API}", token=token)
    assert r.status_code == 401 and r.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def test_aad_is_never_faulted(emulator):
    emulator.configure(fault_rate=1.0, drop_rate=1.0)
    assert grant(emulator).status_code == 200


def test_tls_extra_client_and_custom_static_token():
    with EmulatorProcess("empty", args=["--tls", "--client", "my-app:my-secret", "--token", "tok-2"]) as emu:
        assert emu.url.startswith("https://")
        path = f"{ws_path(name='ws-empty-1')}?{API}"
        ws = emu.request("GET", path)  # static token tok-2, TLS verified against the test CA
        assert ws.status_code == 200
        assert ws.json()["properties"]["discoveryUrl"] == f"{emu.url}/discovery"
        assert set(emu.request("GET", "/discovery", token=False).json().values()) == {emu.url}
        assert emu.request("GET", path, token="emulator-static-token").status_code == 401
        token = credential(emu, secret="my-secret", client_id="my-app").get_token(ARM_SCOPE)
        assert emu.request("GET", path, token=token.token).status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(emu.url + "/discovery", timeout=10)  # not trusted without the CA
