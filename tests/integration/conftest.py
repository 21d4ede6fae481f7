"""Integration tests: real ``ansible-playbook`` runs against one emulator per test session.

Assertions go to the emulator's journal and state (what the service saw and holds), not only to
what the modules report.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from azureml_emulator.testing import EmulatorProcess  # noqa: E402

COLLECTIONS = ROOT / "build" / "collections"
if str(COLLECTIONS) not in sys.path:  # tests that import the collection's module_utils, also when run alone
    sys.path.insert(0, str(COLLECTIONS))
HERE = Path(__file__).resolve().parent
RECAP = re.compile(r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)"
                   r"\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)\s+ignored=(?P<ignored>\d+)", re.M)


def _ensure_collection_link():
    link = COLLECTIONS / "ansible_collections" / "gdpr" / "azureml"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT)


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    results: list = field(default_factory=list)

    @property
    def recap(self):
        fields = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
        return {m["host"]: {k: int(m[k]) for k in fields} for m in RECAP.finditer(self.stdout)}

    def task(self, name, host=None):
        """The results of the task called ``name`` (one per host), in run order."""
        found = [r for r in self.results if r["task"] == name and (host is None or r["host"] == host)]
        if not found:
            raise AssertionError("no result for task %r; tasks seen: %s" % (name, sorted({r["task"] for r in self.results})))
        return found


class Ansible:
    """Runs ansible-playbook with the collection and the emulator wired in."""

    def __init__(self, emulator, tmp_path):
        self.emulator = emulator
        self.tmp_path = tmp_path

    def env(self, **extra):
        env = dict(os.environ)
        env.update(
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
            ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"),
            ANSIBLE_CALLBACKS_ENABLED="result_dump",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            AZUREML_BASE_URL=self.emulator.url,
            AZUREML_ACCESS_TOKEN=self.emulator.token,
            ANSIBLE_AZURE_AUTH_SOURCE="token",
            # api_profile of every module run (make integration runs export and purge again under documented)
            AZUREML_API_PROFILE=os.environ.get("AZUREML_TEST_API_PROFILE") or "current",
        )
        for name in ("AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_CLIENT_SECRET", "AZURE_TENANT", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"):
            env.pop(name, None)
        env.update({k: str(v) for k, v in extra.items() if v is not None})
        for k in [k for k, v in extra.items() if v is None]:
            env.pop(k, None)
        return env

    def playbook(self, playbook, *args, inventory=None, env=None, check=False, diff=False, extra_vars=None, timeout=600):
        dump = self.tmp_path / ("results-%d.jsonl" % len(list(self.tmp_path.glob("results-*.jsonl"))))
        cmd = [str(Path(sys.executable).with_name("ansible-playbook")), str(playbook)]
        if inventory:
            cmd += ["-i", str(inventory)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        cmd += list(args)
        proc = subprocess.run(cmd, cwd=str(self.tmp_path), env=self.env(GDPR_AZUREML_RESULT_DUMP=str(dump), **(env or {})),
                              capture_output=True, text=True, timeout=timeout, check=False)
        results = []
        if dump.exists():
            results = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines() if line.strip()]
        return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, results)

    def write_playbook(self, name, text):
        path = self.tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture(scope="session")
def emulator():
    _ensure_collection_link()
    with EmulatorProcess(scenario="demo", args=["--page-size", "3"]) as emu:
        yield emu


@pytest.fixture(scope="session")
def storage_emulator():
    """A second emulator (demo scenario) whose workspaces' storage accounts are on Azurite (``--storage azurite``).

    Started only by the tests that use it; ``make integration`` installs Azurite first (``make azurite``).
    """
    _ensure_collection_link()
    with EmulatorProcess(scenario="demo", args=["--page-size", "3"], storage="azurite") as emu:
        yield emu


@pytest.fixture
def fresh_storage_emulator(storage_emulator):
    """The storage emulator, journal cleared. A test that changes data or files asks for ``restore_storage`` too."""
    storage_emulator.clear_journal()
    return storage_emulator


@pytest.fixture
def restore_storage(storage_emulator):
    """After the test: the demo data and files as seeded (every container emptied and filled again)."""
    yield storage_emulator
    storage_emulator.reset(scenario="demo")


@pytest.fixture
def storage_ansible(fresh_storage_emulator, tmp_path):
    """``Ansible`` against the storage emulator; the storage options come from the environment:
    AZUREML_STORAGE_BASE_URL (Azurite, path style), REQUESTS_CA_BUNDLE (the test CA of Azurite and the
    fake Azure AD) and AZUREML_STORAGE_ACCESS_TOKEN (a storage token of the fake Azure AD)."""
    emu = fresh_storage_emulator
    runner = Ansible(emu, tmp_path)
    base_env = runner.env
    token = emu.storage_token()  # one grant, before the test counts any

    def env(**extra):
        values = dict(AZUREML_STORAGE_BASE_URL=emu.storage_url, REQUESTS_CA_BUNDLE=emu.ca_path,
                      AZUREML_STORAGE_ACCESS_TOKEN=token)
        values.update(extra)
        return base_env(**values)

    runner.env = env
    return runner


@pytest.fixture
def fresh_emulator(emulator):
    """The session emulator, reseeded to the demo scenario with default behaviour, journal cleared."""
    emulator.reset(scenario="demo")
    emulator.configure(page_size=3, latency_ms=0, fault_rate=0, drop_rate=0, rate_limit=0)
    emulator.clear_journal()
    yield emulator


@pytest.fixture
def ansible(fresh_emulator, tmp_path):
    return Ansible(fresh_emulator, tmp_path)


@pytest.fixture
def demo_inventory(fresh_emulator, tmp_path):
    """A static inventory of every workspace the emulator holds (hosts: <rg>_<name>)."""
    lines = ["all:", "  hosts:"]
    for ws in fresh_emulator.state()["workspaces"]:
        lines += [
            "    %s_%s:" % (ws["resource_group"], ws["name"]),
            "      azureml_subscription_id: %s" % ws["subscription_id"],
            "      azureml_resource_group: %s" % ws["resource_group"],
            "      azureml_workspace_name: %s" % ws["name"],
            "      azureml_location: %s" % ws["location"],
        ]
    lines += ["  vars:", "    ansible_connection: local", '    ansible_python_interpreter: "{{ ansible_playbook_python }}"']
    path = tmp_path / "inventory.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
