"""Each emulator switch that restores an old behaviour turns the matching check of test_sdk.py red.

The check runs as it does in the suite (a pytest subprocess with its own emulator), with one switch set on the
emulator's command line: it must fail, and fail on that check's assertion. So the suite's checks can fail, and
the emulator's four corrections (issue 14) are each pinned by Microsoft's own client.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

SWITCHES = {
    # switch (emulator flag / POST /_emulator/config key): the check of test_sdk.py it turns red
    "--no-artifact-data-container": "test_artifacts_are_listed_in_the_runs_data_container and default",
    "--no-experiment-view-type": "test_experiments_of_every_view_type and default and body",
    "--no-metrics-v2": "test_metrics_v2 and default",
    "--no-contentinfo-path-form": "test_artifact_content_with_the_path_in_the_url",
}


@pytest.mark.parametrize("flag", sorted(SWITCHES))
def test_each_switch_turns_its_check_red(flag):
    selection = SWITCHES[flag]
    env = dict(os.environ, CONFORMANCE_EMULATOR_ARGS=flag)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE / "test_sdk.py"), "-k", selection],
                          capture_output=True, text=True, env=env, timeout=600, cwd=str(HERE), check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, f"{flag}: the check passed (or did not run): rc={proc.returncode}\n{out[-3000:]}"
    failed = [line for line in out.splitlines() if line.startswith("FAILED ")]
    name = selection.split(" ")[0]
    assert failed and all(name in line for line in failed), f"{flag}: {failed}\n{out[-3000:]}"
    assert " passed" not in out.splitlines()[-1], f"{flag}: part of the check still passes: {out.splitlines()[-1]}"
