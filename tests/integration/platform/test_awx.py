"""AWX / Automation Platform: the custom credential type injects only what the collection reads, AWX accepts every
variable it injects, and that is enough."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from platform_support import SUBSCRIPTION, awx_injected_env, awx_refuses, load_credential_type

from ansible_collections.gdpr.azureml.plugins.module_utils._auth import AUTH_ENV, AUTH_SOURCES
from ansible_collections.gdpr.azureml.plugins.module_utils._clouds import CLOUDS
from ansible_collections.gdpr.azureml.plugins.module_utils._module import TRANSPORT_ENV

OPTION_ENV = dict(AUTH_ENV, **TRANSPORT_ENV)  # option -> environment variables the modules read, first wins


def test_every_injected_variable_is_one_the_modules_read_and_awx_accepts():
    credential_type = load_credential_type()
    fields = {f["id"]: f for f in credential_type["inputs"]["fields"]}
    injected = credential_type["injectors"]["env"]
    readable = {var for envs in OPTION_ENV.values() for var in envs}
    assert set(injected) <= readable, set(injected) - readable
    assert set(credential_type["injectors"]) == {"env"}  # no extra_vars: they would show in job output
    assert awx_refuses("ANSIBLE_AZURE_AUTH_SOURCE")  # AWX rejects a credential type injecting it
    for var, template in injected.items():
        assert awx_refuses(var) is None, awx_refuses(var)
        used = re.findall(r"{{\s*(\w+)\s*}}", template)
        assert used and all(u in fields for u in used), (var, template)
        # the field named like a module option feeds the first variable of that option AWX lets a credential set
        assert var == [v for v in OPTION_ENV[used[0]] if awx_refuses(v) is None][0], (var, used)
    assert set(fields) == {re.findall(r"{{\s*(\w+)\s*}}", t)[0] for t in injected.values()}
    assert {f for f, spec in fields.items() if spec.get("secret")} == {"secret", "access_token"}
    assert fields["auth_source"]["choices"] == list(AUTH_SOURCES)
    assert sorted(fields["cloud_environment"]["choices"]) == sorted(CLOUDS)
    assert set(credential_type["inputs"]["required"]) <= set(fields)
    assert credential_type["kind"] == "cloud"


def test_the_injected_environment_drives_the_inventory_plugin_and_the_modules(ansible, fresh_emulator, tmp_path):
    """Empty optional fields (tenant, client id, secret, authority) must read as "not set"."""
    credential = awx_injected_env(load_credential_type(), {
        "auth_source": "token", "subscription_id": SUBSCRIPTION, "access_token": fresh_emulator.token,
        "cloud_environment": "AzureCloud", "base_url": fresh_emulator.url, "tenant": ""})
    assert credential["AZURE_TENANT"] == "" and credential["AZURE_SECRET"] == ""
    env = ansible.env(ANSIBLE_AZURE_AUTH_SOURCE=None, **credential)  # an AWX job has no ANSIBLE_AZURE_AUTH_SOURCE
    for name in ("AZUREML_ACCESS_TOKEN", "AZUREML_BASE_URL", "AZUREML_AUTH_SOURCE"):
        assert env[name] == credential[name]
    assert "ANSIBLE_AZURE_AUTH_SOURCE" not in env

    source = tmp_path / "awx.azureml.yml"
    source.write_text("plugin: gdpr.azureml.workspaces\n", encoding="utf-8")  # everything else from the credential
    proc = subprocess.run([str(Path(sys.executable).with_name("ansible-inventory")), "-i", str(source), "--graph"],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for ws in fresh_emulator.state()["workspaces"]:
        assert "%s_%s" % (ws["resource_group"], ws["name"]) in proc.stdout

    playbook = ansible.write_playbook("awx.yml", """
- name: A module with the credential's environment only
  hosts: all
  gather_facts: false
  tasks:
    - name: Get the host's workspace
      gdpr.azureml.workspace_info:
        resource_group: "{{ azureml_resource_group }}"
        workspace_name: "{{ azureml_workspace_name }}"
      register: found
    - name: It is there
      ansible.builtin.assert:
        that: found.workspaces | length == 1
""")
    result = ansible.playbook(playbook, "--limit", "rg-gdpr-demo_ws_hr-people", inventory=source, env=dict(credential, ANSIBLE_AZURE_AUTH_SOURCE=None))
    assert result.rc == 0, result.stdout + result.stderr
    assert result.recap["rg-gdpr-demo_ws_hr-people"]["failed"] == 0
