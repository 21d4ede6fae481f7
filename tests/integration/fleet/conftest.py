"""Fleet tests: the inventory plugin and the fleet playbooks over the emulator's demo fleet.

Reuses the fixtures of ``tests/integration/conftest.py`` (``emulator``, ``fresh_emulator``,
``ansible``); adds ``run_inventory`` to call ``ansible-inventory`` with the runner's environment.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / "build" / "collections"
_LINK = COLLECTIONS / "ansible_collections" / "gdpr" / "azureml"
if not _LINK.exists():  # as make collection does; lets the tests import the collection's module_utils
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to(ROOT)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


@dataclass
class InventoryRun:
    rc: int
    stdout: str
    stderr: str

    @property
    def data(self):
        """The JSON of ``--list`` (after any -v lines), with ansible-core 2.19's ``__ansible_unsafe`` markers removed."""
        lines = self.stdout.splitlines()
        start = lines.index("{")
        return unwrap(json.loads("\n".join(lines[start:])))

    @property
    def output(self):
        return self.stdout + self.stderr


def unwrap(value):
    """``{"__ansible_unsafe": v}`` -> v (ansible-inventory marks values that must never be templated)."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


@pytest.fixture
def write_inventory(tmp_path):
    """``write_inventory(config, name='fleet.azureml.yml')``: a plugin inventory file in the test's folder."""

    def write(config, name="fleet.azureml.yml"):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(dict({"plugin": "gdpr.azureml.workspaces"}, **config), sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def run_inventory(ansible, tmp_path):
    """``run_inventory(path, '--list', env={...})``: ansible-inventory with the collection and the emulator wired in."""

    def run(path, *args, env=None):
        cmd = [str(Path(sys.executable).with_name("ansible-inventory")), "-i", str(path), *args]
        proc = subprocess.run(cmd, cwd=str(tmp_path), env=ansible.env(**(env or {})), capture_output=True, text=True, timeout=120, check=False)
        return InventoryRun(proc.returncode, proc.stdout, proc.stderr)

    return run
