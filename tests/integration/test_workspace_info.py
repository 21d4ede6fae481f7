"""workspace_info end to end: real ansible-playbook, the emulator as the service.

Covers the foundation issue's integration points: token and Azure AD (azure-identity) auth,
paging, the request journal, `dest` idempotence, validation before any request, and secrets
never printed, even at -vvv.
"""
from __future__ import annotations

import json
import os
import stat

PLAY = """
- hosts: localhost
  gather_facts: false
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  tasks:
{tasks}
"""


def task(name, args):
    lines = ["    - name: %s" % name, "      gdpr.azureml.workspace_info:"]
    lines += ["        %s: %s" % (k, json.dumps(v)) for k, v in args.items()]
    return "\n".join(lines)


def play(ansible, *tasks):
    return ansible.write_playbook("play.yml", PLAY.format(tasks="\n".join(tasks)))


def demo_workspaces(emulator):
    return emulator.state()["workspaces"]


def test_lists_every_workspace_of_a_resource_group_across_pages(ansible):
    emu = ansible.emulator
    workspaces = demo_workspaces(emu)
    sub, rg = workspaces[0]["subscription_id"], workspaces[0]["resource_group"]
    expected = sorted(w["id"] for w in workspaces if w["resource_group"] == rg)
    run = ansible.playbook(play(ansible, task("list rg", {"subscription_id": sub, "resource_group": rg}),
                                task("list sub", {"subscription_id": sub})))
    assert run.rc == 0, run.stdout + run.stderr
    listed = [w["id"] for w in run.task("list rg")[0]["result"]["workspaces"]]
    assert listed == expected
    assert sorted(w["id"] for w in run.task("list sub")[0]["result"]["workspaces"]) == sorted(w["id"] for w in workspaces)
    ops = [e["op"] for e in emu.journal()]
    # page size 3: the resource group list needs more than one page when it holds more than 3
    assert ops.count("workspaces.list") == (len(expected) - 1) // 3 + 1
    assert ops.count("workspaces.list_subscription") == (len(workspaces) - 1) // 3 + 1
    assert emu.counters()["mutating"] == 0


def test_get_one_and_missing_one(ansible):
    ws = demo_workspaces(ansible.emulator)[0]
    coords = {"subscription_id": ws["subscription_id"], "resource_group": ws["resource_group"]}
    run = ansible.playbook(play(ansible, task("get", dict(coords, workspace_name=ws["name"])),
                                task("missing", dict(coords, workspace_name="no-such-workspace"))))
    assert run.rc == 0, run.stdout
    got = run.task("get")[0]["result"]["workspaces"]
    assert [w["id"] for w in got] == [ws["id"]]
    assert got[0]["properties"]["discoveryUrl"].endswith("/discovery")
    assert run.task("missing")[0]["result"]["workspaces"] == []


def test_dest_is_written_0600_and_is_idempotent(ansible, tmp_path):
    ws = demo_workspaces(ansible.emulator)[0]
    dest = tmp_path / "out" / "workspaces.json"
    dest.parent.mkdir()
    args = {"subscription_id": ws["subscription_id"], "dest": str(dest)}
    path = play(ansible, task("write", args))
    first = ansible.playbook(path)
    assert first.rc == 0 and first.recap["localhost"]["changed"] == 1, first.stdout
    result = first.task("write")[0]["result"]
    assert result["count"] == len(demo_workspaces(ansible.emulator)) and "workspaces" not in result
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    inode = os.stat(dest).st_ino
    second = ansible.playbook(path)
    assert second.rc == 0 and second.recap["localhost"]["changed"] == 0, second.stdout
    assert os.stat(dest).st_ino == inode  # not rewritten
    checked = ansible.playbook(path, check=True)
    assert checked.recap["localhost"]["changed"] == 0


def test_bad_input_fails_before_any_request(ansible):
    run = ansible.playbook(play(ansible, task("bad", {"subscription_id": "not-a-guid"})))
    assert run.rc != 0
    msg = run.task("bad")[0]["result"]["msg"]
    assert "subscription_id" in msg
    assert ansible.emulator.journal() == []


def test_env_auth_through_azure_ad_one_grant_per_module_run(ansible):
    """The real azure-identity path: service principal from env vars, the emulator's Azure AD."""
    emu = ansible.emulator
    sub = demo_workspaces(emu)[0]["subscription_id"]
    env = {
        "ANSIBLE_AZURE_AUTH_SOURCE": "env",
        "AZUREML_ACCESS_TOKEN": None,
        "AZURE_TENANT": emu.tenant,
        "AZURE_CLIENT_ID": emu.client_id,
        "AZURE_SECRET": emu.client_secret,
        "AZURE_AUTHORITY_HOST": emu.aad_url,
        "REQUESTS_CA_BUNDLE": emu.ca_path,
    }
    before = emu.counters()["token_grants"]
    run = ansible.playbook(play(ansible, task("one", {"subscription_id": sub}), task("two", {"subscription_id": sub})), env=env)
    assert run.rc == 0, run.stdout + run.stderr
    assert len(run.task("one")[0]["result"]["workspaces"]) == len(demo_workspaces(emu))
    assert emu.counters()["token_grants"] - before == 2  # one per module run, however many pages


def test_wrong_secret_fails_with_the_azure_ad_message_and_no_secret(ansible):
    emu = ansible.emulator
    secret = "WRONG-SECRET-MARKER-7f3a"
    env = {"ANSIBLE_AZURE_AUTH_SOURCE": "env", "AZUREML_ACCESS_TOKEN": None, "AZURE_TENANT": emu.tenant,
           "AZURE_CLIENT_ID": emu.client_id, "AZURE_SECRET": secret, "AZURE_AUTHORITY_HOST": emu.aad_url,
           "REQUESTS_CA_BUNDLE": emu.ca_path}
    run = ansible.playbook(play(ansible, task("bad secret", {"subscription_id": demo_workspaces(emu)[0]["subscription_id"]})),
                           "-vvv", env=env)
    assert run.rc != 0
    assert "AADSTS7000215" in run.task("bad secret")[0]["result"]["msg"]
    assert secret not in run.stdout + run.stderr + json.dumps(run.results)
    assert [e for e in emu.journal() if e["op"].startswith("workspaces.")] == []


def test_token_and_secret_never_printed_at_vvv(ansible):
    emu = ansible.emulator
    sub = demo_workspaces(emu)[0]["subscription_id"]
    secret = "SP-SECRET-MARKER-91c2"
    # The token is passed as a module option (no_log) and the secret as an option too, unused by
    # auth_source token: neither may show up in the result or in -vvv output.
    args = {"subscription_id": sub, "auth_source": "token", "access_token": emu.token, "secret": secret}
    run = ansible.playbook(play(ansible, task("list", args)), "-vvv", env={"AZUREML_ACCESS_TOKEN": None})
    assert run.rc == 0, run.stdout + run.stderr
    blob = run.stdout + run.stderr + json.dumps(run.results)
    assert emu.token not in blob
    assert secret not in blob


def test_expired_static_token_says_so(ansible):
    args = {"subscription_id": demo_workspaces(ansible.emulator)[0]["subscription_id"], "access_token": "not-a-valid-token"}
    run = ansible.playbook(play(ansible, task("expired", args)))
    assert run.rc != 0
    msg = run.task("expired")[0]["result"]["msg"]
    assert "401" in msg and "expired or invalid" in msg
    assert "not-a-valid-token" not in msg


def test_retries_through_injected_faults(ansible):
    emu = ansible.emulator
    emu.configure(fault_rate=0.4, page_size=1)  # one page per workspace: enough requests to meet faults
    ws = demo_workspaces(emu)
    run = ansible.playbook(play(ansible, task("flaky", {"subscription_id": ws[0]["subscription_id"], "retries": 10})))
    assert run.rc == 0, run.stdout
    assert sorted(w["id"] for w in run.task("flaky")[0]["result"]["workspaces"]) == sorted(w["id"] for w in ws)
    assert emu.counters()["faults"] > 0  # faults were really injected, and retried through
