"""Interruption: ``ansible-playbook`` killed (SIGKILL of its process group) in the middle of an export and of a purge.

No half-written file may sit under a final name; a rerun finishes the job; the audit log is appended, never truncated.
"""
from __future__ import annotations

import json
import time

from export_support import _bundle
from reliability_support import EXPORT_PLAYBOOK, SALES, deletable, kill_group, start_playbook
from purge_support import PURGE_PLAYBOOK


def wait_for(emu, ready, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready(emu.journal()):
            return True
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.02)
    return False


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
        kill_group(proc)
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


def test_purge_killed_midway_appends_and_a_rerun_leaves_nothing(runner):
    emu = runner.emu
    assert runner.export().rc == 0
    initial = deletable(runner.workspace())
    emu.configure(latency_ms=250, retry_after=1)
    emu.clear_journal()
    extra = {"export_workspace_data_dest": str(runner.dest), "purge_workspace_confirm": "ws-sales-analytics"}
    proc = start_playbook(runner.ansible, PURGE_PLAYBOOK, runner.inventory((SALES,), {"concurrency": 1}, "kill.yml"), extra)
    try:
        assert wait_for(emu, lambda j: sum(1 for e in j if e["method"] == "DELETE" and e["status"]) >= 3, proc)
    finally:
        kill_group(proc)
    emu.configure(latency_ms=0)
    audit_path = runner.dest / "audit" / f"{SALES}.jsonl"
    raw = audit_path.read_bytes()
    assert raw.endswith(b"\n")  # one write(2) per line: never a torn line
    first = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert first and {line["outcome"] for line in first} <= {"deleted", "absent"}
    remaining = deletable(runner.workspace())
    assert remaining != {k: [] for k in initial}  # really interrupted in the middle
    again = runner.purge()
    assert again.rc == 0, again.stdout[-4000:]
    assert deletable(runner.workspace()) == {k: [] for k in initial}
    after = audit_path.read_bytes()
    assert after.startswith(raw)  # appended, not truncated
    lines = [json.loads(line) for line in after.decode("utf-8").splitlines()]
    gone = {(line["kind"], line["id"]) for line in lines if line["outcome"] == "deleted"}
    assert gone == {(k, i) for k, ids in initial.items() for i in ids}
    verified = [line for line in lines if line["outcome"] == "verified"]
    assert verified and all(line["remaining"] == 0 for line in verified)
