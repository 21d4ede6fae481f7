"""The module subject_info: options, results, dest, check mode, refusals. It makes no request at all."""
import json
import os
import stat

import pytest
from compat import patch_module_args
from unit_helpers import ExitJson, FailJson, patch_exits

from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import sha256_file, write_json_array
from ansible_collections.gdpr.azureml.plugins.modules import subject_info

ANNA = 'f74592bd-cec8-4762-af28-9157799b9787'
BJORN = 'd8fffd51-4981-4ae8-b43d-de7f71b1b2d8'
TENANT = '00000000-0000-4000-8000-0000000000aa'
WS_ID = '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws'
OBJECTS = {
    'runs': ('runId', [
        {'runId': 'r1', 'name': 'exp #1', 'userId': ANNA, 'tags': {'owner': 'anna@contoso.example'},
         'createdBy': {'userObjectId': ANNA, 'userTenantId': TENANT, 'userName': 'Anna Svensson'}},
        {'runId': 'r2', 'name': 'exp #2', 'userId': BJORN, 'createdBy': {'userObjectId': BJORN, 'userTenantId': TENANT, 'userName': 'Björn'}},
    ]),
    'metrics': ('metricId', [{'metricId': 'm1', 'runId': 'r1', 'name': 'loss'}]),
    'models': ('id', [{'id': 'model:1', 'name': 'model', 'createdBy': {'userObjectId': BJORN, 'userTenantId': TENANT, 'userName': 'Björn'}}]),
}


def make_bundle(folder, manifest=True):
    os.makedirs(folder, exist_ok=True)
    kinds = {}
    for name, (key, items) in OBJECTS.items():
        path = os.path.join(folder, f'{name}.json')
        write_json_array(path, items, key)
        kinds[name] = {'file': f'{name}.json', 'count': len(items), 'sha256': sha256_file(path), 'scope': 'all'}
    if manifest:
        with open(os.path.join(folder, 'manifest.json'), 'w', encoding='utf-8') as f:
            json.dump({'format_version': 1, 'workspace': {'id': WS_ID, 'name': 'ws'}, 'kinds': kinds}, f)
    return str(folder)


@pytest.fixture
def run(monkeypatch):
    warnings = patch_exits(monkeypatch)

    def run_module(args, check=False):
        args = dict(args)
        if check:
            args['_ansible_check_mode'] = True
        with patch_module_args(args):
            try:
                subject_info.main()
            except ExitJson as done:
                return dict(done.result, warnings=list(warnings))
            except FailJson as failed:
                return failed.result
        raise AssertionError('the module did not exit')

    return run_module


@pytest.fixture
def bundle(tmp_path):
    return make_bundle(tmp_path / 'rg_ws')


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """subject_info makes no service call: any socket use fails the test."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError('subject_info opened a network connection')

    monkeypatch.setattr(socket, 'create_connection', refuse)
    monkeypatch.setattr(socket.socket, 'connect', refuse)


def test_returns_the_objects_of_each_subject(run, bundle):
    result = run({'bundle_dir': bundle, 'subjects': [ANNA, {'object_id': BJORN.upper(), 'name': 'björn'}]})
    assert result['changed'] is False and 'failed' not in result
    assert result['workspace'] == {'id': WS_ID, 'name': 'ws'}
    assert result['bundle'] == {'complete': True, 'problems': [], 'kinds': ['runs', 'metrics', 'models']}
    anna, bjorn = result['subjects']
    assert [(o['kind'], o['id'], o['fields']) for o in anna['objects']] == [
        ('runs', 'r1', ['createdBy.userObjectId', 'userId']), ('metrics', 'm1', ['runId'])]
    assert bjorn['subject'] == {'object_id': BJORN, 'name': 'björn'}
    assert [(o['kind'], o['id'], o['fields']) for o in bjorn['objects']] == [
        ('runs', 'r2', ['createdBy.userName', 'createdBy.userObjectId', 'userId']),
        ('models', 'model:1', ['createdBy.userName', 'createdBy.userObjectId'])]
    assert result['summary'] == [{'subject': {'object_id': ANNA}, 'found': True, 'total': 2, 'counts': {'runs': 1, 'metrics': 1},
                                  'evidence': {'precise': 2}},
                                 {'subject': {'object_id': BJORN, 'name': 'björn'}, 'found': True, 'total': 2,
                                  'counts': {'runs': 1, 'models': 1}, 'evidence': {'precise': 2}}]
    assert result['found_total'] == 4 and result['count'] == 2
    assert 'identities' not in result and 'dest' not in result


def test_without_subjects_lists_who_appears(run, bundle):
    result = run({'bundle_dir': bundle})
    assert [i.get('object_id') or i.get('address') for i in result['identities']] == [BJORN, ANNA, 'anna@contoso.example']
    assert result['identities'][1]['counts'] == {'runs': 1, 'metrics': 1}
    assert result['identity_count'] == 3 and result['count'] == 3 and result['summary'] == []


def test_dest_is_written_0600_once_and_not_in_check_mode(run, bundle):
    dest = os.path.join(bundle, 'subjects.json')
    check = run({'bundle_dir': bundle, 'subjects': [ANNA], 'dest': dest}, check=True)
    assert check['changed'] is True and not os.path.exists(dest)
    first = run({'bundle_dir': bundle, 'subjects': [ANNA], 'dest': dest})
    assert first['changed'] is True and first['dest'] == dest and first['sha256'] == check['sha256'] == sha256_file(dest)
    assert 'subjects' not in first and first['summary'][0]['total'] == 2
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert json.load(open(dest, encoding='utf-8'))['subjects'][0]['total'] == 2
    again = run({'bundle_dir': bundle, 'subjects': [ANNA], 'dest': dest})
    assert again['changed'] is False
    assert run({'bundle_dir': bundle, 'subjects': [ANNA], 'dest': dest}, check=True)['changed'] is False
    # the index is not part of the bundle: the bundle still verifies
    assert run({'bundle_dir': bundle, 'subjects': [BJORN]})['bundle']['complete'] is True


def test_return_index_writes_and_returns_the_index_in_one_run(run, bundle):
    dest = os.path.join(bundle, 'subjects.json')
    plain = run({'bundle_dir': bundle, 'subjects': [ANNA]})
    check = run({'bundle_dir': bundle, 'subjects': [ANNA], 'dest': dest, 'return_index': True}, check=True)
    assert check['changed'] is True and not os.path.exists(dest) and check['subjects'] == plain['subjects']
    both = run({'bundle_dir': bundle, 'subjects': [ANNA], 'dest': dest, 'return_index': True})
    assert both['changed'] is True and both['subjects'] == plain['subjects'] and both['sha256'] == sha256_file(dest)
    assert json.load(open(dest, encoding='utf-8'))['subjects'] == plain['subjects']
    assert run({'bundle_dir': bundle, 'subjects': [ANNA], 'dest': dest, 'return_index': True})['changed'] is False


def test_refuses_what_it_cannot_index(run, tmp_path, bundle):
    missing = run({'bundle_dir': str(tmp_path / 'nope'), 'subjects': [ANNA]})
    assert missing['failed'] and 'no export bundle at' in missing['msg']
    partial = make_bundle(tmp_path / 'partial', manifest=False)
    refused = run({'bundle_dir': partial, 'subjects': [ANNA]})
    assert refused['failed'] and 'incomplete' in refused['msg'] and 'allow_incomplete' in refused['msg']
    allowed = run({'bundle_dir': partial, 'subjects': [ANNA], 'allow_incomplete': True})
    assert allowed['bundle']['complete'] is False and allowed['summary'][0]['found'] is True
    assert any('incomplete' in w for w in allowed['warnings'])
    bad = run({'bundle_dir': bundle, 'subjects': [{'object_id': 'nope'}]})
    assert bad['failed'] and bad['msg'].startswith('subjects[0].object_id must be a GUID')
    folder_dest = run({'bundle_dir': bundle, 'subjects': [ANNA], 'dest': bundle})
    assert folder_dest['failed'] and 'is a folder' in folder_dest['msg']


def test_takes_no_connection_options(run, bundle):
    """No service call, so no auth: the common options would only mislead (and module_defaults of the group skip it)."""
    result = run({'bundle_dir': bundle, 'access_token': 'x'})
    assert result['failed'] and 'Unsupported parameters' in result['msg'] and 'access_token' in result['msg']


def test_contains_reports_mentions(run, bundle):
    result = run({'bundle_dir': bundle, 'subjects': ['anna@contoso.example', 'Anna'], 'match': 'contains'})
    assert [(o['id'], o['fields']) for o in result['subjects'][0]['objects']] == [('r1', ['tags.owner'])]
    # "Anna" is contained in "Anna Svensson" (createdBy.userName) and in the owner tag
    assert [(o['id'], o['fields'], o['mentions']) for o in result['subjects'][1]['objects']] == [
        ('r1', [], ['createdBy.userName', 'tags.owner'])]
