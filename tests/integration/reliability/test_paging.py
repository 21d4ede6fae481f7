"""Misbehaving lists (the emulator's ``paging_fault``): a nextLink to another host is never followed (the token never
leaves the configured host), a list that repeats its token is stopped instead of looping; the export then leaves no
manifest, and a purge whose plan cannot list a kind deletes nothing."""
from __future__ import annotations

from collections import Counter

import pytest
from export_support import _bundle
from reliability_support import EXPORT_TASK, SALES, deletable

PLAN_TASK = "gdpr.azureml.purge_workspace : Plan the purge and run every check"


@pytest.mark.parametrize("fault, words", [
    ("foreign_link", "refusing to follow the nextLink to paging-fault.invalid"),
    ("repeat_token", "repeated the"),
])
def test_a_misbehaving_list_fails_the_export_clearly_and_leaves_no_manifest(runner, fault, words):
    emu = runner.emu
    emu.configure(paging_fault=fault)
    run = runner.export()
    assert run.rc != 0
    msg = run.task(EXPORT_TASK)[0]["result"]["msg"]
    assert words in msg and "workspace rg-gdpr-demo/ws-sales-analytics" in msg, msg
    assert not (runner.dest / SALES / "manifest.json").exists()
    journal = emu.journal()
    # every list stopped at its second page at the latest: no request went twice to the same page
    # no request repeated more than twice (metrics_v2.full shares one path for every metric of a run, the body names it)
    assert max(Counter((e["method"], e["path"], str(e.get("query"))) for e in journal if e["op"] != "metrics_v2.full").values()) <= 2
    assert {e["method"] for e in journal} <= {"GET", "POST"} and not any(e["mutating"] for e in journal)  # reads only
    emu.configure(paging_fault="")
    assert runner.export().rc == 0 and _bundle.verify_bundle(str(runner.dest / SALES)) == []


def test_a_plan_that_cannot_list_deletes_nothing(runner):
    emu = runner.emu
    assert runner.export().rc == 0
    before = deletable(runner.workspace())
    emu.clear_journal()
    emu.configure(paging_fault="foreign_link")
    run = runner.purge()
    assert run.rc != 0
    plan = run.task(PLAN_TASK)[0]["result"]
    assert "refusing to follow the nextLink" in plan["msg"], plan["msg"]
    assert [e for e in emu.journal() if e["mutating"]] == []
    emu.configure(paging_fault="")
    assert deletable(runner.workspace()) == before
