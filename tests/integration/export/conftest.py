"""Fixtures of the export integration tests.

The fixtures ``emulator``, ``fresh_emulator``, ``ansible`` and ``demo_inventory`` come from
``tests/integration/conftest.py``. Assertions compare the bundles with the emulator's own state
(``/_emulator/state``: the service's truth) and its request journal, not with what the modules say.
Helpers live in ``export_support.py``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from export_support import PIPELINE_OPTION, host_name  # noqa: E402


@pytest.fixture
def pipeline_host_vars(fresh_emulator, demo_inventory):
    """host_vars next to the demo inventory: every pipeline object of each workspace is requested."""
    folder = demo_inventory.parent / "host_vars"
    folder.mkdir(exist_ok=True)
    for ws in fresh_emulator.state()["workspaces"]:
        ids = {option: [o["id"] for o in ws["objects"].get(kind, [])] for kind, option in PIPELINE_OPTION.items()}
        (folder / ("%s.yml" % host_name(ws))).write_text(json.dumps({"export_workspace_data_pipeline_ids": ids}), encoding="utf-8")
    return demo_inventory
