"""The module subject_package: options, results, failure on an incomplete answer, check mode. It makes no request at all."""
import json
import os

import pytest
from access_helpers import ANNA, CONTENTS, JANE, WS, make_bundle, objects_ws1, rh
from compat import patch_module_args
from unit_helpers import ExitJson, FailJson, patch_exits

from ansible_collections.gdpr.azureml.plugins.modules import subject_package


@pytest.fixture
def run(monkeypatch):
    warnings = patch_exits(monkeypatch)

    def run_module(args, check=False):
        args = dict(args)
        if check:
            args['_ansible_check_mode'] = True
        with patch_module_args(args):
            try:
                subject_package.main()
            except ExitJson as done:
                return dict(done.result, warnings=list(warnings))
            except FailJson as failed:
                return failed.result
        raise AssertionError('the module did not exit')

    return run_module


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """subject_package makes no service call: any socket use fails the test."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError('subject_package opened a network connection')

    monkeypatch.setattr(socket, 'create_connection', refuse)
    monkeypatch.setattr(socket.socket, 'connect', refuse)


@pytest.fixture
def fleet(tmp_path):
    return [make_bundle(tmp_path / 'exports' / 'rg_ws1', objects_ws1(), CONTENTS),
            make_bundle(tmp_path / 'exports' / 'rg_ws2', {'workspace': [{'id': WS + 'ws2', 'name': 'ws2'}],
                                                          'runs': [{'runId': 'q1', 'createdBy': rh(JANE['object_id'], 'Jane Doe')}]},
                        ws_name='ws2')]


def test_writes_the_package_and_says_so(run, fleet, tmp_path):
    dest = str(tmp_path / 'sa')
    result = run({'subject': [JANE['object_id'], JANE['email'], JANE['name']], 'bundle_dirs': fleet, 'dest': dest, 'archive': True})
    assert result['changed'] is True and 'failed' not in result and result['warnings'] == []
    assert result['dest'] == os.path.join(dest, JANE['object_id']) and result['complete'] is True
    assert result['subject'] == [{'object_id': JANE['object_id']}, {'email': JANE['email']}, {'name': JANE['name']}]
    assert result['counts'] == {'runs': 4, 'metrics': 1, 'artifacts': 3, 'models': 2, 'images': 1} and result['workspaces'] == 2
    assert [b['status'] for b in result['bundles']] == ['complete', 'complete']
    assert result['archive']['path'] == result['dest'] + '.zip' and os.path.isfile(result['archive']['path'])
    assert result['lines'][0].startswith(f'Subject access package for Jane Doe <{JANE["email"]}> (object id {JANE["object_id"]}): 11 object(s)')
    again = run({'subject': [JANE['object_id'].upper(), JANE['email'], JANE['name']], 'bundle_dirs': fleet, 'dest': dest, 'archive': True})
    assert again['changed'] is False and not any(f['changed'] for f in again['files'])


def test_an_incomplete_answer_fails_unless_allowed(run, fleet, tmp_path):
    dest = str(tmp_path / 'sa')
    os.unlink(os.path.join(fleet[1], 'manifest.json'))
    failed = run({'subject': JANE['object_id'], 'bundle_dirs': fleet, 'dest': dest})
    assert failed['failed'] is True and failed['complete'] is False
    assert 'rg_ws2: the export bundle at rg_ws2 has no manifest.json' in failed['msg'] and 'allow_incomplete' in failed['msg']
    # the package is written and says it is incomplete
    with open(os.path.join(failed['dest'], 'manifest.json'), encoding='utf-8') as f:
        assert json.load(f)['complete'] is False
    allowed = run({'subject': JANE['object_id'], 'bundle_dirs': fleet, 'dest': dest, 'allow_incomplete': True})
    assert 'failed' not in allowed and allowed['complete'] is False
    assert any('the answer is incomplete' in w for w in allowed['warnings'])
    assert {b['bundle']: b['status'] for b in allowed['bundles']} == {'rg_ws1': 'complete', 'rg_ws2': 'incomplete'}


def test_check_mode_writes_nothing(run, fleet, tmp_path):
    dest = tmp_path / 'sa'
    result = run({'subject': JANE, 'bundle_dirs': fleet, 'dest': str(dest), 'archive': True}, check=True)
    assert result['changed'] is True and not dest.exists()
    assert [f['path'] for f in result['files']][-1] == 'manifest.json' and all(f['changed'] for f in result['files'])


def test_refusals(run, fleet, tmp_path):
    dest = str(tmp_path / 'sa')
    assert 'subject is empty' in run({'subject': [], 'bundle_dirs': fleet, 'dest': dest})['msg']
    assert run({'subject': {'object_id': 'nope'}, 'bundle_dirs': fleet, 'dest': dest})['msg'].startswith('subjects[0].object_id must be a GUID')
    assert 'bundle_dirs is empty' in run({'subject': ANNA['object_id'], 'bundle_dirs': [], 'dest': dest})['msg']
    refused = run({'subject': ANNA['object_id'], 'bundle_dirs': fleet, 'dest': dest, 'access_token': 'x'})
    assert refused['failed'] and 'Unsupported parameters' in refused['msg']
    assert not os.path.exists(dest)
