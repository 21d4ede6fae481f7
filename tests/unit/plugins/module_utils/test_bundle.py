import hashlib
import io
import json
import os
import shutil
import stat
import tarfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.gdpr.azureml.plugins.module_utils import _bundle, _digests, _jsonfile

HOSTILE = ['../../.ssh/authorized_keys', 'outputs/../../x', '/etc/passwd', 'logs\\..\\..\\windows.ini', 'outputs/model with spaces.pkl',
           'outputs/Försäljning/resultat ✓.csv', 'outputs/' + 'long-' * 60 + 'name.txt', 'outputs/%2e%2e/encoded.txt',
           '  leading spaces.txt', 'trailing dot.', 'nul\x00byte', 'ctrl\x01\x1f', 'C:\\Windows\\win.ini', 'a//b', 'dir/', '.', '..',
           '', 'outputs/.hidden', 'outputs/%2F', 'a:b*c?d"e<f>g|h', '\ud800lone surrogate']


# -- safe names -------------------------------------------------------------------------------------

@pytest.mark.parametrize('name,expected', [
    ('..', '%2E%2E'), ('.', '%2E'), ('', '%empty'), ('/', '%2F'), ('a/b', 'a%2Fb'), ('a\\b', 'a%5Cb'), ('nul\x00', 'nul%00'),
    ('100%', '100%25'), ('  x', '%20%20x'), ('x. ', 'x%2E%20'), ('Försäljning ✓', 'Försäljning ✓'), ('.hidden', '.hidden'),
    ('C:', 'C%3A'),
])
def test_safe_component(name, expected):
    assert _bundle.safe_component(name) == expected


def test_long_component_is_cut_and_hashed():
    name = 'é' * 300
    safe = _bundle.safe_component(name)
    assert len(safe.encode('utf-8')) <= _bundle.MAX_COMPONENT_BYTES and safe.count('~') == 1
    assert safe != _bundle.safe_component('é' * 301)


@given(st.text())
def test_safe_component_can_never_leave_its_folder(name):
    safe = _bundle.safe_component(name)
    assert safe and safe not in ('.', '..')
    assert '/' not in safe and '\\' not in safe and '\x00' not in safe
    assert len(safe.encode('utf-8', 'surrogatepass')) <= 255
    safe.encode('utf-8')  # a valid file name (no lone surrogate)


@given(st.lists(st.text(max_size=30), min_size=2, max_size=2, unique=True))
def test_safe_component_is_one_to_one(names):
    assert _bundle.safe_component(names[0]) != _bundle.safe_component(names[1])


def test_hostile_artifact_paths_stay_inside_the_bundle(tmp_path):
    rels = _bundle.artifact_relpaths('run/../1', HOSTILE)
    assert len(set(rels.values())) == len(HOSTILE)
    for path, rel in rels.items():
        assert rel.startswith('artifacts/run%2F..%2F1/'), path
        target = _bundle.inside(str(tmp_path), rel)
        assert os.path.realpath(target).startswith(str(tmp_path.resolve()) + os.sep)
        assert len(rel.encode('utf-8')) <= _bundle.MAX_PATH_BYTES + 3


def test_file_and_folder_clash_is_resolved_whatever_the_order():
    first = _bundle.artifact_relpaths('r', ['a', 'a/b', 'c'])
    second = _bundle.artifact_relpaths('r', ['c', 'a/b', 'a'])
    assert first == second == {'a': 'artifacts/r/a%2F', 'a/b': 'artifacts/r/a/b', 'c': 'artifacts/r/c'}


def test_very_long_paths_are_hashed():
    rel = _bundle.artifact_relpath('r', '/'.join(['d' * 150] * 10))
    assert rel.startswith('artifacts/r/~') and len(rel) < 100


def test_inside_refuses_escapes_and_symlinks(tmp_path):
    base = tmp_path / 'bundle'
    base.mkdir()
    (tmp_path / 'outside').mkdir()
    os.symlink(tmp_path / 'outside', base / 'link')
    for rel in ('../x', '/etc/passwd', 'link/x', 'a/../../x', 'nul\x00'):
        with pytest.raises(_bundle.BundleError):
            _bundle.inside(str(base), rel)
    assert _bundle.inside(str(base), 'artifacts/r/a') == str(base.resolve() / 'artifacts' / 'r' / 'a')


# -- writing ---------------------------------------------------------------------------------------

def test_make_dirs_creates_missing_folders_0700_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        created = _bundle.make_dirs(str(tmp_path / 'a' / 'b' / 'c'))
    finally:
        os.umask(old)
    assert created == [str(tmp_path / 'a'), str(tmp_path / 'a' / 'b'), str(tmp_path / 'a' / 'b' / 'c')]
    for path in created:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    os.chmod(tmp_path / 'a', 0o755)
    assert _bundle.make_dirs(str(tmp_path / 'a' / 'b' / 'c')) == []
    assert stat.S_IMODE(os.stat(tmp_path / 'a').st_mode) == 0o755  # existing folders are left alone


def test_make_dirs_refuses_a_file_in_the_way(tmp_path):
    (tmp_path / 'f').write_text('x')
    with pytest.raises(_bundle.BundleError, match='not a folder'):
        _bundle.make_dirs(str(tmp_path / 'f' / 'b'))


def test_manifest_is_written_atomically_0600_and_removed(tmp_path):
    manifest = {'format_version': 1, 'kinds': {}, 'workspace': {'name': 'wé'}, 'started': 's', 'finished': 'f'}
    _bundle.write_manifest(str(tmp_path), manifest)
    path = tmp_path / 'manifest.json'
    assert json.loads(path.read_text(encoding='utf-8')) == manifest
    assert path.read_bytes() == _bundle.dumps_manifest(manifest) and path.read_bytes().endswith(b'}\n')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path) == ['manifest.json']
    assert _bundle.manifest_content(manifest) == {'format_version': 1, 'kinds': {}, 'workspace': {'name': 'wé'}}
    assert _bundle.remove_manifest(str(tmp_path)) is True and not path.exists()
    assert _bundle.remove_manifest(str(tmp_path)) is False


def test_staging_folders_of_dead_exports_are_removed(tmp_path):
    stale = tmp_path / (_bundle.STAGING_PREFIX + '999999999-abc')
    stale.mkdir()
    mine = tmp_path / (_bundle.STAGING_PREFIX + f'{os.getpid()}-old')
    mine.mkdir()
    other = tmp_path / 'purge-plan.json'
    other.write_text('{}')
    staging = _bundle.new_staging_dir(str(tmp_path))
    assert not stale.exists() and mine.exists() and other.exists()
    assert stat.S_IMODE(os.stat(staging).st_mode) == 0o700


def _bundle_with_files(root):
    kinds = {}
    for name, items in (('models', [{'id': 'm1'}]), ('runs', [{'runId': 'r1'}, {'runId': 'r2'}])):
        result = _jsonfile.write_json_array(str(root / f'{name}.json'), items, 'id')
        kinds[name] = {'file': f'{name}.json', 'count': result['count'], 'sha256': result['sha256'], 'scope': 'all'}
    art = root / 'artifacts' / 'r1'
    art.mkdir(parents=True)
    (art / 'f.txt').write_bytes(b'content')
    index = [{'artifactId': 'ExperimentRun/r1/f.txt', 'path': 'f.txt', 'runId': 'r1', 'stored_path': 'artifacts/r1/f.txt', 'size': 7,
              'sha256': _jsonfile.sha256_file(str(art / 'f.txt'))}]
    result = _jsonfile.write_json_array(str(root / 'artifact_contents.json'), index, 'artifactId')
    kinds['artifact_contents'] = {'file': 'artifact_contents.json', 'count': 1, 'sha256': result['sha256'], 'scope': 'all'}
    manifest = {'format_version': 1, 'workspace': {'id': '/subscriptions/S/ws'}, 'kinds': kinds, 'started': 'a', 'finished': 'b'}
    _bundle.write_manifest(str(root), manifest)
    (root / 'purge-plan.json').write_text('{}')  # not part of the bundle
    return manifest


def test_archive_is_deterministic_and_holds_the_bundle_only(tmp_path):
    root = tmp_path / 'host1'
    root.mkdir()
    manifest = _bundle_with_files(root)
    first, second = io.BytesIO(), io.BytesIO()
    _bundle.build_archive(str(root), manifest, first, 1_600_000_000)
    _bundle.build_archive(str(root), manifest, second, 1_600_000_000)
    assert first.getvalue() == second.getvalue()
    other = io.BytesIO()
    _bundle.build_archive(str(root), manifest, other, 1_600_000_001)
    assert other.getvalue() != first.getvalue()
    with tarfile.open(fileobj=io.BytesIO(first.getvalue())) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert 'host1/purge-plan.json' not in names
        assert {'host1/manifest.json', 'host1/models.json', 'host1/runs.json', 'host1/artifact_contents.json',
                'host1/artifacts/r1/f.txt'} <= set(names)
        assert all(m.mtime == 1_600_000_000 and m.uid == 0 and m.uname == '' for m in members)
        assert all(m.mode == (0o700 if m.isdir() else 0o600) for m in members)
        assert tar.extractfile('host1/artifacts/r1/f.txt').read() == b'content'


def test_verify_bundle_and_artifact_contents(tmp_path):
    _bundle_with_files(tmp_path)
    assert _bundle.verify_bundle(str(tmp_path)) == []
    assert _bundle.verify_artifact_contents(str(tmp_path)) == []
    (tmp_path / 'artifacts' / 'r1' / 'f.txt').write_bytes(b'changed')
    assert 'does not match' in _bundle.verify_artifact_contents(str(tmp_path))[0]
    (tmp_path / 'models.json').write_text('[]\n')
    assert any('does not match its checksum' in p for p in _bundle.verify_bundle(str(tmp_path)))
    os.unlink(tmp_path / 'manifest.json')
    assert 'incomplete' in _bundle.verify_bundle(str(tmp_path))[0]
    assert _bundle.verify_artifact_contents(str(tmp_path)) == []


def test_verify_bundle_checks_the_artifact_contents_the_export_took(tmp_path):
    """Issue 15: a bundle whose artifacts/ folder was deleted no longer verifies."""
    _bundle_with_files(tmp_path)
    assert _bundle.verify_bundle(str(tmp_path)) == []
    shutil.rmtree(tmp_path / 'artifacts')
    problems = _bundle.verify_bundle(str(tmp_path))
    assert len(problems) == 1 and problems[0].endswith('artifacts/r1/f.txt is missing')
    assert _bundle.verify_bundle(str(tmp_path), kinds=['models']) == []  # only the kinds asked for


def _bundle_v2(root, models):
    digests = _digests.Digests()
    result = _jsonfile.write_json_array(str(root / 'models.json'), digests.tap('models', models), 'id')
    data = _digests.dumps(digests.as_dict(['models']))
    (root / 'digests.json').write_bytes(data)
    manifest = {'format_version': 2, 'workspace': {'id': 'W'}, 'started': 'a', 'finished': 'b',
                'kinds': {'models': {'file': 'models.json', 'count': result['count'], 'sha256': result['sha256'], 'scope': 'all'}},
                'digests': {'file': 'digests.json', 'count': len(models), 'sha256': hashlib.sha256(data).hexdigest()}}
    _bundle.write_manifest(str(root), manifest)
    return manifest


def test_format_2_digests_are_verified_and_a_format_1_bundle_is_refused_for_a_purge(tmp_path):
    manifest = _bundle_v2(tmp_path, [{'id': 'm1', 'description': 'x'}, {'id': 'm2'}])
    assert _bundle.verify_bundle(str(tmp_path), require_digests=True) == []
    assert _bundle.read_digests(str(tmp_path)) == {'models': {'m1': _digests.digest('models', {'id': 'm1', 'description': 'x'}),
                                                              'm2': _digests.digest('models', {'id': 'm2'})}}
    assert _bundle.find_objects(str(tmp_path), 'models', ['m1', 'zz']) == {'m1': {'id': 'm1', 'description': 'x'}}
    assert 'digests.json' in _bundle.archive_members(str(tmp_path), manifest)
    (tmp_path / 'digests.json').write_text('{}\n')
    assert any('digests.json does not match its checksum' in p for p in _bundle.verify_bundle(str(tmp_path)))
    _bundle.write_manifest(str(tmp_path), dict(manifest, format_version=1, digests=None))
    assert _bundle.verify_bundle(str(tmp_path)) == []  # still readable (subjects, reports)
    problems = _bundle.verify_bundle(str(tmp_path), require_digests=True)
    assert len(problems) == 1 and 'format_version 1' in problems[0] and 're-export' in problems[0]
    _bundle.write_manifest(str(tmp_path), dict(manifest, format_version=3))
    assert 'expected 2' in _bundle.verify_bundle(str(tmp_path))[0]
