"""TLS: certificate verification is on by default; ca_path trusts a CA; validate_certs false works and warns."""
from __future__ import annotations

import pytest
import yaml

from azureml_emulator.testing import EmulatorProcess

SUB = "00000000-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def tls_emulator():
    with EmulatorProcess(scenario="demo", args=["--tls"]) as emu:
        yield emu


def test_verification_on_by_default_ca_path_trusts_and_validate_certs_false_warns(tls_emulator, ansible):
    emu = tls_emulator
    assert emu.url.startswith("https://")
    args = {"subscription_id": SUB, "resource_group": "rg-gdpr-demo"}
    tasks = [
        {"name": "default", "gdpr.azureml.workspace_info": args, "ignore_errors": True},
        {"name": "with ca_path", "gdpr.azureml.workspace_info": dict(args, ca_path=emu.ca_path)},
        {"name": "without verification", "gdpr.azureml.workspace_info": dict(args, validate_certs=False)},
    ]
    playbook = ansible.write_playbook("tls.yml", yaml.safe_dump([{"hosts": "localhost", "gather_facts": False,
                                                                 "connection": "local", "tasks": tasks}], sort_keys=False))
    # this machine may set a CA bundle in the environment: control every variable that could trust the test CA
    env = {"AZUREML_BASE_URL": emu.url, "AZUREML_ACCESS_TOKEN": emu.token, "REQUESTS_CA_BUNDLE": None, "CURL_CA_BUNDLE": None,
           "SSL_CERT_FILE": None, "SSL_CERT_DIR": None, "AZUREML_VALIDATE_CERTS": None}
    emu.clear_journal()
    run = ansible.playbook(playbook, env=env)
    default = run.task("default")[0]
    assert default["status"] == "failed"
    assert "certificate" in default["result"]["msg"].lower(), default["result"]["msg"]
    assert "workspace" in default["result"]["msg"]
    trusted = run.task("with ca_path")[0]
    assert trusted["status"] == "ok" and trusted["result"]["workspaces"]
    unverified = run.task("without verification")[0]
    assert unverified["status"] == "ok" and unverified["result"]["workspaces"]
    assert any("validate_certs is false" in w for w in unverified["result"].get("warnings", [])), unverified["result"]
    assert not any("validate_certs" in w for w in trusted["result"].get("warnings", []))
    # the default run's handshake failed: the service saw only the two later runs' requests
    assert len([e for e in emu.journal() if e["op"] == "workspaces.list"]) == 2
