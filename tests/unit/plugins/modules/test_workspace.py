import pytest
import responses
from purge_helpers import http_mock, install_fake_time, ARM, API, mutating, read_lines, runner, ws_url
from unit_helpers import SUB, WS_ID

from ansible_collections.gdpr.azureml.plugins.modules import workspace as workspace_module

PURGE = '?api-version=2024-04-01&forceToPurge=true'
STATUS = f'{ARM}/subscriptions/{SUB}/providers/Microsoft.MachineLearningServices/locations/eastus/workspaceOperationsStatus/op-1{API}'
RESULT = f'{ARM}/subscriptions/{SUB}/providers/Microsoft.MachineLearningServices/locations/eastus/workspaceOperationsResults/op-1{API}'
WORKSPACE = {'id': WS_ID, 'name': 'ws-1', 'location': 'eastus', 'properties': {'provisioningState': 'Succeeded'}}
NOT_FOUND = {'error': {'code': 'ResourceNotFound', 'message': 'not found'}}


@pytest.fixture
def rsps():
    with http_mock() as mock:
        yield mock


@pytest.fixture
def fake_time(monkeypatch):
    return install_fake_time(monkeypatch)


@pytest.fixture
def run(monkeypatch, fake_time):
    return runner(monkeypatch, workspace_module.main)


def accepted(rsps, query=API, headers=None):
    rsps.add(responses.DELETE, ws_url(query), status=202,
             headers=headers or {'Azure-AsyncOperation': STATUS, 'Location': RESULT, 'Retry-After': '3', 'x-ms-request-id': 'rid-del'})


def test_delete_waits_for_the_operation_then_confirms_and_second_run_is_not_a_change(run, rsps, fake_time, tmp_path):
    rsps.add(responses.GET, ws_url(), json=WORKSPACE)
    accepted(rsps)
    rsps.add(responses.GET, STATUS, json={'status': 'InProgress'})
    rsps.add(responses.GET, STATUS, json={'status': 'Succeeded'})
    rsps.add(responses.GET, ws_url(), status=404, json=NOT_FOUND)  # the confirming GET
    audit = tmp_path / 'audit.jsonl'
    first = run({'state': 'absent', 'audit_log': str(audit)}, diff=True)
    assert first['changed'] is True and not first.get('failed')
    assert first['workspace'] == WORKSPACE and first['status'] == 202
    assert first['diff'] == {'before': {'id': WS_ID, 'state': 'present'}, 'after': {'id': WS_ID, 'state': 'soft_deleted'}}
    urls = [(c.request.method, c.request.url) for c in rsps.calls]
    assert urls == [('GET', ws_url()), ('DELETE', ws_url()), ('GET', STATUS), ('GET', STATUS), ('GET', ws_url())]
    assert fake_time.sleeps == [3, 3]
    assert any('soft-deleted' in w for w in first['warnings_seen'])
    pending, line = read_lines(audit)
    assert (pending['outcome'], pending['client_request_id']) == ('pending', line['client_request_id'])
    assert (line['kind'], line['id'], line['status'], line['outcome'], line['request_id']) == ('workspace', WS_ID, 202, 'deleted', 'rid-del')

    rsps.reset()
    rsps.add(responses.GET, ws_url(), status=404, json=NOT_FOUND)
    rsps.add(responses.DELETE, ws_url(), status=204)
    second = run({'state': 'absent', 'audit_log': str(audit)})
    assert second['changed'] is False and second['status'] == 204 and second['workspace'] == {}
    assert [x['outcome'] for x in read_lines(audit)] == ['pending', 'deleted', 'pending', 'absent']


def test_location_is_followed_when_there_is_no_async_operation(run, rsps):
    rsps.add(responses.GET, ws_url(), json=WORKSPACE)
    accepted(rsps, headers={'Location': RESULT})
    rsps.add(responses.GET, RESULT, status=202)
    rsps.add(responses.GET, RESULT, status=204)
    rsps.add(responses.GET, ws_url(), status=404, json=NOT_FOUND)
    assert run({'state': 'absent'})['changed'] is True
    assert [c.request.url for c in rsps.calls].count(RESULT) == 2


def test_the_wait_has_a_real_deadline(run, rsps, fake_time):
    rsps.add(responses.GET, ws_url(), json=WORKSPACE)
    accepted(rsps)
    rsps.add(responses.GET, STATUS, json={'status': 'InProgress'}, headers={'Retry-After': '60'})
    result = run({'state': 'absent', 'wait_timeout': 100})
    assert result['failed'] and 'still InProgress after 100 s (wait_timeout)' in result['msg']
    assert sum(fake_time.sleeps) == 100


def test_a_workspace_still_there_after_the_operation_fails(run, rsps):
    rsps.add(responses.GET, ws_url(), json=WORKSPACE)
    accepted(rsps)
    rsps.add(responses.GET, STATUS, json={'status': 'Succeeded'})
    rsps.add(responses.GET, ws_url(), json=WORKSPACE)
    result = run({'state': 'absent'})
    assert result['failed'] and 'still there' in result['msg']


def test_wait_false_returns_once_accepted(run, rsps):
    rsps.add(responses.GET, ws_url(), json=WORKSPACE)
    accepted(rsps)
    result = run({'state': 'absent', 'wait': False})
    assert result['changed'] is True and [c.request.method for c in rsps.calls] == ['GET', 'DELETE']
    assert any('not waited for' in w for w in result['warnings_seen'])


def test_permanently_delete_purges_a_soft_deleted_workspace(run, rsps):
    rsps.add(responses.GET, ws_url(), status=404, json=NOT_FOUND)  # soft-deleted: invisible
    accepted(rsps, PURGE, headers={'Azure-AsyncOperation': STATUS.replace(API, '?api-version=2024-04-01')})
    rsps.add(responses.GET, STATUS.replace(API, '?api-version=2024-04-01'), json={'status': 'Succeeded'})
    rsps.add(responses.GET, ws_url(), status=404, json=NOT_FOUND)
    first = run({'state': 'absent', 'permanently_delete': True}, diff=True)
    assert first['changed'] is True
    assert first['diff'] == {'before': {'id': WS_ID, 'state': 'soft_deleted'}, 'after': {'id': WS_ID, 'state': 'absent'}}
    delete = [c for c in rsps.calls if c.request.method == 'DELETE'][0]
    assert delete.request.url == ws_url(PURGE)

    rsps.reset()
    rsps.add(responses.GET, ws_url(), status=404, json=NOT_FOUND)
    rsps.add(responses.DELETE, ws_url(PURGE), status=204)
    assert run({'state': 'absent', 'permanently_delete': True})['changed'] is False


def test_check_mode_sends_no_delete(run, rsps):
    rsps.add(responses.GET, ws_url(), json=WORKSPACE)
    result = run({'state': 'absent', 'permanently_delete': True}, check=True, diff=True)
    assert result['changed'] is True and mutating(rsps) == []
    assert result['diff']['after'] == {'id': WS_ID, 'state': 'absent'}
    rsps.reset()
    rsps.add(responses.GET, ws_url(), status=404, json=NOT_FOUND)
    gone = run({'state': 'absent', 'permanently_delete': True}, check=True)
    assert gone['changed'] is False and mutating(rsps) == []
    assert any('soft-deleted' in w for w in gone['warnings_seen'])


@pytest.mark.parametrize('args, option', [
    ({'wait_timeout': 0}, 'wait_timeout'),
    ({'wait_timeout': -1, 'wait': False}, 'wait_timeout'),
])
def test_bad_options_fail_before_any_request(run, rsps, args, option):
    result = run(dict({'state': 'absent'}, **args))
    assert result['failed'] and result['option'] == option and option in result['msg']
    assert len(rsps.calls) == 0


def test_state_and_workspace_name_are_required(run, rsps):
    assert 'state' in run({})['msg']
    missing = run({'state': 'absent', 'workspace_name': None})
    assert missing['failed'] and 'workspace_name' in missing['msg']
    assert len(rsps.calls) == 0


def test_a_refused_delete_fails_with_the_request_id(run, rsps):
    rsps.add(responses.GET, ws_url(), json=WORKSPACE)
    rsps.add(responses.DELETE, ws_url(), status=409, headers={'x-ms-request-id': 'rid-409'},
             json={'error': {'code': 'Conflict', 'message': 'a lock prevents the delete'}})
    result = run({'state': 'absent'})
    assert result['failed']
    assert result['msg'] == ('delete workspace rg-1/ws-1: the service said a lock prevents the delete '
                             '(HTTP 409, code Conflict, request id rid-409)')
    assert result['changed'] is False
