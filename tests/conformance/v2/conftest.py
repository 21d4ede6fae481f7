"""The ARM client generated from the 2025-12-01 spec inside azure-ai-ml (``azure.ai.ml._restclient.arm_ml_service``)
against the emulator. Runs in its own virtualenv (``make conformance`` creates ``.venv-azure-ai-ml`` from
``tests/conformance/requirements-azure-ai-ml.txt``, azure-ai-ml pinned exactly: a private module). The emulator (the
``emulator`` fixture of ``tests/conformance/conftest.py``) runs under the project's ``.venv``.
"""

from __future__ import annotations

import time

import pytest

SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"


class _StaticToken:
    """A TokenCredential that hands out the emulator's static bearer token (the fake Azure AD is not needed here)."""

    def __init__(self, token: str):
        self.token = token

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)

    def get_token_info(self, *scopes, options=None):
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(self.token, int(time.time()) + 3600)


def make_client(emulator):
    """``MachineLearningServicesMgmtClient`` on the emulator: no retries (an error must surface), LROs polled at once.
    The emulator speaks plain HTTP: the bearer header is set by a plain policy (azure-core's refuses non-TLS URLs)."""
    from azure.ai.ml._restclient.arm_ml_service import MachineLearningServicesMgmtClient
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class Bearer(SansIOHTTPPolicy):
        def on_request(self, request):
            request.http_request.headers["Authorization"] = f"Bearer {emulator.token}"

    return MachineLearningServicesMgmtClient(_StaticToken(emulator.token), SUBSCRIPTION, base_url=emulator.url,
                                             authentication_policy=Bearer(), retry_total=0, polling_interval=0)


@pytest.fixture(scope="session")
def client(emulator):
    return make_client(emulator)
