"""Datastore credentials, artifact content (SAS URLs) and the shapes the data plane serves."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

from emuhelpers import API, enc, ws_path, ws_state

WS = ws_path()
ARTIFACTS = f"/artifact/v1.0{WS}/artifacts/origins/ExperimentRun/containers"


def _all_secrets(ds: dict) -> set[str]:
    found = set()
    for section in ("azureStorageSection", "azureDataLakeSection", "azureSqlDatabaseSection", "azurePostgreSqlSection"):
        sec = ds.get(section) or {}
        for k in ("credential", "accountKey", "sasToken", "clientSecret", "certificate", "userPassword"):
            if sec.get(k):
                found.add(sec[k])
        cc = sec.get("clientCredentials") or {}
        if cc.get("clientSecret"):
            found.add(cc["clientSecret"])
    return found


def test_datastores_return_credentials_by_default(emulator):
    stores = emulator.get_json(f"/datastore/v1.0{WS}/datastores")["value"]
    types = {d["dataStoreType"] for d in stores}
    assert {"AzureBlob", "AzureFile", "AzureDataLake", "AzureSqlDatabase", "AzurePostgreSql"} <= types
    found = set().union(*(_all_secrets(d) for d in stores))
    assert found and all("EMULATOR-SECRET-" in s for s in found)
    secrets = set(emulator.secrets())
    assert found <= secrets
    blob = next(d for d in stores if d["name"] == "workspaceblobstore")
    assert blob["azureStorageSection"]["accountKey"].startswith("EMULATOR-SECRET-")
    one = emulator.get_json(f"/datastore/v1.0{WS}/datastores/workspaceblobstore")
    assert one["azureStorageSection"]["accountKey"] == blob["azureStorageSection"]["accountKey"]


def test_include_secret_false_strips_every_credential(emulator):
    stores = emulator.get_json(f"/datastore/v1.0{WS}/datastores?includeSecret=false")["value"]
    assert stores
    text = str(stores)
    for s in emulator.secrets():
        assert s not in text
    assert all(not _all_secrets(d) for d in stores)
    one = emulator.get_json(f"/datastore/v1.0{WS}/datastores/curated_sp?includeSecret=false")
    assert "clientSecret" not in one["azureStorageSection"]["clientCredentials"]
    assert one["azureStorageSection"]["clientCredentials"]["clientId"]


def test_datastore_name_filter(emulator):
    got = emulator.get_json(f"/datastore/v1.0{WS}/datastores?dataStoreNames=adls_gen1&dataStoreNames=postgres_hr")["value"]
    assert sorted(d["name"] for d in got) == ["adls_gen1", "postgres_hr"]


def test_hostile_artifact_paths_are_served_verbatim(emulator):
    st = ws_state(emulator)
    paths = {a["path"] for a in st["objects"]["artifacts"]}
    for hostile in ("../../.ssh/authorized_keys", "outputs/../../x", "outputs/model with spaces.pkl",
                    "outputs/Försäljning/resultat ✓.csv", "/etc/passwd", "logs\\..\\..\\windows.ini"):
        assert hostile in paths
    seeded = next(a for a in st["objects"]["artifacts"] if a["path"] == "../../.ssh/authorized_keys")
    container = seeded["container"]
    assert container == "dcid." + seeded["run_id"]  # the run's data container (azureml-core), not the run id
    listed = emulator.get_json(f"{ARTIFACTS}/{enc(container)}")["value"]
    art = next(a for a in listed if a["path"] == "../../.ssh/authorized_keys")
    assert art["artifactId"] == f"ExperimentRun/{container}/../../.ssh/authorized_keys"
    assert art["origin"] == "ExperimentRun" and art["container"] == container
    # a container named after the run id is an empty storage prefix
    assert emulator.get_json(f"{ARTIFACTS}/{enc(seeded['run_id'])}")["value"] == []


def _content_info(emulator, container: str, path: str) -> dict:
    return emulator.get_json(f"{ARTIFACTS}/{enc(container)}/contentinfo?path={quote(path, safe='')}")


def test_contentinfo_gives_a_sas_url_that_needs_no_token(emulator):
    st = ws_state(emulator)
    art = next(a for a in st["objects"]["artifacts"] if a["path"] == "outputs/Försäljning/resultat ✓.csv")
    info = _content_info(emulator, art["container"], art["path"])
    assert set(info) == {"contentUri", "origin", "container", "path"}
    assert info["path"] == art["path"] and info["container"] == art["container"] and info["origin"] == "ExperimentRun"
    uri = info["contentUri"]
    assert uri.startswith(emulator.url + "/_blobs/") and "sig=" in uri
    r = emulator.request("GET", uri, token=False)  # a SAS URL: no Authorization header
    assert r.status_code == 200
    assert r.headers["x-ms-blob-type"] == "BlockBlob"
    assert base64.b64decode(r.headers["Content-MD5"]) == hashlib.md5(r.content).digest()  # noqa: S324
    assert art["id"].encode() in r.content
    # the same artifact through the current profile's route
    info2 = emulator.get_json(f"/artifact/v2.0{WS}/artifacts/ExperimentRun/{enc(art['container'])}/contentinfo"
                              f"?path={quote(art['path'], safe='')}")
    assert emulator.request("GET", info2["contentUri"], token=False).content == r.content
    # and azureml-core's form: the path in the URL, each segment encoded
    info3 = emulator.get_json(f"/artifact/v2.0{WS}/artifacts/contentinfo/ExperimentRun/{enc(art['container'])}/"
                              + "/".join(quote(seg, safe="") for seg in art["path"].split("/")))
    assert info3["path"] == art["path"] and emulator.request("GET", info3["contentUri"], token=False).content == r.content


def test_a_wrong_signature_is_a_403(emulator):
    st = ws_state(emulator)
    art = st["objects"]["artifacts"][0]
    uri = _content_info(emulator, art["container"], art["path"])["contentUri"]
    parts = urlsplit(uri)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    q["sig"] = base64.b64encode(b"x" * 32).decode()
    bad = urlunsplit(parts._replace(query=urlencode(q)))
    r = emulator.request("GET", bad, token=False)
    assert r.status_code == 403
    assert b"<Code>AuthenticationFailed</Code>" in r.content
    del q["sig"]
    assert emulator.request("GET", urlunsplit(parts._replace(query=urlencode(q))), token=False).status_code == 403
    # tampering with the blob name breaks the signature too
    tampered = uri.replace("/_blobs/", "/_blobs/A", 1)
    assert emulator.request("GET", tampered, token=False).status_code == 403


def test_contentinfo_errors(emulator):
    st = ws_state(emulator)
    run_id = st["objects"]["runs"][0]["id"]
    assert emulator.request("GET", f"{ARTIFACTS}/{enc(run_id)}/contentinfo").status_code == 400
    assert emulator.request("GET", f"{ARTIFACTS}/{enc(run_id)}/contentinfo?path=nope").status_code == 404


def test_blob_of_a_deleted_workspace_is_gone(emulator):
    st = ws_state(emulator)
    art = st["objects"]["artifacts"][0]
    uri = _content_info(emulator, art["container"], art["path"])["contentUri"]
    emulator.configure(lro_polls=0)
    r = emulator.request("DELETE", f"{WS}?{API}")
    emulator.request("GET", r.headers["Azure-AsyncOperation"])
    r = emulator.request("GET", uri, token=False)
    assert r.status_code == 404 and b"BlobNotFound" in r.content


def test_models_carry_sdk_created_by(emulator):
    models = emulator.get_json(f"/api{WS}/models?{API}")["value"]
    m = models[0]
    assert {"id", "name", "url", "mimeType", "version", "createdTime"} <= set(m)
    assert {"userObjectId", "userPuId", "userIdp", "userAltSecId", "userIss", "userTenantId", "userName"} == set(m["createdBy"])
    images = emulator.get_json(f"/api{WS}/images?{API}")["value"]
    assert all(i["modelIds"] and i["imageFlavor"] == "WebApiContainer" for i in images)
    services = emulator.get_json(f"/api{WS}/services?{API}")["value"]
    assert all(s["computeType"] in ("ACI", "AKS") and s["models"] for s in services)
    assert any(s["computeType"] == "AKS" for s in services) and any(s["computeType"] == "ACI" for s in services)


def test_long_unicode_descriptions(emulator):
    exps = emulator.get_json(f"/history/v1.0{WS}/experiments?viewType=All")["value"]
    longest = max(exps, key=lambda e: len(e["description"]))["description"]
    assert len(longest) >= 1000 and any(ord(c) > 0x3000 for c in longest)
