"""Execution environments: the built collection declares its Python requirements to ansible-builder.

No container engine here: the image itself is not built. The tests build the collection tarball,
install it into a temporary collections path, check what ``ansible-builder introspect`` reports,
and render the build context of docs/examples/execution-environment.yml (``ansible-builder
create``), which needs no engine.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
EXAMPLE = ROOT / "docs" / "examples" / "execution-environment.yml"


def run(*cmd, cwd):
    # Without the repository's collection path (`make` exports it): ansible-galaxy would otherwise find
    # gdpr.azureml "already installed" there and install nothing into the temporary path.
    env = {k: v for k, v in os.environ.items() if k not in ("ANSIBLE_COLLECTIONS_PATH", "PYTHONPATH")}
    env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "false"
    proc = subprocess.run([str(c) for c in cmd], cwd=str(cwd), capture_output=True, text=True, timeout=300, check=False, env=env)
    assert proc.returncode == 0, f"{cmd}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    run(BIN / "ansible-galaxy", "collection", "build", "--output-path", dist, ROOT, cwd=dist)
    (built,) = dist.glob("gdpr-azureml-*.tar.gz")
    return built


def requirement_names(lines):
    return {re.split(r"[<>=!~ ;\[]", line.strip(), maxsplit=1)[0].lower() for line in lines if line.strip() and not line.startswith("#")}


def test_introspect_reports_the_collection_python_requirements(tarball, tmp_path):
    collections = tmp_path / "collections"
    run(BIN / "ansible-galaxy", "collection", "install", tarball, "-p", collections, cwd=tmp_path)
    installed = collections / "ansible_collections" / "gdpr" / "azureml"
    assert (installed / "meta" / "execution-environment.yml").is_file()
    assert not (installed / "tests" / "emulator").exists()  # the emulator is not shipped
    # introspect takes the folder that holds ansible_collections/
    report = yaml.safe_load(run(BIN / "ansible-builder", "introspect", "--sanitize", collections,
                                "--write-pip", tmp_path / "pip.txt", "--write-bindep", tmp_path / "bindep.txt", cwd=tmp_path))
    python = [line.split("#")[0].strip() for line in report["python"]]
    assert requirement_names(python) == {"requests", "azure-identity", "azure-storage-blob"}
    assert all(">=" in line and "==" not in line and "<" not in line for line in python), python
    assert all("from collection gdpr.azureml" in line for line in report["python"])
    pip = (tmp_path / "pip.txt").read_text(encoding="utf-8").splitlines()
    assert requirement_names(pip) == {"requests", "azure-identity", "azure-storage-blob"}
    root_requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert requirement_names(python) == requirement_names(root_requirements)


def test_the_example_definition_renders_a_build_context(tarball, tmp_path):
    definition = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert definition["version"] == 3
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"]
    assert f"gdpr-azureml-{version}.tar.gz" in EXAMPLE.read_text(encoding="utf-8")
    work = tmp_path / "ee"
    (work / "collections").mkdir(parents=True)
    shutil.copy(EXAMPLE, work / "execution-environment.yml")
    shutil.copy(tarball, work / "collections" / tarball.name)
    run(BIN / "ansible-builder", "create", "-f", work / "execution-environment.yml", "--context", tmp_path / "context", cwd=work)
    context = tmp_path / "context"
    containerfile = next(p for p in (context / "Containerfile", context / "Dockerfile") if p.exists()).read_text(encoding="utf-8")
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect" in containerfile  # the collection's requirements are resolved inside the build
    assert (context / "_build" / "collections" / tarball.name).is_file()
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert requirements["collections"] == [{"name": f"/build/collections/{tarball.name}", "type": "file"}]
