import json
import os
import threading

import pytest

from ansible_collections.gdpr.azureml.plugins.module_utils import _audit, _plan_file, _purge, _purge_plan


def test_references_of_images_and_services():
    assert _purge.references('images', {'id': 'i', 'modelIds': ['m1', 'm2']}) == [('models', 'm1'), ('models', 'm2')]
    assert _purge.references('services', {'id': 's', 'imageId': 'i', 'models': [{'id': 'm1'}, 'm2', {}]}) == [
        ('images', 'i'), ('models', 'm1'), ('models', 'm2')]
    assert _purge.references('models', {'id': 'm'}) == []
    assert _purge.references('services', None) == []


def test_blocking_holders_ignores_holders_that_are_deleted_too():
    listed = {'images': [{'id': 'i1', 'modelIds': ['m1']}, {'id': 'i2', 'modelIds': ['m2']}],
              'services': [{'id': 's1', 'imageId': 'i1', 'models': [{'id': 'm1'}]}]}
    # everything deleted together: nothing blocks
    assert _purge.blocking_holders({'services': ['s1'], 'images': ['i1', 'i2'], 'models': ['m1', 'm2']}, listed) == {}
    # models alone: both blocked, named
    assert _purge.blocking_holders({'models': ['m1', 'm2', 'm3']}, listed) == {
        'models': {'m1': ['image i1', 'service s1'], 'm2': ['image i2']}}
    # images without the service that uses one of them
    assert _purge.blocking_holders({'images': ['i1', 'i2']}, listed) == {'images': {'i1': ['service s1']}}


def test_holders_message_names_and_limits():
    blocked = {'models': {f'm{i}': ['image i'] for i in range(12)}}
    text = _purge.holders_message(blocked, 'rg/ws', limit=3)
    assert text.startswith('12 object(s) of workspace rg/ws are still used') and '(and 9 more)' in text
    assert 'model m0 is used by image i' in text and '412' in text


def test_describe_holders():
    assert _purge.describe_holders([]) == ''
    assert _purge.describe_holders(['a']) == 'a'
    assert _purge.describe_holders(['a', 'b', 'c']) == 'a, b and c'


@pytest.mark.parametrize('confirm, match', [
    (['ws-1'], 'name'), (['WS-1'], 'name'), (['/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/X/WORKSPACES/WS-1'], 'strong'),
    (['a', ' ws-1 '], 'name'), (['RG/ws-1'], 'strong'), ([], None), (None, None), (['ws'], None), (['other-rg/ws-1'], None),
])
def test_confirmed(confirm, match):
    assert _purge_plan.confirmed(confirm, 'ws-1', ['/subscriptions/s/resourceGroups/rg/providers/X/workspaces/ws-1'], 'rg') == match


def test_a_bare_name_shared_by_two_workspaces_of_the_play_confirms_neither():
    from ansible_collections.gdpr.azureml.plugins.module_utils._module import Workspace
    ws = Workspace('s', 'rg-a', 'ws-dup')
    ids = ('/subscriptions/s/resourceGroups/rg-a/providers/X/workspaces/ws-dup',)
    problem = _purge_plan.confirmation_problem(['ws-dup'], ws, ids, ['ws-dup', 'WS-DUP', 'other'])
    assert 'confirm (purge_workspace_confirm) names ws-dup, but 2 workspaces of this play are called ws-dup' in problem
    assert 'rg-a/ws-dup' in problem and ids[0] in problem
    assert _purge_plan.confirmation_problem(['rg-a/ws-dup'], ws, ids, ['ws-dup', 'ws-dup']) is None
    assert _purge_plan.confirmation_problem([ids[0].upper()], ws, ids, ['ws-dup', 'ws-dup']) is None
    assert _purge_plan.confirmation_problem(['ws-dup'], ws, ids, ['ws-dup', 'other']) is None  # no namesake in the play
    assert _purge_plan.confirmation_problem(['ws-dup'], ws, ids) is None  # the module alone: no play to compare with
    assert _purge_plan.confirmation_problem(None, ws, ids).startswith('not confirmed')


# -- audit log -------------------------------------------------------------------------------------------------------------

def test_audit_log_creates_private_file_and_folders_and_appends(tmp_path):
    path = tmp_path / 'a' / 'b' / 'log.jsonl'
    with _audit.audit_log(str(path)) as log:
        log.write(_audit.audit_record('ws', 'models', 'm1', status=200, request_id='r1', outcome='deleted'))
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'
    assert oct(os.stat(path.parent).st_mode & 0o777) == '0o700'
    assert oct(os.stat(path.parent.parent).st_mode & 0o777) == '0o700'
    with _audit.audit_log(str(path)) as log:
        log.write(_audit.audit_record('ws', 'models', 'm2', status=204, request_id='r2', outcome='absent'))
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [x['id'] for x in lines] == ['m1', 'm2']
    assert set(lines[0]) == {'time', 'workspace_id', 'kind', 'id', 'status', 'request_id', 'outcome'}


def test_audit_log_keeps_existing_folder_modes_and_never_truncates(tmp_path):
    folder = tmp_path / 'shared'
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    path = folder / 'log.jsonl'
    path.write_text('{"old": 1}')  # a line cut short by a crash: no newline
    with _audit.audit_log(str(path)) as log:
        log.write({'new': 2})
    assert path.read_text() == '{"old": 1}\n{"new":2}\n'
    assert oct(os.stat(folder).st_mode & 0o777) == '0o755'


def test_audit_log_concurrent_writers_never_interleave(tmp_path):
    path = tmp_path / 'log.jsonl'
    log = _audit.AuditLog(str(path)).open()

    def work(n):
        for i in range(100):
            log.write({'writer': n, 'i': i, 'pad': 'x' * 500})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 800 and all(json.loads(x)['pad'] == 'x' * 500 for x in lines)


def test_audit_log_on_a_directory_fails(tmp_path):
    with pytest.raises(_audit.AuditError, match='is a directory'):
        _audit.audit_log(str(tmp_path))


def test_no_audit_log_is_a_no_op():
    with _audit.audit_log(None) as log:
        log.write({'x': 1})
    assert log.lines == 0


# -- plan files --------------------------------------------------------------------------------------------------------------

def test_write_plan_is_atomic_private_and_honest_about_changes(tmp_path):
    doc = _plan_file.plan_document({'id': 'WS'}, ['models'], {'models': ['b', 'a']})
    path = tmp_path / 'purge-plan.json'
    assert _plan_file.write_plan(str(path), doc) is True
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'
    assert json.loads(path.read_text())['objects'] == {'models': ['a', 'b']}
    again = _plan_file.plan_document({'id': 'WS'}, ['models'], {'models': ['a', 'b']})  # another 'created' time
    assert _plan_file.write_plan(str(path), again) is False
    other = _plan_file.plan_document({'id': 'WS'}, ['models'], {'models': ['a']})
    assert _plan_file.write_plan(str(path), other) is True
    assert [p.name for p in tmp_path.iterdir()] == ['purge-plan.json']  # no temporary file left


def test_read_plan_problems(tmp_path):
    path = tmp_path / 'plan.json'
    doc = _plan_file.plan_document({'id': '/X/ws'}, ['models'], {'models': ['a']})
    path.write_text(json.dumps(doc))
    plan, problems = _plan_file.read_plan(str(path), '/x/WS')
    assert problems == [] and plan['objects'] == {'models': ['a']}
    assert 'is a plan of workspace' in _plan_file.read_plan(str(path), '/x/other')[1][0]
    path.write_text(json.dumps(dict(doc, objects={'runs': ['r']})))
    assert 'not a list of ids of a deletable kind' in _plan_file.read_plan(str(path), '/x/ws')[1][0]
    path.write_text('{not json')
    assert 'cannot be read' in _plan_file.read_plan(str(path), '/x/ws')[1][0]
    path.write_text('[]')
    assert 'is not a purge plan' in _plan_file.read_plan(str(path), '/x/ws')[1][0]
    assert 'does not exist' in _plan_file.read_plan(str(tmp_path / 'none'), '/x/ws')[1][0]


def test_check_bundle_and_content_problems_name_missing_and_changed_objects(tmp_path):
    from purge_helpers import write_bundle
    from ansible_collections.gdpr.azureml.plugins.module_utils import _coverage
    exported = {'id': 'a', 'description': 'churn', 'createdBy': {'userName': 'anna'}}
    bundle = write_bundle(str(tmp_path / 'b'), workspace_id='/x/ws', objects={'models': [exported], 'assets': []})
    problems, digests = _coverage.check_bundle(bundle, '/X/WS', ['models', 'assets'])
    assert problems == [] and set(digests['models']) == {'a'}
    problems, digests = _coverage.check_bundle(bundle, '/x/ws', ['models', 'images'])
    assert digests is None and any('kind(s) images not in the export bundle' in p for p in problems)
    listed = {'models': [dict(exported, description='mail bjorn@contoso.example', createdBy={'userName': 'bjorn'}), {'id': 'b'}]}
    comparison = _coverage.compare_planned(listed, {'models': ['a', 'b']}, _coverage.check_bundle(bundle, '/x/ws', ['models'])[1])
    problems = _coverage.content_problems(bundle, comparison)
    assert any('1 models to delete are not in the export bundle' in p and ': b.' in p for p in problems)
    assert any('1 models to delete changed since the export' in p and 'a (fields createdBy.userName, description)' in p
               for p in problems), problems
    same = _coverage.compare_planned({'models': [dict(exported)]}, {'models': ['a']}, digests or _coverage.check_bundle(
        bundle, '/x/ws', ['models'])[1])
    assert _coverage.content_problems(bundle, same) == []
    none = str(tmp_path / 'none')
    assert _coverage.check_bundle(none, '/x/ws', []) == ([f'export bundle: no export bundle at {none}'], None)
    old = write_bundle(str(tmp_path / 'v1'), workspace_id='/x/ws', objects={'models': [exported]}, format_version=1)
    problems, digests = _coverage.check_bundle(old, '/x/ws', ['models'])
    assert digests is None and len(problems) == 1 and 're-export' in problems[0]


# -- the v2 kinds: each object once, containers after their versions, experiments left empty, delete parameters --------------

WS2 = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws'


def test_a_model_version_in_scope_with_its_v1_model_is_deleted_once_under_models():
    objects = {'models': ['m:1'], 'model_versions': [WS2 + '/models/m/versions/1', WS2 + '/models/m/versions/2'],
               'model_containers': [WS2 + '/models/m']}
    # version 2 is a v2 model version only (no v1 model m:2 is listed)
    listed = {'model_versions': [{'id': i} for i in objects['model_versions']], 'models': [{'id': 'm:1'}]}
    kinds = ['models', 'model_versions', 'model_containers']
    planned, kept = _purge.once_each(objects, listed, kinds)
    assert planned['models'] == ['m:1'] and planned['model_versions'] == [WS2 + '/models/m/versions/2']
    assert planned['model_containers'] == [WS2 + '/models/m'] and kept == {}
    # a version that stays (another person's) keeps its container: Azure answers 409 otherwise
    planned, kept = _purge.once_each(dict(objects, model_versions=[]), listed, kinds)
    assert planned['model_containers'] == [] and list(kept['model_containers']) == [WS2 + '/models/m']
    # a model kept under models (held by another person's image) is not deleted as a version either
    planned, kept = _purge.once_each(dict(objects, models=[]), listed, kinds)
    assert planned['model_versions'] == [WS2 + '/models/m/versions/2']
    # models out of scope: the v2 view deletes both versions
    planned, kept = _purge.once_each(objects, listed, ['model_versions', 'model_containers'])
    assert planned['model_versions'] == objects['model_versions']


def test_an_experiment_is_deleted_once_every_run_of_it_goes_as_a_job():
    listed = {'experiments': [{'experimentId': 'e1'}, {'experimentId': 'e2'}, {'experimentId': 'e3'}],
              'runs': [{'runId': 'r1', 'experimentId': 'e1'}, {'runId': 'r2', 'experimentId': 'e2'},
                       {'runId': 'r3', 'experimentId': 'e2'}]}
    objects = {'jobs': [WS2 + '/jobs/r1', WS2 + '/jobs/r2'], 'experiments': ['e1', 'e2', 'e3']}
    planned, kept = _purge.once_each(objects, listed, ['jobs', 'experiments'])
    assert planned['experiments'] == ['e1', 'e3'] and list(kept['experiments']) == ['e2']  # r3 stays
    # by subject: only the experiments this purge empties (e3, already empty, is nobody's to delete here)
    planned, kept = _purge.once_each(dict(objects, experiments=[]), listed, ['jobs', 'experiments'], by_subject=True)
    assert planned['experiments'] == ['e1']


def test_delete_parameters_come_from_the_arm_id_and_never_leave_the_workspace():
    ws = type('W', (), {'subscription_id': 's', 'resource_group': 'RG', 'workspace_name': 'ws'})()
    assert _purge.delete_params('online_deployments', WS2 + '/onlineEndpoints/e/deployments/d', ws) == {
        'endpoint_name': 'e', 'name': 'd'}
    assert _purge.delete_params('model_versions', WS2 + '/models/a%2Fb/versions/3', ws) == {'name': 'a/b', 'version': '3'}
    assert _purge.delete_params('models', 'm:1', ws) == {'id': 'm:1'}
    assert _purge.delete_params('experiments', 'e-1', ws) == {'experiment_id': 'e-1'}
    assert _purge.delete_params('datastores', 'store', ws) == {'name': 'store'}
    with pytest.raises(_purge.PurgeError, match='not in workspace'):
        _purge.delete_params('jobs', WS2.replace('/ws', '/other') + '/jobs/r1', ws)
    with pytest.raises(_purge.PurgeError, match='does not match'):
        _purge.delete_params('jobs', WS2 + '/schedules/r1', ws)


def test_a_workspace_delete_counts_runs_and_jobs_models_and_model_versions_once():
    from ansible_collections.gdpr.azureml.plugins.module_utils import _coverage, _digests
    comparison = _digests.Comparison()
    for run_id in ('r1', 'r2', 'child'):
        comparison.add('runs', {'runId': run_id})
    for job in ('r1', 'r2'):
        comparison.add('jobs', {'id': WS2 + '/jobs/' + job})
    comparison.add('models', {'id': 'm:1'})
    comparison.add('model_versions', {'id': WS2 + '/models/m/versions/1'})
    counts = _coverage.erasure_counts(comparison, {}, None)
    assert counts['runs'] == 3 and 'jobs' not in counts and counts['models'] == 1 and 'model_versions' not in counts
    # jobs deleted one by one before the workspace: their runs are not erased again
    counts = _coverage.erasure_counts(comparison, {'jobs': [WS2 + '/jobs/r1']}, None)
    assert counts['runs'] == 2 and 'jobs' not in counts
