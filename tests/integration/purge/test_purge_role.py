"""The role gdpr.azureml.purge_workspace through the playbook gdpr.azureml.purge_workspaces, against the emulator.

Every assertion that matters goes to the emulator's journal (what was sent) and state (what is left).
"""
from __future__ import annotations

import json
import os
import threading
import time

import pytest
from purge_support import DELETABLE, ROLE, PURGE_PLAYBOOK, HR, RESEARCH, SALES, SANDBOX, VISION, failed_hosts, output, ws_id, ws_name

EXPECTED_SALES = {"services": 3, "images": 4, "models": 8, "assets": 3}


def test_check_mode_sends_nothing_mutating_writes_only_the_plan_and_shows_the_diff(purge):
    purge.export([SALES, HR])
    before_files = purge.snapshot()
    before_objects = purge.objects(SALES)
    purge.emu.clear_journal()

    run = purge.purge([SALES, HR], check=True, diff=True)

    assert run.rc == 0, output(run)[-3000:]
    counters = purge.emu.counters()
    assert counters["mutating"] == 0 and purge.mutating() == []
    assert counters["requests"] > 0  # it did list
    after_files = purge.snapshot()
    added = sorted(set(after_files) - set(before_files))
    assert added == sorted([f"{HR}/purge-plan.json", f"{SALES}/purge-plan.json"])
    assert {k: v for k, v in after_files.items() if k in before_files} == before_files  # nothing else changed
    assert not purge.audit_path(SALES).exists()
    assert oct(os.stat(purge.dest / SALES / "purge-plan.json").st_mode & 0o777) == "0o600"
    plan = json.loads((purge.dest / SALES / "purge-plan.json").read_text())
    assert plan["objects"] == before_objects and plan["kinds"] == ["services", "images", "models", "assets"]
    assert plan["counts"] == EXPECTED_SALES and plan["workspace"]["id"].lower() == ws_id(SALES).lower()
    # the plan, per kind, and the diff: before = the ids, after = none
    shown = "\n".join(r["result"]["msg"] if isinstance(r["result"].get("msg"), str) else "\n".join(r["result"]["msg"])
                      for r in run.task(ROLE + "Show the plan"))
    assert "services: 3" in shown and "svc-001-aks" in shown and "models: 8" in shown
    planned = run.task(ROLE + "Plan the purge and run every check", SALES)[0]["result"]
    assert planned["diff"]["before"] == before_objects
    assert planned["diff"]["after"] == {k: [] for k in ("services", "images", "models", "assets")}
    assert '-        "svc-001-aks"' in run.stdout  # --diff prints it
    assert purge.objects(SALES) == before_objects


def test_real_purge_deletes_everything_in_the_safe_order_then_a_second_run_changes_nothing(purge):
    purge.export([SALES])
    mark = purge.mark()
    run = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES),
                      purge_workspace_kinds=["assets", "models", "images", "services"])  # any order: the role orders them
    assert run.rc == 0, output(run)[-4000:]
    assert purge.objects(SALES) == {k: [] for k in DELETABLE}
    deletes = purge.deletes(mark)
    # each kind once what it must follow is gone: the services, then the images, then the models and the assets together
    seq = [e["op"].split(".")[0] for e in deletes]
    last, first = ({k: f(i for i, x in enumerate(seq) if x == k) for k in EXPECTED_SALES} for f in (max, min))
    assert last["services"] < first["images"] and last["images"] < min(first["models"], first["assets"]), seq
    assert all(e["status"] in (200, 202) for e in deletes) and len(deletes) == sum(EXPECTED_SALES.values())
    assert not [e for e in purge.journal(mark) if e["op"] and e["op"].endswith(".delete") and e["status"] == 412]
    assert [e for e in purge.journal(mark) if e["op"] == "mms_operations.get"]  # the AKS service delete was waited for
    assert run.recap[SALES]["changed"] >= 2 and run.recap[SALES]["failed"] == 0  # the deletes (one module run), the report
    applied = run.task(ROLE + "Delete the planned objects in dependency order, then list each kind again", SALES)[0]["result"]
    assert applied["changed"] is True and {k: len(v) for k, v in applied["deleted"].items()} == EXPECTED_SALES
    assert [r["kind"] for r in applied["results"]] == [k for k in ("services", "images", "models", "assets") for dummy in range(EXPECTED_SALES[k])]
    assert "Found internal" not in output(run)  # a 'results' that is not a list is renamed by Ansible, with a warning

    audit = purge.audit(SALES)
    touched = [x for x in audit if x["outcome"] not in ("verified", "pending")]
    assert len(touched) == sum(EXPECTED_SALES.values()) and all(x["outcome"] == "deleted" for x in touched)
    assert {(x["kind"], x["id"]) for x in touched} == {(e["op"].split(".")[0], e["path"].rsplit("/", 1)[1]) for e in deletes}
    assert {x["request_id"] for x in touched} == {e["request_id"] for e in deletes}
    for x in touched:
        assert set(x) == {"time", "workspace_id", "kind", "id", "status", "request_id", "outcome", "client_request_id"}
    # before each DELETE, a pending line with the client request id the DELETE carried; the settling line has it too
    pending = [x for x in audit if x["outcome"] == "pending"]
    assert sorted(x["client_request_id"] for x in pending) == sorted(x["client_request_id"] for x in touched)
    assert sorted(x["client_request_id"] for x in pending) == sorted(e["client_request_id"] for e in deletes)
    verified = [x for x in audit if x["outcome"] == "verified"]
    assert [(x["kind"], x["remaining"]) for x in verified] == [(k, 0) for k in ("services", "images", "models", "assets")]
    path = purge.audit_path(SALES)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600" and oct(os.stat(path.parent).st_mode & 0o777) == "0o700"
    assert not str(path).startswith(str(purge.dest / SALES))  # outside the bundle
    fleet = run.task(ROLE + "Report the purge to the fleet summary", SALES)[0]["result"]["ansible_facts"]["gdpr_azureml_fleet"]
    assert fleet["deleted"] == 18 and fleet["kinds"] == EXPECTED_SALES and fleet["failures"] == []

    first_lines = path.read_text()
    mark = purge.mark()
    second = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES))
    assert second.rc == 0, output(second)[-3000:]
    assert second.recap[SALES]["changed"] == 0
    assert not [e for e in purge.deletes(mark) if e["status"] == 200]
    assert purge.mutating(mark) == []
    text = path.read_text()
    assert text.startswith(first_lines)  # appended, not truncated
    added = [json.loads(line) for line in text[len(first_lines):].splitlines()]
    assert [x["outcome"] for x in added] == ["verified"] * 4


@pytest.mark.parametrize("case", ["no confirmation", "no bundle", "tampered bundle", "created after the export", "over the limit",
                                  "confirmation of another workspace", "subjects"])
def test_refusals_fail_clearly_and_delete_nothing(purge, case):
    variables = {"purge_workspace_confirm": ws_name(SALES)}
    expected = None
    if case != "no bundle":
        purge.export([SALES])
    if case == "no confirmation":
        del variables["purge_workspace_confirm"]
        expected = "not confirmed"
    elif case == "no bundle":
        expected = "no export bundle at"
    elif case == "tampered bundle":
        path = purge.dest / SALES / "models.json"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        expected = "models.json does not match its checksum"
    elif case == "created after the export":
        purge.emu.create_object(ws_id(SALES), "models", {"name": "late-model"})
        expected = "1 models to delete are not in the export bundle"
    elif case == "over the limit":
        variables["purge_workspace_max_deletions"] = 10
        expected = "the plan deletes 18 objects, more than max_deletions"
    elif case == "confirmation of another workspace":
        variables["purge_workspace_confirm"] = [ws_name(HR), ws_id(SALES) + "-other"]
        expected = "does not name this workspace"
    elif case == "subjects":
        variables["purge_workspace_subjects"] = ["anna.svensson@contoso.example"]
        expected = "needs the Azure AD object id"  # a subject without object id cannot be matched to creators
    before = purge.objects(SALES)
    mark = purge.mark()

    run = purge.purge([SALES], **variables)

    assert run.rc != 0
    assert expected in output(run), output(run)[-3000:]
    assert SALES in failed_hosts(run)
    assert purge.deletes(mark) == [] and purge.mutating(mark) == []
    assert purge.objects(SALES) == before
    assert not purge.audit_path(SALES).exists() or all(x["outcome"] == "verified" for x in purge.audit(SALES))
    fleet = [r for r in run.results if r["task"] == "Record the failure for the fleet summary"][0]
    assert fleet["result"]["ansible_facts"]["gdpr_azureml_fleet"]["failures"]


def test_check_mode_fails_where_the_real_run_would_after_showing_the_plan(purge):
    purge.export([SALES])
    purge.emu.create_object(ws_id(SALES), "models", {"name": "late-model"})
    purge.emu.clear_journal()
    run = purge.purge([SALES], check=True)
    assert run.rc != 0 and purge.mutating() == []
    assert "A real run would refuse" in output(run) and "not in the export bundle" in output(run)
    names = [r["task"] for r in run.results if r["host"] == SALES]
    assert names.index(ROLE + "Show the plan") < names.index(ROLE + "Refuse the purge where a real run would")
    assert (purge.dest / SALES / "purge-plan.json").is_file()


@pytest.mark.parametrize("check", [True, False])
def test_models_alone_while_images_and_services_use_them_fail_naming_the_holders(purge, check):
    purge.export([SALES])
    before = purge.objects(SALES)
    mark = purge.mark()
    run = purge.purge([SALES], check=check, purge_workspace_confirm=ws_name(SALES), purge_workspace_kinds=["models"])
    assert run.rc != 0
    text = output(run)
    assert "Azure would refuse to delete them (HTTP 412 DeletionRequired)" in text
    assert "model churn-classifier:1 is used by image img-churn-classifier:1 and service svc-000-aci" in text
    assert purge.mutating(mark) == [] and purge.objects(SALES) == before


def test_a_fleet_confirmed_with_a_list_purges_exactly_the_listed_workspaces(purge):
    hosts = [SALES, HR, SANDBOX, RESEARCH, VISION]
    purge.export(hosts)
    before = {h: purge.objects(h) for h in hosts}
    run = purge.purge(hosts, purge_workspace_confirm=[ws_name(SALES), ws_id(RESEARCH).upper()])
    assert run.rc != 0  # the unconfirmed workspaces are refused, so the fleet summary fails the run
    assert purge.objects(SALES) == {k: [] for k in DELETABLE}
    assert purge.objects(RESEARCH) == {k: [] for k in DELETABLE}
    assert any(before[RESEARCH][k] for k in DELETABLE)
    for host in (HR, SANDBOX, VISION):
        assert purge.objects(host) == before[host], host
    assert failed_hosts(run) == {HR, SANDBOX, VISION}
    assert "Fleet summary (purge): 5 workspaces, 2 ok, 3 failed" in run.stdout
    deleted_ws = {e["path"].split("/workspaces/")[1].split("/")[0] for e in purge.deletes()}
    assert deleted_ws == {ws_name(SALES), ws_name(RESEARCH)}


def test_plan_file_deletes_only_what_the_reviewed_plan_lists_and_reports_what_appeared(purge):
    purge.export([SALES])
    check = purge.purge([SALES], check=True)
    assert check.rc == 0, output(check)[-3000:]
    plan_path = purge.dest / SALES / "purge-plan.json"
    plan = json.loads(plan_path.read_text())
    kept_model = "face-blur:1"  # not used by any image or service of the demo
    assert kept_model in plan["objects"]["models"]
    plan["objects"]["models"].remove(kept_model)  # the reviewer keeps it
    reviewed = purge.tmp_path / "reviewed-plan.json"
    reviewed.write_text(json.dumps(plan))
    late = purge.emu.create_object(ws_id(SALES), "models", {"name": "late-model"})
    mark = purge.mark()

    run = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES), purge_workspace_plan_file=str(reviewed))

    assert run.rc == 0, output(run)[-4000:]
    left = purge.objects(SALES)
    assert left["models"] == sorted([kept_model, late["id"]])
    assert left["services"] == left["images"] == left["assets"] == []
    deleted_ids = {e["path"].rsplit("/", 1)[1] for e in purge.deletes(mark)}
    assert kept_model not in deleted_ids and late["id"] not in deleted_ids
    planned = run.task(ROLE + "Plan the purge and run every check", SALES)[0]["result"]
    assert planned["appeared_since"] == {"models": sorted([kept_model, late["id"]])}
    assert "appeared since the plan file and are kept" in run.stdout
    verified = [x for x in purge.audit(SALES) if x["outcome"] == "verified" and x["kind"] == "models"]
    assert verified[-1]["remaining"] == 2


def test_azureml_options_reach_every_module(purge):
    purge.export([SALES])
    inventory = purge.inventory([SALES], host_vars={SALES: {"azureml_options": {"concurrency": 1, "base_url": purge.emu.url}}})
    run = purge.ansible.playbook(PURGE_PLAYBOOK, inventory=inventory,
                                 env={"AZUREML_BASE_URL": "http://127.0.0.1:9"},  # unreachable on purpose: azureml_options must win
                                 extra_vars={"export_workspace_data_dest": str(purge.dest), "purge_workspace_confirm": ws_name(SALES)})
    assert run.rc == 0, output(run)[-3000:]
    assert purge.objects(SALES) == {k: [] for k in DELETABLE}


def test_a_failure_midway_is_recorded_with_what_was_deleted_and_a_rerun_finishes(purge):
    purge.export([SALES])
    model_id = "churn-classifier:1"
    created = {}

    def hold_a_model_once_services_go():
        # As soon as the services are being deleted, someone builds a new image on a model the plan deletes.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(e["op"] == "services.delete" for e in purge.journal(0)):
                created["image"] = purge.emu.create_object(ws_id(SALES), "images", {"name": "late-image", "modelIds": [model_id]})
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=hold_a_model_once_services_go, daemon=True)
    watcher.start()
    run = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES))
    watcher.join(5)
    assert created, "the late image was never created"
    assert run.rc != 0
    text = output(run)
    assert f"model {model_id} is used by image {created['image']['id']}" in text
    left = purge.objects(SALES)
    assert left["services"] == [] and left["images"] == [created["image"]["id"]]  # the late image is not in the plan
    # the models refused before their first delete; the assets, which started with them (both wait only for the images), ran
    assert len(left["models"]) == 8 and len(left["assets"]) == 0
    fleet = [r for r in run.results if r["task"] == ROLE + "Record what was deleted before the failure"][0]
    fact = fleet["result"]["ansible_facts"]["gdpr_azureml_fleet"]
    assert fact["deleted"] == 10 and fact["kinds"] == {"services": 3, "images": 4, "models": 0, "assets": 3}
    assert len(fact["failures"]) == 1 and "Delete the planned objects" in fact["failures"][0] and "models:" in fact["failures"][0]
    assert "Fleet summary (purge): 1 workspaces, 0 ok, 1 failed" in run.stdout
    assert len([x for x in purge.audit(SALES) if x["outcome"] == "deleted"]) == 10

    # The late image is not in the export: the next plan refuses until it is exported (objects are never deleted unexported).
    again = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES))
    assert again.rc != 0 and "1 images to delete are not in the export bundle" in output(again)
    purge.export([SALES])
    final = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES))
    assert final.rc == 0, output(final)[-3000:]
    assert purge.objects(SALES) == {k: [] for k in DELETABLE}


def test_a_wrong_workspace_name_does_not_pass_for_a_purged_workspace(purge):
    wrong = "rg-gdpr-demo_ws-sales-analytic"  # a typo
    mark = purge.mark()
    run = purge.purge([wrong], purge_workspace_confirm=ws_name(wrong))
    assert run.rc != 0 and wrong in failed_hosts(run)
    assert "was not found, and no complete export bundle of it proves that it existed" in output(run)
    assert purge.mutating(mark) == []
