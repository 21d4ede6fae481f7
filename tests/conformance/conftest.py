"""Microsoft's own client against the emulator: one emulator per session, azureml-core's generated REST clients.

Runs in its own virtualenv (``make conformance`` creates ``.venv-azureml-core`` from ``requirements.txt``):
azureml-core pins old dependencies. The emulator itself runs under the project's ``.venv`` interpreter
(``CONFORMANCE_EMULATOR_PYTHON``; it needs aiohttp, which the SDK's virtualenv does not have), with the extra
command-line flags of ``CONFORMANCE_EMULATOR_ARGS`` (``test_switches.py`` sets one switch there).
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from azureml_emulator.testing import EmulatorProcess  # noqa: E402

EMULATOR_PYTHON = os.environ.get("CONFORMANCE_EMULATOR_PYTHON") or str(ROOT / ".venv" / "bin" / "python")
EMULATOR_ARGS = shlex.split(os.environ.get("CONFORMANCE_EMULATOR_ARGS", ""))
DEFAULT_PAGE_SIZE = 50  # the emulator's default (RuntimeConfig.page_size)


@pytest.fixture(scope="session")
def emulator():
    emu = EmulatorProcess("demo", args=EMULATOR_ARGS, python=EMULATOR_PYTHON)
    emu.start()
    # azureml-core's service context reads these (``_base_sdk_common/service_discovery.py``): every family on the emulator
    saved = {k: os.environ.get(k) for k in ("AZUREML_SERVICE_ENDPOINT", "AZUREML_MMS_TEST_ENDPOINT", "AZUREML_DISCOVERY_SERVICE_ENDPOINT")}
    os.environ.update(AZUREML_SERVICE_ENDPOINT=emu.url, AZUREML_MMS_TEST_ENDPOINT=emu.url,
                      AZUREML_DISCOVERY_SERVICE_ENDPOINT=emu.url + "/discovery")
    try:
        yield emu
    finally:
        emu.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def rest(emulator):
    """azureml-core's generated REST client (``azureml._restclient.rest_client.RestClient``) on the emulator,
    with the emulator's static bearer token."""
    from azureml._restclient.rest_client import RestClient
    from msrest.authentication import BasicTokenAuthentication

    client = RestClient(BasicTokenAuthentication({"access_token": emulator.token}), base_url=emulator.url)
    client.config.retry_policy.retries = 0  # an error must surface, not be retried away
    return client


@pytest.fixture(params=[1, 2, DEFAULT_PAGE_SIZE], ids=["page1", "page2", "default"])
def page_size(request, emulator):
    emulator.configure(page_size=request.param)
    yield request.param
    emulator.configure(page_size=DEFAULT_PAGE_SIZE)


@pytest.fixture(scope="session")
def state(emulator):
    """The seeded state (every list is compared with it); tests that delete reset the emulator afterwards."""
    return emulator.state()
