"""The repository stands alone: a ``git clone`` of the current HEAD into an empty folder, with nothing
beside it, passes the emulator tests (which read the official specs) through the Makefile.

The clone reuses this run's virtualenv (``make VENV=...``; ``-o`` tells make not to reinstall it)
and its Azurite (``AZURITE_BLOB``)
so the test costs the emulator tests' time, not a second install. AZUREML_SPECS_DIR is removed
from the environment: the clone must find the specs it needs in its own files.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=str(cwd), capture_output=True, text=True, timeout=300, check=True).stdout.strip()


def test_a_clone_in_an_empty_folder_passes_the_emulator_tests(tmp_path):
    head = git("rev-parse", "HEAD", cwd=ROOT)
    clone = tmp_path / "gdpr.azureml"
    git("clone", "--quiet", "--no-checkout", str(ROOT), str(clone), cwd=tmp_path)
    git("-c", "advice.detachedHead=false", "checkout", "--quiet", head, cwd=clone)
    assert os.listdir(tmp_path) == ["gdpr.azureml"]  # nothing beside it: no sibling folder to read from
    assert git("status", "--porcelain", cwd=clone) == ""

    venv = Path(sys.prefix)
    env = {k: v for k, v in os.environ.items()
           if k not in ("AZUREML_SPECS_DIR", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH")}
    # Azurite (make azurite: npm ci, about 190 MB) is reused the same way: this tree's binary, the clone's stamp skipped.
    env["AZURITE_BLOB"] = str(ROOT / "tools" / "azurite" / "node_modules" / ".bin" / "azurite-blob")
    stamp = clone / "tools" / "azurite" / "node_modules" / ".installed"
    proc = subprocess.run(["make", "--no-print-directory", "emulator-test", "VENV=%s" % venv, "-o", "%s/.installed" % venv,
                           "-o", str(stamp)],
                          cwd=str(clone), env=env, capture_output=True, text=True, timeout=900, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    summary = [line for line in out.splitlines() if " passed" in line][-1]
    assert int(summary.split(" passed")[0].split()[-1]) >= 200, summary  # the emulator tests ran, not a handful
    # the run used the clone's files (its own specs, its own collection link), not this work tree's
    assert (clone / "build" / "collections" / "ansible_collections" / "gdpr" / "azureml").resolve() == clone
    assert git("status", "--porcelain", cwd=clone) == "", "the emulator tests left files in the tree"
