"""Fixtures of the emulator's own test suite.

``emulator``: one emulator (demo scenario) per test session (per xdist worker). After every test that
uses it, the runtime config and the data are restored (``configure(reset=True)``, ``reset()``), so a
test may delete, reconfigure or inject faults freely.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for p in (str(HERE.parent), str(HERE)):  # the azureml_emulator package and the helpers beside this file
    if p not in sys.path:
        sys.path.insert(0, p)

from azureml_emulator.testing import EmulatorProcess  # noqa: E402


@pytest.fixture(scope="session")
def emulator():
    emu = EmulatorProcess("demo").start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(autouse=True)
def _restore_emulator(request):
    """Put the session emulator back as it started, after each test that used it."""
    yield
    if "emulator" in request.fixturenames:
        emu = request.getfixturevalue("emulator")
        emu.configure(reset=True)
        emu.reset(emu.scenario)  # the session's scenario and seed, even if a test switched them
