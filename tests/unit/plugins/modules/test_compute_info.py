import json
import os

import export_helpers
from export_helpers import ARM, TOKEN
from unit_helpers import WS_ID

from ansible_collections.gdpr.azureml.plugins.modules import compute_info

# the shared fixtures (canned service, module runner)
run_module = export_helpers.run_module
rsps = export_helpers.rsps
service = export_helpers.service


def compute(name, ctype='AmlCompute'):
    return {'id': f'{WS_ID}/computes/{name}', 'name': name, 'properties': {'computeType': ctype}}


def test_lists_every_page_sorted_by_id(run_module, service):
    service.computes = [compute('zeta'), compute('alpha', 'AKS'), compute('mid'), compute('beta')]
    result = run_module(compute_info, {})
    assert result['changed'] is False and result['count'] == 4
    assert [c['name'] for c in result['computes']] == ['alpha', 'beta', 'mid', 'zeta']
    assert service.paths().count(WS_ID + '/computes') == 2  # page size 2: two pages
    assert all(c.headers['Authorization'] == f'Bearer {TOKEN}' for c in service.calls)
    assert all('api-version=2019-11-01' in c.url for c in service.calls)


def test_gets_one(run_module, service):
    service.computes = [compute('cpu cluster'), compute('other')]
    result = run_module(compute_info, {'name': 'cpu cluster'})
    assert [c['name'] for c in result['computes']] == ['cpu cluster'] and result['count'] == 1
    assert service.calls[0].url.startswith(f'{ARM}{WS_ID}/computes/cpu%20cluster?')


def test_missing_one_is_an_empty_list(run_module, service):
    result = run_module(compute_info, {'name': 'gone'})
    assert result['computes'] == [] and result['count'] == 0 and not result.get('failed')


def test_dest_is_written_0600_and_idempotent(run_module, service, tmp_path):
    service.computes = [compute('b'), compute('a')]
    dest = tmp_path / 'computes.json'
    first = run_module(compute_info, {'dest': str(dest)})
    assert first['changed'] is True and first['count'] == 2 and 'computes' not in first
    assert [c['name'] for c in json.loads(dest.read_text())] == ['a', 'b']
    assert oct(os.stat(dest).st_mode & 0o777) == '0o600'
    second = run_module(compute_info, {'dest': str(dest)})
    assert second['changed'] is False and second['sha256'] == first['sha256']


def test_check_mode_lists_and_writes_nothing(run_module, service, tmp_path):
    service.computes = [compute('a')]
    dest = tmp_path / 'computes.json'
    result = run_module(compute_info, {'dest': str(dest)}, check=True)
    assert result['changed'] is True and result['count'] == 1
    assert not dest.exists()


def test_requires_the_workspace(run_module, service):
    result = run_module(compute_info, {'workspace_name': None})
    assert result['failed'] and 'workspace_name' in result['msg']
    assert service.calls == []


def test_error_names_what_was_being_done(run_module, rsps):
    import responses
    rsps.add(responses.GET, f'{ARM}{WS_ID}/computes?api-version=2019-11-01', status=403, headers={'x-ms-request-id': 'r-9'},
             json={'error': {'code': 'AuthorizationFailed', 'message': 'no access'}})
    result = run_module(compute_info, {})
    assert result['failed'] and result['status'] == 403 and result['request_id'] == 'r-9'
    assert result['msg'].startswith('list the computes of workspace rg-1/ws-1: the service said no access '
                                    '(HTTP 403, code AuthorizationFailed, request id r-9)')
    assert TOKEN not in json.dumps(result)
