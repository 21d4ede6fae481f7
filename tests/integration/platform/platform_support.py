"""What AWX / Automation Platform does around a job, written out for the tests of this folder.

* ``awx_injected_env``: the environment AWX builds from a credential of a custom credential type, as
  ``CredentialType.inject_credential`` (awx/main/models/credential) does (a credential lacking a required input
  cannot be saved): a field left empty is not in the template
  namespace (it renders as an empty string), templates render in Jinja's ``ImmutableSandboxedEnvironment``, and an
  ``env`` injector whose name AWX refuses (``validate_env_var_allowed``: names starting with ``ANSIBLE_``, and
  ``ENV_BLOCKLIST``) is an error when the credential type is created.
* ``AWX_RUNNER_PARAMS``: what AWX passes to ``ansible_runner.run`` besides the job itself: its setting
  ``AWX_RUNNER_OMIT_ENV_FILES`` (true by default) as ``suppress_env_files``. (AWX also asks for no stdout file;
  ansible-runner 2.4 drops in-memory settings when ``env/settings`` is absent, so the tests keep runner's stdout
  file and search it too.)
* ``secret_forms`` / ``find_secrets``: a secret as it may appear in a file: raw, JSON-escaped (with and without
  ``\\/``), URL-encoded (``quote`` and ``quote_plus``).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / "build" / "collections"
CREDENTIAL_TYPE = ROOT / "docs" / "examples" / "awx_credential_type.yml"

# Distinctive credentials of the platform emulator: their raw, JSON-escaped and URL-encoded forms differ (the token
# goes in an HTTP header, so it is ASCII; the secret goes in a form body, so it also holds a non-ASCII letter).
TOKEN = "gdpr+Platform/Token=~x1"  # noqa: S105 - a test credential
SECRET = "gdpr+Platform/Sécret=~s2"  # noqa: S105 - a test credential
CLIENT_ID = "00000000-0000-4000-8000-00000000c0de"
SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"

# awx/main/constants.py
AWX_ENV_BLOCKLIST = frozenset((
    "VIRTUAL_ENV", "PATH", "PYTHONPATH", "PROOT_TMP_DIR", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID",
    "INVENTORY_UPDATE_ID", "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES", "CALLBACK_QUEUE",
    "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS", "AWX_HOST", "PROJECT_REVISION",
    "SUPERVISOR_WEB_CONFIG_PATH",
))
AWX_RUNNER_PARAMS = {"suppress_env_files": True}


def load_credential_type():
    return yaml.safe_load(CREDENTIAL_TYPE.read_text(encoding="utf-8"))


def awx_refuses(env_var):
    """Why AWX refuses an ``env`` injector of this name (None: it accepts it)."""
    if env_var.startswith("ANSIBLE_"):
        return "Environment variable %s may affect Ansible configuration so its use is not allowed in credentials." % env_var
    if env_var in AWX_ENV_BLOCKLIST:
        return "Environment variable %s is not allowed to be used in credentials." % env_var
    return None


def awx_injected_env(credential_type, inputs):
    """The environment a job gets from a credential with these ``inputs`` (field id -> value)."""
    fields = {f["id"]: f for f in credential_type["inputs"]["fields"]}
    unknown = set(inputs) - set(fields)
    assert not unknown, unknown
    missing = [name for name in credential_type["inputs"].get("required", []) if not inputs.get(name)]
    assert not missing, "AWX refuses a credential without %s" % missing
    namespace = {}
    for name, value in inputs.items():
        if isinstance(value, bool) or len(value):
            namespace[name] = value
    for name, field in fields.items():
        if field.get("type") == "boolean" and name not in inputs:
            namespace[name] = False
    sandbox = ImmutableSandboxedEnvironment()
    env = {}
    for env_var, template in credential_type["injectors"].get("env", {}).items():
        refusal = awx_refuses(env_var)
        assert refusal is None, refusal
        env[env_var] = sandbox.from_string(template).render(**namespace)
    return env


def secret_forms(secret):
    """The byte strings under which ``secret`` may be written to a file."""
    escaped = json.dumps(secret)[1:-1]  # ASCII: a non-ASCII letter becomes \uXXXX
    forms = {secret, escaped, escaped.replace("/", "\\/"), quote(secret, safe=""), quote_plus(secret)}
    assert len(forms) >= 3, forms  # distinct forms, or the search would not mean much
    return {f.encode() for f in forms}


def find_secrets(roots, secrets, skip=()):
    """``{path: [secret forms found]}`` for every regular file under ``roots`` (symlinks not followed)."""
    needles = {form: name for name, secret in secrets.items() for form in secret_forms(secret)}
    found = {}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
            for name in files:
                path = os.path.join(folder, name)
                if os.path.islink(path) or any(re.search(s, path) for s in skip):
                    continue
                data = Path(path).read_bytes()
                hits = sorted({"%s as %r" % (label, form.decode()) for form, label in needles.items() if form in data})
                if hits:
                    found[os.path.relpath(path, root)] = hits
    return found


def write_inventory(path, hosts):
    """A static inventory of the demo workspaces ``hosts`` (``<resource group>_<workspace name>``)."""
    lines = ["all:", "  hosts:"]
    for host in hosts:
        rg, name = host.split("_", 1)
        lines += ["    %s:" % host, "      azureml_subscription_id: %s" % SUBSCRIPTION, "      azureml_resource_group: %s" % rg,
                  "      azureml_workspace_name: %s" % name]
    lines += ["  vars:", "    ansible_connection: local", '    ansible_python_interpreter: "{{ ansible_playbook_python }}"']
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def demo_hosts(emu):
    return sorted("%s_%s" % (ws["resource_group"], ws["name"]) for ws in emu.state()["workspaces"])
