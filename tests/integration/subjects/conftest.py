"""Fixtures of the subject-index tests: real export bundles of the demo scenario (page size 3), and the truth
about who created what, taken from the emulator (its state dump and the ARM workspace), never from a bundle."""
from __future__ import annotations

import json

import pytest

API = "?api-version=2019-11-01"


def host_name(ws):
    return "%s_%s" % (ws["resource_group"], ws["name"])


@pytest.fixture
def pipeline_host_vars(fresh_emulator, demo_inventory):
    """host_vars with every pipeline object id, so the export bundles hold the pipeline kinds too."""
    folder = demo_inventory.parent / "host_vars"
    folder.mkdir(exist_ok=True)
    for ws in fresh_emulator.state()["workspaces"]:
        ids = {kind[len("pipeline_"):-1]: [o["id"] for o in ws["objects"][kind]] for kind in ws["objects"] if kind.startswith("pipeline_")}
        (folder / ("%s.yml" % host_name(ws))).write_text(json.dumps({"export_workspace_data_pipeline_ids": ids}) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def export(ansible, demo_inventory, pipeline_host_vars, tmp_path):
    """A function that exports every demo workspace with the export playbook; returns the root of the bundles."""
    def run():
        dest = tmp_path / "exports"
        result = ansible.playbook("gdpr.azureml.export_workspaces", inventory=demo_inventory,
                                  extra_vars={"export_workspace_data_dest": str(dest)})
        assert result.rc == 0, result.stdout[-4000:] + result.stderr[-4000:]
        return dest
    return run
