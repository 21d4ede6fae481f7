"""Token expiry in the middle of a run, and bad input answered before any request with a message naming the option."""
from __future__ import annotations

import yaml

from export_support import _bundle
from reliability_support import EXPORT_TASK, SALES

SUB = "00000000-0000-4000-8000-000000000001"


def env_auth(emu):
    """auth_source env through the fake Azure AD (as tests/integration/test_workspace_info.py)."""
    return {"ANSIBLE_AZURE_AUTH_SOURCE": "env", "AZUREML_ACCESS_TOKEN": None, "AZURE_TENANT": emu.tenant,
            "AZURE_CLIENT_ID": emu.client_id, "AZURE_SECRET": emu.client_secret, "AZURE_AUTHORITY_HOST": emu.aad_url,
            "REQUESTS_CA_BUNDLE": emu.ca_path}


def test_token_expiring_mid_run_is_renewed_through_the_credential(runner):
    emu = runner.emu
    emu.configure(token_lifetime=2, latency_ms=120)
    run = runner.export(options={"concurrency": 1}, env=env_auth(emu))
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
    journal = emu.journal()
    span = (journal[-1]["time"], journal[0]["time"])
    assert len(journal) * 0.12 > 4, span  # the run outlived at least one token
    assert emu.counters()["token_grants"] > 1
    assert _bundle.verify_bundle(str(runner.dest / SALES)) == []


def test_a_401_with_a_static_token_says_it_is_expired_or_invalid(runner):
    marker = "static-token-MARKER-4f1c9e"
    run = runner.export(env={"AZUREML_ACCESS_TOKEN": marker})
    assert run.rc != 0
    msg = run.task(EXPORT_TASK)[0]["result"]["msg"]
    assert "HTTP 401" in msg and "expired or invalid" in msg and "request id" in msg, msg
    assert marker not in run.stdout + run.stderr


def bad_input_tasks(tmp_path):
    """(task name, module, args, the option the message must name)."""
    a_file = tmp_path / "a-regular-file"
    a_file.write_text("not a folder\n", encoding="utf-8")
    ws = {"resource_group": "rg-gdpr-demo", "workspace_name": "ws-sales-analytics", "subscription_id": SUB}
    return [
        ("malformed subscription id", "gdpr.azureml.model_info", dict(ws, subscription_id="0000-not-a-guid"), "subscription_id"),
        ("empty workspace name", "gdpr.azureml.model_info", dict(ws, workspace_name=""), "workspace_name"),
        ("invalid workspace name", "gdpr.azureml.model_info", dict(ws, workspace_name="../etc"), "workspace_name"),
        ("empty resource group", "gdpr.azureml.model_info", dict(ws, resource_group=""), "resource_group"),
        ("invalid resource group", "gdpr.azureml.model_info", dict(ws, resource_group="rg/../x"), "resource_group"),
        ("unknown cloud", "gdpr.azureml.model_info", dict(ws, cloud_environment="AzureGermanCloud"), "cloud_environment"),
        ("base_url without a scheme", "gdpr.azureml.model_info", dict(ws, base_url="127.0.0.1:8765"), "base_url"),
        ("ids and all together", "gdpr.azureml.model", dict(ws, state="absent", ids=["m:1"], all=True), "all"),
        ("negative concurrency", "gdpr.azureml.model_info", dict(ws, concurrency=-1), "concurrency"),
        ("wait_timeout 0", "gdpr.azureml.workspace", dict(ws, state="absent", wait_timeout=0), "wait_timeout"),
        ("dest in a missing folder", "gdpr.azureml.model_info", dict(ws, dest=str(tmp_path / "missing" / "models.json")), "dest"),
        ("dest under a regular file", "gdpr.azureml.model_info", dict(ws, dest=str(a_file / "models.json")), "dest"),
        ("export dest under a regular file", "gdpr.azureml.export_bundle", dict(ws, dest=str(a_file / "bundle")), "dest"),
    ]


def test_bad_input_is_answered_before_any_request_naming_the_option(runner, tmp_path):
    emu = runner.emu
    cases = bad_input_tasks(tmp_path)
    tasks = [{"name": name, module: args, "ignore_errors": True} for name, module, args, _option in cases]
    play = [{"hosts": "localhost", "gather_facts": False, "connection": "local", "tasks": tasks}]
    playbook = runner.ansible.write_playbook("bad-input.yml", yaml.safe_dump(play, sort_keys=False))
    emu.clear_journal()
    run = runner.ansible.playbook(playbook)
    problems = []
    for name, _module, _args, option in cases:
        result = run.task(name)[0]
        msg = result["result"].get("msg", "")
        if result["status"] != "failed" or option not in msg:
            problems.append((name, result["status"], msg))
    assert problems == []
    journal = emu.journal()
    assert journal == [], [(e["method"], e["op"]) for e in journal]
    assert not (tmp_path / "missing").exists()
