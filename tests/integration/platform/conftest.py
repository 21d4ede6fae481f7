"""Fixtures of the Automation Platform tests: AWX's credential injection, ansible-runner, ansible-navigator.

``platform_emulator`` is an emulator of its own (started once for this folder), because its bearer token and
service-principal secret must be distinctive: they hold ``+``, ``/``, ``=`` and ``~``, so that their raw,
JSON-escaped and URL-encoded forms differ and a search of the artifacts for each can fail. The other fixtures
(``ansible``, ``fresh_emulator``, ...) come from ``tests/integration/conftest.py``. Helpers: ``platform_support.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
COLLECTIONS = ROOT / "build" / "collections"
_LINK = COLLECTIONS / "ansible_collections" / "gdpr" / "azureml"
if not _LINK.exists():  # as make collection does
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to(ROOT)
for path in (str(COLLECTIONS), str(HERE), str(ROOT / "tests" / "emulator")):
    if path not in sys.path:
        sys.path.insert(0, path)

from azureml_emulator.testing import EmulatorProcess  # noqa: E402
from platform_support import CLIENT_ID, SECRET, TOKEN  # noqa: E402


@pytest.fixture(scope="package")
def platform_emulator():
    args = ["--page-size", "3", "--token", TOKEN, "--client", "%s:%s" % (CLIENT_ID, SECRET),
            "--retry-after", "1", "--lro-polls", "1", "--lro-seconds", "0"]
    with EmulatorProcess(scenario="demo", args=args) as emu:
        yield emu


@pytest.fixture
def platform_emu(platform_emulator):
    """The platform emulator, reseeded to the demo scenario, journal cleared."""
    platform_emulator.reset(scenario="demo")
    platform_emulator.clear_journal()
    return platform_emulator
