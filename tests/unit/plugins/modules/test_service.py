import pytest
import responses
from purge_helpers import http_mock, install_fake_time, MMS, add_delete, add_list, deletes, mms, mutating, read_lines, runner, service
from unit_helpers import WS_ID

from ansible_collections.gdpr.azureml.plugins.modules import service as service_module

OPERATION = f'{MMS}/api{WS_ID}/operations/op-1'


@pytest.fixture
def rsps():
    with http_mock() as mock:
        yield mock


@pytest.fixture
def fake_time(monkeypatch):
    return install_fake_time(monkeypatch)


@pytest.fixture
def run(monkeypatch, fake_time):
    return runner(monkeypatch, service_module.main)


def test_changed_then_not_changed(run, rsps):
    add_list(rsps, 'services', [service('svc-1')])
    add_delete(rsps, 'services', 'svc-1', 200)
    assert run({'state': 'absent', 'all': True})['changed'] is True
    rsps.reset()
    add_list(rsps, 'services', [])
    second = run({'state': 'absent', 'all': True})
    assert second['changed'] is False and deletes(rsps) == []


def test_an_accepted_delete_is_waited_for(run, rsps, fake_time, tmp_path):
    add_list(rsps, 'services', [service('svc-aks', compute='AKS')])
    add_delete(rsps, 'services', 'svc-aks', 202, headers={'Operation-Location': OPERATION, 'Retry-After': '2',
                                                          'x-ms-request-id': 'rid-202'})
    rsps.add(responses.GET, OPERATION, json={'id': 'op-1', 'operationType': 'Delete', 'state': 'Running'})
    rsps.add(responses.GET, OPERATION, json={'id': 'op-1', 'operationType': 'Delete', 'state': 'Succeeded'})
    audit = tmp_path / 'audit.jsonl'
    result = run({'state': 'absent', 'ids': ['svc-aks'], 'audit_log': str(audit)})
    assert result['changed'] is True and not result.get('failed')
    cid = result['results'][0]['client_request_id']
    assert result['results'] == [{'id': 'svc-aks', 'status': 202, 'request_id': 'rid-202', 'outcome': 'deleted', 'client_request_id': cid}]
    polls = [c for c in rsps.calls if c.request.url == OPERATION]
    assert len(polls) == 2
    assert fake_time.sleeps == [2, 2]  # the Retry-After of the 202 sets the pace when polls carry none
    pending, settled = read_lines(audit)  # the settling line once the operation succeeded
    assert (pending['outcome'], pending['client_request_id']) == ('pending', cid)
    assert (settled['outcome'], settled['status'], settled['client_request_id']) == ('deleted', 202, cid)


def test_the_wait_has_a_deadline(run, rsps, fake_time):
    add_list(rsps, 'services', [service('svc-aks', compute='AKS')])
    add_delete(rsps, 'services', 'svc-aks', 202, headers={'Operation-Location': OPERATION, 'Retry-After': '10'})
    rsps.add(responses.GET, OPERATION, json={'state': 'Running'})  # forever
    result = run({'state': 'absent', 'all': True, 'wait_timeout': 25})
    assert result['failed']
    entry = result['results'][0]
    assert entry['outcome'] == 'failed' and entry['status'] == 202
    assert 'still Running after 25 s (wait_timeout)' in entry['error'] and 'wait_timeout' in result['msg']
    assert sum(fake_time.sleeps) == 25  # never past the deadline


def test_a_failed_operation_is_a_failed_delete(run, rsps):
    add_list(rsps, 'services', [service('svc-aks', compute='AKS')])
    add_delete(rsps, 'services', 'svc-aks', 202, headers={'Operation-Location': OPERATION})
    rsps.add(responses.GET, OPERATION, json={'state': 'Failed', 'error': {'code': 'Conflict', 'message': 'cluster unreachable'}})
    result = run({'state': 'absent', 'all': True})
    assert result['failed'] and result['results'][0]['outcome'] == 'failed'
    assert 'cluster unreachable' in result['results'][0]['error']


def test_check_mode_sends_no_delete(run, rsps):
    add_list(rsps, 'services', [service('svc-1'), service('svc-2', compute='AKS')])
    result = run({'state': 'absent', 'all': True}, check=True)
    assert result['changed'] is True and result['deleted'] == ['svc-1', 'svc-2']
    assert mutating(rsps) == []


@pytest.mark.parametrize('timeout', [0, -5])
def test_wait_timeout_must_be_positive_before_any_request(run, rsps, timeout):
    result = run({'state': 'absent', 'all': True, 'wait_timeout': timeout})
    assert result['failed'] and result['option'] == 'wait_timeout' and 'wait_timeout must be more than 0' in result['msg']
    assert len(rsps.calls) == 0


def test_services_hold_nothing_so_no_holder_lookup(run, rsps):
    add_list(rsps, 'services', [service('svc-1', 'img-1', ['m1'])])
    add_delete(rsps, 'services', 'svc-1', 200)
    run({'state': 'absent', 'all': True})
    assert all('/images' not in c.request.url and '/models' not in c.request.url for c in rsps.calls)
    assert mms('services', 'svc-1') in [c.request.url for c in deletes(rsps)]


def test_accepted_deletes_are_waited_for_together_under_one_deadline(run, rsps, fake_time):
    op2 = OPERATION.replace('op-1', 'op-2')
    add_list(rsps, 'services', [service('aks-1', compute='AKS'), service('aks-2', compute='AKS'), service('aci-1')])
    add_delete(rsps, 'services', 'aks-1', 202, headers={'Operation-Location': OPERATION, 'Retry-After': '5'})
    add_delete(rsps, 'services', 'aks-2', 202, headers={'Operation-Location': op2, 'Retry-After': '5'})
    add_delete(rsps, 'services', 'aci-1', 200)
    rsps.add(responses.GET, OPERATION, json={'state': 'Succeeded'})
    rsps.add(responses.GET, op2, json={'state': 'Running'})  # forever
    result = run({'state': 'absent', 'all': True, 'wait_timeout': 20})
    assert result['failed']
    assert {r['id']: r['outcome'] for r in result['results']} == {'aks-1': 'deleted', 'aks-2': 'failed', 'aci-1': 'deleted'}
    assert result['deleted'] == ['aci-1', 'aks-1'] and result['changed'] is True
    assert sum(fake_time.sleeps) == 20  # one deadline for both, not one each
    assert [c.request.url for c in rsps.calls].count(OPERATION) == 1  # polled until it ended, then no more
    assert [c.request.url for c in rsps.calls].count(op2) == 4  # at 5, 10, 15 and 20 s
