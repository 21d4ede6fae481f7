"""Fixtures of the reliability and security suite (issue 7).

The fixtures ``emulator``, ``fresh_emulator`` and ``ansible`` come from ``tests/integration/conftest.py``. ``emu`` is the
reseeded demo emulator whose whole runtime config (faults, latency, token lifetime, Retry-After, ...) is restored after
each test. Helpers live in ``reliability_support.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent / "purge", HERE.parent / "export"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from reliability_support import Runner  # noqa: E402


@pytest.fixture
def emu(fresh_emulator):
    fresh_emulator.configure(reset=True)
    fresh_emulator.configure(page_size=3, retry_after=0, lro_polls=1, lro_seconds=0)
    fresh_emulator.clear_journal()
    yield fresh_emulator
    fresh_emulator.configure(reset=True)


@pytest.fixture
def runner(emu, ansible, tmp_path):
    return Runner(emu, ansible, tmp_path)
