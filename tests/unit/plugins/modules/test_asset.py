import pytest
from purge_helpers import http_mock, install_fake_time, add_delete, add_list, deletes, mutating, runner

from ansible_collections.gdpr.azureml.plugins.modules import asset as asset_module


@pytest.fixture
def rsps():
    with http_mock() as mock:
        yield mock


@pytest.fixture
def fake_time(monkeypatch):
    return install_fake_time(monkeypatch)


@pytest.fixture
def run(monkeypatch, fake_time):
    return runner(monkeypatch, asset_module.main)


def asset(i):
    return {'id': i, 'name': f'asset-{i}', 'artifacts': [{'prefix': f'ExperimentRun/{i}/outputs'}]}


def test_changed_then_not_changed(run, rsps):
    add_list(rsps, 'assets', [asset('a1'), asset('a2')])
    add_delete(rsps, 'assets', 'a1')
    add_delete(rsps, 'assets', 'a2')
    first = run({'state': 'absent', 'all': True}, diff=True)
    assert first['changed'] is True and first['deleted'] == ['a1', 'a2']
    assert first['diff'] == {'before': {'assets': ['a1', 'a2']}, 'after': {'assets': []}}
    assert all('/images' not in c.request.url and '/services' not in c.request.url for c in rsps.calls)  # assets are held by nothing

    rsps.reset()
    add_list(rsps, 'assets', [])
    second = run({'state': 'absent', 'all': True}, diff=True)
    assert second['changed'] is False and deletes(rsps) == []
    assert second['diff'] == {'before': {'assets': []}, 'after': {'assets': []}}


def test_same_ids_twice_second_run_not_changed(run, rsps):
    add_list(rsps, 'assets', [asset('a1')])
    add_delete(rsps, 'assets', 'a1', 200)
    assert run({'state': 'absent', 'ids': ['a1']})['changed'] is True
    rsps.reset()
    add_list(rsps, 'assets', [])
    add_delete(rsps, 'assets', 'a1', 204)
    second = run({'state': 'absent', 'ids': ['a1']})
    assert second['changed'] is False and second['results'][0]['status'] == 204


def test_check_mode(run, rsps):
    add_list(rsps, 'assets', [asset('a1')])
    result = run({'state': 'absent', 'ids': ['a1', 'a9']}, check=True)
    assert result['changed'] is True and result['deleted'] == ['a1'] and mutating(rsps) == []


def test_an_error_fails_the_module_with_every_result(run, rsps):
    add_list(rsps, 'assets', [asset('a1'), asset('a2')])
    add_delete(rsps, 'assets', 'a1', 200)
    add_delete(rsps, 'assets', 'a2', 403, json={'code': 'AuthorizationFailed', 'message': 'no right to delete'})
    result = run({'state': 'absent', 'all': True})
    assert result['failed'] and result['changed'] is True and result['deleted'] == ['a1']
    assert [r['outcome'] for r in result['results']] == ['deleted', 'failed']
    assert 'the service said no right to delete (HTTP 403, code AuthorizationFailed, request id rid-a2-403)' in result['msg']
    assert 'secret-token-abc' not in str(result)
