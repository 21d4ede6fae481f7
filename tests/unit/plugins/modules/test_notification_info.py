import json

import export_helpers
from export_helpers import HIST
from unit_helpers import WS_ID

from ansible_collections.gdpr.azureml.plugins.modules import notification_info

# the shared fixtures (canned service, module runner)
run_module = export_helpers.run_module
rsps = export_helpers.rsps
service = export_helpers.service

TASKS = '/notification/v1.0' + WS_ID + '/tasks'


def task(n):
    return {'id': f't-{n}', 'name': f'Notify {n}', 'recipients': [{'emailAddress': f'user{n}@example.org'}]}


def test_lists_every_page_sorted_by_id(run_module, service):
    service.tasks = [task(n) for n in (3, 1, 2)]
    result = run_module(notification_info, {})
    assert [t['id'] for t in result['tasks']] == ['t-1', 't-2', 't-3'] and result['count'] == 3
    assert service.paths() == [TASKS, TASKS]
    assert service.calls[0].url.startswith(HIST)


def test_gets_one_and_missing_one(run_module, service):
    service.tasks = [task(1), task(2)]
    assert run_module(notification_info, {'task_id': 't-2'})['tasks'] == [task(2)]
    assert service.paths()[-1] == TASKS + '/t-2'  # the documented URL's missing "/" fixed
    missing = run_module(notification_info, {'task_id': 't-9'})
    assert missing['tasks'] == [] and missing['count'] == 0 and not missing.get('failed')


def test_dest_and_check_mode(run_module, service, tmp_path):
    service.tasks = [task(1)]
    dest = tmp_path / 'tasks.json'
    assert run_module(notification_info, {'dest': str(dest)}, check=True)['changed'] and not dest.exists()
    assert run_module(notification_info, {'dest': str(dest)})['changed'] is True
    assert json.loads(dest.read_text())[0]['id'] == 't-1'
    assert run_module(notification_info, {'dest': str(dest)})['changed'] is False
