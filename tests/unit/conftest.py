"""Unit tests import the collection as ``ansible_collections.gdpr.azureml`` from build/collections.

``make collection`` creates the symlink ``build/collections/ansible_collections/gdpr/azureml ->
<repo>``; this conftest creates it too when missing, so ``pytest tests/unit`` works alone.
"""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, 'build', 'collections')
LINK = os.path.join(COLLECTIONS, 'ansible_collections', 'gdpr', 'azureml')
if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
for path in (COLLECTIONS, os.path.dirname(os.path.abspath(__file__))):  # the collection, unit_helpers
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(autouse=True)
def _clean_azure_env(monkeypatch):
    """No test sees the caller's Azure settings."""
    for name in list(os.environ):
        if name.startswith(('AZURE_', 'AZUREML_')) or name in ('ANSIBLE_AZURE_AUTH_SOURCE', 'REQUESTS_CA_BUNDLE'):
            monkeypatch.delenv(name, raising=False)
