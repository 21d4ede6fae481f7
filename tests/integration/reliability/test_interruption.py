"""Interruption: ``ansible-playbook`` and every process it started (SIGKILL of the whole tree: Ansible's workers call
``setsid``) killed in the middle of an export and of a purge with DELETEs in flight.

No half-written file may sit under a final name; a rerun finishes the job; the audit log is appended, never truncated, and
agrees one to one with the DELETEs the service saw.
"""
from __future__ import annotations

import json
import time
from urllib.parse import unquote

from export_support import _bundle
from ansible_collections.gdpr.azureml.plugins.module_utils import _report
from reliability_support import EXPORT_PLAYBOOK, SALES, deletable, kill_tree, start_playbook
from purge_support import PURGE_PLAYBOOK


def wait_for(emu, ready, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready(emu.journal()):
            return True
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.02)
    return False


def wait_for_deletes(emu, count, proc, timeout=60):
    """Wait until the service has received ``count`` DELETEs (answered or held)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(n for op, n in emu.counters()["by_op"].items() if op.endswith(".delete")) >= count:
            return True
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.02)
    return False


def unsettled_lines(lines):
    """The ``pending`` lines that no line with the same ``client_request_id`` settles (the test's own reading of the log)."""
    settled = {line.get("client_request_id") for line in lines if line.get("outcome") != "pending"}
    return [line for line in lines if line.get("outcome") == "pending" and line.get("client_request_id") not in settled]


def final_files(bundle):
    """Files and folders of the bundle outside the dotted (private, temporary) names."""
    return sorted(p.name for p in bundle.iterdir() if not p.name.startswith("."))


def test_export_killed_midway_leaves_no_half_written_file_and_a_rerun_completes(runner):
    emu = runner.emu
    # a first complete export, then a changed service: the killed re-export has files to replace
    assert runner.export().rc == 0
    bundle = runner.dest / SALES
    before = {p.name: p.read_bytes() for p in bundle.iterdir() if p.is_file()}
    ws = runner.workspace()
    emu.create_object(ws["id"], "models", {"name": "created-after-the-first-export"})
    emu.configure(latency_ms=150)
    emu.clear_journal()
    proc = start_playbook(runner.ansible, EXPORT_PLAYBOOK, runner.inventory((SALES,), {"concurrency": 1}, "kill.yml"),
                          {"export_workspace_data_dest": str(runner.dest)})
    try:
        assert wait_for(emu, lambda j: len(j) >= 15, proc)
    finally:
        kill_tree(proc)
    # every file under a final name is a complete JSON document: the previous bundle, or the bundle without its manifest
    for path in bundle.iterdir():
        if path.is_file() and path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
    manifest = bundle / "manifest.json"
    if manifest.exists():
        assert _bundle.verify_bundle(str(bundle)) == []
        assert {p.name: p.read_bytes() for p in bundle.iterdir() if p.is_file()} == before
    leftovers = [p.name for p in bundle.iterdir() if p.name.startswith(".")]
    assert all(name.startswith(".export-staging-") for name in leftovers), leftovers
    emu.configure(latency_ms=0)
    again = runner.export()
    assert again.rc == 0, again.stdout[-3000:]
    assert _bundle.verify_bundle(str(bundle)) == []
    assert [p.name for p in bundle.iterdir() if p.name.startswith(".")] == []  # the dead run's staging folder is gone
    models = [m["name"] for m in _bundle.iter_objects(str(bundle / "models.json"))]
    assert "created-after-the-first-export" in models
    assert final_files(bundle) == sorted(before)


def test_purge_killed_with_deletes_in_flight_is_settled_by_the_rerun_and_the_audit_log_agrees_with_the_journal(runner):
    emu = runner.emu
    assert runner.export().rc == 0
    initial = deletable(runner.workspace())
    everything = {(k, i) for k, ids in initial.items() for i in ids}
    # three DELETEs answer; every later one is carried out by the service, its answer held: in flight when the run dies
    emu.configure(hold_deletes_after=3)
    emu.clear_journal()
    extra = {"export_workspace_data_dest": str(runner.dest), "purge_workspace_confirm": "ws-sales-analytics",
             "purge_workspace_kinds": ["services", "images", "models", "assets"]}  # the v1 kinds deletable() counts
    proc = start_playbook(runner.ansible, PURGE_PLAYBOOK, runner.inventory((SALES,), {"concurrency": 4}, "kill.yml"), extra)
    try:
        # the journal lists finished requests only: count the DELETEs begun (held ones included) in the counters
        assert wait_for_deletes(emu, 5, proc), emu.counters()["by_op"]
        time.sleep(0.5)  # the other workers' DELETEs reach the service too
    finally:
        killed = kill_tree(proc)
    assert len(killed) >= 3  # the playbook, its worker (a session of its own) and the module
    emu.configure(hold_deletes_after=-1)  # the held answers go nowhere: their client is dead
    audit_path = runner.dest / "audit" / f"{SALES}.jsonl"
    raw = audit_path.read_bytes()
    assert raw.endswith(b"\n")  # one write(2) per line: never a torn line
    first = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    unsettled = unsettled_lines(first)
    assert unsettled, first  # DELETEs carried out without an answer: pending lines, never settled by the dead run
    state = {(k, i) for k, ids in deletable(runner.workspace()).items() for i in ids}
    assert any((line["kind"], line["id"]) not in state for line in unsettled)  # gone, yet the dead run never learned it
    assert state  # really interrupted in the middle
    report = _report.read_audit(str(audit_path), runner.workspace()["id"])
    assert report.get("unknown") == len(unsettled)  # bundle_report shows them as unknown, neither deleted nor kept

    again = runner.purge()
    assert again.rc == 0, again.stdout[-4000:]
    assert deletable(runner.workspace()) == {k: [] for k in initial}
    after = audit_path.read_bytes()
    assert after.startswith(raw)  # appended, not truncated
    lines = [json.loads(line) for line in after.decode("utf-8").splitlines()]
    journal = [e for e in emu.journal() if e["method"] == "DELETE"]

    # One to one: every DELETE the service saw carries the client request id of a pending line about the same object,
    # written before it; every pending line has exactly one settling line (the rerun settled the dead run's by listing).
    pending = {line["client_request_id"]: line for line in lines if line["outcome"] == "pending"}
    settling = {}
    for line in lines:
        if line["outcome"] in ("deleted", "absent", "failed"):
            settling.setdefault(line["client_request_id"], []).append(line)
    assert set(settling) == set(pending) and all(len(v) == 1 for v in settling.values())
    for entry in journal:
        line = pending[entry["client_request_id"]]
        assert (entry["op"].split(".")[0], unquote(entry["path"].rsplit("/", 1)[1])) == (line["kind"], line["id"])
    relisted = [v[0] for v in settling.values() if v[0].get("settled_by") == "relist"]
    gone_unsettled = {(x["kind"], x["id"]) for x in unsettled if (x["kind"], x["id"]) not in state}
    assert gone_unsettled <= {(x["kind"], x["id"]) for x in relisted if x["outcome"] == "deleted"}
    sent = {e["client_request_id"] for e in journal}
    for cid in set(pending) - sent:  # a pending line whose DELETE never left: settled as not deleted
        assert settling[cid][0]["outcome"] == "failed" and settling[cid][0]["settled_by"] == "relist"
    # each object deleted once, and said so once
    deleted = [(v[0]["kind"], v[0]["id"]) for v in settling.values() if v[0]["outcome"] == "deleted"]
    assert sorted(deleted) == sorted(everything)
    verified = [line for line in lines if line["outcome"] == "verified"]
    assert verified and all(line["remaining"] == 0 for line in verified[-4:])
    assert _report.read_audit(str(audit_path), runner.workspace()["id"]).get("unknown") == 0
