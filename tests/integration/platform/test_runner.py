"""The Automation Platform path: the export and purge playbooks as AWX and the platform start them.

A job is ``ansible_runner.run`` on a private data dir (project, inventory, artifacts) with the environment the custom
credential type of docs/examples/awx_credential_type.yml injects (rendered as AWX renders it) and AWX's runner
setting (no env files). The tests read what runner leaves (job events, status, rc), what the
emulator saw (journal, state), and search every file of the job for the credential (raw, JSON-escaped, URL-encoded).

ansible-runner records the job's environment, credential included, in ``artifacts/<job>/command`` (mode 0600; AWX
deletes the private data dir after the job and keeps a masked copy of the environment): that file is the one place
the search may find it, and the tests say so, so that a change there is seen. docs/fleet.md tells operators.
"""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import ansible_runner
from platform_support import (
    AWX_RUNNER_PARAMS, CLIENT_ID, COLLECTIONS, SECRET, SUBSCRIPTION, TOKEN, awx_injected_env, demo_hosts, find_secrets,
    load_credential_type, write_inventory,
)

SALES = "rg-gdpr-demo_ws-sales-analytics"
DELETABLE = ("services", "images", "models", "assets")
# (role, task) as job events name them
EXPORT_TASK = ("export_workspace_data", "Export the workspace to its bundle")
DELETE_TASK = ("purge_workspace", "Delete the planned objects in dependency order, then list each kind again")
STALE_TOKEN = "stale+Token/Left=~in-the-field"  # noqa: S105 - a credential field filled but not the chosen source
NO_LOG = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


class Job:
    """One finished ansible-runner job: its private data dir, result, events and artifacts."""

    def __init__(self, pdd, ident, result):
        self.pdd, self.ident, self.result = pdd, ident, result
        self.artifacts = pdd / "artifacts" / ident
        self.events = sorted(result.events, key=lambda e: e["counter"])

    def read(self, name):
        return (self.artifacts / name).read_text(encoding="utf-8").strip()

    def stdout(self):
        return "".join(e.get("stdout", "") for e in self.events)

    def ok(self, task):
        role, name = task
        return [e["event_data"] for e in self.events
                if e["event"] == "runner_on_ok" and e["event_data"].get("task") == name and e["event_data"].get("role") == role]

    def stats(self):
        (stats,) = [e["event_data"] for e in self.events if e["event"] == "playbook_on_stats"]
        return stats


def run_job(tmp_path, monkeypatch, ident, *, playbook, hosts, credential, extravars=None, **runner_kwargs):
    """Start ``playbook`` as an AWX job would, and wait for it: the project's playbook imports the collection's
    playbook ``playbook`` (a name), or is ``playbook`` (YAML text)."""
    for name in list(os.environ):  # the job sees the credential's environment, not the test runner's
        if name.startswith(("AZURE_", "AZUREML_")) or name in ("ANSIBLE_AZURE_AUTH_SOURCE", "REQUESTS_CA_BUNDLE"):
            monkeypatch.delenv(name)
    pdd = tmp_path / ident
    pdd.mkdir(mode=0o700)
    (pdd / "project").mkdir()
    if "\n" not in playbook:
        playbook = "- name: The collection's playbook\n  ansible.builtin.import_playbook: %s\n" % playbook
    (pdd / "project" / "job.yml").write_text(playbook, encoding="utf-8")
    inventory = write_inventory(pdd / "inventory" / "hosts.yml", hosts)
    envvars = dict(credential, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
                   PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    params = dict(AWX_RUNNER_PARAMS, **runner_kwargs)
    result = ansible_runner.run(private_data_dir=str(pdd), ident=ident, playbook="job.yml", inventory=str(inventory),
                                envvars=envvars, extravars=extravars, quiet=True, **params)
    return Job(pdd, ident, result)


def assert_credential_only_in_the_command_record(job, roots, secrets):
    """The job's files hold none of ``secrets`` but runner's record of the environment, which is private."""
    found = find_secrets(roots, secrets)
    command = os.path.join("artifacts", job.ident, "command")
    assert set(found) == {command}, found
    assert stat.S_IMODE((job.pdd / command).stat().st_mode) == 0o600
    assert stat.S_IMODE(job.artifacts.stat().st_mode) == 0o700
    assert not (job.pdd / "env").exists()  # AWX_RUNNER_OMIT_ENV_FILES: no env/envvars, env/extravars


def test_export_then_purge_as_awx_jobs(platform_emu, tmp_path, monkeypatch):
    emu = platform_emu
    hosts = demo_hosts(emu)
    dest = tmp_path / "exports"
    credential_type = load_credential_type()
    before = emu.state()

    # 1. The export job, with a token credential.
    token_credential = awx_injected_env(credential_type, {
        "auth_source": "token", "subscription_id": SUBSCRIPTION, "access_token": TOKEN, "cloud_environment": "AzureCloud",
        "base_url": emu.url})
    export = run_job(tmp_path, monkeypatch, "export", playbook="gdpr.azureml.export_workspaces", hosts=hosts,
                     credential=token_credential, extravars={"export_workspace_data_dest": str(dest)})
    assert (export.result.status, export.result.rc) == ("successful", 0), export.stdout()[-3000:]
    assert (export.read("status"), export.read("rc")) == ("successful", "0")
    kinds = [e["event"] for e in export.events]
    assert kinds[0] == "playbook_on_start" and kinds[-1] == "playbook_on_stats"
    exported = {e["host"]: e for e in export.ok(EXPORT_TASK)}
    assert sorted(exported) == hosts
    for host, event in exported.items():
        assert event["res"]["changed"] is True and event["res"]["count"] >= 1, host
        # the credential reached the module through the environment and is masked in what the job records
        assert event["res"]["invocation"]["module_args"]["access_token"] == NO_LOG
        assert (dest / host / "manifest.json").is_file()
    stats = export.stats()
    assert not stats["failures"] and not stats["dark"] and set(hosts) <= set(stats["ok"])
    journal = emu.journal()
    assert journal and not [e for e in journal if e["mutating"] or e["status"] >= 400]
    assert {e["path"].rsplit("/", 1)[1] for e in journal if e["op"] == "workspaces.get"} == {ws["name"] for ws in before["workspaces"]}
    assert_credential_only_in_the_command_record(export, [export.pdd, dest], {"token": TOKEN})

    # 2. The purge job of one workspace (the job template's Limit names it and localhost, for the fleet summary), with a
    # service-principal credential: auth_source env, through the fake Azure AD, although a stale token is filled in too.
    emu.clear_journal()
    grants = emu.counters()["token_grants"]
    sp_credential = awx_injected_env(credential_type, {
        "auth_source": "env", "subscription_id": SUBSCRIPTION, "tenant": emu.tenant, "client_id": CLIENT_ID, "secret": SECRET,
        "access_token": STALE_TOKEN, "cloud_environment": "AzureCloud", "authority_host": emu.aad_url, "base_url": emu.url})
    sp_credential["REQUESTS_CA_BUNDLE"] = emu.ca_path  # the execution environment's trust store, not the credential
    purge = run_job(tmp_path, monkeypatch, "purge", playbook="gdpr.azureml.purge_workspaces", hosts=hosts, credential=sp_credential,
                    extravars={"export_workspace_data_dest": str(dest), "purge_workspace_confirm": [SALES.split("_", 1)[1]],
                               "purge_workspace_kinds": list(DELETABLE)},  # the kinds counted below
                    limit="%s,localhost" % SALES)
    assert (purge.result.status, purge.result.rc) == ("successful", 0), purge.stdout()[-3000:]
    assert (purge.read("status"), purge.read("rc")) == ("successful", "0")
    (deleted,) = purge.ok(DELETE_TASK)
    assert deleted["host"] == SALES and deleted["res"]["changed"] is True
    assert deleted["res"]["invocation"]["module_args"]["secret"] == NO_LOG
    stats = purge.stats()
    assert not stats["failures"] and SALES in stats["changed"] and set(stats["ok"]) <= {SALES, "localhost"}

    journal = emu.journal()
    assert emu.counters()["token_grants"] > grants  # the service principal was used, not the stale token
    assert not [e for e in journal if e["status"] == 401]
    deletes = [e for e in journal if e["mutating"]]
    sales_id = "/resourceGroups/rg-gdpr-demo/providers/Microsoft.MachineLearningServices/workspaces/ws-sales-analytics/"
    assert deletes and all(e["method"] == "DELETE" and sales_id in e["path"] and e["status"] in (200, 202) for e in deletes)
    after = {ws["name"]: ws["objects"] for ws in emu.state()["workspaces"]}
    for ws in before["workspaces"]:
        for kind in DELETABLE:
            expected = [] if ws["name"] == "ws-sales-analytics" else [o["id"] for o in ws["objects"][kind]]
            assert [o["id"] for o in after[ws["name"]][kind]] == expected, (ws["name"], kind)
    assert len(deletes) == sum(len(next(w for w in before["workspaces"] if w["name"] == "ws-sales-analytics")["objects"][k])
                               for k in DELETABLE)
    assert_credential_only_in_the_command_record(purge, [purge.pdd, dest], {"secret": SECRET, "stale token": STALE_TOKEN})
    assert (dest / "audit" / (SALES + ".jsonl")).is_file()


def test_without_awx_settings_runner_writes_the_credential_to_env_files(platform_emu, tmp_path, monkeypatch):
    """The control: plain ansible-runner (suppress_env_files false) writes env/envvars, and the search finds it there."""
    credential = awx_injected_env(load_credential_type(), {
        "auth_source": "token", "subscription_id": SUBSCRIPTION, "access_token": TOKEN, "cloud_environment": "AzureCloud",
        "base_url": platform_emu.url})
    playbook = ("- name: A job\n  hosts: all\n  gather_facts: false\n  tasks:\n"
                "    - name: Get the workspace\n      gdpr.azureml.workspace_info:\n"
                "        resource_group: '{{ azureml_resource_group }}'\n        workspace_name: '{{ azureml_workspace_name }}'\n")
    job = run_job(tmp_path, monkeypatch, "plain", playbook=playbook, hosts=[SALES], credential=credential, suppress_env_files=False)
    assert job.result.rc == 0, job.stdout()[-2000:]
    found = find_secrets([job.pdd], {"token": TOKEN})
    assert set(found) == {os.path.join("env", "envvars"), os.path.join("artifacts", "plain", "command")}, found
