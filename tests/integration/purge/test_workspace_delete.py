"""Deleting the workspace itself: the long-running operation, idempotence, soft delete and purge."""
from __future__ import annotations

from purge_support import DELETABLE, HR, ROLE, SALES, output, ws_id, ws_name


def ops(entries):
    return [(e["method"], e["op"], e["status"]) for e in entries if e["op"] and e["op"].startswith("workspaces.")]


def test_role_deletes_the_workspace_waiting_for_the_operation_then_is_idempotent(purge):
    purge.export([HR])
    mark = purge.mark()
    run = purge.purge([HR], purge_workspace_confirm=ws_id(HR), purge_workspace_delete_workspace=True,
                      purge_workspace_allow_soft_delete=True)
    assert run.rc == 0, output(run)[-4000:]
    seen = ops(purge.journal(mark))
    delete = seen.index(("DELETE", "workspaces.delete", 202))
    polls = [s for s in seen[delete:] if s[1] in ("workspaces.operation_status", "workspaces.operation_result")]
    assert len(polls) >= 2 and polls[-1][2] == 200  # InProgress, then Succeeded
    assert seen[-1] == ("GET", "workspaces.get", 404)  # the confirming GET, after the polls
    assert purge.workspace_state(HR)["status"] == "soft_deleted"
    result = run.task(ROLE + "Delete the workspace", HR)[0]["result"]
    assert result["changed"] is True and result["status"] == 202
    assert any("soft-deleted" in w for w in result.get("warnings", []))
    audit = purge.audit(HR)
    lines = [x for x in audit if x["kind"] == "workspace"]
    assert lines == [dict(audit[-2], kind="workspace", id=ws_id(HR), status=None, outcome="pending"),
                     dict(audit[-1], kind="workspace", id=ws_id(HR), status=202, outcome="deleted")]
    assert lines[0]["client_request_id"] == lines[1]["client_request_id"]
    assert "The workspace is soft-deleted" in run.stdout

    mark = purge.mark()
    second = purge.purge([HR], purge_workspace_confirm=ws_id(HR), purge_workspace_delete_workspace=True,
                         purge_workspace_allow_soft_delete=True)
    assert second.rc == 0, output(second)[-4000:]
    assert second.recap[HR]["changed"] == 0
    assert ("DELETE", "workspaces.delete", 204) in ops(purge.journal(mark))
    assert [e for e in purge.deletes(mark) if e["status"] != 204] == []
    assert second.task(ROLE + "Delete the workspace", HR)[0]["result"]["changed"] is False


def test_permanently_delete_purges_a_soft_deleted_workspace(purge):
    purge.export([SALES])
    first = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES), purge_workspace_delete_workspace=True,
                        purge_workspace_allow_soft_delete=True)
    assert first.rc == 0, output(first)[-4000:]
    assert purge.workspace_state(SALES)["status"] == "soft_deleted"

    mark = purge.mark()
    run = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES), purge_workspace_delete_workspace=True,
                      purge_workspace_permanently_delete=True)
    assert run.rc == 0, output(run)[-4000:]
    deletes = [e for e in purge.deletes(mark) if e["op"] == "workspaces.delete"]
    assert [(e["status"], e["query"].get("forceToPurge"), e["query"].get("api-version")) for e in deletes] == [(202, "true", "2024-04-01")]
    assert purge.workspace_state(SALES) is None  # purged: gone from the state, data included
    assert run.recap[SALES]["changed"] >= 1

    mark = purge.mark()
    again = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES), purge_workspace_delete_workspace=True,
                        purge_workspace_permanently_delete=True)
    assert again.rc == 0 and again.recap[SALES]["changed"] == 0
    assert [e["status"] for e in purge.deletes(mark)] == [204]


def test_check_mode_plans_the_workspace_delete_and_sends_nothing(purge):
    purge.export([HR])
    purge.emu.clear_journal()
    run = purge.purge([HR], check=True, diff=True, purge_workspace_delete_workspace=True, purge_workspace_permanently_delete=True)
    assert run.rc == 0, output(run)[-3000:]
    assert purge.mutating() == [] and purge.workspace_state(HR)["status"] == "active"
    result = run.task(ROLE + "Delete the workspace", HR)[0]["result"]
    assert result["changed"] is True and result["diff"]["after"]["state"] == "absent"
    planned = run.task(ROLE + "Plan the purge and run every check", HR)[0]["result"]
    assert planned["diff"]["before"]["workspace"] == [ws_id(HR)] and planned["plan"]["delete_workspace"] is True


def test_workspace_module_wait_timeout_is_a_real_deadline(purge):
    purge.emu.configure(lro_polls=1000, lro_seconds=0, retry_after=1)
    playbook = purge.ansible.write_playbook("ws.yml", f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Delete with a short deadline
      gdpr.azureml.workspace:
        subscription_id: {ws_id(HR).split('/')[2]}
        resource_group: rg-gdpr-demo
        workspace_name: {ws_name(HR)}
        state: absent
        wait_timeout: 3
""")
    run = purge.ansible.playbook(playbook)
    assert run.rc != 0
    assert "still InProgress after 3 s (wait_timeout)" in output(run)
    polls = [e for e in purge.journal() if e["op"] in ("workspaces.operation_status", "workspaces.operation_result")]
    assert 2 <= len(polls) <= 4


def test_kinds_are_left_alone_when_not_asked(purge):
    purge.export([SALES])
    before = purge.objects(SALES)
    run = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES), purge_workspace_kinds=["services", "assets"])
    assert run.rc == 0, output(run)[-3000:]
    after = purge.objects(SALES)
    assert after["services"] == after["assets"] == []
    assert after["images"] == before["images"] and after["models"] == before["models"]
    assert {x["kind"] for x in purge.audit(SALES)} == {"services", "assets"}
    assert set(DELETABLE) > {"services", "assets"}
