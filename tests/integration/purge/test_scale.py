"""A purge of ~2,800 objects fans out with bounded concurrency, never one module run per object.

The time it takes against requests x latency / concurrency is measured by ``make bench``
(docs/performance.md); here only what does not depend on the machine's load is asserted:
every object deleted once, the deletes overlapping (more than one in flight) and never more
than ``concurrency`` at once, and a handful of module runs.

Runs against a second emulator with the ``large`` scenario (ws-large: 2000 models, 500 assets, 200 images, 100
services, half of them on AKS) and 20 ms of latency on every request. The export check is off here: exporting
ws-large (5,000 runs, 10,000 artifacts) is the export's benchmark, not the purge's.
"""
from __future__ import annotations

from datetime import datetime

import pytest
from azureml_emulator.testing import EmulatorProcess
from purge_support import DELETABLE, PURGE_PLAYBOOK, output

LARGE = "rg-large_ws-large"
LATENCY = 0.020
CONCURRENCY = 8


@pytest.fixture(scope="module")
def large():
    with EmulatorProcess("large", args=["--latency-ms", "20", "--retry-after", "1", "--lro-polls", "1"]) as emu:
        yield emu


def stamp(entry):
    return datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()


def max_in_flight(entries):
    """Most requests the emulator was serving at once (each interval shrunk by 1 ms: the journal's times are in ms)."""
    events = []
    for e in entries:
        start = stamp(e) + 0.001
        end = stamp(e) + (e["duration_ms"] or 0) / 1000 - 0.001
        if end > start:
            events += [(start, 1), (end, -1)]
    level = peak = 0
    for dummy, step in sorted(events):
        level += step
        peak = max(peak, level)
    return peak


def test_purge_of_2800_objects_fans_out_with_bounded_concurrency(ansible, large, tmp_path):
    state = {ws["name"]: ws for ws in large.state()["workspaces"]}["ws-large"]
    counts = {k: len(state["objects"][k]) for k in DELETABLE}
    assert sum(counts.values()) == 2800
    inventory = tmp_path / "large.yml"
    inventory.write_text(
        "all:\n  hosts:\n    %s:\n      azureml_subscription_id: %s\n      azureml_resource_group: rg-large\n"
        "      azureml_workspace_name: ws-large\n  vars:\n    ansible_connection: local\n"
        '    ansible_python_interpreter: "{{ ansible_playbook_python }}"\n' % (LARGE, state["subscription_id"]))
    large.clear_journal()
    run = ansible.playbook(PURGE_PLAYBOOK, inventory=inventory, env={"AZUREML_BASE_URL": large.url},
                           extra_vars={"export_workspace_data_dest": str(tmp_path / "exports"), "purge_workspace_require_export": False,
                                       "purge_workspace_confirm": "ws-large", "purge_workspace_show_max": 5,
                                       "azureml_options": {"concurrency": CONCURRENCY},
                                       # the v1 objects counted below (the default takes the 5,000 jobs of ws-large too)
                                       "purge_workspace_kinds": list(DELETABLE)})
    assert run.rc == 0, output(run)[-3000:]
    left = {ws["name"]: ws for ws in large.state()["workspaces"]}["ws-large"]["objects"]
    assert {k: len(left[k]) for k in DELETABLE} == {k: 0 for k in DELETABLE}

    journal = large.journal(0)
    deletes = [e for e in journal if e["method"] == "DELETE"]
    assert len(deletes) == 2800 and len({e["path"] for e in deletes}) == 2800  # each object once
    peak = max_in_flight(deletes)
    assert 1 < peak <= CONCURRENCY, peak  # concurrent, and bounded by the option
    # one module run per kind (plus the plan and the verification), not one per object
    module_runs = [r for r in run.results if r["action"].startswith("gdpr.azureml.") and r["host"] == LARGE and r["status"] != "skipped"]
    assert len(module_runs) <= 8, [r["action"] for r in module_runs]
