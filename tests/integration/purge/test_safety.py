"""Purge safety (issue 15): never erase what was not exported, never leak a token, never lose an audit line.

One test per reproduction of the issue (its numbers), each asserting against the emulator's journal and state; the
interruption of a purge with DELETEs in flight is in ``tests/integration/reliability/test_interruption.py``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from purge_support import HR, PURGE_PLAYBOOK, ROLE, ROOT, SALES, SANDBOX, SUB, failed_hosts, output, ws_id, ws_name

EXPORT_PLAYBOOK = "gdpr.azureml.export_workspaces"
FIND_PLAYBOOK = "gdpr.azureml.find_subject"
PLAN_TASK = ROLE + "Plan the purge and run every check"


def deletes(purge, mark):
    return [e for e in purge.journal(mark) if e["method"] == "DELETE"]


# -- 1. a workspace delete is an erasure of everything ------------------------------------------------------------------

def test_1a_a_workspace_delete_refuses_a_run_and_a_datastore_created_after_the_export(purge):
    purge.export([SALES])
    experiment = purge.workspace_state(SALES)["objects"]["experiments"][0]["name"]
    run_obj = purge.emu.create_object(ws_id(SALES), "runs", {"experimentName": experiment})
    store = purge.emu.create_object(ws_id(SALES), "datastores", {"name": "created_after_the_export"})
    mark = purge.mark()
    run = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES), purge_workspace_delete_workspace=True,
                      purge_workspace_permanently_delete=True)
    assert run.rc != 0 and SALES in failed_hosts(run)
    text = output(run)
    assert "1 runs that the workspace delete erases are not in the export bundle" in text and run_obj["runId"] in text, text[-3000:]
    assert "1 datastores to delete or to erase with the workspace are not in the export bundle" in text and store["name"] in text
    assert deletes(purge, mark) == [] and purge.mutating(mark) == []
    ws = purge.workspace_state(SALES)
    assert ws["status"] == "active" and run_obj["runId"] in [r["id"] for r in ws["objects"]["runs"]]


def test_1b_a_workspace_delete_counts_everything_it_erases_and_needs_a_bundle_of_every_kind(purge):
    purge.export([HR], export_workspace_data_kinds=["workspace"])
    mark = purge.mark()
    run = purge.purge([HR], purge_workspace_confirm=ws_name(HR), purge_workspace_delete_workspace=True,
                      purge_workspace_permanently_delete=True, purge_workspace_kinds=[], purge_workspace_max_deletions=0)
    assert run.rc != 0 and HR in failed_hosts(run)
    text = output(run)
    assert "a workspace delete erases every kind" in text and "computes, experiments, runs, metrics, metrics_v2, artifacts" in text, text[-3000:]
    assert "more than max_deletions (purge_workspace_max_deletions) 0: raise purge_workspace_max_deletions to at least" in text
    assert deletes(purge, mark) == [] and purge.workspace_state(HR)["status"] == "active"
    # the plan counts, per kind, what the workspace takes with it (check mode, the full bundle)
    purge.export([HR])
    check = purge.purge([HR], check=True, purge_workspace_delete_workspace=True, purge_workspace_kinds=[])
    assert check.rc == 0, output(check)[-3000:]
    erasure = check.task(PLAN_TASK, HR)[0]["result"]["plan"]["workspace_delete"]
    state = purge.workspace_state(HR)["objects"]
    for kind in ("computes", "experiments", "runs", "metrics", "artifacts", "datastores", "models", "assets", "images", "services"):
        assert erasure["counts"].get(kind, 0) == len(state[kind]), kind
    assert erasure["counts"]["workspace"] == 1 and erasure["permanent"] is True
    # one object, one count: every job is a run (counted as runs), every v2 model version a v1 model (counted as models)
    assert "jobs" not in erasure["counts"] and "model_versions" not in erasure["counts"], erasure["counts"]
    assert erasure["counts"]["model_containers"] == len(state["model_containers"])
    assert erasure["total"] == sum(erasure["counts"].values())
    assert f"counted against purge_workspace_max_deletions: {erasure['total']}" in check.stdout


def test_1c_a_bundle_whose_artifact_contents_are_gone_does_not_verify(purge):
    purge.export([SALES], export_workspace_data_artifact_content=True)
    shutil.rmtree(purge.dest / SALES / "artifacts")
    mark = purge.mark()
    run = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES))
    assert run.rc != 0 and SALES in failed_hosts(run)
    assert "/artifacts/" in output(run) and "is missing" in output(run), output(run)[-3000:]
    assert deletes(purge, mark) == []


# -- 2. a bearer token never leaks ----------------------------------------------------------------------------------------

def test_2_a_token_is_stripped_refused_with_a_control_character_inside_and_never_shown(purge):
    token = purge.emu.token
    # a trailing line break (a YAML | block, ansible-vault encrypt_string from standard input): stripped, the run works
    inventory = purge.inventory([SANDBOX], host_vars={SANDBOX: {"azureml_options": {"access_token": token + "\n"}}})
    run = purge.ansible.playbook(EXPORT_PLAYBOOK, "-vvv", inventory=inventory, env={"AZUREML_ACCESS_TOKEN": None},
                                 extra_vars={"export_workspace_data_dest": str(purge.dest)})
    assert run.rc == 0, output(run)[-3000:]
    assert token not in output(run) + repr(run.results)
    assert token not in (purge.dest / "fleet-summary.json").read_text(encoding="utf-8")
    # a line break inside: refused before any request, naming the option, never the value (nor its parts)
    broken = token[:8] + "\n" + token[8:]
    inventory = purge.inventory([SANDBOX], host_vars={SANDBOX: {"azureml_options": {"access_token": broken}}})
    purge.emu.clear_journal()
    run = purge.ansible.playbook(EXPORT_PLAYBOOK, "-vvv", inventory=inventory, env={"AZUREML_ACCESS_TOKEN": None},
                                 extra_vars={"export_workspace_data_dest": str(purge.dest)})
    assert run.rc != 0
    assert "access_token holds a control character" in output(run)
    summary = (purge.dest / "fleet-summary.json").read_text(encoding="utf-8")
    assert "access_token holds a control character" in summary
    for text in (output(run) + repr(run.results), summary):
        assert token[8:] not in text and token[:8] + "\\n" not in text
    assert purge.journal() == []  # never sent, never retried


# -- 3. the audit log misses no DELETE --------------------------------------------------------------------------------------

def test_3_an_audit_log_that_cannot_be_written_stops_before_any_delete(purge):
    if not os.path.exists("/dev/full"):
        return
    purge.export([SALES])
    before = purge.objects(SALES)
    mark = purge.mark()
    run = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES), purge_workspace_audit_log="/dev/full")
    assert run.rc != 0 and SALES in failed_hosts(run)
    assert "No space left on device" in output(run) and "stopped before its next DELETE" in output(run), output(run)[-3000:]
    assert deletes(purge, mark) == [] and purge.objects(SALES) == before


# -- 4. content, not ids ---------------------------------------------------------------------------------------------------

def test_4_a_service_deleted_and_created_again_under_the_same_id_is_refused_naming_the_fields(purge):
    purge.export([SALES])
    old = next(s for s in purge.workspace_state(SALES)["objects"]["services"] if s["id"] == "svc-000-aci")
    ws_path = ws_id(SALES)
    assert purge.emu.request("DELETE", f"/api{ws_path}/services/svc-000-aci?api-version=2019-11-01").status_code == 200
    purge.emu.create_object(ws_path, "services", {"id": "svc-000-aci", "name": "svc-000-aci", "imageId": old["image_id"],
                                                  "description": "Questions: bjorn.odegard@contoso.example"}, user=1)
    mark = purge.mark()
    run = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES))
    assert run.rc != 0 and SALES in failed_hosts(run)
    text = output(run)
    assert "1 services to delete changed since the export" in text and "svc-000-aci (fields " in text, text[-3000:]
    fields = text.split("svc-000-aci (fields ", 1)[1].split(")", 1)[0]
    assert "createdBy.userObjectId" in fields and "description" in fields
    assert deletes(purge, mark) == []
    assert "svc-000-aci" in purge.objects(SALES)["services"]
    # exported again, the new content is in the bundle: the purge goes on
    purge.export([SALES])
    again = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES))
    assert again.rc == 0, output(again)[-3000:]
    assert purge.objects(SALES)["services"] == []


# -- 5. confirming by name never confirms a namesake ----------------------------------------------------------------------

def namesakes_scenario(tmp_path):
    counts = {"experiments": 1, "runs_per_experiment": 1, "metrics_per_run": 1, "artifacts_per_run": 1, "tasks": 1,
              "datastores": 1, "computes": 1, "models": 2, "assets": 1, "images": 1, "services": 1, "pipeline_objects": 0}
    scenario = {"seed": 15, "subscriptions": [{"id": SUB, "resource_groups": [
        {"name": "rg-a", "workspaces": [{"name": "ws-dup", "location": "westeurope", "counts": counts}]},
        {"name": "rg-b", "workspaces": [{"name": "WS-DUP", "location": "westeurope", "counts": counts}]},
    ]}]}
    path = tmp_path / "namesakes.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    return str(path)


def test_5_a_bare_name_shared_by_two_workspaces_of_the_play_confirms_neither(purge, tmp_path):
    purge.emu.reset(scenario=namesakes_scenario(tmp_path))
    hosts = ["rg-a_ws-dup", "rg-b_WS-DUP"]
    purge.export(hosts)
    before = {h: purge.objects(h) for h in hosts}
    mark = purge.mark()
    run = purge.purge(hosts, purge_workspace_confirm="ws-dup")
    assert run.rc != 0 and failed_hosts(run) >= set(hosts)
    text = output(run)
    assert "but 2 workspaces of this play are called ws-dup" in text and "rg-a/ws-dup" in text, text[-3000:]
    assert deletes(purge, mark) == [] and {h: purge.objects(h) for h in hosts} == before
    # <resource group>/<name> names one of them
    run = purge.purge(hosts, purge_workspace_confirm="rg-a/ws-dup")
    assert failed_hosts(run) == {"rg-b_WS-DUP"}
    assert purge.objects("rg-a_ws-dup") == {k: [] for k in before["rg-a_ws-dup"]}
    assert purge.objects("rg-b_WS-DUP") == before["rg-b_WS-DUP"]


# -- 6. paths never escape ---------------------------------------------------------------------------------------------------

def test_6_a_host_name_or_a_relative_path_never_escapes_and_is_refused_before_any_request(purge, tmp_path):
    hostile = "../../escaped-bundle"
    inventory = tmp_path / "hostile.yml"
    inventory.write_text("\n".join([
        "all:", "  hosts:", f'    "{hostile}":', f"      azureml_subscription_id: {SUB}", "      azureml_resource_group: rg-gdpr-demo",
        "      azureml_workspace_name: ws-empty-sandbox",
        "  vars:", "    ansible_connection: local", '    ansible_python_interpreter: "{{ ansible_playbook_python }}"', ""]))
    escaped = (purge.dest / hostile).resolve()
    purge.emu.clear_journal()
    runs = [purge.ansible.playbook(EXPORT_PLAYBOOK, inventory=inventory, extra_vars={"export_workspace_data_dest": str(purge.dest)}),
            purge.ansible.playbook(PURGE_PLAYBOOK, inventory=inventory,
                                   extra_vars={"export_workspace_data_dest": str(purge.dest), "purge_workspace_confirm": "ws-empty-sandbox"}),
            purge.ansible.playbook(FIND_PLAYBOOK, inventory=inventory, extra_vars={"export_workspace_data_dest": str(purge.dest)})]
    for run in runs:
        assert run.rc != 0
        assert f"the inventory host name '{hostile}' cannot name a file or folder of its own" in output(run), output(run)[-3000:]
    assert not escaped.exists() and not (tmp_path.parent / "escaped-bundle").exists()
    assert purge.journal() == []
    # a relative audit log, plan file or export folder: refused by name, before any request, nothing written
    purge.export([SANDBOX])
    for variable, option in (("purge_workspace_audit_log", "audit_log"), ("purge_workspace_plan_file", "plan_file"),
                             ("purge_workspace_export_dir", "export_dir")):
        purge.emu.clear_journal()
        run = purge.purge([SANDBOX], **{"purge_workspace_confirm": ws_name(SANDBOX), variable: "relative/escaped.jsonl"})
        assert run.rc != 0 and f"{option} must be an absolute path, got relative/escaped.jsonl" in output(run), output(run)[-3000:]
        assert purge.journal() == []
    assert not (ROOT / "playbooks" / "relative").exists() and not (tmp_path / "relative").exists()


# -- 7. the docs say what the code does ---------------------------------------------------------------------------------------

def test_7_purge_by_subject_is_documented_as_supported_and_deletes_only_that_persons_objects(purge):
    doc = subprocess.run([str(Path(sys.executable).with_name("ansible-doc")), "-t", "role", "gdpr.azureml.purge_workspace"],
                         capture_output=True, text=True, env=purge.ansible.env(), check=False)
    assert doc.returncode == 0, doc.stderr
    subjects = doc.stdout.split("purge_workspace_subjects", 1)[1].split("\n\n", 1)[0].lower()
    assert "not supported" not in subjects and "people created" in " ".join(subjects.split()), subjects
    for path in (ROOT / "docs" / "purge.md", ROOT / "roles" / "purge_workspace" / "defaults" / "main.yml"):
        text = path.read_text(encoding="utf-8").lower()
        assert "not supported yet" not in text, path
    purge.export([SALES])
    before = purge.workspace_state(SALES)["objects"]
    creators = [(o["created_by"] or {}).get("userObjectId") for k in ("models", "images", "services") for o in before[k]]
    subject = max(set(c for c in creators if c), key=creators.count)  # the person who created the most
    hers = {(k, o["id"]) for k in ("models", "images", "services", "assets") for o in before[k]
            if (o["created_by"] or {}).get("userObjectId") == subject}
    mark = purge.mark()
    run = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES), purge_workspace_subjects=[subject])
    assert run.rc == 0, output(run)[-3000:]
    gone = {(e["op"].split(".")[0], e["path"].rsplit("/", 1)[1]) for e in deletes(purge, mark) if e["status"] in (200, 202)}
    assert gone and gone <= hers
    after = purge.workspace_state(SALES)["objects"]
    others = {(k, o["id"]) for k in ("models", "images", "services", "assets") for o in before[k]} - hers
    assert others <= {(k, o["id"]) for k in ("models", "images", "services", "assets") for o in after[k]}


# -- 8. forks creating the same new export root at once ------------------------------------------------------------------------

RACE_HOOK = '''
import os, time
_root = os.environ.get("GDPR_TEST_RACE_ROOT")
_isdir = os.path.isdir
def _slow_isdir(path):
    seen = _isdir(path)
    if _root and not seen and os.fspath(path) == _root:
        time.sleep(1.0)  # widen the window in which another fork creates the folder
    return seen
os.path.isdir = _slow_isdir
'''


def test_8_forks_creating_the_same_new_export_root_at_once_all_succeed(purge, tmp_path):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(RACE_HOOK, encoding="utf-8")
    root = tmp_path / "new" / "export-root"
    hosts = [SALES, HR, SANDBOX, "rg-ml-research_mlresearch01", "rg-ml-research_Research-Vision-WS"]
    inventory = purge.inventory(hosts, "race-inventory.yml")
    env = {"GDPR_TEST_RACE_ROOT": str(root),
           "PYTHONPATH": os.pathsep.join([str(hooks)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    run = purge.ansible.playbook(EXPORT_PLAYBOOK, "--forks", "5", inventory=inventory, env=env,
                                 extra_vars={"export_workspace_data_dest": str(root)})
    assert run.rc == 0, output(run)[-4000:]
    assert "exists and is not a folder" not in output(run)
    for host in hosts:
        assert (root / host / "manifest.json").is_file(), host
    assert oct(os.stat(root).st_mode & 0o777) == "0o700"


# -- 9. a deleted workspace is not recoverable ---------------------------------------------------------------------------------

def test_9_a_workspace_delete_is_permanent_unless_a_soft_delete_is_allowed(purge):
    purge.export([HR])
    check = purge.purge([HR], check=True, purge_workspace_delete_workspace=True)
    assert check.rc == 0, output(check)[-3000:]
    assert "Then the workspace is deleted permanently" in check.stdout
    mark = purge.mark()
    run = purge.purge([HR], purge_workspace_confirm=ws_name(HR), purge_workspace_delete_workspace=True)
    assert run.rc == 0, output(run)[-4000:]
    sent = [e for e in deletes(purge, mark) if e["op"] == "workspaces.delete"]
    assert [(e["status"], e["query"].get("forceToPurge"), e["query"].get("api-version")) for e in sent] == [(202, "true", "2024-04-01")]
    assert purge.workspace_state(HR) is None  # purged: nothing left to recover
    assert "The workspace is purged (permanently deleted)" in run.stdout
    again = purge.purge([HR], purge_workspace_confirm=ws_name(HR), purge_workspace_delete_workspace=True)
    assert again.rc == 0 and again.recap[HR]["changed"] == 0
    # a soft delete only when asked for
    purge.export([SALES])
    soft = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES), purge_workspace_delete_workspace=True,
                       purge_workspace_allow_soft_delete=True)
    assert soft.rc == 0, output(soft)[-4000:]
    assert purge.workspace_state(SALES)["status"] == "soft_deleted"
    assert "Then the workspace is deleted softly" in soft.stdout
