"""The storage primitives of ``_storage.StorageClient`` against a started Azurite (not a mock).

Credentials come from the collection's own auth layer: a service principal of the emulator's fake Azure AD
(its own grant for https://storage.azure.com/.default), a static storage token, or the account key.
What the client lists, downloads and deletes is checked against what Azurite holds
(``EmulatorProcess.storage_blobs()``, with the account key) and what the emulator seeded (``/_emulator/state``).
"""
from __future__ import annotations

import hashlib
import io

import pytest
from azure.storage.blob import RetentionPolicy

from ansible_collections.gdpr.azureml.plugins.module_utils import _auth, _clouds, _storage
from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError

CLOUD = _clouds.get_cloud()
HR = "ws_hr-people"


def workspace(emu, name=HR):
    return next(w for w in emu.state()["workspaces"] if w["name"] == name)


def sp_auth(emu):
    options = {"auth_source": "env", "client_id": emu.client_id, "secret": emu.client_secret, "tenant": emu.tenant,
               "authority_host": emu.aad_url}
    return _auth.build_auth(options, CLOUD, ca_path=emu.ca_path, scope=_clouds.STORAGE_SCOPE)


def client(emu, auth=None, **kwargs):
    kwargs.setdefault("backoff_factor", 0)
    return _storage.StorageClient(auth if auth is not None or kwargs.get("account_key") else sp_auth(emu), CLOUD,
                                  storage_base_url=emu.storage_url, ca_path=emu.ca_path, **kwargs)


class Recorder(io.BytesIO):
    """A file object that remembers the largest single write (what a download holds in memory at once)."""

    largest = 0

    def write(self, data):
        self.largest = max(self.largest, len(data))
        return super().write(data)


def test_iter_blobs_lists_a_run_prefix_page_by_page_as_seeded(fresh_storage_emulator):
    emu = fresh_storage_emulator
    ws = workspace(emu)
    run_id = ws["objects"]["runs"][0]["id"]
    prefix = _storage.run_blob_prefix(run_id)
    seeded = sorted((b["name"], b["size"]) for b in ws["storage"]["blobs"] if b["name"].startswith(prefix))
    storage = client(emu)
    listed = list(storage.iter_blobs(ws["storage"]["account"], "azureml", prefix, snapshots=False, page_size=2))
    assert sorted((b.name, b.size) for b in listed) == seeded and len(seeded) > 2
    live = {(b["name"], b["etag"]) for b in emu.storage_blobs(ws["storage"]["account"]) if b["name"].startswith(prefix) and not b["snapshot"]}
    assert {(b.name, b.etag) for b in listed} == live
    assert {b.account for b in listed} == {ws["storage"]["account"]} and {b.container for b in listed} == {"azureml"}


def test_iter_blobs_lists_snapshots_as_items_of_their_own(fresh_storage_emulator):
    emu = fresh_storage_emulator
    ws = workspace(emu)
    storage = client(emu)
    listed = list(storage.iter_blobs(ws["storage"]["account"], "azureml", "ExperimentRun/"))
    snapshots = {(b.name, b.snapshot) for b in listed if b.snapshot}
    seeded = {(b["name"], s["snapshot"]) for b in ws["storage"]["blobs"] for s in b["snapshots"]}
    assert snapshots == seeded and len(seeded) == 2
    assert len(listed) == sum(1 + len(b["snapshots"]) for b in ws["storage"]["blobs"] if b["name"].startswith("ExperimentRun/"))
    assert list(storage.iter_blobs(ws["storage"]["account"], "no-such-container")) == []


def test_download_streams_in_bounded_chunks_and_returns_size_sha256_and_etag(fresh_storage_emulator):
    emu = fresh_storage_emulator
    ws = workspace(emu)
    big = max(ws["storage"]["blobs"], key=lambda b: b["size"])
    assert big["size"] > 1024 * 1024
    storage = client(emu, chunk_size=256 * 1024)
    out = Recorder()
    result = storage.download(big["account"], big["container"], big["name"], out)
    live = next(b for b in emu.storage_blobs(big["account"]) if b["name"] == big["name"] and not b["snapshot"])
    assert result == (big["size"], big["sha256"], live["etag"])
    assert hashlib.sha256(out.getvalue()).hexdigest() == big["sha256"]
    assert 0 < out.largest <= 256 * 1024


def test_download_of_a_snapshot_gives_the_earlier_content(fresh_storage_emulator):
    emu = fresh_storage_emulator
    blob = next(b for b in workspace(emu)["storage"]["blobs"] if b["snapshots"])
    snap = blob["snapshots"][0]
    out = io.BytesIO()
    size, sha256, etag = client(emu).download(blob["account"], blob["container"], blob["name"], out, snapshot=snap["snapshot"])
    assert (size, sha256) == (snap["size"], snap["sha256"]) != (blob["size"], blob["sha256"])
    assert etag


def test_a_missing_blob_is_an_error_naming_what_was_done(fresh_storage_emulator):
    emu = fresh_storage_emulator
    account = workspace(emu)["storage"]["account"]
    with pytest.raises(AzureMLError) as err:
        client(emu).download(account, "azureml", "ExperimentRun/dcid.nope/x.txt", io.BytesIO())
    assert err.value.status == 404 and err.value.code == "BlobNotFound" and err.value.request_id
    assert str(err.value).startswith(f"download blob {account}/azureml/ExperimentRun/dcid.nope/x.txt: the service said ")
    assert str(err.value).endswith(f"(HTTP 404, code BlobNotFound, request id {err.value.request_id})")


def test_delete_removes_the_blob_with_its_snapshots_and_a_second_delete_finds_it_absent(fresh_storage_emulator, restore_storage):
    emu = fresh_storage_emulator
    ws = workspace(emu)
    blob = next(b for b in ws["storage"]["blobs"] if b["snapshots"])
    before = emu.storage_blobs(blob["account"])
    storage = client(emu)
    first = storage.delete(blob["account"], blob["container"], blob["name"])
    assert (first.outcome, first.status) == ("deleted", 202) and first.request_id
    after = emu.storage_blobs(blob["account"])
    assert [b for b in after if b["name"] == blob["name"]] == []
    assert after == [b for b in before if b["name"] != blob["name"]]  # nothing else touched
    second = storage.delete(blob["account"], blob["container"], blob["name"])
    assert (second.outcome, second.status) == ("absent", 404)
    assert storage.delete(blob["account"], "no-such-container", blob["name"]).outcome == "absent"


def test_a_conditional_delete_refuses_a_blob_changed_since_its_etag_and_deletes_the_unchanged_one(fresh_storage_emulator, restore_storage):
    emu = fresh_storage_emulator
    blob = next(b for b in workspace(emu)["storage"]["blobs"] if b["snapshots"])
    storage = client(emu)
    listed = next(b for b in storage.iter_blobs(blob["account"], blob["container"], blob["name"])
                  if b.name == blob["name"] and not b.snapshot)
    before = emu.storage_blobs(blob["account"])
    stale = storage.delete(blob["account"], blob["container"], blob["name"], etag="0x8D000000000DEAD")
    assert (stale.outcome, stale.status) == ("failed", 412) and "changed since the export" in stale.error
    assert emu.storage_blobs(blob["account"]) == before  # neither the blob nor its snapshots
    done = storage.delete(blob["account"], blob["container"], blob["name"], etag=listed.etag)
    assert (done.outcome, done.status) == ("deleted", 202)
    assert [b for b in emu.storage_blobs(blob["account"]) if b["name"] == blob["name"]] == []


def test_delete_of_one_snapshot_keeps_the_blob(fresh_storage_emulator, restore_storage):
    emu = fresh_storage_emulator
    blob = next(b for b in workspace(emu)["storage"]["blobs"] if b["snapshots"])
    result = client(emu).delete(blob["account"], blob["container"], blob["name"], snapshot=blob["snapshots"][0]["snapshot"])
    assert result.outcome == "deleted"
    left = [(b["snapshot"], b["size"]) for b in emu.storage_blobs(blob["account"]) if b["name"] == blob["name"]]
    assert left == [(None, blob["size"])]


def test_delete_retention_is_read_from_the_service(fresh_storage_emulator):
    emu = fresh_storage_emulator
    account = workspace(emu)["storage"]["account"]
    storage = client(emu)
    assert storage.delete_retention(account) == (False, None, None)
    service = emu.storage_service(account)
    service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=True, days=7))
    try:
        assert client(emu).delete_retention(account) == (True, 7, None)
    finally:
        service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=False))


def test_one_token_grant_for_every_call_of_a_run(fresh_storage_emulator):
    emu = fresh_storage_emulator
    ws = workspace(emu)
    auth = sp_auth(emu)
    storage = client(emu, auth)
    grants = emu.counters()["token_grants"]
    for blob in ws["storage"]["blobs"][:5]:
        storage.download(blob["account"], blob["container"], blob["name"], io.BytesIO())
    list(storage.iter_blobs(ws["storage"]["account"], "azureml"))
    storage.delete_retention(ws["storage"]["account"])
    assert auth.grants == 1 and emu.counters()["token_grants"] == grants + 1


def test_a_static_storage_token_and_an_account_key_work_too(fresh_storage_emulator):
    emu = fresh_storage_emulator
    account = workspace(emu)["storage"]["account"]
    static = _auth.build_auth({"auth_source": "token", "access_token": emu.token, "storage_access_token": emu.storage_token()},
                              CLOUD, scope=_clouds.STORAGE_SCOPE)
    expected = len([b for b in emu.storage_blobs(account) if b["container"] == "azureml"])
    assert len(list(client(emu, static).iter_blobs(account, "azureml"))) == expected
    keyed = client(emu, account_key=emu.storage_account_keys()[account])
    assert len(list(keyed.iter_blobs(account, "azureml"))) == expected


def test_an_arm_token_is_refused_by_storage_and_the_error_shows_no_token(fresh_storage_emulator):
    emu = fresh_storage_emulator
    account = workspace(emu)["storage"]["account"]
    arm = emu.storage_token("https://management.core.windows.net//.default")
    static = _auth.build_auth({"auth_source": "token", "storage_access_token": arm}, CLOUD, scope=_clouds.STORAGE_SCOPE)
    with pytest.raises(AzureMLError) as err:
        list(client(emu, static, retries=0).iter_blobs(account, "azureml"))
    assert err.value.status == 403 and err.value.code == "AuthenticationFailed"
    assert "authenticated as token (storage_access_token)" in str(err.value)
    assert arm not in str(err.value)


def test_a_wrong_account_key_is_refused_and_the_error_shows_no_key(fresh_storage_emulator):
    emu = fresh_storage_emulator
    account = workspace(emu)["storage"]["account"]
    wrong = _storage_key_of_other(emu, account)
    with pytest.raises(AzureMLError) as err:
        list(client(emu, account_key=wrong, retries=0).iter_blobs(account, "azureml"))
    # Azurite answers 400 InvalidAuthenticationInfo (it then tries the key as a bearer token); Azure 403 AuthenticationFailed
    assert err.value.status in (400, 403) and "authenticated with storage_account_key" in str(err.value)
    assert wrong not in str(err.value)


def _storage_key_of_other(emu, account):
    keys = emu.storage_account_keys()
    return next(key for name, key in keys.items() if name != account)


def test_tls_is_verified_against_ca_path(fresh_storage_emulator):
    emu = fresh_storage_emulator
    account = workspace(emu)["storage"]["account"]
    untrusting = _storage.StorageClient(sp_auth(emu), CLOUD, storage_base_url=emu.storage_url, retries=0, backoff_factor=0)
    with pytest.raises(AzureMLError) as err:
        list(untrusting.iter_blobs(account, "azureml"))
    assert "SSL" in str(err.value) or "certificate" in str(err.value).lower()
