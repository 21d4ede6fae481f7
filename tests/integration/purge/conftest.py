"""Fixtures of the purge integration tests.

The fixtures ``emulator``, ``fresh_emulator``, ``ansible`` and ``demo_inventory`` come from ``tests/integration/conftest.py``.
Every test gets a reseeded demo scenario with Retry-After 1 s on long-running operations (so that polls are quick and
visible in the journal); the startup config is restored afterwards. Helpers live in ``purge_support.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from purge_support import Purge  # noqa: E402


@pytest.fixture
def emu(fresh_emulator):
    """The reseeded emulator, operations completing after 1 poll each answered with Retry-After: 1."""
    fresh_emulator.configure(retry_after=1, lro_polls=1, lro_seconds=0)
    yield fresh_emulator
    fresh_emulator.configure(reset=True)


@pytest.fixture
def purge(emu, ansible, tmp_path):
    return Purge(emu, ansible, tmp_path)
