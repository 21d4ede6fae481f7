import json
import os
import re
from urllib.parse import unquote

import pytest
import responses
from purge_helpers import (
    ARM, http_mock, install_fake_time,
    add_list, image, mms, model, mutating, read_lines, runner, service, write_bundle, ws_url,
)
from unit_helpers import WS_ID

from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KIND_NAMES, KINDS

from ansible_collections.gdpr.azureml.plugins.modules import purge_plan as purge_plan_module

WORKSPACE = {'id': WS_ID, 'name': 'ws-1', 'location': 'eastus'}
OBJECTS = {
    'services': [service('svc-1', 'img-1', ['m1'])],
    'images': [image('img-1', ['m1'])],
    'models': [model('m1'), model('m2')],
    'assets': [{'id': 'a1'}],
}


@pytest.fixture
def rsps():
    with http_mock() as mock:
        yield mock


@pytest.fixture
def fake_time(monkeypatch):
    return install_fake_time(monkeypatch)


V1_KINDS = ['services', 'images', 'models', 'assets']


@pytest.fixture
def run(monkeypatch, fake_time):
    """The module on the v1 kinds these tests serve (the default kinds add the v2 ones: tests/integration/purge)."""
    run_module = runner(monkeypatch, purge_plan_module.main)

    def run_v1(args, **kwargs):
        return run_module(dict({'kinds': V1_KINDS}, **args), **kwargs)
    return run_v1


@pytest.fixture
def bundle(tmp_path):
    return write_bundle(str(tmp_path / 'exports' / 'rg-1_ws-1'), objects=OBJECTS)


def serve(rsps, objects=None, workspace=True):
    if workspace:
        rsps.add(responses.GET, ws_url(), json=WORKSPACE)
    else:
        rsps.add(responses.GET, ws_url(), status=404, json={'error': {'code': 'ResourceNotFound', 'message': 'gone'}})
    for kind, items in (OBJECTS if objects is None else objects).items():
        add_list(rsps, kind, items)


def test_check_mode_plans_in_safe_order_and_writes_the_plan_file_only(run, rsps, bundle):
    serve(rsps)
    before = sorted(os.listdir(bundle))
    result = run({'export_dir': bundle, 'kinds': ['assets', 'models', 'images', 'services']}, check=True, diff=True)
    assert not result.get('failed') and result['refusals'] == []
    plan = result['plan']
    assert plan['kinds'] == ['services', 'images', 'models', 'assets']
    assert plan['objects'] == {'services': ['svc-1'], 'images': ['img-1'], 'models': ['m1', 'm2'], 'assets': ['a1']}
    assert plan['total'] == result['total'] == 5
    assert result['notes'] and 'confirm' in result['notes'][0]
    assert result['diff'] == {'before': plan['objects'], 'after': {'services': [], 'images': [], 'models': [], 'assets': []}}
    dest = os.path.join(bundle, 'purge-plan.json')
    assert result['plan_dest'] == dest and result['changed'] is True
    assert sorted(os.listdir(bundle)) == sorted(before + ['purge-plan.json'])
    assert oct(os.stat(dest).st_mode & 0o777) == '0o600'
    with open(dest) as f:
        written = json.load(f)
    assert written['objects'] == plan['objects'] and written['workspace']['id'] == WS_ID and written['format_version'] == 1
    assert mutating(rsps) == []
    # the same plan again: the file is left as it is
    assert run({'export_dir': bundle}, check=True)['changed'] is False


def test_show_max_limits_the_ids_shown_not_the_plan(run, rsps, bundle):
    serve(rsps)
    result = run({'export_dir': bundle, 'show_max': 1}, check=True)
    assert result['shown']['models'] == {'count': 2, 'ids': ['m1'], 'more': 1}
    assert result['plan']['objects']['models'] == ['m1', 'm2']


def test_real_run_without_confirmation_is_refused(run, rsps, bundle):
    serve(rsps)
    result = run({'export_dir': bundle})
    assert result['failed'] and 'not confirmed' in result['msg'] and 'ws-1' in result['msg']
    assert result['refusals'] and result['plan']['total'] == 5
    assert not os.path.exists(os.path.join(bundle, 'purge-plan.json'))  # a real run writes no plan


@pytest.mark.parametrize('confirm', [['ws-1'], [WS_ID.upper()], ['other', 'ws-1'], 'ws-1'])
def test_confirmation_by_name_or_id_or_list(run, rsps, bundle, confirm):
    serve(rsps)
    result = run({'export_dir': bundle, 'confirm': confirm})
    assert not result.get('failed') and result['refusals'] == []


def test_a_confirmation_naming_another_workspace_is_refused_in_check_mode_too(run, rsps, bundle):
    serve(rsps)
    result = run({'export_dir': bundle, 'confirm': ['other-rg/ws-1', 'ws-2']}, check=True)
    assert result['failed'] and 'does not name this workspace' in result['msg']


def test_every_refusal_is_collected(run, rsps, bundle):
    objects = dict(OBJECTS, models=[model('m1'), model('m2'), model('late')])
    serve(rsps, objects)
    result = run({'export_dir': bundle, 'kinds': ['models', 'assets'], 'max_deletions': 2, 'fail_on_refusal': False})
    assert not result.get('failed')
    text = ' | '.join(result['refusals'])
    assert len(result['refusals']) == 4
    assert 'not confirmed' in text
    assert 'model m1 is used by image img-1 and service svc-1' in text  # models alone while images and services use them
    assert '1 models to delete are not in the export bundle' in text and 'late' in text
    assert 'deletes 4 objects, more than max_deletions' in text


def test_missing_bundle_is_refused(run, rsps, tmp_path):
    serve(rsps)
    result = run({'export_dir': str(tmp_path / 'nothing'), 'confirm': 'ws-1'})
    assert result['failed'] and 'no export bundle at' in result['msg']


def test_incomplete_bundle_is_refused(run, rsps, bundle):
    os.unlink(os.path.join(bundle, 'manifest.json'))
    serve(rsps)
    result = run({'export_dir': bundle, 'confirm': 'ws-1'}, check=True)
    assert result['failed'] and 'incomplete' in result['msg']


def test_tampered_bundle_is_refused(run, rsps, bundle):
    path = os.path.join(bundle, 'models.json')
    with open(path, 'rb') as f:
        data = bytearray(f.read())
    data[5] ^= 0x01
    with open(path, 'wb') as f:
        f.write(bytes(data))
    serve(rsps)
    result = run({'export_dir': bundle, 'confirm': 'ws-1'})
    assert result['failed'] and 'models.json does not match its checksum' in result['msg']


def test_bundle_of_another_workspace_is_refused(run, rsps, tmp_path):
    other = write_bundle(str(tmp_path / 'b'), workspace_id=WS_ID.replace('ws-1', 'ws-2'), objects=OBJECTS)
    serve(rsps)
    result = run({'export_dir': other, 'confirm': 'ws-1'})
    assert result['failed'] and 'is of workspace' in result['msg']


def test_require_export_false_needs_no_bundle(run, rsps):
    serve(rsps)
    result = run({'require_export': False, 'confirm': 'ws-1'})
    assert not result.get('failed') and result['total'] == 5


def test_export_dir_is_required_with_require_export(run, rsps):
    result = run({'confirm': 'ws-1'})
    assert result['failed'] and result['option'] == 'export_dir' and len(rsps.calls) == 0


@pytest.mark.parametrize('args, option', [({'max_deletions': -1}, 'max_deletions'), ({'show_max': -1}, 'show_max'),
                                          ({'confirm': ['  ']}, 'confirm'), ({'kinds': ['runs']}, 'kinds')])
def test_bad_options_fail_before_any_request(run, rsps, bundle, args, option):
    result = run(dict({'export_dir': bundle}, **args))
    assert result['failed'] and option in result['msg'] and len(rsps.calls) == 0


def test_audit_log_inside_the_bundle_is_refused(run, rsps, bundle):
    serve(rsps)
    result = run({'export_dir': bundle, 'confirm': 'ws-1', 'audit_log': os.path.join(bundle, 'audit.jsonl')})
    assert result['failed'] and 'inside the export bundle folder' in result['msg']


def test_plan_file_keeps_only_reviewed_ids_and_reports_what_appeared(run, rsps, bundle, tmp_path):
    serve(rsps)
    run({'export_dir': bundle}, check=True)
    reviewed = tmp_path / 'reviewed.json'
    with open(os.path.join(bundle, 'purge-plan.json')) as f:
        plan = json.load(f)
    plan['objects']['models'] = ['m1', 'gone']  # the reviewer kept m1 only (and an id deleted meanwhile)
    reviewed.write_text(json.dumps(plan))
    rsps.reset()
    objects = dict(OBJECTS, models=[model('m1'), model('m2'), model('new')])
    serve(rsps, objects)
    result = run({'export_dir': bundle, 'confirm': 'ws-1', 'plan_file': str(reviewed), 'kinds': ['services', 'images', 'models']})
    assert not result.get('failed'), result['msg']
    assert result['plan']['objects']['models'] == ['m1']
    assert result['appeared_since'] == {'models': ['m2', 'new']}
    assert result['gone_since'] == {'models': ['gone']}


def test_plan_file_of_another_workspace_is_refused(run, rsps, bundle, tmp_path):
    other = tmp_path / 'other.json'
    other.write_text(json.dumps({'format_version': 1, 'workspace': {'id': WS_ID + '-x'}, 'objects': {'models': ['m1']}}))
    serve(rsps)
    result = run({'export_dir': bundle, 'confirm': 'ws-1', 'plan_file': str(other)})
    assert result['failed'] and 'is a plan of workspace' in result['msg']
    rsps.reset()
    serve(rsps)
    missing = run({'export_dir': bundle, 'confirm': 'ws-1', 'plan_file': str(tmp_path / 'none.json')})
    assert missing['failed'] and 'does not exist' in missing['msg']


def test_check_mode_does_not_overwrite_the_reviewed_plan(run, rsps, bundle):
    serve(rsps)
    run({'export_dir': bundle}, check=True)
    dest = os.path.join(bundle, 'purge-plan.json')
    with open(dest) as f:
        plan = json.load(f)
    plan['objects']['models'] = ['m1']
    with open(dest, 'w') as f:
        json.dump(plan, f)
    rsps.reset()
    serve(rsps)
    result = run({'export_dir': bundle, 'plan_file': dest}, check=True)
    assert result['plan_dest'] is None
    with open(dest) as f:
        assert json.load(f)['objects']['models'] == ['m1']


def test_missing_workspace_gives_an_empty_plan(run, rsps, bundle):
    serve(rsps, objects={}, workspace=False)
    result = run({'export_dir': bundle, 'confirm': 'ws-1'})
    assert not result.get('failed') and result['total'] == 0 and result['workspace_found'] is False
    assert any('not found' in w for w in result['warnings_seen'])


HIST = 'https://eastus.experiments.azureml.net'
WS_PATH = WS_ID
EVERYTHING = {  # what a workspace delete takes with it besides the deletable kinds (one of each, listed as the export lists them)
    'computes': [{'id': WS_ID + '/computes/cpu', 'name': 'cpu', 'properties': {'provisioningState': 'Succeeded'}}],
    'experiments': [{'experimentId': 'e-1', 'name': 'churn'}],
    'runs': [{'runId': 'r-1', 'experimentId': 'e-1', 'dataContainerId': 'dcid.r-1', 'createdBy': {'userName': 'anna'}}],
    'metrics': [{'metricId': 'x-1', 'runId': 'r-1'}],
    'metrics_v2': [],  # the run logged none through the v2 metrics service
    'artifacts': [{'artifactId': 'ExperimentRun/dcid.r-1/outputs/a.txt', 'path': 'outputs/a.txt', 'container': 'dcid.r-1'}],
    'tasks': [],
    'datastores': [{'name': 'blobs', 'dataStoreType': 'AzureBlob'}],
}


def serve_everything(rsps, extra=None):
    """Every listing a workspace delete's plan sends (the workspace, the deletable kinds, then every other listable kind)."""
    serve(rsps)
    everything = dict(EVERYTHING, **(extra or {}))
    rsps.add(responses.GET, ws_url('/computes?api-version=2019-11-01'), json={'value': everything['computes']})
    rsps.add(responses.GET, f'{HIST}/history/v1.0{WS_PATH}/experiments', json={'value': everything['experiments']})
    rsps.add(responses.GET, f'{HIST}/history/v1.0{WS_PATH}/experiments/churn/runs', json={'value': everything['runs']})
    rsps.add(responses.GET, f'{HIST}/history/v1.0{WS_PATH}/experiments/churn/metrics', json={'value': everything['metrics']})
    rsps.add(responses.POST, f'{HIST}/metric/v2.0{WS_PATH}/runs/r-1/list', json={'value': [], 'continuationToken': None})
    rsps.add(responses.GET, f'{HIST}/artifact/v1.0{WS_PATH}/artifacts/origins/ExperimentRun/containers/dcid.r-1',
             json={'value': everything['artifacts']})
    rsps.add(responses.GET, f'{HIST}/notification/v1.0{WS_PATH}/tasks', json={'value': everything['tasks']})
    rsps.add(responses.GET, f'{HIST}/datastore/v1.0{WS_PATH}/datastores', json={'value': everything['datastores']})
    # the v2 kinds (ARM 2025-12-01): an empty workspace of them
    rsps.add(responses.GET, re.compile(re.escape(ws_url('')) + r'/[A-Za-z]+\?api-version=2025-12-01.*'), json={'value': []})


# The v2 kinds, empty in these tests (registries: the resource group's, never erased with the workspace).
V2_EMPTY = {k: [] for k in KIND_NAMES if KINDS[k].api == 'v2'}


@pytest.fixture
def full_bundle(tmp_path):
    objects = dict(OBJECTS, **EVERYTHING, **V2_EMPTY, workspace=[WORKSPACE], pipeline_experiments=[{'id': 'p-1'}], pipeline_graphs=[],
                   pipeline_modules=[], pipeline_templates=[], pipeline_datasources=[])
    return write_bundle(str(tmp_path / 'exports' / 'rg-1_ws-1'), objects=objects)


def test_delete_workspace_shows_in_the_diff_counts_everything_it_erases_and_is_permanent(run, rsps, full_bundle):
    serve_everything(rsps)
    result = run({'export_dir': full_bundle, 'delete_workspace': True}, check=True, diff=True)
    assert result['refusals'] == [], result['refusals']
    assert result['diff']['before']['workspace'] == [WS_ID] and result['diff']['after']['workspace'] == []
    assert result['plan']['delete_workspace'] is True
    erasure = result['plan']['workspace_delete']
    assert erasure['permanent'] is True and erasure == result['workspace_delete']
    assert erasure['counts'] == {'workspace': 1, 'computes': 1, 'experiments': 1, 'runs': 1, 'metrics': 1, 'artifacts': 1,
                                 'datastores': 1, 'pipeline_experiments': 1}
    assert erasure['total'] == 8 and result['total'] == 5
    assert 'pipeline_experiments' in erasure['unlisted']
    text = '\n'.join(result['lines'])
    assert 'Then the workspace is deleted permanently' in text and 'runs 1' in text
    assert 'counted against purge_workspace_max_deletions: 13' in text
    assert mutating(rsps) == []


def test_a_soft_delete_must_be_asked_for(run, rsps, full_bundle):
    serve_everything(rsps)
    result = run({'export_dir': full_bundle, 'delete_workspace': True, 'allow_soft_delete': True}, check=True)
    assert result['plan']['workspace_delete']['permanent'] is False
    assert 'Then the workspace is deleted softly (purge_workspace_allow_soft_delete' in '\n'.join(result['lines'])


def test_a_workspace_delete_refuses_what_the_bundle_does_not_hold_and_counts_it_against_the_limit(run, rsps, full_bundle):
    late_run = {'runId': 'r-late', 'experimentId': 'e-1'}
    changed = dict(EVERYTHING['datastores'][0], description='owner bjorn@contoso.example')
    serve_everything(rsps, {'runs': EVERYTHING['runs'] + [late_run], 'datastores': [changed]})
    # a run without dataContainerId: its artifacts are listed in both dcid.<runId> and <runId>
    for container in ('dcid.r-late', 'r-late'):
        rsps.add(responses.GET, f'{HIST}/artifact/v1.0{WS_PATH}/artifacts/origins/ExperimentRun/containers/{container}',
                 json={'value': []})
    rsps.add(responses.POST, f'{HIST}/metric/v2.0{WS_PATH}/runs/r-late/list', json={'value': [], 'continuationToken': None})
    result = run({'export_dir': full_bundle, 'delete_workspace': True, 'kinds': [], 'max_deletions': 0, 'fail_on_refusal': False})
    text = ' | '.join(result['refusals'])
    assert '1 runs that the workspace delete erases are not in the export bundle' in text and 'r-late' in text
    assert '1 datastores to delete or to erase with the workspace changed since the export' in text and 'blobs (fields description)' in text
    assert ('the plan deletes 0 objects and deleting the workspace erases 14 more with it (14 in all), more than max_deletions '
            '(purge_workspace_max_deletions) 0: raise purge_workspace_max_deletions to at least 14') in text
    assert result['plan']['workspace_delete']['counts']['models'] == 2  # nothing deleted one by one: all go with it


def test_a_workspace_delete_needs_a_bundle_of_every_kind(run, rsps, bundle):
    serve_everything(rsps)
    result = run({'export_dir': bundle, 'delete_workspace': True, 'fail_on_refusal': False}, check=True)
    text = ' | '.join(result['refusals'])
    assert 'workspace, computes, experiments, runs, metrics, metrics_v2, artifacts, tasks, datastores' in text
    assert 'a workspace delete erases every kind' in text


def test_verify_appends_one_line_per_kind(run, rsps, tmp_path):
    rsps.add(responses.GET, ws_url(), json=WORKSPACE)
    add_list(rsps, 'services', [])
    add_list(rsps, 'models', [model('left')])
    audit = tmp_path / 'audit' / 'ws.jsonl'
    result = run({'mode': 'verify', 'kinds': ['models', 'services'], 'audit_log': str(audit)})
    assert result['remaining'] == {'services': 0, 'models': 1} and result['remaining_ids']['models'] == ['left']
    assert result['changed'] is False and result['audit_lines'] == 2
    lines = read_lines(audit)
    assert [(x['kind'], x['outcome'], x['remaining'], x['id']) for x in lines] == [
        ('services', 'verified', 0, None), ('models', 'verified', 1, None)]
    assert oct(os.stat(audit).st_mode & 0o777) == '0o600'
    assert mutating(rsps) == []


def test_missing_workspace_without_its_bundle_is_refused_as_a_wrong_name(run, rsps, tmp_path):
    serve(rsps, objects={}, workspace=False)
    result = run({'export_dir': str(tmp_path / 'nothing'), 'confirm': 'ws-1'})
    assert result['failed'] and 'was not found, and no complete export bundle of it proves that it existed' in result['msg']
    rsps.reset()
    serve(rsps, objects={}, workspace=False)
    assert not run({'require_export': False, 'confirm': 'ws-1'}).get('failed')


# -- mode=apply: the whole purge of the plan's objects in one module run ------------------------------------------------------

class Service:
    """A stateful model management service for apply: lists what is left, deletes what is asked (``fail`` ids answer 500)."""

    def __init__(self, rsps, objects, fail=()):
        self.state = {k: [dict(o) for o in v] for k, v in objects.items()}
        self.fail = set(fail)
        self.order = []
        rsps.add(responses.GET, ws_url(), json=WORKSPACE)
        for kind in ('services', 'images', 'models', 'assets'):
            rsps.add_callback(responses.GET, mms(kind), callback=self.lister(kind))
            rsps.add_callback(responses.DELETE, re.compile(re.escape(mms(kind).split('?')[0]) + '/[^?]+'), callback=self.deleter(kind))

    def lister(self, kind):
        return lambda request: (200, {}, json.dumps({'value': self.state.get(kind, [])}))

    def deleter(self, kind):
        def delete(request):
            obj_id = unquote(request.path_url.split('?')[0].rsplit('/', 1)[1])
            headers = {'x-ms-request-id': f'rid-{obj_id}'}
            if obj_id in self.fail:
                return 500, headers, json.dumps({'error': {'code': 'InternalServerError', 'message': 'boom'}})
            left = [o for o in self.state.get(kind, []) if o['id'] != obj_id]
            if len(left) == len(self.state.get(kind, [])):
                return 404, headers, ''
            self.state[kind] = left
            self.order.append((kind, obj_id))
            return 200, headers, ''
        return delete


PLANNED = {'services': ['svc-1'], 'images': ['img-1'], 'models': ['m1', 'm2'], 'assets': ['a1']}
APPLY = {'mode': 'apply', 'objects': PLANNED, 'confirm': 'ws-1', 'retries': 0}


def test_apply_deletes_in_the_safe_order_then_verifies_and_a_rerun_changes_nothing(run, rsps, tmp_path):
    svc = Service(rsps, OBJECTS)
    audit = tmp_path / 'audit' / 'ws.jsonl'
    result = run(dict(APPLY, audit_log=str(audit)), diff=True)
    assert not result.get('failed'), result
    # in waves: the service, then the image, then the models and the asset together
    order = [k for k, dummy in svc.order]
    assert order[:2] == ['services', 'images'] and sorted(order[2:]) == ['assets', 'models', 'models']
    assert result['changed'] is True and result['deleted'] == PLANNED
    assert result['remaining'] == {'services': 0, 'images': 0, 'models': 0, 'assets': 0}
    assert [(r['kind'], r['id'], r['outcome']) for r in result['results']] == [
        ('services', 'svc-1', 'deleted'), ('images', 'img-1', 'deleted'), ('models', 'm1', 'deleted'), ('models', 'm2', 'deleted'),
        ('assets', 'a1', 'deleted')]
    assert result['diff'] == {'before': PLANNED, 'after': {k: [] for k in PLANNED}}
    lines = read_lines(audit)
    assert sorted((x['kind'], x['id']) for x in lines if x['outcome'] == 'deleted') == sorted((k, i) for k, ids in PLANNED.items() for i in ids)
    assert [(x['kind'], x['remaining']) for x in lines if x['outcome'] == 'verified'] == [
        ('services', 0), ('images', 0), ('models', 0), ('assets', 0)]
    again = run(dict(APPLY, audit_log=str(audit)))
    assert again['changed'] is False and again['deleted'] == {k: [] for k in PLANNED}
    assert {r['outcome'] for r in again['results']} == {'absent'} and len(again['results']) == 5


def test_apply_in_check_mode_sends_nothing_that_changes_and_counts_the_plan_as_one(run, rsps):
    svc = Service(rsps, OBJECTS)
    result = run(APPLY, check=True, diff=True)
    assert not result.get('failed'), result
    assert result['changed'] is True and result['deleted'] == PLANNED  # img-1 and m1 are held only by what is deleted too
    assert result['diff']['after'] == {k: [] for k in PLANNED}
    assert mutating(rsps) == [] and svc.order == []
    held = run(dict(APPLY, objects={'models': ['m1']}, kinds=['models']), check=True)
    assert held['failed'] and 'image img-1' in held['msg'] and mutating(rsps) == []


def test_apply_stops_at_the_failing_kind_and_reports_what_was_deleted(run, rsps, tmp_path):
    svc = Service(rsps, OBJECTS, fail=['img-1'])
    audit = tmp_path / 'audit.jsonl'
    result = run(dict(APPLY, audit_log=str(audit)))
    assert result['failed'] and result['msg'].startswith('images: 1 of 1 images could not be deleted'), result['msg']
    assert 'HTTP 500' in result['msg'] and 'rid-img-1' in result['msg']
    assert result['failed_kind'] == 'images' and result['changed'] is True
    assert result['deleted'] == {'services': ['svc-1'], 'images': [], 'models': [], 'assets': []}
    assert svc.order == [('services', 'svc-1')]  # no model or asset delete after the failing wave
    assert [(r['kind'], r['outcome']) for r in result['results']] == [('services', 'deleted'), ('images', 'failed')]
    assert [(x['kind'], x['outcome']) for x in read_lines(audit)] == [
        ('services', 'pending'), ('services', 'deleted'), ('images', 'pending'), ('images', 'failed')]


@pytest.mark.parametrize('args, option, words', [
    ({'objects': None}, 'objects', 'objects is required'),
    ({'objects': {'runs': ['r1']}}, 'objects', 'kinds does not list: runs'),
    ({'objects': {'models': ['m1', '']}}, 'objects', 'objects.models must be a list of ids'),
    ({'objects': {'models': 'm1'}}, 'objects', 'objects.models must be a list of ids'),
    ({'confirm': None}, 'confirm', 'not confirmed: set confirm'),
    ({'confirm': ['ws-2']}, 'confirm', 'it holds ws-2'),
    ({'max_deletions': 4}, 'max_deletions', 'holds 5 ids to delete, more than max_deletions 4'),
    ({'plan_file': '/tmp/plan.json'}, 'plan_file', 'only used when mode is plan'),
])
def test_apply_options_fail_before_any_request(run, rsps, args, option, words):
    result = run({k: v for k, v in dict(APPLY, **args).items() if v is not None})
    assert result['failed'] and result['option'] == option and words in result['msg'], result
    assert len(rsps.calls) == 0


def test_objects_outside_apply_is_refused(run, rsps, bundle):
    result = run({'export_dir': bundle, 'objects': PLANNED})
    assert result['failed'] and result['option'] == 'objects' and len(rsps.calls) == 0


def test_apply_keeps_what_was_deleted_when_a_later_listing_fails(run, rsps, tmp_path):
    """A kind's own listing failing (after the kinds before it were deleted) still reports those deletes, with the
    status and request id of the failing call."""
    svc = Service(rsps, OBJECTS)
    models_list = mms('models')
    rsps.replace(responses.GET, models_list, status=500, json={'error': {'code': 'InternalServerError', 'message': 'down'}},
                 headers={'x-ms-request-id': 'rid-models-list'})
    result = run(dict(APPLY, audit_log=str(tmp_path / 'audit.jsonl')))
    assert result['failed'] and result['msg'].startswith('models: ') and 'HTTP 500' in result['msg'], result['msg']
    assert result['failed_kind'] == 'models' and result['status'] == 500 and result['request_id'] == 'rid-models-list'
    # the asset started with the models (both wait only for the image) and was deleted
    assert result['deleted'] == {'services': ['svc-1'], 'images': ['img-1'], 'models': [], 'assets': ['a1']}
    assert result['changed'] is True and svc.order == [('services', 'svc-1'), ('images', 'img-1'), ('assets', 'a1')]


# -- mode=apply with storage: the API kinds are verified even when the storage part fails ------------------------------------

def _failing_storage(monkeypatch, *, deletes_fail=False, relist_fails=False):
    """The storage part of apply with canned outcomes: one selected blob, its DELETE failed or done, the re-listing failed or
    empty (no storage service: ``_storage_purge`` is replaced where ``_purge_apply`` calls it)."""
    from ansible_collections.gdpr.azureml.plugins.module_utils import _purge_apply, _storage_purge
    from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError

    section = {'account': 'stml01', 'container': 'azureml', 'runs': 1, 'blobs': 1, 'snapshots': 0, 'bytes': 3}
    monkeypatch.setattr(_purge_apply, '_apply_storage_selection',
                        lambda module: {'section': section, 'blobs': ['b'], 'runs': [('r1', 'dcid.r1')], 'account': 'stml01'})
    outcome = {'id': 'stml01/azureml/ExperimentRun/dcid.r1/a.txt', 'status': 412 if deletes_fail else 202, 'request_id': 'rid-blob',
               'outcome': 'failed' if deletes_fail else 'deleted'}
    if deletes_fail:
        outcome['error'] = 'delete blob stml01/azureml/ExperimentRun/dcid.r1/a.txt: not deleted, the blob changed since the export'
    monkeypatch.setattr(_storage_purge, 'delete', lambda module, blobs, audit: [outcome])

    def remaining(module, account, runs, others=()):
        if relist_fails:
            raise AzureMLError('list the blobs of stml01/azureml under ExperimentRun/dcid.r1/', 'down', status=503, request_id='rid-list')
        return []
    monkeypatch.setattr(_storage_purge, 'remaining', remaining)


@pytest.mark.parametrize('case', [
    ({'deletes_fail': True}, 'storage of workspace rg-1/ws-1: 1 blob delete(s) failed'),
    ({'relist_fails': True}, 'the storage deletes are done, listing the prefixes again failed'),
])
def test_apply_verifies_the_api_kinds_even_when_the_storage_part_fails(run, rsps, tmp_path, monkeypatch, case):
    fails, first = case
    svc = Service(rsps, OBJECTS)
    _failing_storage(monkeypatch, **fails)
    audit = tmp_path / 'audit.jsonl'
    result = run(dict(APPLY, audit_log=str(audit), storage=True, export_dir=str(tmp_path / 'bundle')))
    assert result['failed'] and result['msg'].startswith(first), result['msg']  # the storage failure first
    assert 'the API kinds were listed again: none of their objects remains' in result['msg']
    assert result['deleted'] == PLANNED and result['changed'] is True and len(svc.order) == 5
    assert result['remaining'] == {'services': 0, 'images': 0, 'models': 0, 'assets': 0}
    assert result['workspace_found'] is True
    lines = read_lines(audit)
    assert [(x['kind'], x['remaining']) for x in lines if x['outcome'] == 'verified' and x['kind'] != 'storage_blobs'] == [
        ('services', 0), ('images', 0), ('models', 0), ('assets', 0)]
    assert result['audit_lines'] == 4


def test_apply_names_both_failures_when_the_verification_fails_after_the_storage_part(run, rsps, tmp_path, monkeypatch):
    Service(rsps, OBJECTS)
    _failing_storage(monkeypatch, deletes_fail=True)
    # the assets' delete lists them once (nothing holds an asset); the verification's listing of them then fails
    calls = {'n': 0}

    def assets(request):
        calls['n'] += 1
        if calls['n'] > 1:
            return 500, {'x-ms-request-id': 'rid-verify'}, json.dumps({'error': {'code': 'InternalServerError', 'message': 'down'}})
        return 200, {}, json.dumps({'value': OBJECTS['assets']})
    rsps.remove(responses.GET, mms('assets'))
    rsps.add_callback(responses.GET, mms('assets'), callback=assets)
    result = run(dict(APPLY, audit_log=str(tmp_path / 'audit.jsonl'), storage=True, export_dir=str(tmp_path / 'bundle')))
    assert result['failed'] and result['msg'].startswith('storage of workspace rg-1/ws-1: 1 blob delete(s) failed'), result['msg']
    assert 'then listing each kind again failed too' in result['msg'] and 'HTTP 500' in result['verify_error']


# -- mode=apply: thousands of long-running deletes of one kind are settled by one listing -------------------------------------

class Jobs:
    """ARM's jobs for apply: listed, deleted with 202 and an operation to poll. ``gone_at_once``: a deleted job leaves the
    listing at once (its operation is done by the time it is listed); otherwise only once its operation is polled."""

    STATUS = ARM + '/subscriptions/s/providers/Microsoft.MachineLearningServices/locations/eastus/mfeOperationsStatus/'

    def __init__(self, rsps, names, gone_at_once=True, hidden=(), failing_lists=()):
        self.names, self.gone_at_once, self.deleting = list(names), gone_at_once, {}
        self.hidden = list(hidden)  # jobs that exist but that no listing shows
        self.failing_lists, self.lists = set(failing_lists), 0  # which listings (1, 2, ...) answer 500
        rsps.add(responses.GET, ws_url(), json=WORKSPACE)
        rsps.add_callback(responses.GET, re.compile(re.escape(ARM + WS_ID + '/jobs?')), callback=self.list)
        rsps.add_callback(responses.DELETE, re.compile(re.escape(ARM + WS_ID + '/jobs/') + r'[^?/]+\?'), callback=self.delete)
        rsps.add_callback(responses.GET, re.compile(re.escape(self.STATUS) + r'[^?]+'), callback=self.status)

    @staticmethod
    def job_id(name):
        return f'{WS_ID}/jobs/{name}'

    def list(self, request):
        self.lists += 1
        if self.lists in self.failing_lists:
            return 500, {'x-ms-request-id': 'rid-list'}, json.dumps({'error': {'code': 'InternalServerError', 'message': 'down'}})
        return 200, {}, json.dumps({'value': [{'id': self.job_id(n), 'name': n, 'properties': {}} for n in self.names]})

    def delete(self, request):
        name = request.path_url.split('?')[0].rsplit('/', 1)[1]
        if name not in self.names + self.hidden:
            return 204, {}, ''
        if name in self.hidden:
            self.deleting[name] = True
        elif self.gone_at_once:
            self.names.remove(name)
        else:
            self.deleting[name] = True
        return 202, {'Azure-AsyncOperation': self.STATUS + name + '?api-version=2025-12-01', 'x-ms-request-id': f'rid-{name}'}, ''

    def status(self, request):
        name = request.path_url.split('?')[0].rsplit('/', 1)[1]
        if self.deleting.pop(name, None):
            (self.hidden if name in self.hidden else self.names).remove(name)
        return 200, {}, json.dumps({'status': 'Succeeded'})


def _apply_jobs(run, names, tmp_path):
    audit = tmp_path / 'audit.jsonl'
    result = run({'mode': 'apply', 'kinds': ['jobs'], 'objects': {'jobs': [Jobs.job_id(n) for n in names]}, 'confirm': 'ws-1',
                  'retries': 0, 'audit_log': str(audit)})
    return result, read_lines(audit)


def _calls(rsps, method, fragment):
    return [c for c in rsps.calls if c.request.method == method and fragment in c.request.url]


@pytest.fixture
def confirm_at_three(monkeypatch):
    from ansible_collections.gdpr.azureml.plugins.module_utils import _purge_delete
    monkeypatch.setattr(_purge_delete, 'CONFIRM_BY_LISTING', 3)


def test_many_long_running_deletes_of_a_kind_are_settled_by_one_listing_not_a_poll_each(
        run, rsps, tmp_path, fake_time, confirm_at_three):
    Jobs(rsps, ['j1', 'j2', 'j3'])
    result, lines = _apply_jobs(run, ['j1', 'j2', 'j3'], tmp_path)
    assert not result.get('failed'), result
    assert sorted(result['deleted']['jobs']) == sorted(Jobs.job_id(n) for n in ('j1', 'j2', 'j3'))
    assert _calls(rsps, 'GET', 'mfeOperationsStatus') == []  # no poll: the listing no longer shows them
    assert len(_calls(rsps, 'DELETE', '/jobs/')) == 3
    # the listing before the deletes, the one that settles them (once their first polls were due), the verification
    assert len(_calls(rsps, 'GET', '/jobs?')) == 3 and fake_time.sleeps == [1]
    assert {(r['outcome'], r.get('confirmed_by')) for r in result['results']} == {('deleted', 'listing')}
    settled = [x for x in lines if x['kind'] == 'jobs' and x['outcome'] == 'deleted']
    assert len(settled) == 3 and {x['confirmed_by'] for x in settled} == {'listing'}
    assert [x['remaining'] for x in lines if x['outcome'] == 'verified'] == [0]


def test_deletes_a_listing_still_shows_are_polled_as_usual(run, rsps, tmp_path, fake_time, confirm_at_three):
    jobs = Jobs(rsps, ['j1', 'j2', 'j3'], gone_at_once=False)
    result, lines = _apply_jobs(run, ['j1', 'j2', 'j3'], tmp_path)
    assert not result.get('failed'), result
    assert len(_calls(rsps, 'GET', 'mfeOperationsStatus')) == 3 and jobs.names == []
    assert all(r['outcome'] == 'deleted' and 'confirmed_by' not in r for r in result['results'])
    assert all('confirmed_by' not in x for x in lines)


def test_a_few_long_running_deletes_are_polled_without_a_listing(run, rsps, tmp_path, fake_time, confirm_at_three):
    Jobs(rsps, ['j1', 'j2'])
    result, dummy = _apply_jobs(run, ['j1', 'j2'], tmp_path)
    assert not result.get('failed'), result
    assert len(_calls(rsps, 'GET', 'mfeOperationsStatus')) == 2
    assert len(_calls(rsps, 'GET', '/jobs?')) == 2  # before the deletes, and the verification


def test_a_delete_the_listing_before_it_did_not_show_is_polled_never_settled_by_absence(
        run, rsps, tmp_path, fake_time, confirm_at_three):
    """An object no listing shows (an archived job a listing without listViewType=All would hide) is absent from the
    settling listing too: that proves nothing, so its operation is polled."""
    jobs = Jobs(rsps, ['j1', 'j2', 'j3'], hidden=['h1'])
    result, lines = _apply_jobs(run, ['j1', 'j2', 'j3', 'h1'], tmp_path)
    assert not result.get('failed'), result
    polled = _calls(rsps, 'GET', 'mfeOperationsStatus')
    assert [c.request.url.split('?')[0].rsplit('/', 1)[1] for c in polled] == ['h1'] and jobs.hidden == []
    by_id = {r['id'].rsplit('/', 1)[1]: r for r in result['results']}
    assert by_id['h1']['outcome'] == 'deleted' and 'confirmed_by' not in by_id['h1']
    assert {by_id[n].get('confirmed_by') for n in ('j1', 'j2', 'j3')} == {'listing'}


def test_a_settling_listing_that_fails_settles_nothing_every_delete_is_polled(run, rsps, tmp_path, fake_time, confirm_at_three):
    jobs = Jobs(rsps, ['j1', 'j2', 'j3'], gone_at_once=False, failing_lists=[2])
    result, lines = _apply_jobs(run, ['j1', 'j2', 'j3'], tmp_path)
    assert not result.get('failed'), result
    assert jobs.lists == 3 and len(_calls(rsps, 'GET', 'mfeOperationsStatus')) == 3 and jobs.names == []
    assert all(r['outcome'] == 'deleted' and 'confirmed_by' not in r for r in result['results'])
    assert [x['remaining'] for x in lines if x['outcome'] == 'verified'] == [0]
