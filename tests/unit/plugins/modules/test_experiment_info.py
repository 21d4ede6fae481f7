import json
import os

import export_helpers
from export_helpers import HIST
from unit_helpers import WS_ID

from ansible_collections.gdpr.azureml.plugins.modules import experiment_info

# the shared fixtures (canned service, module runner)
run_module = export_helpers.run_module
rsps = export_helpers.rsps
service = export_helpers.service

LIST = '/history/v1.0' + WS_ID + '/experiments'


def test_lists_every_page_sorted_by_experiment_id(run_module, service):
    for name in ('c', 'a', 'b', 'd', 'e'):
        service.add_experiment(name, runs=2)
    result = run_module(experiment_info, {})
    assert result['count'] == 5 and result['changed'] is False
    ids = [e['experimentId'] for e in result['experiments']]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert service.paths() == [LIST] * 3  # 3 pages of 2; no run is listed
    assert all(c.url.startswith(HIST) and 'api-version' not in c.url for c in service.calls)


def test_empty_workspace(run_module, service):
    result = run_module(experiment_info, {})
    assert result['experiments'] == [] and result['count'] == 0


def test_dest_and_check_mode(run_module, service, tmp_path):
    service.add_experiment('Försäljning 2020')
    dest = tmp_path / 'experiments.json'
    checked = run_module(experiment_info, {'dest': str(dest)}, check=True)
    assert checked['changed'] is True and checked['count'] == 1 and not dest.exists()
    first = run_module(experiment_info, {'dest': str(dest)})
    assert first['changed'] is True and first['sha256'] == checked['sha256']
    assert json.loads(dest.read_text(encoding='utf-8'))[0]['name'] == 'Försäljning 2020'
    assert oct(os.stat(dest).st_mode & 0o777) == '0o600'
    assert run_module(experiment_info, {'dest': str(dest)})['changed'] is False
    assert run_module(experiment_info, {'dest': str(dest)}, check=True)['changed'] is False


def test_a_failing_page_fails_the_module(run_module, service):
    for name in 'abc':
        service.add_experiment(name)
    service.page_size = 1
    original = service._route

    def fail_second_page(request, path, query):
        if query.get('continuationToken') == ['1']:
            return service._json({'error': {'code': 'ServiceError', 'message': 'boom'}}, 500)
        return original(request, path, query)

    service._route = fail_second_page
    result = run_module(experiment_info, {'retries': 0})
    assert result['failed']
    assert result['msg'] == 'list the experiments of workspace rg-1/ws-1: the service said boom (HTTP 500, code ServiceError, request id req-1)'
