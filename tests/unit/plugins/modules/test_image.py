import pytest
from purge_helpers import http_mock, install_fake_time, add_delete, add_list, deletes, image, mutating, runner, service

from ansible_collections.gdpr.azureml.plugins.modules import image as image_module


@pytest.fixture
def rsps():
    with http_mock() as mock:
        yield mock


@pytest.fixture
def fake_time(monkeypatch):
    return install_fake_time(monkeypatch)


@pytest.fixture
def run(monkeypatch, fake_time):
    return runner(monkeypatch, image_module.main)


def test_changed_then_not_changed(run, rsps):
    add_list(rsps, 'images', [image('img-1', ['m1'])])
    add_list(rsps, 'services', [])
    add_delete(rsps, 'images', 'img-1')
    assert run({'state': 'absent', 'all': True})['deleted'] == ['img-1']
    rsps.reset()
    add_list(rsps, 'images', [])
    second = run({'state': 'absent', 'all': True})
    assert second['changed'] is False and deletes(rsps) == []


@pytest.mark.parametrize('check', [True, False])
def test_an_image_used_by_a_service_is_refused_naming_it(run, rsps, check):
    add_list(rsps, 'images', [image('img-1', ['m1']), image('img-2')])
    add_list(rsps, 'services', [service('svc-1', 'img-1', ['m1'])])
    result = run({'state': 'absent', 'ids': ['img-1', 'img-2']}, check=check)
    assert result['failed'] and result['holders'] == {'img-1': ['service svc-1']}
    assert 'image img-1 is used by service svc-1' in result['msg']
    assert mutating(rsps) == []


def test_check_mode_predicts_the_real_run(run, rsps):
    add_list(rsps, 'images', [image('img-1')])
    add_list(rsps, 'services', [])
    check = run({'state': 'absent', 'all': True}, check=True)
    assert mutating(rsps) == []
    add_delete(rsps, 'images', 'img-1')
    real = run({'state': 'absent', 'all': True})
    assert (check['changed'], check['deleted']) == (real['changed'], real['deleted']) == (True, ['img-1'])
