"""``--storage azurite``: the workspaces' storage accounts on a real Azurite, filled from the scenario.

Azure's own ``azure-storage-blob`` (and azure-identity against the fake Azure AD) talk to it over HTTPS,
as a client of the real service would; what the emulator says it seeded is compared with what Azurite lists.
Nothing is skipped: without Azurite (``make azurite``, a prerequisite of ``make emulator-test``) these fail.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient

from azureml_emulator import storage
from azureml_emulator.testing import EmulatorProcess

SUB = "00000000-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def emu():
    with EmulatorProcess("demo", storage="azurite") as emu:
        yield emu


@pytest.fixture
def fresh(emu):
    yield emu
    emu.reset()


def _workspaces(emu):
    return {ws["name"]: ws for ws in emu.state()["workspaces"]}


def _seeded(emu):
    """``{(account, container, name, snapshot?) ...}`` of what the emulator says it seeded, snapshots counted."""
    out = {}
    for ws in emu.state()["workspaces"]:
        for blob in ws["storage"]["blobs"]:
            out[(blob["account"], blob["container"], blob["name"], None)] = (blob["size"], blob["sha256"])
            for snap in blob["snapshots"]:
                out[(blob["account"], blob["container"], blob["name"], snap["snapshot"])] = (snap["size"], snap["sha256"])
    return out


def _fake_aad_credential(emu):
    from azure.identity import ClientSecretCredential

    return ClientSecretCredential(emu.tenant, emu.client_id, emu.client_secret, authority=emu.aad_url,
                                  disable_instance_discovery=True, connection_verify=emu.ca_path)


class _Static:
    """A TokenCredential answering one fixed token."""

    def __init__(self, token):
        self.token = token

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)


def _service(emu, account, credential):
    return BlobServiceClient(f"{emu.storage_url}/{account}", credential=credential, connection_verify=emu.ca_path, retry_total=0)


def test_what_the_emulator_seeded_is_what_azurite_lists_byte_for_byte(emu):
    live = {(b["account"], b["container"], b["name"], b["snapshot"]): (b["size"], b["sha256"]) for b in emu.storage_blobs(sha256=True)}
    assert live == _seeded(emu)
    state = emu.state()
    assert state["storage"]["url"] == emu.storage_url and emu.storage_url.startswith("https://127.0.0.1:")
    assert sorted(state["storage"]["accounts"]) == sorted(emu.storage_account_keys())
    assert len(live) > 250


def test_every_run_has_its_artifacts_and_logs_under_its_data_container(emu):
    for ws in emu.state()["workspaces"]:
        runs = {r["id"] for r in ws["objects"]["runs"]}
        blobs = [b for b in ws["storage"]["blobs"] if b["run_id"]]
        run_files = [b for b in blobs if b["container"] == "azureml"]
        assert {b["run_id"] for b in run_files} == runs
        for blob in run_files:
            assert blob["name"].startswith(f"ExperimentRun/dcid.{blob['run_id']}/")
            assert blob["referenced_by"] == {"kind": "runs", "id": blob["run_id"]}
        stored = {(b["run_id"], b["name"].split("/", 2)[2]) for b in run_files if b["artifact"]}
        skipped = {(s["run_id"], s["path"]) for s in ws["storage"]["not_seeded"]}
        artifacts = {(a["run_id"], a["path"]) for a in ws["objects"]["artifacts"]}
        assert stored | skipped == artifacts and not stored & skipped
        assert all(not b["artifact"] for b in blobs if b["name"].endswith("user_logs/std_log.txt"))


def test_an_artifact_blob_holds_the_bytes_the_artifact_service_serves(emu):
    ws = _workspaces(emu)["ws-sales-analytics"]
    blob = next(b for b in ws["storage"]["blobs"] if b["artifact"] and " " in b["name"])  # a name that needs encoding
    dummy, container, path = blob["name"].split("/", 2)  # ExperimentRun/<the run's data container>/<path>
    assert container == "dcid." + blob["run_id"]
    base = f"/artifact/v1.0/subscriptions/{SUB}/resourceGroups/{ws['resource_group']}/providers/" \
           f"Microsoft.MachineLearningServices/workspaces/{ws['name']}/artifacts/origins/ExperimentRun/containers/{container}"
    uri = emu.get_json(base + "/contentinfo", params={"path": path})["contentUri"]
    served = emu.request("GET", uri, token=False).content
    assert hashlib.sha256(served).hexdigest() == blob["sha256"]
    data = emu.storage_service(blob["account"]).get_blob_client("azureml", blob["name"]).download_blob().readall()
    assert data == served


def test_the_workspace_and_its_datastores_name_the_azurite_account(emu):
    for ws in emu.state()["workspaces"]:
        account = ws["storage"]["account"]
        arm = emu.get_json(ws["id"] + "?api-version=2019-11-01")
        assert arm["properties"]["storageAccount"].endswith(f"/Microsoft.Storage/storageAccounts/{account}")
        url = f"/datastore/v1.0{ws['id']}/datastores"
        stores = {d["name"]: d for d in emu.get_json(url, params={"includeSecret": "false"})["value"]}
        blobstore = stores["workspaceblobstore"]["azureStorageSection"]
        artifactstore = stores["workspaceartifactstore"]["azureStorageSection"]
        assert blobstore["accountName"] == artifactstore["accountName"] == account
        assert blobstore["containerName"] == f"azureml-blobstore-{ws['workspace_id']}"
        assert artifactstore["containerName"] == "azureml"
        assert sorted(ws["storage"]["containers"]) == sorted(["azureml", blobstore["containerName"]])


def test_azure_storage_blob_with_a_token_of_the_fake_azure_ad_lists_downloads_and_deletes(fresh):
    emu = fresh
    ws = _workspaces(emu)["ws_hr-people"]
    account = ws["storage"]["account"]
    with_snapshot = next(b for b in ws["storage"]["blobs"] if b["snapshots"])
    service = _service(emu, account, _fake_aad_credential(emu))
    container = service.get_container_client("azureml")
    prefix = with_snapshot["name"].rsplit("/", 2)[0] + "/"
    names = sorted(b["name"] for b in ws["storage"]["blobs"] if b["name"].startswith(prefix))
    paged = [b.name for b in container.list_blobs(name_starts_with=prefix, results_per_page=2)]
    assert paged == names and len(names) > 2  # several pages
    # Snapshots in one page: Azurite's NextMarker is the last blob's name, so the snapshots listed after their blob
    # are skipped when a page ends on that blob (real storage's marker is opaque; see docs/emulator.md).
    listed = sorted((b.name, b.snapshot or "") for b in container.list_blobs(name_starts_with=prefix, include=["snapshots"]))
    assert listed == sorted([(n, "") for n in names] + [(with_snapshot["name"], s["snapshot"]) for s in with_snapshot["snapshots"]])
    data = container.get_blob_client(with_snapshot["name"]).download_blob().readall()
    assert hashlib.sha256(data).hexdigest() == with_snapshot["sha256"]
    container.get_blob_client(with_snapshot["name"]).delete_blob(delete_snapshots="include")
    gone = [b for b in emu.storage_blobs(account) if b["name"] == with_snapshot["name"]]
    assert gone == []
    with pytest.raises(ResourceNotFoundError):
        container.get_blob_client(with_snapshot["name"]).delete_blob(delete_snapshots="include")


def test_azurite_refuses_an_arm_token_an_expired_token_and_a_token_that_is_not_a_jwt(fresh):
    emu = fresh
    account = _workspaces(emu)["ws_hr-people"]["storage"]["account"]
    arm = emu.storage_token("https://management.core.windows.net//.default")
    emu.configure(token_lifetime=0)
    expired = emu.storage_token()
    emu.configure(reset=True)
    for token in (arm, expired, "not-a-jwt", emu.token):
        with pytest.raises(ClientAuthenticationError) as caught:
            list(_service(emu, account, _Static(token)).get_container_client("azureml").list_blobs())
        assert caught.value.status_code == 403
    # and the one the fake Azure AD gives for the storage scope is accepted
    assert list(_service(emu, account, _Static(emu.storage_token())).get_container_client("azureml").list_blobs())


def test_a_storage_token_is_refused_by_the_azure_ml_apis(emu):
    token = emu.storage_token()
    r = emu.request("GET", f"/subscriptions/{SUB}/providers/Microsoft.MachineLearningServices/workspaces?api-version=2019-11-01",
                    token=token)
    assert r.status_code == 401 and r.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def test_a_reset_seeds_the_files_again(fresh):
    emu = fresh
    before = emu.storage_blobs()
    victim = before[0]
    emu.storage_service(victim["account"]).get_container_client(victim["container"]).delete_blobs(victim["name"])
    assert len(emu.storage_blobs()) < len(before)
    emu.reset()
    after = emu.storage_blobs()
    assert [(b["account"], b["container"], b["name"], b["size"]) for b in after] == \
           [(b["account"], b["container"], b["name"], b["size"]) for b in before]


def test_a_reset_to_a_scenario_with_other_accounts_is_refused(emu):
    with pytest.raises(Exception, match="storage accounts are fixed"):
        emu.reset(scenario="empty")


def test_no_account_key_or_token_in_the_emulator_output(fresh):
    emu = fresh
    _service(emu, _workspaces(emu)["mlresearch01"]["storage"]["account"], _Static(emu.storage_token())).get_service_properties()
    secrets = list(emu.storage_account_keys().values()) + [emu.storage_token(), emu.client_secret]
    log = open(emu.log_path, encoding="utf-8", errors="replace").read()
    assert not [s for s in secrets if s in log]
    state = json.dumps(emu.state())
    assert not [s for s in secrets if s in state]


def test_two_workspaces_may_share_a_storage_account(tmp_path):
    scenario = {"seed": 3, "defaults": {"counts": {"experiments": 1, "runs_per_experiment": 2, "models": 1, "images": 0,
                                                   "services": 0, "tasks": 0, "assets": 0, "pipeline_objects": 0}},
                "subscriptions": [{"id": SUB, "resource_groups": [{"name": "rg-shared", "workspaces": [
                    {"name": "ws-one", "storage_account": "stsharedacct"}, {"name": "ws-two", "storage_account": "stsharedacct"},
                    {"name": "ws-own"}]}]}]}
    path = tmp_path / "shared.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    with EmulatorProcess(str(path), storage="azurite") as emu:
        state = {ws["name"]: ws for ws in emu.state()["workspaces"]}
        assert state["ws-one"]["storage"]["account"] == state["ws-two"]["storage"]["account"] == "stsharedacct"
        assert state["ws-own"]["storage"]["account"] != "stsharedacct"
        containers = sorted(c.name for c in emu.storage_service("stsharedacct").list_containers())
        assert containers == sorted({"azureml", f"azureml-blobstore-{state['ws-one']['workspace_id']}",
                                     f"azureml-blobstore-{state['ws-two']['workspace_id']}"})
        live = {(b["container"], b["name"]) for b in emu.storage_blobs("stsharedacct")}
        for name in ("ws-one", "ws-two"):
            assert {(b["container"], b["name"]) for b in state[name]["storage"]["blobs"]} <= live


def test_without_storage_nothing_changes(emulator):
    state = emulator.state()
    assert "storage" not in state and all("storage" not in ws for ws in state["workspaces"])
    assert "storage_account_keys" not in emulator._emu("GET", "secrets")
    assert emulator.storage_url == ""
    ws = next(w for w in state["workspaces"] if w["name"] == "ws_hr-people")
    names = {d["name"] for d in emulator.get_json(f"/datastore/v1.0{ws['id']}/datastores")["value"]}
    assert "workspaceblobstore" in names and "workspaceartifactstore" not in names


def test_run_blob_prefix_follows_the_data_container_id():
    assert storage.run_blob_prefix({"runId": "r1", "dataContainerId": "dcid.r1"}) == "ExperimentRun/dcid.r1/"
    assert storage.run_blob_prefix({"runId": "r1", "dataContainerId": "dcid.other"}) == "ExperimentRun/dcid.other/"
    assert storage.run_blob_prefix({"runId": "r1"}) == "ExperimentRun/dcid.r1/"


@pytest.mark.parametrize("name, ok", [
    ("ExperimentRun/dcid.r/outputs/model with spaces.pkl", True),
    ("ExperimentRun/dcid.r//etc/passwd", True),
    ("ExperimentRun/dcid.r/../../x", False),
    ("ExperimentRun/dcid.r/logs\\..\\x", False),
    ("ExperimentRun/dcid.r/outputs/", False),
])
def test_storable_names(name, ok):
    assert (storage.storable(name) is None) == ok


def test_account_keys_are_64_bytes_and_stable():
    key = storage.account_key("stabc")
    assert len(base64.b64decode(key)) == 64 and key == storage.account_key("stabc") != storage.account_key("stabd")
