import json
import os

import pytest
import responses
from compat import patch_module_args
from unit_helpers import SUB, ExitJson, FailJson, patch_exits

from ansible_collections.gdpr.azureml.plugins.modules import workspace_info

ARM = 'https://management.azure.com'
API = '?api-version=2019-11-01'
PROVIDER = '/providers/Microsoft.MachineLearningServices/workspaces'
RG_LIST = f'{ARM}/subscriptions/{SUB}/resourceGroups/rg-1{PROVIDER}{API}'
SUB_LIST = f'{ARM}/subscriptions/{SUB}{PROVIDER}{API}'


def ws(rg, name):
    return {'id': f'/subscriptions/{SUB}/resourceGroups/{rg}{PROVIDER}/{name}', 'name': name, 'location': 'eastus',
            'properties': {'discoveryUrl': 'https://eastus.experiments.azureml.net/discovery'}}


@pytest.fixture
def run(monkeypatch):
    patch_exits(monkeypatch)

    def run_module(args):
        args = dict({'subscription_id': SUB, 'access_token': 'secret-token-abc'}, **args)
        with patch_module_args(args):
            try:
                workspace_info.main()
            except ExitJson as done:
                return done.result
            except FailJson as failed:
                return failed.result
        raise AssertionError('the module did not exit')

    return run_module


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


def test_lists_a_resource_group_across_pages_sorted_by_id(run, rsps):
    rsps.add(responses.GET, RG_LIST, json={'value': [ws('rg-1', 'zeta')], 'nextLink': RG_LIST + '&$skiptoken=2'})
    rsps.add(responses.GET, RG_LIST + '&$skiptoken=2', json={'value': [ws('rg-1', 'alpha'), ws('rg-1', 'mid')]})
    result = run({'resource_group': 'rg-1'})
    assert result['changed'] is False
    assert [w['name'] for w in result['workspaces']] == ['alpha', 'mid', 'zeta']
    assert result['count'] == 3
    assert rsps.calls[0].request.headers['Authorization'] == 'Bearer secret-token-abc'


def test_lists_the_subscription_without_resource_group(run, rsps):
    rsps.add(responses.GET, SUB_LIST, json={'value': [ws('rg-2', 'b'), ws('rg-1', 'a')]})
    result = run({})
    assert [w['name'] for w in result['workspaces']] == ['a', 'b']


def test_gets_one_workspace(run, rsps):
    rsps.add(responses.GET, f'{ARM}/subscriptions/{SUB}/resourceGroups/rg-1{PROVIDER}/one{API}', json=ws('rg-1', 'one'))
    result = run({'resource_group': 'rg-1', 'workspace_name': 'one'})
    assert result['workspaces'] == [ws('rg-1', 'one')] and result['count'] == 1


def test_missing_workspace_gives_an_empty_list(run, rsps):
    rsps.add(responses.GET, f'{ARM}/subscriptions/{SUB}/resourceGroups/rg-1{PROVIDER}/gone{API}', status=404,
             json={'error': {'code': 'ResourceNotFound', 'message': 'not found'}})
    result = run({'resource_group': 'rg-1', 'workspace_name': 'gone'})
    assert result['workspaces'] == [] and result['count'] == 0 and not result.get('failed')


def test_workspace_name_requires_resource_group(run):
    result = run({'workspace_name': 'one'})
    assert result['failed'] and 'resource_group' in result['msg'] and 'workspace_name' in result['msg']


def test_error_names_what_was_being_done(run, rsps):
    rsps.add(responses.GET, RG_LIST, status=404, headers={'x-ms-request-id': 'r-42'},
             json={'error': {'code': 'ResourceGroupNotFound', 'message': "Resource group 'rg-1' could not be found."}})
    result = run({'resource_group': 'rg-1'})
    assert result['failed']
    assert result['msg'] == ("list the workspaces of resource group rg-1: the service said Resource group 'rg-1' could not be found. "
                             "(HTTP 404, code ResourceGroupNotFound, request id r-42)")
    assert result['request_id'] == 'r-42' and result['status'] == 404
    assert 'secret-token-abc' not in json.dumps(result)


def test_base_url_sends_everything_to_the_emulator(run, rsps):
    url = f'http://127.0.0.1:8765/subscriptions/{SUB}/resourceGroups/rg-1{PROVIDER}{API}'
    rsps.add(responses.GET, url, json={'value': [ws('rg-1', 'a')]})
    assert run({'resource_group': 'rg-1', 'base_url': 'http://127.0.0.1:8765'})['count'] == 1


def test_dest_writes_the_file_and_reports_honestly(run, rsps, tmp_path):
    rsps.add(responses.GET, RG_LIST, json={'value': [ws('rg-1', 'b'), ws('rg-1', 'a')]})
    dest = tmp_path / 'workspaces.json'
    first = run({'resource_group': 'rg-1', 'dest': str(dest)})
    assert first['changed'] is True and first['count'] == 2 and first['dest'] == str(dest)
    assert 'workspaces' not in first
    assert [w['name'] for w in json.loads(dest.read_text())] == ['a', 'b']
    assert oct(os.stat(dest).st_mode & 0o777) == '0o600'
    second = run({'resource_group': 'rg-1', 'dest': str(dest)})
    assert second['changed'] is False and second['sha256'] == first['sha256']


def test_check_mode_lists_but_writes_nothing(run, rsps, tmp_path):
    rsps.add(responses.GET, RG_LIST, json={'value': [ws('rg-1', 'a')]})
    dest = tmp_path / 'workspaces.json'
    result = run({'resource_group': 'rg-1', 'dest': str(dest), '_ansible_check_mode': True})
    assert result['changed'] is True and result['count'] == 1 and 'sha256' in result
    assert not dest.exists()
    plain = run({'resource_group': 'rg-1', '_ansible_check_mode': True})
    assert plain['count'] == 1 and plain['changed'] is False


def test_token_source_401_says_the_token_is_expired(run, rsps):
    rsps.add(responses.GET, SUB_LIST, status=401, json={'error': {'code': 'ExpiredAuthenticationToken', 'message': 'The token expired.'}})
    result = run({'auth_source': 'token'})
    assert result['failed'] and 'the access_token is expired or invalid' in result['msg']
    assert len(rsps.calls) == 1
