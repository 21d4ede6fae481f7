"""The v2 kinds in the purge (issue 20): deleted in the service's order with long-running deletes polled, each object of two
views (a v1 model and its v2 model version, a run and its job) deleted and counted once, connections, datastores and computes
only when named; a purge by subject deletes exactly that person's jobs (journal) and leaves everyone else's runs (state).
"""
from __future__ import annotations

import base64
import json

import pytest
from urllib.parse import quote, quote_plus, unquote

from purge_support import PURGE_PLAYBOOK, ROLE, SALES, output, ws_name

PLAN_TASK = ROLE + "Plan the purge and run every check"
APPLY_TASK = ROLE + "Delete the planned objects in dependency order, then list each kind again"
V1 = ("services", "images", "models", "assets")
# The v2 kinds only the v2 API has (emulator tables of their own), which the default purge takes.
V2_TABLES = ("schedules", "online_deployments", "batch_deployments", "online_endpoints", "batch_endpoints", "data_versions",
             "environment_versions", "component_versions", "code_versions", "data_containers", "model_containers",
             "environment_containers", "component_containers", "code_containers")


def state_of(purge, host):
    return purge.workspace_state(host)["objects"]


def job_deletes(entries):
    """The run ids of the jobs a DELETE went out for."""
    return sorted(unquote(e["path"].rsplit("/jobs/", 1)[1]) for e in entries if e["method"] == "DELETE" and "/jobs/" in e["path"])


@pytest.mark.parametrize("names", [("Dmitri Ivanov",), ("Björn Ødegård", "gdpr-automation-sp")], ids=["one", "two-emptying"])
def test_purge_by_subject_deletes_exactly_that_persons_jobs_and_no_one_elses_runs(purge, names):
    """Precise evidence only: a job is the subject's when the run of the same id names their object id. The check run plans
    it with no mutating request; the real run's DELETEs of jobs are exactly the subject's top-level runs (a pipeline's child
    runs are not jobs), and every run of anyone else stays; a rerun changes nothing."""
    emu = purge.emu
    ids = {u["object_id"] for u in emu.users() if u["name"] in names}
    assert len(ids) == len(names)
    purge.export([SALES])
    runs = state_of(purge, SALES)["runs"]
    mine = sorted(r["id"] for r in runs if (r["created_by"] or {}).get("userObjectId") in ids and not r["parent_run_id"])
    others = sorted(r["id"] for r in runs if (r["created_by"] or {}).get("userObjectId") not in ids)
    assert mine and others, "the demo scenario has runs of the subjects and of other people"
    subject = {"purge_workspace_subjects": sorted(ids)}
    experiments = state_of(purge, SALES)["experiments"]
    # the experiments their jobs leave empty (every run of them is one of their jobs): deleted too, and only those
    emptied = sorted(e["experiment_id"] for e in experiments
                     if {r["id"] for r in runs if r["experiment"] == e["name"]} and
                     {r["id"] for r in runs if r["experiment"] == e["name"]} <= set(mine))
    assert bool(emptied) == (len(names) == 2), emptied  # Dmitri ran no experiment alone; the two ran two together

    mark = purge.mark()
    check = purge.purge([SALES], check=True, default_kinds=True, **subject)
    assert check.rc == 0, output(check)[-3000:]
    assert purge.mutating(mark) == []
    plan = check.task(PLAN_TASK, SALES)[0]["result"]["plan"]
    planned_jobs = sorted(i.rsplit("/jobs/", 1)[1] for i in plan["objects"]["jobs"])
    assert planned_jobs == mine
    assert set(plan["evidence"]["jobs"].values()) == {"precise"} and len(plan["evidence"]["jobs"]) == len(mine)
    assert plan["subject_match"] == "precise"
    assert plan["objects"]["experiments"] == emptied
    # precise evidence only: no v2 object that names its creator by display name alone is planned
    assert all(not plan["objects"][k] for k in V2_TABLES if k in plan["objects"])

    mark = purge.mark()
    real = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES), default_kinds=True, **subject)
    assert real.rc == 0, output(real)[-3000:]
    entries = purge.journal(mark)
    assert job_deletes(entries) == mine
    assert sorted(unquote(e["path"].rsplit("/experimentids/", 1)[1]) for e in entries
                  if e["method"] == "DELETE" and "/experimentids/" in e["path"]) == emptied
    assert not {e["experiment_id"] for e in state_of(purge, SALES)["experiments"]} & set(emptied)
    assert len(state_of(purge, SALES)["experiments"]) == len(experiments) - len(emptied)
    left = {r["id"] for r in state_of(purge, SALES)["runs"]}
    assert not left & set(mine)
    assert set(others) <= left  # everyone else's runs stay
    applied = real.task(APPLY_TASK, SALES)[0]["result"]
    assert applied["remaining"]["jobs"] == 0 and sorted(applied["deleted"]["jobs"]) == sorted(plan["objects"]["jobs"])
    audit = purge.audit(SALES)
    for job_id in plan["objects"]["jobs"]:
        lines = [a for a in audit if a.get("kind") == "jobs" and a.get("id") == job_id]
        assert [a["outcome"] for a in lines] == ["pending", "deleted"], lines  # the pending line before the DELETE, then settled
    assert any(a.get("kind") == "jobs" and a.get("outcome") == "verified" for a in audit)

    mark = purge.mark()
    again = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES), default_kinds=True, **subject)
    assert again.rc == 0, output(again)[-3000:]
    assert purge.mutating(mark) == []
    assert again.task(APPLY_TASK, SALES)[0]["result"]["changed"] is False


def test_the_default_purge_deletes_the_v2_kinds_once_each_and_keeps_connections_datastores_computes(purge):
    """The default kinds: every v2 object the v2 API alone has goes, the jobs (and so their runs) go, each v1 model is
    deleted once (by model management: no DELETE of its v2 model version), endpoints after their deployments, containers
    after their versions; connections, datastores and computes stay (named explicitly only). The verification re-lists
    with listViewType=All."""
    purge.export([SALES])
    before = state_of(purge, SALES)
    models = {m["id"] for m in before["models"]}
    mark = purge.mark()
    check = purge.purge([SALES], check=True, default_kinds=True)
    assert check.rc == 0, output(check)[-3000:]
    assert purge.mutating(mark) == []
    plan = check.task(PLAN_TASK, SALES)[0]["result"]["plan"]
    assert plan["objects"]["model_versions"] == []  # the same objects as models: planned (and counted) once, there
    assert sorted(plan["objects"]["models"]) == sorted(models)
    assert "connections" not in plan["kinds"] and "datastores" not in plan["kinds"] and "computes" not in plan["kinds"]
    assert plan["total"] == sum(len(v) for v in plan["objects"].values())

    mark = purge.mark()
    real = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES), default_kinds=True)
    assert real.rc == 0, output(real)[-3000:]
    entries = purge.journal(mark)
    deletes = [e for e in entries if e["method"] == "DELETE"]
    assert not [e for e in deletes if "/models/" in e["path"] and "/versions/" in e["path"]]  # no second delete of a model
    assert len({e["path"] for e in deletes}) == len([e for e in deletes if e["status"] not in (429, 500, 503)])
    after = state_of(purge, SALES)
    for kind in V2_TABLES + V1:
        assert after[kind] == [], (kind, after[kind])
    assert not [r for r in after["runs"] if not r["parent_run_id"]]  # every job went, and its run with it
    for kind in ("connections", "datastores", "computes"):
        assert len(after[kind]) == len(before[kind]) > 0, kind
    assert not [e for e in deletes if any(f"/{seg}/" in e["path"] for seg in ("connections", "datastores", "computes"))]
    # the order the service needs (schedules and deployments start together, neither must follow the other): schedules
    # before jobs, deployments before endpoints, jobs and deployments before the asset versions, versions before containers
    ops = [e["op"] for e in deletes]
    first = {op: ops.index(op) for op in ops}
    last = {op: len(ops) - 1 - ops[::-1].index(op) for op in ops}
    assert last["schedules.delete"] < first["jobs.delete"] < first["data_versions.delete"]
    assert last["online_deployments.delete"] < first["online_endpoints.delete"]
    assert max(last["jobs.delete"], last["online_deployments.delete"]) < first["data_versions.delete"]
    assert last["data_versions.delete"] < first["data_containers.delete"]
    # long-running deletes were polled (Retry-After answered by the emulator)
    assert any("mfeOperation" in e["path"] for e in entries)
    # the verification lists again with every view
    lists = [e for e in entries if e["method"] == "GET" and e["op"] in ("jobs.list", "schedules.list", "data_containers.list")]
    assert lists and all((e["query"] or {}).get("listViewType") == "All" for e in lists), lists


def test_connections_named_explicitly_are_deleted_and_their_canaries_appear_nowhere(purge):
    """Connections are purged only when named; their secrets (seeded canaries, readable only through listsecrets, never
    asked for) appear in no plan file, audit line, result or -vvv output, raw, base64 or URL-encoded."""
    purge.export([SALES])
    secrets = purge.emu.secrets()
    assert any("connection" in s for s in secrets)
    extra = {"export_workspace_data_dest": str(purge.dest), "purge_workspace_kinds": ["connections"]}
    check = purge.ansible.playbook(PURGE_PLAYBOOK, "-vvv", inventory=purge.inventory([SALES]), check=True, extra_vars=extra)
    assert check.rc == 0, output(check)[-3000:]
    mark = purge.mark()
    run = purge.ansible.playbook(PURGE_PLAYBOOK, "-vvv", inventory=purge.inventory([SALES]),
                                 extra_vars=dict(extra, purge_workspace_confirm=ws_name(SALES)))
    assert run.rc == 0, output(run)[-3000:]
    assert state_of(purge, SALES)["connections"] == []
    assert [e["op"] for e in purge.deletes(mark) if "/connections/" in e["path"]]
    journal = purge.journal(0)
    assert not [e for e in journal if any(w in e["path"].lower() for w in ("listsecrets", "listkeys", "getblobreferencesas"))]
    blobs = [("-vvv output", (output(check) + output(run)).encode()), ("results", json.dumps(run.results).encode()),
             ("audit log", purge.audit_path(SALES).read_bytes()),
             ("plan file", (purge.dest / SALES / "purge-plan.json").read_bytes())]
    leaked = [(where, s) for where, data in blobs for s in secrets if any(f in data for f in encodings(s))]
    assert not leaked, leaked[:5]


def encodings(secret):
    raw = secret.encode()
    return {raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw), quote(secret, safe="").encode(), quote_plus(secret).encode()}
