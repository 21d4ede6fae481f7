"""The module bundle_report and _report: content, escaping of hostile names, audit log, idempotence, check mode."""
import json
import os
import stat

import pytest
from compat import patch_module_args
from unit_helpers import ExitJson, FailJson, patch_exits

from ansible_collections.gdpr.azureml.plugins.module_utils import _report
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import sha256_file, write_json_array
from ansible_collections.gdpr.azureml.plugins.modules import bundle_report

ANNA = 'f74592bd-cec8-4762-af28-9157799b9787'
TENANT = '00000000-0000-4000-8000-0000000000aa'
EVIL = '<script>alert("x")</script> | *bold* [link](http://evil.example)'
WS_ID = '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws'
OBJECTS = {
    'runs': ('runId', [
        {'runId': 'r1', 'name': 'exp', 'userId': ANNA, 'createdBy': {'userObjectId': ANNA, 'userTenantId': TENANT, 'userName': EVIL}},
        {'runId': 'r2', 'name': 'exp', 'userId': ANNA, 'createdBy': {'userObjectId': ANNA, 'userTenantId': TENANT, 'userName': EVIL}},
    ]),
    'metrics': ('metricId', [{'metricId': 'm1', 'runId': 'r1', 'name': 'loss'}]),
    'models': ('id', [{'id': 'model:1', 'name': EVIL}]),
}


def make_bundle(folder, name='ws'):
    os.makedirs(folder, exist_ok=True)
    kinds = {}
    for kind, (key, items) in OBJECTS.items():
        path = os.path.join(folder, f'{kind}.json')
        write_json_array(path, items, key)
        kinds[kind] = {'file': f'{kind}.json', 'count': len(items), 'sha256': sha256_file(path), 'scope': 'all'}
    manifest = {'format_version': 1, 'collection_version': '1.0.0', 'started': '2026-01-01T00:00:00Z', 'finished': '2026-01-01T00:00:01Z',
                'workspace': {'id': WS_ID, 'name': name, 'resource_group': 'rg', 'subscription_id': '0', 'location': 'westeurope'},
                'kinds': kinds}
    with open(os.path.join(folder, 'manifest.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f)
    return str(folder)


def audit(path, lines):
    with open(path, 'w', encoding='utf-8') as f:
        for line in lines:
            f.write(json.dumps(dict({'workspace_id': WS_ID, 'time': '2026-01-02T00:00:00Z'}, **line)) + '\n')
    return str(path)


@pytest.fixture
def run(monkeypatch):
    patch_exits(monkeypatch)

    def run_module(args, check_mode=False):
        args = dict(args)
        if check_mode:
            args['_ansible_check_mode'] = True
        with patch_module_args(args):
            try:
                bundle_report.main()
            except ExitJson as done:
                return done.result
            except FailJson as failed:
                return failed.result
        raise AssertionError('the module did not exit')

    return run_module


def test_report_counts_people_and_escapes_hostile_names(tmp_path, run):
    bundle = make_bundle(tmp_path / 'b', name=EVIL)
    result = run({'bundle_dir': bundle})
    assert result['changed'] is True
    assert result['kinds'] == {'runs': 2, 'metrics': 1, 'models': 1}
    assert result['total'] == 4 and result['people'] == 1 and result['purge'] is None
    html_text = (tmp_path / 'b' / 'report.html').read_text(encoding='utf-8')
    md_text = (tmp_path / 'b' / 'report.md').read_text(encoding='utf-8')
    assert '<script' not in html_text and '&lt;script&gt;' in html_text
    assert '<link' not in html_text and 'src=' not in html_text  # self-contained
    assert 'data-kind="runs"' in html_text and 'data-count="2"' in html_text
    assert ANNA in html_text and ANNA in md_text
    assert '<script' not in md_text and '\\|' in md_text and '\\[link\\]' in md_text
    for name in ('report.html', 'report.md'):
        assert stat.S_IMODE(os.stat(tmp_path / 'b' / name).st_mode) == 0o600


def test_second_run_is_not_a_change_and_check_mode_writes_nothing(tmp_path, run):
    bundle = make_bundle(tmp_path / 'b')
    checked = run({'bundle_dir': bundle}, check_mode=True)
    assert checked['changed'] is True and not os.path.exists(tmp_path / 'b' / 'report.html')
    assert run({'bundle_dir': bundle})['changed'] is True
    assert run({'bundle_dir': bundle})['changed'] is False
    assert run({'bundle_dir': bundle}, check_mode=True)['changed'] is False


def test_audit_log_of_this_workspace_only(tmp_path, run):
    bundle = make_bundle(tmp_path / 'b')
    log = audit(tmp_path / 'audit.jsonl', [
        {'kind': 'models', 'id': 'model:1', 'status': 200, 'request_id': 'req-1', 'outcome': 'deleted'},
        {'kind': 'models', 'id': 'model:2', 'status': 404, 'request_id': 'req-2', 'outcome': 'absent'},
        {'kind': 'models', 'id': None, 'status': None, 'request_id': None, 'outcome': 'verified', 'remaining': 0},
        {'kind': 'models', 'id': 'other', 'status': 200, 'request_id': 'req-3', 'outcome': 'deleted', 'workspace_id': WS_ID + 'x'},
    ])
    result = run({'bundle_dir': bundle, 'audit_log': log, 'formats': ['html']})
    assert result['purge'] == {'audit_log': log, 'deleted': 1, 'failed': 0, 'unknown': 0, 'remaining': {'models': 0}}
    assert set(result['files']) == {'html'}
    html_text = (tmp_path / 'b' / 'report.html').read_text(encoding='utf-8')
    assert 'req-1' in html_text and 'req-2' not in html_text and 'req-3' not in html_text  # absent: audit log only


def test_missing_audit_log_and_bad_bundles(tmp_path, run):
    bundle = make_bundle(tmp_path / 'b')
    report = _report.build_report(bundle, str(tmp_path / 'nope.jsonl'))
    assert report['purge']['missing'] is True and report['purge']['deleted'] == 0
    assert 'not found' in _report.render_html(report).decode()
    os.makedirs(tmp_path / 'empty')
    failed = run({'bundle_dir': str(tmp_path / 'empty')})
    assert failed['failed'] is True and 'manifest.json' in failed['msg']
    with open(os.path.join(bundle, 'models.json'), 'a', encoding='utf-8') as f:
        f.write(' ')
    result = run({'bundle_dir': bundle})
    assert result['complete'] is False and result['problems']
    assert 'bundle incomplete' in (tmp_path / 'b' / 'report.html').read_text(encoding='utf-8')


def test_an_unsettled_pending_line_is_shown_as_unknown(tmp_path):
    """Issue 15: a DELETE whose answer was never recorded is neither deleted nor kept in the report: unknown."""
    bundle = make_bundle(str(tmp_path / 'b'))
    log = audit(tmp_path / 'audit.jsonl', [
        {'kind': 'models', 'id': 'm1', 'outcome': 'pending', 'client_request_id': 'c1'},
        {'kind': 'models', 'id': 'm1', 'outcome': 'deleted', 'client_request_id': 'c1', 'status': 200, 'request_id': 'r1'},
        {'kind': 'models', 'id': 'm2', 'outcome': 'pending', 'client_request_id': 'c2'},
    ])
    result = _report.write_reports(bundle, log)
    assert result['purge']['deleted'] == 1 and result['purge']['unknown'] == 1 and result['purge']['failed'] == 0
    html = open(result['files']['html'], encoding='utf-8').read()
    assert 'unknown (no answer recorded)' in html and 'data-unknown="1"' in html
    md = open(result['files']['md'], encoding='utf-8').read()
    assert '| m2 |' in md and '| unknown (no answer recorded' in md
    settled = audit(tmp_path / 'audit2.jsonl', [
        {'kind': 'models', 'id': 'm2', 'outcome': 'pending', 'client_request_id': 'c2'},
        {'kind': 'models', 'id': 'm2', 'outcome': 'deleted', 'client_request_id': 'c2', 'settled_by': 'relist'},
    ])
    again = _report.write_reports(bundle, settled)
    assert again['purge']['deleted'] == 1 and again['purge']['unknown'] == 0
    assert 'unknown' not in open(again['files']['html'], encoding='utf-8').read()


def test_the_subjects_of_a_request_show_how_strong_the_evidence_is(tmp_path, run):
    from ansible_collections.gdpr.azureml.plugins.module_utils import _subjects
    bundle = make_bundle(tmp_path / 'b')
    index = _subjects.build_index(bundle, [{'object_id': ANNA}, {'name': 'model:1'}, {'name': EVIL}])
    _subjects.write_index(os.path.join(bundle, 'subjects.json'), index)
    assert run({'bundle_dir': bundle})['changed'] is True
    md_text = (tmp_path / 'b' / 'report.md').read_text(encoding='utf-8')
    html_text = (tmp_path / 'b' / 'report.html').read_text(encoding='utf-8')
    assert '| runs 2, metrics 1 | 3 precise \\(object id\\) |' in md_text  # two runs and the metric of one, through its run
    # a name matches the runs' userName (and the metric through its run) and the model's name: never more than a name
    assert '| runs 2, metrics 1, models 1 | 4 by display name only \\(weaker evidence\\) |' in md_text
    assert 'weaker evidence' in html_text and '<th>evidence</th>' in html_text
