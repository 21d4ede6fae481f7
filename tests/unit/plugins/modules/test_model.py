import json
import os

import pytest
import responses
from purge_helpers import (
    http_mock, install_fake_time,
    add_delete, add_list, deletes, image, mms, model, mutating, read_lines, runner, service,
)
from unit_helpers import WS_ID

from ansible_collections.gdpr.azureml.plugins.modules import model as model_module


@pytest.fixture
def rsps():
    with http_mock() as mock:
        yield mock


@pytest.fixture
def fake_time(monkeypatch):
    return install_fake_time(monkeypatch)


@pytest.fixture
def run(monkeypatch, fake_time):
    return runner(monkeypatch, model_module.main)


def no_holders(rsps):
    add_list(rsps, 'images', [])
    add_list(rsps, 'services', [])


# -- changed / not changed pairs -------------------------------------------------------------------------------------------

def test_all_deletes_every_model_then_a_second_run_changes_nothing(run, rsps):
    add_list(rsps, 'models', [model('m1'), model('m2')])
    no_holders(rsps)
    add_delete(rsps, 'models', 'm1')
    add_delete(rsps, 'models', 'm2')
    first = run({'state': 'absent', 'all': True})
    assert first['changed'] is True and not first.get('failed')
    assert first['deleted'] == ['m1', 'm2']
    sent = {c.request.url.rsplit('/', 1)[1].split('?')[0]: c.request.headers['x-ms-client-request-id'] for c in deletes(rsps)}
    assert first['results'] == [
        {'id': 'm1', 'status': 200, 'request_id': 'rid-m1-200', 'outcome': 'deleted', 'client_request_id': sent['m1']},
        {'id': 'm2', 'status': 200, 'request_id': 'rid-m2-200', 'outcome': 'deleted', 'client_request_id': sent['m2']}]
    assert len(deletes(rsps)) == 2

    rsps.reset()
    add_list(rsps, 'models', [])
    second = run({'state': 'absent', 'all': True})
    assert second['changed'] is False and second['deleted'] == [] and second['results'] == []
    assert deletes(rsps) == []


def test_ids_absent_objects_are_not_a_change(run, rsps):
    add_list(rsps, 'models', [model('m1')])
    no_holders(rsps)
    add_delete(rsps, 'models', 'm1', 200)
    add_delete(rsps, 'models', 'gone', 204)
    first = run({'state': 'absent', 'ids': ['m1', 'gone', 'm1']})
    assert first['changed'] is True and first['deleted'] == ['m1']
    assert [(r['id'], r['status'], r['outcome']) for r in first['results']] == [('m1', 200, 'deleted'), ('gone', 204, 'absent')]

    rsps.reset()
    add_list(rsps, 'models', [])
    add_delete(rsps, 'models', 'm1', 204)
    add_delete(rsps, 'models', 'gone', 404, json={'code': 'NotFound', 'message': 'no such model'})
    second = run({'state': 'absent', 'ids': ['m1', 'gone']})
    assert second['changed'] is False and second['deleted'] == [] and not second.get('failed')
    assert [r['outcome'] for r in second['results']] == ['absent', 'absent']


def test_single_id_uses_a_get_and_is_idempotent(run, rsps):
    rsps.add(responses.GET, mms('models', 'churn:3'), json=model('churn:3'))
    no_holders(rsps)
    add_delete(rsps, 'models', 'churn:3', 200)
    first = run({'state': 'absent', 'id': 'churn:3'})
    assert first['changed'] is True and first['deleted'] == ['churn:3']
    assert deletes(rsps)[0].request.url == mms('models', 'churn:3')  # the id is one encoded path segment

    rsps.reset()
    rsps.add(responses.GET, mms('models', 'churn:3'), status=404, json={'code': 'NotFound', 'message': 'not found'})
    add_delete(rsps, 'models', 'churn:3', 204)
    second = run({'state': 'absent', 'id': 'churn:3'})
    assert second['changed'] is False and second['results'][0]['outcome'] == 'absent'


def test_a_retried_delete_of_a_listed_model_counts_as_deleted(run, rsps):
    add_list(rsps, 'models', [model('m1')])
    no_holders(rsps)
    add_delete(rsps, 'models', 'm1', 503, json={'code': 'ServiceUnavailable', 'message': 'busy'})
    add_delete(rsps, 'models', 'm1', 204)  # the first attempt went through after all
    result = run({'state': 'absent', 'all': True})
    assert result['changed'] is True and result['deleted'] == ['m1']
    assert result['results'][0]['outcome'] == 'deleted' and result['results'][0]['status'] == 204


# -- check mode and diff ---------------------------------------------------------------------------------------------------

def test_check_mode_plans_and_sends_no_delete(run, rsps):
    add_list(rsps, 'models', [model('m2'), model('m1')])
    no_holders(rsps)
    result = run({'state': 'absent', 'all': True}, check=True, diff=True)
    assert result['changed'] is True and result['deleted'] == ['m1', 'm2'] and result['results'] == []
    assert result['diff'] == {'before': {'models': ['m1', 'm2']}, 'after': {'models': []}}
    assert mutating(rsps) == []


def test_check_mode_with_nothing_to_delete_is_not_a_change(run, rsps):
    add_list(rsps, 'models', [model('m1')])
    result = run({'state': 'absent', 'ids': ['other']}, check=True)
    assert result['changed'] is False and result['deleted'] == []
    assert mutating(rsps) == []


def test_real_run_diff_shows_before_and_after(run, rsps):
    add_list(rsps, 'models', [model('m1'), model('m2')])
    no_holders(rsps)
    add_delete(rsps, 'models', 'm1')
    result = run({'state': 'absent', 'ids': ['m1']}, diff=True)
    assert result['diff'] == {'before': {'models': ['m1']}, 'after': {'models': []}}


# -- 412: what holds the models --------------------------------------------------------------------------------------------

@pytest.mark.parametrize('check', [True, False])
def test_models_held_by_images_and_services_fail_before_any_delete_naming_the_holders(run, rsps, check):
    add_list(rsps, 'models', [model('m1'), model('m2'), model('free')])
    add_list(rsps, 'images', [image('img-1', ['m1']), image('img-2', ['m2'])])
    add_list(rsps, 'services', [service('svc-1', 'img-1', ['m1'])])
    result = run({'state': 'absent', 'all': True}, check=check)
    assert result['failed'] and result['changed'] is False
    assert result['holders'] == {'m1': ['image img-1', 'service svc-1'], 'm2': ['image img-2']}
    assert 'model m1 is used by image img-1 and service svc-1' in result['msg']
    assert 'model m2 is used by image img-2' in result['msg'] and '412' in result['msg']
    assert mutating(rsps) == []  # nothing deleted, not even the free model


def test_a_412_met_at_run_time_names_the_holders(run, rsps):
    add_list(rsps, 'models', [model('m1'), model('m2')])
    no_holders(rsps)  # nothing held them when the run started
    add_delete(rsps, 'models', 'm1', 200)
    refusal = {'code': 'DeletionRequired', 'statusCode': 412, 'message': 'Model m2 cannot be deleted: it is used by image img-9.'}
    add_delete(rsps, 'models', 'm2', 412, json=refusal)
    add_list(rsps, 'images', [image('img-9', ['m2'])])  # ... but an image appeared meanwhile
    add_list(rsps, 'services', [])
    result = run({'state': 'absent', 'all': True})
    assert result['failed'] and result['changed'] is True and result['deleted'] == ['m1']
    failed = [r for r in result['results'] if r['outcome'] == 'failed']
    assert failed == [dict(failed[0], id='m2', status=412, outcome='failed', holders=['image img-9'])]
    assert result['holders'] == {'m2': ['image img-9']}
    assert '1 of 2 models could not be deleted' in result['msg'] and 'image img-9' in result['msg']


# -- option checks, before any request ------------------------------------------------------------------------------------

@pytest.mark.parametrize('args, words', [
    ({'ids': ['a'], 'all': True}, ['mutually exclusive', 'ids', 'all']),
    ({'id': 'a', 'ids': ['b']}, ['mutually exclusive', 'id', 'ids']),
    ({}, ['one of the following is required', 'id', 'ids', 'all']),
    ({'all': False}, ['all must be true']),
    ({'ids': ['a', ' ']}, ['ids must not hold empty strings']),
    ({'id': 'a', 'state': 'present'}, ['state', 'absent']),
])
def test_bad_selections_are_rejected_before_any_request(run, rsps, args, words):
    result = run(dict({'state': 'absent'}, **args))
    assert result['failed']
    for word in words:
        assert word in result['msg']
    assert len(rsps.calls) == 0


def test_workspace_coordinates_are_required(run, rsps):
    result = run({'state': 'absent', 'all': True, 'workspace_name': None})
    assert result['failed'] and 'workspace_name' in result['msg'] and len(rsps.calls) == 0


# -- audit log -----------------------------------------------------------------------------------------------------------------

def test_audit_log_one_line_per_object_0600_appended(run, rsps, tmp_path):
    audit = tmp_path / 'audit' / 'nested' / 'ws.jsonl'
    add_list(rsps, 'models', [model('m1')])
    no_holders(rsps)
    add_delete(rsps, 'models', 'm1', 200)
    add_delete(rsps, 'models', 'm9', 204)
    run({'state': 'absent', 'ids': ['m1', 'm9'], 'audit_log': str(audit)})
    lines = read_lines(audit)
    # a pending line before each DELETE (the client request id it carries), the settling line after, with the same id
    sent = {c.request.url.rsplit('/', 1)[1].split('?')[0]: c.request.headers['x-ms-client-request-id'] for c in deletes(rsps)}
    assert [(x['id'], x['status'], x['outcome'], x['kind'], x['client_request_id']) for x in lines if x['id'] == 'm1'] == [
        ('m1', None, 'pending', 'models', sent['m1']), ('m1', 200, 'deleted', 'models', sent['m1'])]
    assert [(x['id'], x['status'], x['outcome']) for x in lines if x['id'] == 'm9'] == [('m9', None, 'pending'), ('m9', 204, 'absent')]
    for line in lines:
        assert set(line) == {'time', 'workspace_id', 'kind', 'id', 'status', 'request_id', 'outcome', 'client_request_id'}
        assert line['workspace_id'] == WS_ID and line['time'].endswith('Z')
        assert line['request_id'].startswith('rid-') if line['outcome'] != 'pending' else line['request_id'] is None
    assert oct(os.stat(audit).st_mode & 0o777) == '0o600'
    assert oct(os.stat(audit.parent).st_mode & 0o777) == '0o700'
    assert oct(os.stat(audit.parent.parent).st_mode & 0o777) == '0o700'

    rsps.reset()
    add_list(rsps, 'models', [])
    add_delete(rsps, 'models', 'm1', 204)
    add_delete(rsps, 'models', 'm9', 204)
    run({'state': 'absent', 'ids': ['m1', 'm9'], 'audit_log': str(audit)})
    assert len(read_lines(audit)) == 8  # appended, never truncated


def test_check_mode_writes_no_audit_log(run, rsps, tmp_path):
    add_list(rsps, 'models', [model('m1')])
    no_holders(rsps)
    run({'state': 'absent', 'all': True, 'audit_log': str(tmp_path / 'a' / 'log.jsonl')}, check=True)
    assert not (tmp_path / 'a').exists()


# -- the audit log never misses a DELETE (issue 15) -----------------------------------------------------------------------

@pytest.mark.skipif(not os.path.exists('/dev/full'), reason='no /dev/full')
def test_an_audit_log_that_cannot_be_written_stops_before_any_delete(run, rsps):
    add_list(rsps, 'models', [model('m1'), model('m2')])
    no_holders(rsps)
    add_delete(rsps, 'models', 'm1')
    add_delete(rsps, 'models', 'm2')
    result = run({'state': 'absent', 'all': True, 'audit_log': '/dev/full'})
    assert result['failed'] and 'No space left on device' in result['msg'] and 'stopped before its next DELETE' in result['msg']
    assert deletes(rsps) == []


def test_a_pending_line_left_by_an_interrupted_run_is_settled_by_listing_again(run, rsps, tmp_path):
    audit = tmp_path / 'audit.jsonl'
    pending = [{'time': 't', 'workspace_id': WS_ID, 'kind': 'models', 'id': obj_id, 'status': None, 'request_id': None,
                'outcome': 'pending', 'client_request_id': cid} for obj_id, cid in (('m-gone', 'cid-1'), ('m-there', 'cid-2'))]
    audit.write_text(''.join(json.dumps(x) + '\n' for x in pending), encoding='utf-8')
    add_list(rsps, 'models', [model('m-there')])
    no_holders(rsps)
    add_delete(rsps, 'models', 'm-there')
    result = run({'state': 'absent', 'all': True, 'audit_log': str(audit)})
    assert result['changed'] is True and result['deleted'] == ['m-there']
    lines = read_lines(audit)
    settled = [(x['id'], x['outcome'], x.get('settled_by'), x['client_request_id']) for x in lines[2:4]]
    assert settled == [('m-gone', 'deleted', 'relist', 'cid-1'), ('m-there', 'failed', 'relist', 'cid-2')]
    assert [x['outcome'] for x in lines[4:]] == ['pending', 'deleted'] and lines[4]['client_request_id'] not in ('cid-1', 'cid-2')
