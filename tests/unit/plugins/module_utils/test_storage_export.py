"""``_storage_export`` and the kind ``storage_blobs`` without a service: ids, stored paths, resume records, digests.

The export and the purge against a real Azurite: ``tests/integration/storage/test_storage_export_purge.py``.
"""
import json
import os

from ansible_collections.gdpr.azureml.plugins.module_utils import _bundle, _digests, _kinds, _storage_export
from ansible_collections.gdpr.azureml.plugins.module_utils._storage import Blob


def blob(name, snapshot=None, etag='0x1', size=3):
    return Blob('stml01', 'azureml', name, snapshot, etag, size, None, None)


def test_the_kind_is_declared_once_and_is_not_an_api_kind():
    kind = _kinds.kind('storage_blobs')
    assert kind.source == 'storage' and kind.file == 'storage_blobs.json' and kind.list_op is None
    assert 'storage_blobs' not in _kinds.KIND_NAMES and _kinds.STORAGE_KINDS == ('storage_blobs',)
    assert 'storage_blobs' in _bundle.STORED_FILE_INDEXES


def test_the_digest_is_what_a_listing_sees_again():
    listed = _storage_export.listed_entry(blob('ExperimentRun/dcid.r1/a.txt'))
    exported = dict(listed, sha256='ab' * 32, stored_path='storage/x', referenced_by=[{'kind': 'runs', 'id': 'r1'}])
    assert _digests.digest('storage_blobs', listed) == _digests.digest('storage_blobs', exported)
    assert _digests.digest('storage_blobs', dict(listed, etag='0x2')) != _digests.digest('storage_blobs', listed)
    assert _digests.digest('storage_blobs', dict(listed, size=4)) != _digests.digest('storage_blobs', listed)


def test_ids_and_stored_paths():
    assert _storage_export.blob_id('a', 'c', 'x/y') == 'a/c/x/y'
    assert _storage_export.blob_id('a', 'c', 'x/y', '2026-01-01T00:00:00.1Z') == 'a/c/x/y?snapshot=2026-01-01T00:00:00.1Z'
    assert _storage_export.blob_relpath('a', 'c', 'ExperimentRun/dcid.r/../../etc/passwd') == \
        'storage/a/c/ExperimentRun/dcid.r/%2E%2E/%2E%2E/etc/passwd'
    snap = _storage_export.blob_relpath('a', 'c', 'x/y.txt', '2026-01-01T00:00:00.1Z')
    assert snap == 'storage/a/c/x/y.txt%402026-01-01T00%3A00%3A00.1Z'
    assert snap != _storage_export.blob_relpath('a', 'c', 'x/y.txt@2026-01-01T00:00:00.1Z')
    long_name = 'p/' * 600 + 'f'
    assert _storage_export.blob_relpath('a', 'c', long_name).startswith('storage/a/c/~')


def test_a_blob_that_is_also_a_folder_gets_its_own_name():
    rels = _storage_export.blob_relpaths([blob('r/a'), blob('r/a/b'), blob('r/a', '2026-01-01T00:00:00Z')])
    assert rels[('r/a', None)] == 'storage/stml01/azureml/r/a%2F'
    assert rels[('r/a/b', None)] == 'storage/stml01/azureml/r/a/b'
    assert len(set(rels.values())) == 3


def test_resume_records_come_from_the_index_then_the_journal(tmp_path):
    entry = {'id': 'a/c/n', 'etag': '0x1', 'size': 3, 'sha256': 'aa', 'stored_path': 'storage/a/c/n'}
    (tmp_path / 'storage_blobs.json').write_text(json.dumps([entry]), encoding='utf-8')
    newer = dict(entry, etag='0x2', sha256='bb')
    other = dict(entry, id='a/c/m', stored_path='storage/a/c/m')
    (tmp_path / _storage_export.PROGRESS_NAME).write_text(json.dumps(newer) + '\n' + json.dumps(other) + '\n{"id": "a/c/cut',
                                                           encoding='utf-8')
    records = _storage_export._records(str(tmp_path))
    assert records['a/c/n']['etag'] == '0x2' and set(records) == {'a/c/n', 'a/c/m'}


class _Storage:
    """A storage client that lists given blobs and must not download (everything is reused or de-duplicated)."""

    def __init__(self, blobs):
        self.blobs = blobs

    def iter_blobs(self, account, container, prefix):
        return iter([b for b in self.blobs if b.name.startswith(prefix)])

    def download(self, *args, **kwargs):
        raise AssertionError('nothing should be downloaded')


def test_reused_when_etag_size_and_local_sha256_match_and_deduplicated_against_artifact_contents(tmp_path):
    stored = tmp_path / 'storage' / 'stml01' / 'azureml' / 'ExperimentRun' / 'dcid.r1' / 'log.txt'
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b'abc')
    import hashlib

    sha = hashlib.sha256(b'abc').hexdigest()
    rel = os.path.relpath(str(stored), str(tmp_path))
    (tmp_path / 'storage_blobs.json').write_text(json.dumps([{'id': 'stml01/azureml/ExperimentRun/dcid.r1/log.txt', 'etag': '0x1',
                                                              'size': 3, 'sha256': sha, 'stored_path': rel}]), encoding='utf-8')
    blobs = [blob('ExperimentRun/dcid.r1/log.txt'), blob('ExperimentRun/dcid.r1/outputs/m.pkl', size=5)]
    contents = {('r1', 'outputs/m.pkl'): {'stored_path': 'artifacts/r1/outputs/m.pkl', 'sha256': 'cd' * 32, 'size': 5}}
    export = _storage_export.StorageExport(_Storage(blobs), 'stml01', str(tmp_path), None, concurrency=2, where='ws',
                                           artifacts={('dcid.r1', 'outputs/m.pkl'): 'art-1'}, contents=contents)
    result = export.run([('r1', 'dcid.r1')], str(tmp_path / 'predicted.json'))
    assert result['count'] == 2 and not (tmp_path / 'predicted.json').exists()  # check mode: nothing written
    assert (export.reused, export.deduplicated, export.downloaded) == (1, 1, 0)

    stored.write_bytes(b'abd')  # same size, other bytes: not reused any more
    again = _storage_export.StorageExport(_Storage(blobs), 'stml01', str(tmp_path), None, concurrency=1, where='ws')
    again.run([('r1', 'dcid.r1')], str(tmp_path / 'predicted.json'))
    assert again.reused == 0
