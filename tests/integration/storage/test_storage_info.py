"""``gdpr.azureml.storage_info`` in real ansible-playbook runs against the emulator with ``--storage azurite``.

The storage options come from the environment (AZUREML_STORAGE_BASE_URL, REQUESTS_CA_BUNDLE,
AZUREML_STORAGE_ACCESS_TOKEN: see the ``storage_ansible`` fixture). Results are compared with what Azurite
holds; no account key, storage token or client secret may appear in any output, even at -vvv.
"""
from __future__ import annotations

import json

SUB = "00000000-0000-4000-8000-000000000001"
HR = {"subscription_id": SUB, "resource_group": "rg-gdpr-demo", "workspace_name": "ws_hr-people"}

PLAY = """
- name: Storage of a workspace
  hosts: localhost
  gather_facts: false
  tasks:
    - name: storage_info
      gdpr.azureml.storage_info: {args}
"""


def play(ansible, args, *cli, env=None, check=False):
    path = ansible.write_playbook("storage.yml", PLAY.format(args=json.dumps(args)))
    run = ansible.playbook(path, *cli, env=env, check=check)
    return run, run.task("storage_info")[0]["result"]


def hr(emu):
    return next(w for w in emu.state()["workspaces"] if w["name"] == "ws_hr-people")


def test_the_files_of_one_run_as_azurite_holds_them(storage_ansible):
    emu = storage_ansible.emulator
    ws = hr(emu)
    run_id = ws["objects"]["runs"][1]["id"]
    run, result = play(storage_ansible, dict(HR, run_id=run_id))
    assert run.rc == 0, run.stdout[-3000:]
    prefix = f"ExperimentRun/dcid.{run_id}/"
    live = [b for b in emu.storage_blobs(ws["storage"]["account"]) if b["container"] == "azureml" and b["name"].startswith(prefix)]
    assert [(b["name"], b["snapshot"], b["size"], b["etag"]) for b in result["blobs"]] == \
           [(b["name"], b["snapshot"], b["size"], b["etag"]) for b in live]
    assert result["count"] == len(live) > 0 and result["changed"] is False
    assert (result["account"], result["container"], result["prefix"]) == (ws["storage"]["account"], "azureml", prefix)
    assert result["delete_retention"] == {"enabled": False, "days": None}
    # the storage account came from ARM (workspaces.get), and nothing was written
    journal = emu.journal()
    assert [e["op"] for e in journal] == ["workspaces.get"] and not any(e["mutating"] for e in journal)


def test_the_blob_store_container_with_dest_and_check_mode(storage_ansible, tmp_path):
    emu = storage_ansible.emulator
    ws = hr(emu)
    container = f"azureml-blobstore-{ws['workspace_id']}"
    dest = tmp_path / "blobs.json"
    run, result = play(storage_ansible, dict(HR, container=container, snapshots=False, dest=str(dest)), check=True)
    assert run.rc == 0 and result["changed"] is True and not dest.exists()
    run, result = play(storage_ansible, dict(HR, container=container, snapshots=False, dest=str(dest)))
    assert run.rc == 0 and result["changed"] is True and dest.stat().st_mode & 0o777 == 0o600
    names = [b["name"] for b in json.loads(dest.read_text(encoding="utf-8"))]
    assert names == sorted(b["name"] for b in ws["storage"]["blobs"] if b["container"] == container)
    run, result = play(storage_ansible, dict(HR, container=container, snapshots=False, dest=str(dest)))
    assert result["changed"] is False


def test_a_service_principal_gets_its_own_storage_token(storage_ansible):
    emu = storage_ansible.emulator
    env = {"ANSIBLE_AZURE_AUTH_SOURCE": "env", "AZUREML_ACCESS_TOKEN": None, "AZUREML_STORAGE_ACCESS_TOKEN": None,
           "AZURE_TENANT": emu.tenant, "AZURE_CLIENT_ID": emu.client_id, "AZURE_SECRET": emu.client_secret,
           "AZURE_AUTHORITY_HOST": emu.aad_url}
    grants = emu.counters()["token_grants"]
    run, result = play(storage_ansible, dict(HR, prefix="ExperimentRun/"), env=env)
    assert run.rc == 0, run.stdout[-3000:]
    assert result["count"] == len([b for b in emu.storage_blobs(hr(emu)["storage"]["account"]) if b["name"].startswith("ExperimentRun/")])
    assert emu.counters()["token_grants"] == grants + 2  # one for Resource Manager, one for storage


def test_auth_source_token_without_a_storage_token_is_refused_naming_the_option(storage_ansible):
    run, result = play(storage_ansible, HR, env={"AZUREML_STORAGE_ACCESS_TOKEN": None})
    assert run.rc != 0
    assert "need storage_access_token (option storage_access_token or env AZUREML_STORAGE_ACCESS_TOKEN)" in result["msg"]


def test_no_key_token_or_secret_in_any_output_at_vvv(storage_ansible):
    emu = storage_ansible.emulator
    account = hr(emu)["storage"]["account"]
    key = emu.storage_account_keys()[account]
    token = emu.storage_token()
    runs = [play(storage_ansible, dict(HR, storage_account_key=key), "-vvv", env={"AZUREML_STORAGE_ACCESS_TOKEN": None})[0],
            play(storage_ansible, HR, "-vvv", env={"AZUREML_STORAGE_ACCESS_TOKEN": token})[0],
            # a refused token: the error path
            play(storage_ansible, HR, "-vvv", env={"AZUREML_STORAGE_ACCESS_TOKEN": emu.token})[0]]
    assert [r.rc == 0 for r in runs] == [True, True, False]
    secrets = emu.secrets() + list(emu.storage_account_keys().values()) + [token, emu.token, emu.client_secret]
    for run in runs:
        text = run.stdout + run.stderr + json.dumps(run.results)
        assert not [s for s in secrets if s in text]
    assert "the service said " in runs[2].results[-1]["result"]["msg"]
    assert "(HTTP 403, code AuthenticationFailed, request id " in runs[2].results[-1]["result"]["msg"]
