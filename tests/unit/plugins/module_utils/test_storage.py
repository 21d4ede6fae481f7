"""``_storage`` without a service: names, endpoints, credentials, options, errors.

The primitives against a real Azurite: ``tests/integration/storage/test_storage_client.py``.
"""
import sys

import pytest
import responses
from compat import patch_module_args
from unit_helpers import SUB, WS_ID, FailJson, patch_exits

from ansible_collections.gdpr.azureml.plugins.module_utils import _auth, _clouds, _module, _storage

PUBLIC = _clouds.get_cloud('AzureCloud')
BASE = {'subscription_id': SUB, 'resource_group': 'rg-1', 'workspace_name': 'ws-1', 'access_token': 'static-arm-token'}
STORAGE_ID = f'/subscriptions/{SUB}/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/stml01'


@pytest.fixture
def warnings(monkeypatch):
    return patch_exits(monkeypatch)


def make(args, **kwargs):
    with patch_module_args(args):
        return _module.AzureMLModule(**kwargs)


def test_run_blob_prefix_is_the_data_container_of_the_run():
    assert _storage.run_blob_prefix('churn_1583143680_4ec268ea') == 'ExperimentRun/dcid.churn_1583143680_4ec268ea/'
    assert _storage.run_blob_prefix({'runId': 'r1', 'dataContainerId': 'dcid.r1'}) == 'ExperimentRun/dcid.r1/'
    assert _storage.run_blob_prefix({'runId': 'r1', 'dataContainerId': 'dcid.custom'}) == 'ExperimentRun/dcid.custom/'
    assert _storage.run_blob_prefix({'runId': 'r1'}) == 'ExperimentRun/dcid.r1/'


@pytest.mark.parametrize('value, name', [
    (STORAGE_ID, 'stml01'),
    (STORAGE_ID.replace('Microsoft.Storage', 'microsoft.storage').replace('stml01', 'STML01'), 'stml01'),
    (STORAGE_ID + '/', 'stml01'),
])
def test_account_from_the_workspace_storage_account_id(value, name):
    assert _storage.account_from_id(value) == name


@pytest.mark.parametrize('value', [None, '', 'stml01', STORAGE_ID.replace('storageAccounts', 'vaults'), STORAGE_ID + '/blobServices/default',
                                   STORAGE_ID.replace('stml01', 'st-ml-01')])
def test_not_a_storage_account_id(value):
    with pytest.raises(ValueError, match='not a storage account ARM id'):
        _storage.account_from_id(value)


@pytest.mark.parametrize('cloud, url', [
    ('AzureCloud', 'https://stml01.blob.core.windows.net'),
    ('AzureChinaCloud', 'https://stml01.blob.core.chinacloudapi.cn'),
    ('AzureUSGovernment', 'https://stml01.blob.core.usgovcloudapi.net'),
])
def test_account_url_of_each_cloud(cloud, url):
    assert _storage.account_url(_clouds.get_cloud(cloud), 'stml01') == url


def test_storage_base_url_is_path_style():
    assert _storage.account_url(PUBLIC, 'stml01', 'https://127.0.0.1:10000/') == 'https://127.0.0.1:10000/stml01'
    for bad in ('127.0.0.1:10000', 'ftp://host', 'https://host?x=1'):
        with pytest.raises(ValueError, match='storage_base_url must be'):
            _storage.account_url(PUBLIC, 'stml01', bad)
    with pytest.raises(ValueError, match='invalid storage account name'):
        _storage.account_url(PUBLIC, 'ST-ML')


def test_a_token_is_never_sent_over_http():
    auth = _auth.build_auth({'auth_source': 'token', 'storage_access_token': 'x'}, PUBLIC, scope=_clouds.STORAGE_SCOPE)
    with pytest.raises(ValueError, match='must be https://'):
        _storage.StorageClient(auth, PUBLIC, storage_base_url='http://127.0.0.1:10000')
    assert _storage.StorageClient(None, PUBLIC, account_key='a2V5', storage_base_url='http://127.0.0.1:10000')


def test_missing_azure_storage_blob_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, 'azure.storage.blob', None)
    client = _storage.StorageClient(None, PUBLIC, account_key='a2V5')
    with pytest.raises(_auth.MissingLibraryError) as err:
        client.service('stml01')
    assert err.value.library == 'azure-storage-blob'


# -- auth for the storage scope ------------------------------------------------------------------------------------

def test_the_token_source_reads_storage_access_token_for_storage():
    options = _auth.AuthOptions({'access_token': 'arm', 'storage_access_token': 'storage'})
    arm = _auth.build_auth(options, PUBLIC, auth_source='token')
    storage = _auth.build_auth(options, PUBLIC, auth_source='token', scope=_clouds.STORAGE_SCOPE)
    assert (arm.get_token(), storage.get_token()) == ('arm', 'storage')
    assert storage.describe() == 'token (storage_access_token)' and arm.describe() == 'token (access_token)'
    assert set(storage.secrets()) == {'arm', 'storage'}


def test_an_arm_token_alone_is_refused_for_storage_naming_the_option():
    source = _auth.build_auth(_auth.AuthOptions({'access_token': 'arm'}), PUBLIC, scope=_clouds.STORAGE_SCOPE)
    with pytest.raises(_auth.AuthError) as err:
        source.get_token()
    message = str(err.value)
    assert 'access_token is a token for Azure Resource Manager only' in message
    assert 'storage_access_token (option storage_access_token or env AZUREML_STORAGE_ACCESS_TOKEN)' in message


def test_the_storage_token_comes_from_the_environment():
    options = _auth.AuthOptions({}, environ={'AZUREML_STORAGE_ACCESS_TOKEN': 'from-env', 'AZUREML_ACCESS_TOKEN': 'arm'})
    assert _auth.build_auth(options, PUBLIC, scope=_clouds.STORAGE_SCOPE).get_token() == 'from-env'


def test_a_service_principal_asks_for_the_storage_scope_once(monkeypatch):
    scopes = []

    class Credential:
        def __init__(self, *args, **kwargs):
            pass

        def get_token(self, *wanted):
            scopes.append(wanted)
            from collections import namedtuple
            return namedtuple('AccessToken', 'token expires_on')(f'sp-token-{len(scopes)}', 4_000_000_000)

    monkeypatch.setattr(_auth, 'import_identity', lambda reason='': type('Identity', (), {'ClientSecretCredential': Credential}))
    source = _auth.build_auth({'client_id': 'c', 'secret': 's3cr3t', 'tenant': 't'}, PUBLIC, scope=_clouds.STORAGE_SCOPE)
    credential = _storage._Credential(source)
    tokens = [credential.get_token(_clouds.STORAGE_SCOPE) for dummy in range(3)]
    assert scopes == [('https://storage.azure.com/.default',)]
    assert {t.token for t in tokens} == {'sp-token-1'} and tokens[0].expires_on == 4_000_000_000
    assert source.grants == 1


# -- the module's options ------------------------------------------------------------------------------------------

def test_storage_options_are_common_no_log_and_read_the_environment(warnings, monkeypatch):
    spec = _module.common_argument_spec()
    assert spec['storage_access_token']['no_log'] is True and spec['storage_account_key']['no_log'] is True
    monkeypatch.setenv('AZUREML_STORAGE_ACCESS_TOKEN', 'env-storage-token')
    monkeypatch.setenv('AZUREML_STORAGE_BASE_URL', 'https://127.0.0.1:10000')
    module = make(BASE)
    assert module.params['storage_access_token'] == 'env-storage-token'
    assert module.params['storage_base_url'] == 'https://127.0.0.1:10000'


def test_a_bad_storage_base_url_is_named_before_any_request(warnings):
    with responses.RequestsMock():
        with pytest.raises(FailJson) as err:
            make(dict(BASE, storage_base_url='127.0.0.1:10000'))
    assert err.value.result['option'] == 'storage_base_url'


def test_storage_with_auth_source_token_needs_storage_access_token(warnings):
    module = make(dict(BASE, auth_source='token'))
    with responses.RequestsMock():  # refused before any request
        with pytest.raises(FailJson) as err:
            module.run(lambda m: {'storage': m.storage})
    assert 'the calls to https://storage.azure.com/.default need storage_access_token' in err.value.result['msg']


def test_an_account_key_needs_no_token_and_is_redacted(warnings):
    module = make(dict(BASE, auth_source='token', storage_account_key='c2VjcmV0LWFjY291bnQta2V5'))
    assert module.storage.account_key == 'c2VjcmV0LWFjY291bnQta2V5' and module.storage.auth is None
    assert module.redact('key c2VjcmV0LWFjY291bnQta2V5 and static-arm-token') == 'key ******** and ********'


def test_the_storage_account_comes_from_the_workspace_read_once(warnings):
    module = make(dict(BASE, location='westeurope'))
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, 'https://management.azure.com' + WS_ID + '?api-version=2019-11-01',
                 json={'id': WS_ID, 'location': 'westeurope', 'properties': {'storageAccount': STORAGE_ID}})
        assert module.storage_account() == 'stml01'
        assert module.storage_account() == 'stml01'
        assert len(rsps.calls) == 1


def test_a_workspace_without_storage_account_is_a_clear_error(warnings):
    module = make(dict(BASE, location='westeurope'))
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, 'https://management.azure.com' + WS_ID + '?api-version=2019-11-01',
                 json={'id': WS_ID, 'location': 'westeurope', 'properties': {}})
        with pytest.raises(FailJson) as err:
            module.run(lambda m: {'account': m.storage_account()})
    assert 'workspace rg-1/ws-1 names no storage account' in err.value.result['msg']


def test_response_bodies_are_read_in_large_blocks_not_azure_cores_4_kib():
    """azure-core reads a body 4 KiB at a time by default: a loop of Python calls per 4 KiB, 45% of the CPU of a 40 MiB
    download (docs/performance.md). The storage transport reads READ_BLOCK_SIZE at a time."""
    client = _storage.StorageClient(None, PUBLIC, account_key='c2VjcmV0LWFjY291bnQta2V5')
    client.service('stml01')
    assert client._transport.connection_config.data_block_size == _storage.READ_BLOCK_SIZE >= 64 * 1024
    assert _storage.READ_BLOCK_SIZE <= _storage.CHUNK_SIZE  # never more than the memory a download holds
    client.close()
