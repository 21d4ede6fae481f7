import hashlib
import json
import os
import stat

import pytest
import export_helpers
from export_helpers import BLOB, SUB, WS_ID, datastore, metric_v2

from ansible_collections.gdpr.azureml.plugins.module_utils import _bundle, _digests, _not_covered
from ansible_collections.gdpr.azureml.plugins.module_utils._client import COLLECTION_VERSION
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KIND_NAMES, KINDS
from ansible_collections.gdpr.azureml.plugins.modules import export_bundle

# the shared fixtures (canned service, module runner)
run_module = export_helpers.run_module
rsps = export_helpers.rsps
service = export_helpers.service

SECRETS = ('DS-SECRET-ONE', 'DS-SECRET-TWO')
HOSTILE = ['../../.ssh/authorized_keys', '/etc/passwd', 'logs\\..\\..\\windows.ini', 'outputs/Försäljning/resultat ✓.csv', 'a', 'a/b']


def populate(service):
    service.computes = [{'id': f'{WS_ID}/computes/c{n}', 'name': f'c{n}'} for n in range(3)]
    service.add_experiment('customer churn v2', runs=3, metrics_per_run=2, artifacts_per_run=2)
    service.add_experiment('100% rollout & A+B?', runs=1, metrics_per_run=1, artifacts_per_run=3)
    service.add_experiment('empty')
    service.tasks = [{'id': f't{n}', 'name': 'task'} for n in range(3)]
    service.datastores = [datastore('store1', SECRETS[0]), datastore('store2', SECRETS[1])]
    service.leak_secrets = True
    for kind in ('models', 'assets', 'images', 'services'):
        service.mms[kind] = [{'id': f'{kind}-{n}:1', 'name': f'{kind}-{n}'} for n in range(3)]
    service.pipelines['pipeline_graphs'] = [{'id': 'g1'}, {'id': 'g2'}]
    for n, run_obj in enumerate(service.all_runs()):  # v2 metrics of 1 to 3 values (two pages at page size 2)
        service.metrics_v2[run_obj['runId']] = [metric_v2(run_obj['runId'], 'loss', 1 + n % 3)]
    service.mms['services'][0]['sslKey'] = '-----BEGIN PRIVATE KEY-----\n' + SECRETS[0] + '\n-----END PRIVATE KEY-----\n'
    # v2: jobs, a data container with 3 versions (two pages), an endpoint with a deployment of a registry's model, a
    # connection returned with its credentials (scrubbed), the resource group's registries (only one is referred to)
    v2 = service.v2
    v2['jobs'] = [{'id': f'{WS_ID}/jobs/{r["runId"]}', 'name': r['runId']} for r in service.all_runs()]
    v2['data'] = [{'id': f'{WS_ID}/data/d', 'name': 'd'}]
    v2['data/d/versions'] = [{'id': f'{WS_ID}/data/d/versions/{n}', 'name': str(n)} for n in range(3)]
    v2['onlineEndpoints'] = [{'id': f'{WS_ID}/onlineEndpoints/e', 'name': 'e'}]
    v2['onlineEndpoints/e/deployments'] = [{'id': f'{WS_ID}/onlineEndpoints/e/deployments/blue', 'name': 'blue', 'properties': {
        'model': 'azureml://registries/shared/models/m/versions/1'}}]
    v2['connections'] = [{'id': f'{WS_ID}/connections/c', 'name': 'c', 'properties': {'credentials': {'key': SECRETS[1]}}}]
    rg = WS_ID.split('/providers/')[0]
    v2['registries'] = [{'id': f'{rg}/providers/Microsoft.MachineLearningServices/registries/{n}', 'name': n}
                        for n in ('shared', 'unused')]


def expected_ids(service):
    return {
        'workspace': [WS_ID], 'computes': [c['id'] for c in service.computes],
        'experiments': [e['experimentId'] for e in service.experiments], 'runs': [r['runId'] for r in service.all_runs()],
        'metrics': [m['metricId'] for m in service.all_metrics()], 'artifacts': [a['artifactId'] for a in service.all_artifacts()],
        'metrics_v2': [f'{run_id}//{m["name"]}' for run_id, ms in service.metrics_v2.items() for m in ms],
        'tasks': [t['id'] for t in service.tasks], 'datastores': [d['name'] for d in service.datastores],
        **{kind: [o['id'] for o in service.mms[kind]] for kind in ('models', 'assets', 'images', 'services')},
        'pipeline_experiments': [], 'pipeline_graphs': ['g1'], 'pipeline_modules': [], 'pipeline_templates': [], 'pipeline_datasources': [],
        **{kind: [] for kind in KIND_NAMES if KINDS[kind].api == 'v2'},
        'jobs': [o['id'] for o in service.v2.get('jobs', [])], 'data_containers': [o['id'] for o in service.v2.get('data', [])],
        'data_versions': [o['id'] for o in service.v2.get('data/d/versions', [])],
        'online_endpoints': [o['id'] for o in service.v2.get('onlineEndpoints', [])],
        'online_deployments': [o['id'] for o in service.v2.get('onlineEndpoints/e/deployments', [])],
        'connections': [o['id'] for o in service.v2.get('connections', [])],
        'registries': [o['id'] for o in service.v2.get('registries', []) if o['name'] == 'shared'],
    }


def snapshot(folder):
    """``{relative path: (inode, mtime_ns)}`` of every file under ``folder``."""
    found = {}
    for top, dummy, files in os.walk(folder):
        for name in files:
            path = os.path.join(top, name)
            st = os.stat(path)
            found[os.path.relpath(path, folder)] = (st.st_ino, st.st_mtime_ns)
    return found


ARGS = {'pipeline_ids': {'graph': ['g1', 'unknown-graph']}}


def test_full_export_writes_every_kind_and_the_manifest_last(run_module, service, tmp_path):
    populate(service)
    dest = tmp_path / 'root' / 'host1'
    result = run_module(export_bundle, dict(ARGS, dest=str(dest)))
    assert result.get('changed') is True, result
    assert result['bundle_dir'] == str(dest)
    expected = expected_ids(service)
    for name in KIND_NAMES:
        objects = json.loads((dest / KINDS[name].file).read_text(encoding='utf-8'))
        ids = [KINDS[name].object_id(o) for o in objects]
        assert ids == sorted(expected[name]), name
        assert result['kinds'][name]['count'] == len(ids) and result['kinds'][name]['changed'] is True
    manifest = json.loads((dest / 'manifest.json').read_text(encoding='utf-8'))
    assert result['manifest'] == manifest
    assert set(manifest) == {'format_version', 'collection_version', 'workspace', 'started', 'finished', 'kinds', 'digests',
                             'not_covered'}
    # what the collection cannot see or erase, one entry per declaration (_not_covered), from the workspace object read
    assert manifest['not_covered'] == _not_covered.record(json.loads((dest / 'workspace.json').read_text(encoding='utf-8'))[0])
    assert manifest['format_version'] == 2 and manifest['collection_version'] == COLLECTION_VERSION
    # digests.json: the content digest of every object of every kind, listed in the manifest (format 2)
    digests = json.loads((dest / 'digests.json').read_text(encoding='utf-8'))
    assert manifest['digests'] == {'file': 'digests.json', 'count': sum(len(v) for v in digests.values()),
                                   'sha256': hashlib.sha256((dest / 'digests.json').read_bytes()).hexdigest()}
    assert sorted(digests) == sorted(KIND_NAMES)
    for name in KIND_NAMES:
        objects = json.loads((dest / KINDS[name].file).read_text(encoding='utf-8'))
        assert digests[name] == {KINDS[name].object_id(o): _digests.digest(name, o) for o in objects}, name
    assert manifest['workspace'] == {'id': WS_ID, 'name': 'ws-1', 'resource_group': 'rg-1', 'subscription_id': SUB, 'location': 'eastus'}
    assert manifest['started'] <= manifest['finished'] and manifest['finished'].endswith('Z')
    for name, entry in manifest['kinds'].items():
        assert set(entry) == {'file', 'count', 'sha256', 'scope'}
        assert entry['scope'] == KINDS[name].scope
        assert entry['sha256'] == hashlib.sha256((dest / entry['file']).read_bytes()).hexdigest()
    assert sorted(manifest['kinds']) == sorted(KIND_NAMES)
    assert result['count'] == sum(len(v) for v in expected.values())
    assert result['missing'] == {'pipeline_graphs': ['unknown-graph']}
    assert any('unknown-graph' in w for w in result['warnings'])
    assert _bundle.verify_bundle(str(dest), workspace_id=WS_ID) == []
    for folder in (tmp_path / 'root', dest):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for name in os.listdir(dest):
        assert stat.S_IMODE(os.stat(dest / name).st_mode) == 0o600
        assert not name.startswith('.')  # no staging folder or temporary file left
    blob = b''.join((dest / name).read_bytes() for name in os.listdir(dest))
    assert not any(secret.encode() in blob for secret in SECRETS)  # datastore credentials and the service's sslKey
    # GETs, and the v2 metrics service's POST reads (nothing else): every value of every v2 metric, each once
    assert {c.method for c in service.calls} == {'GET', 'POST'}
    assert all('/metric/v2.0/' in c.url for c in service.calls if c.method == 'POST')
    exported = json.loads((dest / 'metrics_v2.json').read_text(encoding='utf-8'))
    assert {m['id']: [v['metricId'] for v in m['values']] for m in exported} == {
        f'{run_id}//loss': [v['metricId'] for v in ms[0]['values']] for run_id, ms in service.metrics_v2.items()}
    assert all(m['definition']['metricKey']['name'] == 'loss' and m['runId'] in m['id'] for m in exported)


def test_unchanged_export_changes_nothing(run_module, service, tmp_path):
    populate(service)
    dest = tmp_path / 'host1'
    first = run_module(export_bundle, dict(ARGS, dest=str(dest)))
    (dest / 'purge-plan.json').write_text('{"plan": true}')
    before = snapshot(dest)
    second = run_module(export_bundle, dict(ARGS, dest=str(dest)))
    assert second['changed'] is False
    assert not any(k['changed'] for k in second['kinds'].values())
    assert second['manifest'] == first['manifest']  # the old timestamps too
    assert snapshot(dest) == before
    checked = run_module(export_bundle, dict(ARGS, dest=str(dest)), check=True)
    assert checked['changed'] is False and snapshot(dest) == before


def test_a_change_replaces_the_changed_files_and_the_manifest_only(run_module, service, tmp_path):
    populate(service)
    dest = tmp_path / 'host1'
    first = run_module(export_bundle, dict(ARGS, dest=str(dest)))
    (dest / 'purge-plan.json').write_text('{"plan": true}')
    before = snapshot(dest)
    service.mms['models'].append({'id': 'late-model:1', 'name': 'late-model'})
    checked = run_module(export_bundle, dict(ARGS, dest=str(dest)), check=True)
    assert checked['changed'] is True and checked['kinds']['models']['changed'] is True and checked['kinds']['runs']['changed'] is False
    assert snapshot(dest) == before
    second = run_module(export_bundle, dict(ARGS, dest=str(dest)))
    assert second['changed'] is True and second['kinds']['models'] == dict(second['manifest']['kinds']['models'], changed=True)
    after = snapshot(dest)
    assert after['models.json'] != before['models.json'] and after['manifest.json'] != before['manifest.json']
    assert after['digests.json'] != before['digests.json']  # a new model: a new digest
    unchanged = {k: v for k, v in before.items() if k not in ('models.json', 'manifest.json', 'digests.json')}
    assert {k: after[k] for k in unchanged} == unchanged  # other kind files and purge-plan.json untouched
    assert second['manifest']['kinds']['models']['count'] == first['manifest']['kinds']['models']['count'] + 1
    assert _bundle.verify_bundle(str(dest)) == []


def test_an_interrupted_export_leaves_no_manifest(run_module, service, tmp_path, monkeypatch):
    populate(service)
    dest = tmp_path / 'host1'
    run_module(export_bundle, dict(ARGS, dest=str(dest)))
    service.mms['models'].append({'id': 'late-model:1'})
    service.tasks.append({'id': 't9'})
    real_replace = os.replace
    moved = []

    def crash_after_one(src, dst):
        if os.path.dirname(str(dst)) == str(dest) and _bundle.STAGING_PREFIX in str(src):  # a kind file moved into place
            moved.append(dst)
            if len(moved) == 2:
                raise OSError(28, 'No space left on device', dst)
        return real_replace(src, dst)

    monkeypatch.setattr(os, 'replace', crash_after_one)
    failed = run_module(export_bundle, dict(ARGS, dest=str(dest)))
    assert failed['failed'] and 'No space left on device' in failed['msg']
    assert not (dest / 'manifest.json').exists()  # removed before any kind file was replaced
    assert 'incomplete' in _bundle.verify_bundle(str(dest))[0]
    assert not [n for n in os.listdir(dest) if n.startswith('.')]  # the staging folder is cleaned up
    monkeypatch.setattr(os, 'replace', real_replace)
    again = run_module(export_bundle, dict(ARGS, dest=str(dest)))
    assert again['changed'] is True and _bundle.verify_bundle(str(dest)) == []


def test_check_mode_on_a_fresh_dest_creates_nothing(run_module, service, tmp_path):
    populate(service)
    dest = tmp_path / 'root' / 'host1'
    result = run_module(export_bundle, dict(ARGS, dest=str(dest), archive=True, artifact_content=True), check=True)
    assert result['changed'] is True
    assert not (tmp_path / 'root').exists()
    assert result['kinds']['runs']['count'] == 4 and result['kinds']['artifact_contents']['count'] == 9
    assert result['kinds']['artifact_contents']['sha256'] is None
    assert not [c for c in service.calls if c.url.startswith(BLOB) or 'contentinfo' in c.url]  # nothing downloaded


def test_kinds_subset_and_its_manifest(run_module, service, tmp_path):
    populate(service)
    dest = tmp_path / 'host1'
    result = run_module(export_bundle, {'dest': str(dest), 'kinds': ['models', 'runs']})
    assert sorted(os.listdir(dest)) == ['digests.json', 'manifest.json', 'models.json', 'runs.json']
    assert sorted(result['manifest']['kinds']) == ['models', 'runs']
    assert not any('/metrics' in p or '/artifacts' in p or '/datastores' in p for p in service.paths())
    again = run_module(export_bundle, {'dest': str(dest), 'kinds': ['models']})
    assert again['changed'] is True and sorted(again['manifest']['kinds']) == ['models']  # the manifest changed, models.json did not
    assert again['kinds']['models']['changed'] is False


def test_options_are_checked_before_any_request(run_module, service, tmp_path):
    dest = tmp_path / 'host1'
    assert 'artifacts' in run_module(export_bundle, {'dest': str(dest), 'kinds': ['runs'], 'artifact_content': True})['msg']
    assert 'pipeline_ids' in run_module(export_bundle, {'dest': str(dest), 'pipeline_ids': {'graphs': ['a']}})['msg']
    assert 'kinds' in run_module(export_bundle, {'dest': str(dest), 'kinds': ['bogus']})['msg']
    assert service.calls == [] and not dest.exists()


def test_a_missing_workspace_fails_and_creates_nothing(run_module, service, tmp_path):
    service.workspace = None
    dest = tmp_path / 'host1'
    result = run_module(export_bundle, {'dest': str(dest)})
    assert result['failed'] and 'workspace rg-1/ws-1 does not exist' in result['msg']
    assert not dest.exists()


def test_wrong_modes_and_symlinks_are_repaired(run_module, service, tmp_path):
    populate(service)
    dest = tmp_path / 'host1'
    run_module(export_bundle, {'dest': str(dest), 'kinds': ['models', 'tasks']})
    os.chmod(dest / 'models.json', 0o644)
    elsewhere = tmp_path / 'elsewhere.json'
    elsewhere.write_bytes((dest / 'tasks.json').read_bytes())
    os.unlink(dest / 'tasks.json')
    os.symlink(elsewhere, dest / 'tasks.json')
    result = run_module(export_bundle, {'dest': str(dest), 'kinds': ['models', 'tasks']})
    assert result['changed'] is True and result['kinds']['models']['changed'] and result['kinds']['tasks']['changed']
    assert stat.S_IMODE(os.stat(dest / 'models.json').st_mode) == 0o600
    assert not os.path.islink(dest / 'tasks.json')


def test_artifact_contents_are_downloaded_without_token_and_stored_safely(run_module, service, tmp_path):
    service.add_experiment('hostile', runs=1)
    run_id = service.runs['hostile'][0]['runId']
    service.artifacts[run_id] = [{'artifactId': f'ExperimentRun/{run_id}/{p}', 'container': run_id, 'path': p} for p in HOSTILE]
    for art in service.artifacts[run_id]:
        service.blobs[art['artifactId']] = f'bytes of {art["path"]}'.encode()
    service.artifacts[run_id].append({'artifactId': f'ExperimentRun/{run_id}/no-content', 'container': run_id, 'path': 'no-content'})
    dest = tmp_path / 'host1'
    result = run_module(export_bundle, {'dest': str(dest), 'kinds': ['runs', 'artifacts'], 'artifact_content': True})
    assert result.get('changed') is True, result
    blob_calls = [c for c in service.calls if c.url.startswith(BLOB)]
    assert len(blob_calls) == len(HOSTILE) and not any('Authorization' in c.headers for c in blob_calls)
    index = json.loads((dest / 'artifact_contents.json').read_text(encoding='utf-8'))
    assert len(index) == len(HOSTILE) + 1 and result['manifest']['kinds']['artifact_contents']['count'] == len(HOSTILE) + 1
    real = os.path.realpath(dest)
    for entry in index:
        if entry['path'] == 'no-content':
            assert entry['stored_path'] is None
            continue
        stored = os.path.realpath(os.path.join(dest, entry['stored_path']))
        assert stored.startswith(real + os.sep + 'artifacts' + os.sep)
        data = open(stored, 'rb').read()  # noqa: SIM115
        assert data == f'bytes of {entry["path"]}'.encode()
        assert entry['size'] == len(data) and entry['sha256'] == hashlib.sha256(data).hexdigest()
        assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    assert not (tmp_path / '.ssh').exists() and not os.path.exists(os.path.join(tmp_path, 'x'))
    assert _bundle.verify_bundle(str(dest)) == [] and _bundle.verify_artifact_contents(str(dest)) == []
    assert 'SAS-SIGNATURE-SECRET' not in json.dumps(result) + (dest / 'artifact_contents.json').read_text(encoding='utf-8')
    before = snapshot(dest)
    again = run_module(export_bundle, {'dest': str(dest), 'kinds': ['runs', 'artifacts'], 'artifact_content': True})
    assert again['changed'] is False and snapshot(dest) == before
    # one content changes, one artifact goes away: its stored file goes too
    changed_id = f'ExperimentRun/{run_id}/a/b'
    service.blobs[changed_id] = b'new bytes'
    gone = service.artifacts[run_id].pop(0)
    third = run_module(export_bundle, {'dest': str(dest), 'kinds': ['runs', 'artifacts'], 'artifact_content': True})
    assert third['changed'] is True
    assert (dest / 'artifacts' / _bundle.safe_component(run_id) / 'a' / 'b').read_bytes() == b'new bytes'
    gone_rel = _bundle.artifact_relpath(run_id, gone['path'])
    assert not (dest / gone_rel).exists()
    assert _bundle.verify_artifact_contents(str(dest)) == []


def test_archive_is_written_once_and_kept_when_unchanged(run_module, service, tmp_path):
    populate(service)
    dest = tmp_path / 'host1'
    first = run_module(export_bundle, {'dest': str(dest), 'archive': True})
    archive = tmp_path / 'host1.tar.gz'
    assert first['archive'] == str(archive) and stat.S_IMODE(os.stat(archive).st_mode) == 0o600
    inode = os.stat(archive).st_ino
    second = run_module(export_bundle, {'dest': str(dest), 'archive': True})
    assert second['changed'] is False and os.stat(archive).st_ino == inode
    os.unlink(archive)
    third = run_module(export_bundle, {'dest': str(dest), 'archive': True})
    assert third['changed'] is True and archive.exists()
    assert [n for n in os.listdir(tmp_path) if n.startswith('.')] == []


@pytest.mark.parametrize('page_size', [1, 3])
def test_every_object_exactly_once_whatever_the_page_size(run_module, service, tmp_path, page_size):
    populate(service)
    service.page_size = page_size
    dest = tmp_path / 'host1'
    run_module(export_bundle, dict(ARGS, dest=str(dest), concurrency=3))
    for name, ids in expected_ids(service).items():
        objects = list(_bundle.iter_objects(str(dest / KINDS[name].file)))
        assert sorted(KINDS[name].object_id(o) for o in objects) == sorted(ids), name


def test_subjects_and_report_in_the_same_run_then_unchanged(run_module, service, tmp_path):
    """subjects.json and report.html/md come from the bundle just written, after its manifest; a rerun changes nothing."""
    populate(service)
    dest = tmp_path / 'host1'
    first = run_module(export_bundle, dict(ARGS, dest=str(dest), subjects=[], report=True))
    assert first['changed'] is True and not first.get('failed'), first
    assert first['subject_index']['changed'] is True and first['subject_index']['dest'] == str(dest / 'subjects.json')
    assert 'identity_count' in first['subject_index']
    assert first['report']['changed'] is True and first['report']['files'] == {'html': str(dest / 'report.html'), 'md': str(dest / 'report.md')}
    for name in ('subjects.json', 'report.html', 'report.md'):
        assert stat.S_IMODE((dest / name).stat().st_mode) == 0o600, name
    manifest = json.loads((dest / 'manifest.json').read_text(encoding='utf-8'))
    assert 'subjects.json' not in {k['file'] for k in manifest['kinds'].values()}  # derived, not in the manifest
    assert _bundle.verify_bundle(str(dest)) == []
    before = snapshot(dest)
    second = run_module(export_bundle, dict(ARGS, dest=str(dest), subjects=[], report=True))
    assert second['changed'] is False and second['subject_index']['changed'] is False and second['report']['changed'] is False
    assert snapshot(dest) == before
    # a named subject replaces the index of every identity by that subject's objects
    named = run_module(export_bundle, dict(ARGS, dest=str(dest), subjects=['Nobody Known'], report=True))
    assert named['changed'] is True and named['subject_index']['changed'] is True
    assert [s['total'] for s in named['subject_index']['summary']] == [0]
    assert 'subjects' in json.loads((dest / 'subjects.json').read_text(encoding='utf-8'))


def test_subjects_and_report_share_one_verification_of_the_stored_files(run_module, service, tmp_path, monkeypatch):
    """The bundle just written is verified once for subjects.json and the report together: every stored file (here the
    artifact contents; the storage blobs alike) is read back once, not once for each."""
    service.add_experiment('files', runs=1)
    run_id = service.runs['files'][0]['runId']
    service.artifacts[run_id] = [{'artifactId': f'ExperimentRun/{run_id}/out/{n}.bin', 'container': run_id, 'path': f'out/{n}.bin'}
                                 for n in range(3)]
    for art in service.artifacts[run_id]:
        service.blobs[art['artifactId']] = art['path'].encode() * 100
    hashed = []
    real = _bundle.sha256_file
    monkeypatch.setattr(_bundle, 'sha256_file', lambda path: hashed.append(os.path.relpath(path, str(tmp_path))) or real(path))
    dest = tmp_path / 'host1'
    result = run_module(export_bundle, {'dest': str(dest), 'kinds': ['runs', 'artifacts'], 'artifact_content': True,
                                        'subjects': [], 'report': True})
    assert result['changed'] is True and result['report']['changed'] is True and result['subject_index']['changed'] is True
    contents = [h for h in hashed if h.startswith('host1/artifacts/')]
    assert len(contents) == 3 and len(set(contents)) == 3, hashed  # each once (it was twice)
    assert hashed.count('host1/runs.json') == 1, hashed
    assert 'bundle complete, checksums verified' in (dest / 'report.html').read_text(encoding='utf-8')
    # a stored file changed behind the export's back is still caught by that one verification
    os.chmod(dest / contents[0].split('/', 1)[1], 0o600)
    (dest / contents[0].split('/', 1)[1]).write_bytes(b'tampered')
    assert _bundle.verify_bundle(str(dest)) != []


def test_subjects_and_report_are_not_written_in_check_mode(run_module, service, tmp_path):
    populate(service)
    dest = tmp_path / 'host1'
    result = run_module(export_bundle, dict(ARGS, dest=str(dest), subjects=[], report=True), check=True)
    assert result['changed'] is True and 'subject_index' not in result and 'report' not in result
    assert not dest.exists()


def test_bad_subjects_fail_before_any_request(run_module, service, tmp_path):
    dest = tmp_path / 'host1'
    result = run_module(export_bundle, {'dest': str(dest), 'subjects': [{'phone': '555'}]})
    assert result['failed'] and result['msg'].startswith('subjects: ') and result['option'] == 'subjects', result
    assert service.calls == [] and not dest.exists()
