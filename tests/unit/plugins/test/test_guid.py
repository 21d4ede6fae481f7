import pytest

from ansible_collections.gdpr.azureml.plugins.module_utils._routes import GUID_RE
from ansible_collections.gdpr.azureml.plugins.test import guid as guid_plugin

guid = guid_plugin.guid


@pytest.mark.parametrize('value', ['0f8fad5b-d9cb-469f-a165-70867728950e', '0F8FAD5B-D9CB-469F-A165-70867728950E'])
def test_a_guid_is_one(value):
    assert guid(value) is True and GUID_RE.match(value)


@pytest.mark.parametrize('value', ['', 'not-a-guid', '0f8fad5b-d9cb-469f-a165-70867728950', '0f8fad5bd9cb469fa16570867728950e',
                                   ' 0f8fad5b-d9cb-469f-a165-70867728950e', None, 12, ['0f8fad5b-d9cb-469f-a165-70867728950e']])
def test_anything_else_is_not(value):
    assert guid(value) is False


def test_the_test_is_registered():
    assert guid_plugin.TestModule().tests() == {"guid": guid}
