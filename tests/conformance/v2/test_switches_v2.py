"""An emulator that breaks paging or ``listViewType`` turns the list check of test_arm_v2.py red.

The check runs as it does in the suite (a pytest subprocess with its own emulator), with one emulator flag: it must
fail, and fail on that check. So the v2 list check can fail (issue 20: "a switch that breaks the emulator's paging or
listViewType shows it red"). One workspace and one page size each, to keep the run short.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CHECK = "test_every_list_with_list_view_type_all_holds_every_object_once"

SWITCHES = {
    # emulator flags: the selection of test_arm_v2.py they turn red
    "--no-v2-list-view-type": f"{CHECK} and default and ws_hr",  # archived/disabled objects missing from All
    "--paging-fault repeat_token": f"{CHECK} and page2 and ws_hr",  # a nextLink that repeats: a list without end
}


@pytest.mark.parametrize("flags", sorted(SWITCHES))
def test_each_switch_turns_the_list_check_red(flags):
    selection = SWITCHES[flags]
    env = dict(os.environ, CONFORMANCE_EMULATOR_ARGS=flags)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore",
                           str(HERE / "test_arm_v2.py"), "-k", selection],
                          capture_output=True, text=True, env=env, timeout=600, cwd=str(HERE), check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, f"{flags}: the check passed (or did not run): rc={proc.returncode}\n{out[-3000:]}"
    failed = [line for line in out.splitlines() if line.startswith("FAILED ")]
    assert failed and all(CHECK in line for line in failed), f"{flags}: {failed}\n{out[-3000:]}"
    assert " passed" not in out.splitlines()[-1], f"{flags}: part of the check still passes: {out.splitlines()[-1]}"
