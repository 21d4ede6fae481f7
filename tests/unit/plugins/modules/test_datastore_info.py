import json

import export_helpers
from export_helpers import datastore
from unit_helpers import WS_ID

from ansible_collections.gdpr.azureml.plugins.modules import datastore_info

# the shared fixtures (canned service, module runner)
run_module = export_helpers.run_module
rsps = export_helpers.rsps
service = export_helpers.service

STORES = '/datastore/v1.0' + WS_ID + '/datastores'
SECRETS = ('ACCOUNT-KEY-SECRET-1', 'ACCOUNT-KEY-SECRET-2', 'ACCOUNT-KEY-SECRET-3')


def build(service):
    service.datastores = [datastore(f'store{n}', secret) for n, secret in enumerate(SECRETS)]


def assert_no_secret(result, service):
    blob = json.dumps(result)
    assert not any(secret in blob for secret in SECRETS)
    for call in service.calls:
        assert 'includeSecret=false' in call.url


def test_lists_every_page_without_credentials(run_module, service):
    build(service)
    result = run_module(datastore_info, {})
    assert [d['name'] for d in result['datastores']] == ['store0', 'store1', 'store2']
    assert service.paths() == [STORES, STORES]
    assert_no_secret(result, service)
    section = result['datastores'][0]['azureStorageSection']
    assert section['credentialType'] == 'AccountKey' and section['accountName'] == 'st1'
    assert section['clientCredentials'] == {'clientId': 'cid'}


def test_credentials_are_removed_even_when_the_service_returns_them(run_module, service):
    build(service)
    service.leak_secrets = True
    result = run_module(datastore_info, {})
    assert result['count'] == 3
    assert_no_secret(result, service)
    one = run_module(datastore_info, {'name': 'store1'})
    assert one['count'] == 1 and one['datastores'][0]['name'] == 'store1'
    assert_no_secret(one, service)


def test_dest_file_holds_no_credential(run_module, service, tmp_path):
    build(service)
    service.leak_secrets = True
    dest = tmp_path / 'datastores.json'
    assert run_module(datastore_info, {'dest': str(dest)})['changed'] is True
    data = dest.read_bytes()
    assert not any(secret.encode() in data for secret in SECRETS)
    assert b'"credentialType":"AccountKey"' in data


def test_gets_one_and_missing_one(run_module, service):
    build(service)
    result = run_module(datastore_info, {'name': 'store2'})
    assert [d['name'] for d in result['datastores']] == ['store2']
    assert service.paths()[-1] == STORES + '/store2'
    assert run_module(datastore_info, {'name': 'nope'})['datastores'] == []
    assert_no_secret(result, service)


def test_check_mode_writes_nothing(run_module, service, tmp_path):
    build(service)
    dest = tmp_path / 'datastores.json'
    result = run_module(datastore_info, {'dest': str(dest)}, check=True)
    assert result['count'] == 3 and not dest.exists()
