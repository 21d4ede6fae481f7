"""_access: the subject access package of one person, from synthetic export bundles (no emulator, no service)."""
import hashlib
import json
import os
import stat
import zipfile

import pytest
from access_helpers import ANNA, CONTENTS, JANE, NAMESAKE, TENANT, WS, make_bundle, objects_ws1, rh, sdk

from ansible_collections.gdpr.azureml.plugins.module_utils import _access as A
from ansible_collections.gdpr.azureml.plugins.module_utils import _kinds, _not_covered, _subjects
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import sha256_file
from ansible_collections.gdpr.azureml.plugins.module_utils._redact import MARKER
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import SubjectError


@pytest.fixture
def fleet(tmp_path):
    ws1 = make_bundle(tmp_path / 'exports' / 'rg_ws1', objects_ws1(), CONTENTS)
    other = {'workspace': [{'id': WS + 'ws2', 'name': 'ws2'}], 'runs': [{'runId': 'q1', 'createdBy': rh(ANNA['object_id'], ANNA['name'])}],
             'models': []}
    ws2 = make_bundle(tmp_path / 'exports' / 'rg_ws2', other, ws_name='ws2')
    return [ws1, ws2]


def params(fleet, tmp_path, subject=None, **extra):
    out = {'subject': JANE if subject is None else subject, 'bundle_dirs': list(fleet), 'dest': str(tmp_path / 'sa')}
    out.update(extra)
    return out


def load(folder, name):
    with open(os.path.join(folder, name), encoding='utf-8') as f:
        return json.load(f)


def tree(root):
    """Every path under root with its mode, size and mtime: what a check run must leave as it is."""
    out = {}
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            st = os.lstat(os.path.join(base, name))
            out[os.path.relpath(os.path.join(base, name), root)] = (stat.S_IMODE(st.st_mode), st.st_size, st.st_mtime_ns)
    return out


def all_bytes(folder):
    blobs = {}
    for base, _dirs, files in os.walk(folder):
        for name in files:
            with open(os.path.join(base, name), 'rb') as f:
                blobs[os.path.relpath(os.path.join(base, name), folder)] = f.read()
    return blobs


def test_the_package_holds_exactly_what_the_subject_index_attributes(fleet, tmp_path):
    result = A.subject_package(params(fleet, tmp_path))
    folder = result['dest']
    assert folder == str(tmp_path / 'sa' / JANE['object_id']) and result['slug'] == JANE['object_id']
    entries = load(folder, 'objects.json')
    expected = set()
    for bundle in fleet:
        index = _subjects.build_index(bundle, [JANE])
        expected |= {(os.path.basename(bundle), o['kind'], o['id']) for o in index['subjects'][0]['objects']}
    got = [(e['workspace']['bundle'], e['kind'], e['id']) for e in entries]
    assert set(got) == expected and len(got) == len(expected)
    assert got == [('rg_ws1', 'runs', 'r1'), ('rg_ws1', 'runs', 'r2'), ('rg_ws1', 'runs', 'r3'), ('rg_ws1', 'metrics', 'm1'),
                   ('rg_ws1', 'artifacts', 'ExperimentRun/r1/logs/driver.txt'), ('rg_ws1', 'artifacts', 'ExperimentRun/r1/outputs/model.pkl'),
                   ('rg_ws1', 'artifacts', 'ExperimentRun/r1/outputs/none.bin'), ('rg_ws1', 'models', 'anna-model:1'),
                   ('rg_ws1', 'models', 'jane-model:1'), ('rg_ws1', 'images', 'img:1')]
    by = {(e['kind'], e['id']): e for e in entries}
    assert by[('runs', 'r1')]['match'] == 'identifier' and by[('runs', 'r1')]['created_by'] is True
    assert by[('runs', 'r3')]['match'] == 'display_name'  # the namesake's run: by name only
    assert by[('metrics', 'm1')]['match'] == 'identifier' and by[('metrics', 'm1')]['via'] == {'kind': 'runs', 'id': 'r1'}
    assert by[('runs', 'r2')]['created_by'] is False and by[('runs', 'r2')]['fields'] == ['tags.owner']
    assert by[('models', 'anna-model:1')]['fields'] == ['properties.contact']
    assert by[('images', 'img:1')]['workspace'] == {'bundle': 'rg_ws1', 'id': WS + 'ws1', 'name': 'ws1'}
    assert result['counts'] == {'runs': 3, 'metrics': 1, 'artifacts': 3, 'models': 2, 'images': 1} and result['total'] == 10
    assert result['complete'] is True and result['workspaces'] == 1
    assert result['first'] == '2020-03-02T09:47:00Z' and result['last'] == '2020-03-05T00:00:00Z'


def test_other_peoples_identifiers_are_redacted_and_the_persons_stay(fleet, tmp_path):
    result = A.subject_package(params(fleet, tmp_path, archive=True))
    folder = result['dest']
    by = {(e['kind'], e['id']): e for e in load(folder, 'objects.json')}
    r2 = by[('runs', 'r2')]['object']
    assert r2['createdBy'] == {'userObjectId': MARKER, 'userTenantId': TENANT, 'userName': MARKER}
    assert r2['userId'] == MARKER and r2['tags'] == {'owner': JANE['email']}
    assert r2['description'] == f'Pair-programmed by {MARKER} ({MARKER}) with Jane Doe'
    r3 = by[('runs', 'r3')]['object']  # the namesake's: their object id goes, the shared name stays
    assert r3['createdBy'] == {'userObjectId': MARKER, 'userTenantId': TENANT, 'userName': 'Jane Doe'} and r3['userId'] == MARKER
    assert by[('runs', 'r1')]['object']['createdBy'] == rh(JANE['object_id'], 'Jane Doe')
    assert by[('runs', 'r1')]['object']['tags'] == {'reviewer': MARKER}
    model = by[('models', 'anna-model:1')]['object']
    assert model['kvTags'] == {MARKER: 'contact'} and model['properties'] == {'contact': JANE['object_id'].upper()}
    assert model['createdBy']['userPuId'] == MARKER and model['createdBy']['userIss'].startswith('https://sts.windows.net/')
    image = by[('images', 'img:1')]
    assert image['object']['modelDetails'][0]['createdBy'] == sdk(JANE)  # the person's own record, puid included
    assert image['redacted'] == ['object.createdBy.userName', 'object.createdBy.userObjectId', 'object.createdBy.userPuId']
    manifest = load(folder, 'manifest.json')
    assert manifest['redactions']['marker'] == MARKER
    assert manifest['redactions']['fields']['object.createdBy.userObjectId'] == 4  # r2, r3, anna-model, img
    assert manifest['redactions']['fields']['object.kvTags (key)'] == 1
    assert manifest['redactions']['objects'] == 5
    # no byte of the package (zip included) spells anybody else's identifier
    blobs = all_bytes(folder)
    with zipfile.ZipFile(result['archive']['path']) as zf:
        blobs.update({'zip:' + n: zf.read(n) for n in zf.namelist()})
    for name, data in blobs.items():
        text = data.decode('utf-8').lower()
        for value in (ANNA['object_id'], ANNA['email'], ANNA['name'], ANNA['puid'], NAMESAKE, 'anna.svensson%40contoso.example'):
            assert value.lower() not in text, (name, value)
    assert JANE['email'] in blobs['objects.json'].decode() and 'Jane Doe' in blobs['summary.html'].decode()


def test_files_of_the_persons_runs_are_copied_or_withheld(fleet, tmp_path):
    result = A.subject_package(params(fleet, tmp_path))
    folder = result['dest']
    by = {(e['kind'], e['id']): e for e in load(folder, 'objects.json')}
    stored = by[('artifacts', 'ExperimentRun/r1/outputs/model.pkl')]['file']
    assert stored == {'stored': True, 'path': 'files/rg_ws1/artifacts/r1/outputs/model.pkl',
                      'sha256': hashlib.sha256(CONTENTS['ExperimentRun/r1/outputs/model.pkl']).hexdigest(), 'size': 20}
    with open(os.path.join(folder, stored['path']), 'rb') as f:
        assert f.read() == CONTENTS['ExperimentRun/r1/outputs/model.pkl']
    assert by[('artifacts', 'ExperimentRun/r1/logs/driver.txt')]['file'] == {
        'stored': False, 'reason': 'withheld: it holds identifiers of other people'}
    assert 'file' not in by[('artifacts', 'ExperimentRun/r1/outputs/none.bin')]  # the service gave no content
    assert not os.path.exists(os.path.join(folder, 'files/rg_ws1/artifacts/r1/logs'))
    assert result['withheld'] == [{'workspace': 'rg_ws1', 'kind': 'artifacts', 'id': 'ExperimentRun/r1/logs/driver.txt',
                                   'reason': 'it holds identifiers of other people: review it by hand'}]
    manifest = load(folder, 'manifest.json')
    on_disk = {os.path.relpath(os.path.join(b, n), folder) for b, _d, fs in os.walk(folder) for n in fs} - {'manifest.json'}
    assert set(manifest['files']) == on_disk == {'objects.json', 'summary.html', 'summary.md', stored['path']}
    for rel, entry in manifest['files'].items():
        assert sha256_file(os.path.join(folder, rel)) == entry['sha256'] and os.path.getsize(os.path.join(folder, rel)) == entry['size']
    for base, dirs, files in os.walk(tmp_path / 'sa'):
        for d in dirs:
            assert stat.S_IMODE(os.stat(os.path.join(base, d)).st_mode) == 0o700
        for n in files:
            assert stat.S_IMODE(os.stat(os.path.join(base, n)).st_mode) == 0o600
    assert [f['path'] for f in result['files']][-1] == 'manifest.json'
    coverage = [c['text'] for c in A.build_package(A.read_fleet(fleet, [JANE]), [JANE])['model']['coverage']]
    assert any(t.startswith('the stored files of 1 of the person\'s artifacts: the service gave no content') for t in coverage)


def test_stored_paths_that_spell_someone_else_are_redacted_too(fleet, tmp_path):
    objects = objects_ws1()
    paths = ('outputs/anna.svensson/report.csv', 'outputs/Anna Svensson/report.csv', 'outputs/[redacted]/report.csv')
    objects['artifacts'] = [{'artifactId': f'ExperimentRun/r1/{p}', 'origin': 'ExperimentRun', 'container': 'r1', 'path': p} for p in paths]
    make_bundle(fleet[0], objects, {f'ExperimentRun/r1/{p}': b'report %d' % n for n, p in enumerate(paths)})
    result = A.subject_package(params(fleet, tmp_path, archive=True))
    files = sorted(f['path'] for f in result['files'] if f['path'].startswith('files/'))
    assert files == ['files/rg_ws1/artifacts/r1/outputs/[redacted]/report.csv', 'files/rg_ws1/artifacts/r1/outputs/[redacted]/report.csv~2',
                     'files/rg_ws1/artifacts/r1/outputs/[redacted]/report.csv~3']
    with zipfile.ZipFile(result['archive']['path']) as zf:
        assert not any('anna' in n.lower() for n in zf.namelist())
    entries = load(result['dest'], 'objects.json')
    assert sorted(e['file']['path'] for e in entries if e['kind'] == 'artifacts') == files
    assert 'anna.svensson' not in json.dumps(entries).lower() and 'anna svensson' not in json.dumps(entries).lower()


def test_check_mode_writes_nothing_and_a_rerun_changes_nothing(fleet, tmp_path):
    p = params(fleet, tmp_path, archive=True)
    before = tree(tmp_path)
    check = A.subject_package(p, check_mode=True)
    assert check['changed'] is True and all(f['changed'] for f in check['files']) and check['archive']['changed'] is True
    assert tree(tmp_path) == before and not os.path.exists(tmp_path / 'sa')
    first = A.subject_package(p)
    assert first['changed'] is True and [f['path'] for f in first['files']] == [f['path'] for f in check['files']]
    assert [f['sha256'] for f in first['files']] == [f['sha256'] for f in check['files']]
    assert first['archive']['sha256'] == check['archive']['sha256'] == sha256_file(first['archive']['path'])
    written = tree(tmp_path)
    again = A.subject_package(p)
    assert again['changed'] is False and not any(f['changed'] for f in again['files']) and again['archive']['changed'] is False
    assert tree(tmp_path) == written
    assert A.subject_package(p, check_mode=True)['changed'] is False
    # a change in a bundle: check mode says so and still writes nothing
    objects = objects_ws1()
    objects['runs'][0]['name'] = 'renamed'
    make_bundle(fleet[0], objects, CONTENTS)
    before = tree(tmp_path)
    dry = A.subject_package(p, check_mode=True)
    # the run is the person's own and not named in the summaries: only objects.json and the manifest change
    assert dry['changed'] is True and [f['path'] for f in dry['files'] if f['changed']] == ['objects.json', 'manifest.json']
    assert tree(tmp_path) == before


def test_the_zip_is_deterministic_and_holds_the_folder(fleet, tmp_path):
    result = A.subject_package(params(fleet, tmp_path, archive=True))
    with zipfile.ZipFile(result['archive']['path']) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        slug = result['slug']
        assert names[0] == slug + '/' and names == sorted(names)
        files = {n[len(slug) + 1:]: zf.read(n) for n in names if not n.endswith('/')}
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
        assert {stat.S_IMODE(i.external_attr >> 16) for i in infos if not i.is_dir()} == {0o600}
        assert {stat.S_IMODE(i.external_attr >> 16) for i in infos if i.is_dir()} == {0o700}
    assert files == all_bytes(result['dest'])
    digest = result['archive']['sha256']
    os.unlink(result['archive']['path'])
    os.unlink(os.path.join(result['dest'], 'summary.md'))
    again = A.subject_package(params(fleet, tmp_path, archive=True))
    assert again['changed'] is True and again['archive']['sha256'] == digest
    # without archive, a zip of the folder as it was goes when the folder changes
    make_bundle(fleet[0], objects_ws1())  # no contents any more: the copied file is stale
    changed = A.subject_package(params(fleet, tmp_path))
    assert sorted(changed['removed']) == [f'{slug}.zip', 'files/rg_ws1/artifacts/r1/outputs/model.pkl']
    assert not os.path.exists(result['archive']['path']) and not os.path.exists(os.path.join(result['dest'], 'files'))


def test_missing_and_unverifiable_bundles_are_named(fleet, tmp_path):
    os.unlink(os.path.join(fleet[1], 'manifest.json'))
    gone = str(tmp_path / 'exports' / 'rg_gone')
    result = A.subject_package(params(fleet + [gone], tmp_path, subject=ANNA['object_id']))
    assert result['complete'] is False
    status = {b['bundle']: (b['status'], b['problems']) for b in result['bundles']}
    assert status['rg_ws1'] == ('complete', [])
    assert status['rg_ws2'][0] == 'not searched' and 'has no manifest.json' in status['rg_ws2'][1][0]
    assert status['rg_gone'] == ('not searched', ['no export bundle at rg_gone'])
    assert str(tmp_path) not in json.dumps(load(result['dest'], 'manifest.json'))  # bundles named by folder name only
    summary = open(os.path.join(result['dest'], 'summary.md'), encoding='utf-8').read()
    assert 'INCOMPLETE' in summary and 'not searched' in summary and 'rg\\_gone' in summary
    assert not any(e['workspace']['bundle'] == 'rg_ws2' for e in load(result['dest'], 'objects.json'))
    allowed = A.subject_package(params(fleet + [gone], tmp_path, subject=ANNA['object_id'], allow_incomplete=True))
    status = {b['bundle']: b['status'] for b in allowed['bundles']}
    assert status == {'rg_ws1': 'complete', 'rg_ws2': 'incomplete', 'rg_gone': 'not searched'}
    assert any(e['workspace']['bundle'] == 'rg_ws2' for e in load(allowed['dest'], 'objects.json'))


def test_a_stored_file_changed_since_the_export_makes_the_answer_incomplete(fleet, tmp_path):
    with open(os.path.join(fleet[0], 'artifacts/r1/outputs/model.pkl'), 'ab') as f:
        f.write(b'tampered')
    # The bundle verifier checks the stored contents too (_bundle.verify_artifact_contents): the bundle does not verify,
    # so it is not searched at all...
    result = A.subject_package(params(fleet, tmp_path))
    assert result['complete'] is False
    ws1 = next(b for b in result['bundles'] if b['bundle'] == 'rg_ws1')
    assert ws1['status'] == 'not searched' and 'does not match its size and checksum' in ws1['problems'][0]
    assert not os.path.exists(os.path.join(result['dest'], 'files'))
    # ...and when incomplete answers are allowed, it is searched but its changed file is not handed over.
    allowed = A.subject_package(params(fleet, tmp_path / 'allowed', allow_incomplete=True))
    ws1 = next(b for b in allowed['bundles'] if b['bundle'] == 'rg_ws1')
    assert ws1['status'] == 'incomplete' and any('does not match' in p for p in ws1['problems'])
    for folder, dummy, names in os.walk(allowed['dest']):
        for name in names:
            with open(os.path.join(folder, name), 'rb') as f:
                assert b'tampered' not in f.read(), name


def test_a_person_named_only_by_display_name(fleet, tmp_path):
    result = A.subject_package(params(fleet, tmp_path, subject='Jane Doe'))
    assert result['slug'] == 'jane-doe-' + hashlib.sha256(b'name:jane doe').hexdigest()[:10]
    entries = load(result['dest'], 'objects.json')
    assert {e['match'] for e in entries} == {'display_name'}
    by = {(e['kind'], e['id']): e for e in entries}
    # object ids not given are not known to be the person's: both Jane Does' ids are redacted, the name stays
    assert by[('runs', 'r1')]['object']['createdBy'] == {'userObjectId': MARKER, 'userTenantId': TENANT, 'userName': 'Jane Doe'}
    assert by[('runs', 'r3')]['object']['userId'] == MARKER
    html = open(os.path.join(result['dest'], 'summary.html'), encoding='utf-8').read()
    assert 'id="name-only"' in html and JANE['object_id'] not in html


def test_a_namesake_is_reported(fleet, tmp_path):
    package = A.build_package(A.read_fleet(fleet, [JANE]), [JANE])
    assert package['model']['namesakes'] == {'Jane Doe': 1}
    assert [(o['kind'], o['id']) for o in package['model']['name_only']] == [('runs', 'r3')]
    # r3 names its creator by the person's name: by the subject index it is theirs (created_by), by name only
    assert [(o['kind'], o['id']) for o in package['model']['not_theirs']] == [('runs', 'r2'), ('models', 'anna-model:1'), ('images', 'img:1')]


def test_a_person_named_by_address_keeps_the_name_shown_beside_it(fleet, tmp_path):
    objects = objects_ws1()
    objects['tasks'] = [{'id': 't1', 'name': 'notify', 'createdBy': rh(JANE['object_id'], 'Jane Doe'),
                         'recipients': [{'displayName': 'Jane Doe', 'emailAddress': JANE['email']},
                                        {'displayName': ANNA['name'], 'emailAddress': ANNA['email']}]}]
    make_bundle(fleet[0], objects, CONTENTS)
    result = A.subject_package(params(fleet, tmp_path, subject=JANE['email']))
    by = {(e['kind'], e['id']): e for e in load(result['dest'], 'objects.json')}
    task = by[('tasks', 't1')]['object']
    assert task['recipients'] == [{'displayName': 'Jane Doe', 'emailAddress': JANE['email']}, {'displayName': MARKER, 'emailAddress': MARKER}]
    assert task['createdBy'] == {'userObjectId': MARKER, 'userTenantId': TENANT, 'userName': 'Jane Doe'}
    assert result['slug'].startswith('jane-doe-contoso-com-')


def test_kinds_come_from_the_table_and_the_bundle(fleet, tmp_path, monkeypatch):
    """A kind the export learns later (say metrics_v2) is in the package with no change to _access."""
    kind = _kinds.Kind('metrics_v2', 'id', list_op='metrics_v2.list', parent='runs')
    monkeypatch.setitem(_kinds.KINDS, 'metrics_v2', kind)
    names = _kinds.KIND_NAMES + ('metrics_v2',)
    for module in (_subjects, A):
        monkeypatch.setattr(module, 'KIND_NAMES', names)
    objects = objects_ws1()
    objects['metrics_v2'] = [{'id': 'r1/ns/acc', 'runId': 'r1', 'createdBy': rh(JANE['object_id'], 'Jane Doe')}]
    make_bundle(fleet[0], objects, CONTENTS)
    result = A.subject_package(params(fleet, tmp_path))
    assert result['counts']['metrics_v2'] == 1
    assert any(e['kind'] == 'metrics_v2' for e in load(result['dest'], 'objects.json'))


def test_coverage_says_what_was_not_looked_at(tmp_path):
    objects = objects_ws1()
    del objects['images']
    objects['jobs_v3'] = [{'id': 'j1'}]  # a kind of a newer export, unknown to this version
    bundle = make_bundle(tmp_path / 'rg_ws1', objects, scopes={'models': 'requested'})  # no artifact contents exported
    model = A.build_package(A.read_fleet([bundle], [JANE]), [JANE])['model']
    texts = {c['text']: c['bundles'] for c in model['coverage']}
    absent = [k for k in _kinds.KIND_NAMES if k not in ('workspace', 'runs', 'metrics', 'artifacts', 'models')]
    assert texts['not exported, so not searched: ' + ', '.join(absent)] == ['rg_ws1']
    assert texts['models: only the objects the export asked for by id (the API cannot list them)'] == ['rg_ws1']
    assert texts["the stored files of 3 of the person's artifacts: the export did not download contents "
                 '(export_workspace_data_artifact_content)'] == ['rg_ws1']
    assert texts['kinds this version of the collection does not read: jobs_v3'] == ['rg_ws1']
    assert all(texts[t] == [] for t in A.NOT_LOOKED_AT)
    # what the collection cannot see or erase (_not_covered), per bundle, each entry once
    for entry in _not_covered.NOT_COVERED:
        said = [t for t in texts if t.startswith(f"not covered by the collection, so not searched: {entry['title']}")]
        assert len(said) == 1 and texts[said[0]] == ['rg_ws1'] and entry['remedy'] in said[0], entry['name']


def test_the_person_and_the_slug():
    assert A.parse_person([JANE['object_id'].upper(), JANE['email'], 'Jane Doe']) == [
        {'object_id': JANE['object_id']}, {'email': JANE['email']}, {'name': 'Jane Doe'}]
    assert A.parse_person(JANE) == [JANE]
    for bad in (None, '', []):
        with pytest.raises(SubjectError, match='subject is empty'):
            A.parse_person(bad)
    with pytest.raises(SubjectError, match='needs at least one of'):
        A.parse_person({'tenant_id': TENANT})
    assert A.person_slug([{'object_id': 'b' * 8 + '-0000-4000-8000-' + '0' * 12}, {'object_id': JANE['object_id']}]) == JANE['object_id']
    assert A.person_slug([{'name': 'Björn Ødegård'}]).startswith('bjorn-odegard-')
    assert A.person_slug([{'email': 'X@Y.example'}]) == A.person_slug([{'upn': 'x@y.example'}])
    assert A.describe_person(A.parse_person([JANE['object_id'], JANE['email'], 'Jane Doe'])) == (
        f'Jane Doe <{JANE["email"]}> (object id {JANE["object_id"]})')


def test_bad_input_fails_before_reading(tmp_path, fleet):
    with pytest.raises(A.PackageError, match='bundle_dirs is empty'):
        A.subject_package(params([], tmp_path))
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    with pytest.raises(A.PackageError, match='cannot be written'):
        A.subject_package(dict(params(fleet, tmp_path), dest=str(blocker / 'sa')))
