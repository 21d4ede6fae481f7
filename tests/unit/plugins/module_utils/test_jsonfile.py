import hashlib
import json
import os
import stat

import pytest

from ansible_collections.gdpr.azureml.plugins.module_utils import _jsonfile

ITEMS = [{'id': 'b', 'name': 'Bé', 'n': 2}, {'id': 'a', 'z': None, 'name': 'A'}, {'id': 'c', 'nested': {'y': 1, 'x': [1, 2]}}]
EXPECTED = ('[\n{"id":"a","name":"A","z":null},\n{"id":"b","n":2,"name":"Bé"},\n'
            '{"id":"c","nested":{"x":[1,2],"y":1}}\n]\n').encode()


def test_layout_sorted_compact_utf8(tmp_path):
    dest = tmp_path / 'items.json'
    result = _jsonfile.write_json_array(str(dest), iter(ITEMS), 'id')
    assert dest.read_bytes() == EXPECTED
    assert result == {'changed': True, 'count': 3, 'sha256': hashlib.sha256(EXPECTED).hexdigest(), 'dest': str(dest)}
    assert json.loads(dest.read_text(encoding='utf-8'))[1]['name'] == 'Bé'


def test_mode_0600_from_creation_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        _jsonfile.write_json_array(str(tmp_path / 'f.json'), ITEMS, 'id')
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / 'f.json').st_mode) == 0o600


def test_same_content_is_not_rewritten(tmp_path):
    dest = tmp_path / 'f.json'
    _jsonfile.write_json_array(str(dest), ITEMS, 'id')
    inode = os.stat(dest).st_ino
    result = _jsonfile.write_json_array(str(dest), list(reversed(ITEMS)), 'id')
    assert result['changed'] is False
    assert os.stat(dest).st_ino == inode
    assert sorted(os.listdir(tmp_path)) == ['f.json']  # no temporary file left behind


def test_changed_content_replaces_atomically(tmp_path):
    dest = tmp_path / 'f.json'
    _jsonfile.write_json_array(str(dest), ITEMS, 'id')
    result = _jsonfile.write_json_array(str(dest), ITEMS[:2], 'id')
    assert result['changed'] is True and result['count'] == 2
    assert len(json.loads(dest.read_text(encoding='utf-8'))) == 2
    assert sorted(os.listdir(tmp_path)) == ['f.json']


def test_wrong_mode_is_fixed_and_reported(tmp_path):
    dest = tmp_path / 'f.json'
    _jsonfile.write_json_array(str(dest), ITEMS, 'id')
    os.chmod(dest, 0o644)
    assert _jsonfile.write_json_array(str(dest), ITEMS, 'id')['changed'] is True
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600


def test_check_mode_writes_nothing_but_counts_and_predicts(tmp_path):
    dest = tmp_path / 'f.json'
    result = _jsonfile.write_json_array(str(dest), ITEMS, 'id', check_mode=True)
    assert result['changed'] is True and result['count'] == 3
    assert result['sha256'] == hashlib.sha256(EXPECTED).hexdigest()
    assert not dest.exists() and os.listdir(tmp_path) == []
    _jsonfile.write_json_array(str(dest), ITEMS, 'id')
    assert _jsonfile.write_json_array(str(dest), ITEMS, 'id', check_mode=True)['changed'] is False
    missing_folder = tmp_path / 'nope' / 'f.json'
    assert _jsonfile.write_json_array(str(missing_folder), ITEMS, 'id', check_mode=True)['changed'] is True


def test_empty_list(tmp_path):
    dest = tmp_path / 'f.json'
    result = _jsonfile.write_json_array(str(dest), [], 'id')
    assert dest.read_bytes() == b'[]\n' and result['count'] == 0
    assert json.loads(dest.read_text()) == []


def test_callable_key_and_missing_keys_sort_first_stably(tmp_path):
    dest = tmp_path / 'f.json'
    items = [{'name': 'x'}, {'id': 'b'}, {'name': 'y'}]
    _jsonfile.write_json_array(str(dest), items, 'id')
    assert json.loads(dest.read_text()) == [{'name': 'x'}, {'name': 'y'}, {'id': 'b'}]
    _jsonfile.write_json_array(str(dest), items, lambda i: i.get('name', ''))
    assert json.loads(dest.read_text())[0] == {'id': 'b'}


def test_memory_is_bounded_items_are_consumed_once(tmp_path):
    consumed = []

    def generate():
        for n in range(2000):
            consumed.append(n)
            yield {'id': f'{n:05d}', 'blob': 'x' * 100}

    result = _jsonfile.write_json_array(str(tmp_path / 'big.json'), generate(), 'id')
    assert result['count'] == 2000 and len(consumed) == 2000


def test_errors(tmp_path):
    with pytest.raises(_jsonfile.JsonFileError, match='does not exist'):
        _jsonfile.write_json_array(str(tmp_path / 'nope' / 'f.json'), ITEMS, 'id')
    with pytest.raises(_jsonfile.JsonFileError, match='is a directory'):
        _jsonfile.write_json_array(str(tmp_path), ITEMS, 'id')


def test_a_failing_iterator_leaves_the_old_file(tmp_path):
    dest = tmp_path / 'f.json'
    _jsonfile.write_json_array(str(dest), ITEMS, 'id')

    def broken():
        yield {'id': 'z'}
        raise RuntimeError('page 2 failed')

    with pytest.raises(RuntimeError):
        _jsonfile.write_json_array(str(dest), broken(), 'id')
    assert dest.read_bytes() == EXPECTED
    assert sorted(os.listdir(tmp_path)) == ['f.json']


def test_sort_items_matches_the_file_order(tmp_path):
    items = [{'id': 'a', 'v': 2}, {'id': 'a', 'v': 1}, {'id': 'b'}, {'name': 'n'}]
    dest = tmp_path / 'f.json'
    _jsonfile.write_json_array(str(dest), items, 'id')
    assert _jsonfile.sort_items(items, 'id') == json.loads(dest.read_text())
    assert _jsonfile.sort_items(list(reversed(items)), 'id') == _jsonfile.sort_items(items, 'id')


def test_write_atomic_never_follows_a_symlink_nor_removes_a_stranger_temporary_file(tmp_path, monkeypatch):
    """The one atomic writer: a temporary file named like ours (another writer's) is skipped and left alone;
    a symlink at the destination is replaced, never written through."""
    target = tmp_path / 'elsewhere.txt'
    target.write_bytes(b'keep')
    dest = tmp_path / 'out.json'
    dest.symlink_to(target)
    monkeypatch.setattr(os, 'getpid', lambda: 4242)
    stranger = tmp_path / '.out.json.4242.0.tmp'
    stranger.write_bytes(b'not ours')
    old = os.umask(0)
    try:
        _jsonfile.write_atomic(str(dest), [b'new', b'\n'])
    finally:
        os.umask(old)
    assert target.read_bytes() == b'keep' and not dest.is_symlink()
    assert dest.read_bytes() == b'new\n' and stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert stranger.read_bytes() == b'not ours'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['.out.json.4242.0.tmp', 'elsewhere.txt', 'out.json']


def test_make_private_dirs_0700_whatever_the_umask_and_refuses_a_file_on_the_way(tmp_path):
    old = os.umask(0o022)
    try:
        created = _jsonfile.make_private_dirs(str(tmp_path / 'a' / 'b'))
    finally:
        os.umask(old)
    assert created == [str(tmp_path / 'a'), str(tmp_path / 'a' / 'b')]
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o700 for p in created)
    assert _jsonfile.make_private_dirs(str(tmp_path / 'a' / 'b')) == []
    (tmp_path / 'f').write_bytes(b'')
    with pytest.raises(NotADirectoryError, match='is not a folder'):
        _jsonfile.make_private_dirs(str(tmp_path / 'f' / 'g'))


def test_make_private_dirs_accepts_a_folder_another_creator_made_meanwhile(tmp_path, monkeypatch):
    """Forks exporting into the same new root: the folder appears between the look and the mkdir (issue 15)."""
    root = tmp_path / 'exports'
    real_isdir = os.path.isdir

    def isdir_then_someone_creates_it(path):
        seen = real_isdir(path)
        if str(path) == str(root) and not seen:
            os.mkdir(root, 0o700)  # the other fork wins the race right after this look
        return seen

    monkeypatch.setattr(os.path, 'isdir', isdir_then_someone_creates_it)
    created = _jsonfile.make_private_dirs(str(root / 'host-a'))
    assert created == [str(root / 'host-a')]  # the root is not ours: another creator made it
    assert real_isdir(root / 'host-a')


def test_make_private_dirs_refuses_a_symlink_that_appeared_meanwhile(tmp_path, monkeypatch):
    root, elsewhere = tmp_path / 'exports', tmp_path / 'elsewhere'
    elsewhere.mkdir()
    real_isdir = os.path.isdir

    def isdir_then_a_symlink_appears(path):
        seen = real_isdir(path)
        if str(path) == str(root) and not seen:
            os.symlink(elsewhere, root)
        return seen

    monkeypatch.setattr(os.path, 'isdir', isdir_then_a_symlink_appears)
    with pytest.raises(NotADirectoryError, match='is a symbolic link'):
        _jsonfile.make_private_dirs(str(root / 'host-a'))
    assert list(elsewhere.iterdir()) == []


def test_utc_now_to_the_second_or_to_the_microsecond():
    import re
    from datetime import datetime, timezone
    from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import TIME_FORMAT, utc_now
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', utc_now())
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z', utc_now(precise=True))
    assert datetime.strptime(utc_now(), TIME_FORMAT).replace(tzinfo=timezone.utc) <= datetime.now(timezone.utc)


def test_a_new_array_file_is_written_and_hashed_in_one_pass_over_the_spill(monkeypatch, tmp_path):
    reads = []
    real = os.pread
    monkeypatch.setattr(_jsonfile.os, 'pread', lambda fd, n, offset: reads.append(offset) or real(fd, n, offset))
    items = [{'id': f'o{n}', 'v': n} for n in range(10, 0, -1)]
    dest = tmp_path / 'objects.json'
    result = _jsonfile.write_json_array(str(dest), items, 'id')
    assert len(reads) == 10  # each item read back once from the spill: written and hashed together
    assert result['changed'] and result['sha256'] == hashlib.sha256(dest.read_bytes()).hexdigest()
    reads.clear()
    again = _jsonfile.write_json_array(str(dest), items, 'id')
    assert len(reads) == 10 and not again['changed'] and again['sha256'] == result['sha256']  # compared, not written
    reads.clear()
    other = _jsonfile.write_json_array(str(dest), items[1:], 'id')
    assert len(reads) == 18 and other['changed']  # hashed to compare, then written
    assert other['sha256'] == hashlib.sha256(dest.read_bytes()).hexdigest()
