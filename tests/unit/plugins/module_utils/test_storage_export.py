"""``_storage_export`` and the kind ``storage_blobs`` without a service: ids, stored paths, resume records, digests.

The export and the purge against a real Azurite: ``tests/integration/storage/test_storage_export_purge.py``.
"""
import json
import os

import pytest

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
    journal = json.dumps(newer) + '\n' + json.dumps(other) + '\n{"id": "a/c/cut'
    (tmp_path / _storage_export.PROGRESS_NAME).write_text(journal, encoding='utf-8')
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
    contents = {('r1', 'outputs/m.pkl'): {'stored_path': 'artifacts/r1/outputs/m.pkl', 'sha256': 'cd' * 32, 'size': 5, 'etag': '"0x1"'}}
    export = _storage_export.StorageExport(_Storage(blobs), 'stml01', str(tmp_path), None, concurrency=2, where='ws',
                                           artifacts={('dcid.r1', 'outputs/m.pkl'): 'art-1'}, contents=contents)
    result = export.run([('r1', 'dcid.r1')], str(tmp_path / 'predicted.json'))
    assert result['count'] == 2 and not (tmp_path / 'predicted.json').exists()  # check mode: nothing written
    assert (export.reused, export.deduplicated, export.downloaded) == (1, 1, 0)

    stored.write_bytes(b'abd')  # same size, other bytes: not reused any more
    again = _storage_export.StorageExport(_Storage(blobs), 'stml01', str(tmp_path), None, concurrency=1, where='ws')
    again.run([('r1', 'dcid.r1')], str(tmp_path / 'predicted.json'))
    assert again.reused == 0


class _DownloadingStorage(_Storage):
    """Lists given blobs and downloads ``data`` (the bytes the blob has now), recording what it downloaded."""

    def __init__(self, blobs, data):
        super().__init__(blobs)
        self.data, self.downloaded = data, []

    def download(self, account, container, name, fileobj, snapshot=None):
        import hashlib

        from ansible_collections.gdpr.azureml.plugins.module_utils._storage import Download

        self.downloaded.append(name)
        fileobj.write(self.data)
        listed = next(b for b in self.blobs if b.name == name)
        return Download(len(self.data), hashlib.sha256(self.data).hexdigest(), listed.etag)


@pytest.mark.parametrize('content_etag, deduplicated', [('"0x2"', True), ('W/"0x2"', True), ('"0x1"', False), (None, False)])
def test_deduplicated_only_when_the_artifact_download_had_the_listed_etag(tmp_path, content_etag, deduplicated):
    """The blob was rewritten (same size) between the artifact-content download (etag 0x1, old bytes) and the storage
    listing (etag 0x2): the entry must not pair the new etag with the old bytes' SHA-256 (a purge on If-Match 0x2 would
    delete bytes never exported), so the blob is downloaded again."""
    import hashlib

    old, new = b'old!!', b'new!!'
    listed = blob('ExperimentRun/dcid.r1/outputs/m.pkl', etag='0x2', size=5)
    contents = {('r1', 'outputs/m.pkl'): {'stored_path': 'artifacts/r1/outputs/m.pkl', 'sha256': hashlib.sha256(old).hexdigest(),
                                          'size': 5, 'etag': content_etag}}
    staging = tmp_path / 'staging'
    staging.mkdir()
    storage = _DownloadingStorage([listed], new)
    export = _storage_export.StorageExport(storage, 'stml01', str(tmp_path), str(staging), concurrency=1, where='ws', contents=contents)
    export.run([('r1', 'dcid.r1')], str(tmp_path / 'storage_blobs.json'))
    entry, = json.loads((tmp_path / 'storage_blobs.json').read_text(encoding='utf-8'))
    assert entry['etag'] == '0x2'
    if deduplicated:
        assert (export.deduplicated, storage.downloaded) == (1, [])
        assert entry['stored_path'] == 'artifacts/r1/outputs/m.pkl'
    else:
        assert (export.deduplicated, export.downloaded, storage.downloaded) == (0, 1, [listed.name])
        assert entry['sha256'] == hashlib.sha256(new).hexdigest() and entry['stored_path'].startswith('storage/')
        assert (tmp_path / entry['stored_path']).read_bytes() == new


# -- the purge's selection ------------------------------------------------------------------------------------------------

from ansible_collections.gdpr.azureml.plugins.module_utils import _storage_purge  # noqa: E402
from ansible_collections.gdpr.azureml.plugins.module_utils._storage import Retention  # noqa: E402

ALICE = '11111111-1111-4111-8111-111111111111'
BOB = '22222222-2222-4222-8222-222222222222'
WS_OBJECT = {'id': '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws',
             'properties': {'storageAccount': '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stml01'}}


def write_runs(folder):
    runs = [{'runId': 'r1', 'dataContainerId': 'dcid.r1', 'createdBy': {'userObjectId': ALICE}},
            {'runId': 'r2', 'createdBy': {'userObjectId': BOB}}]
    (folder / 'runs.json').write_text(json.dumps(runs), encoding='utf-8')


class _Client:
    concurrency = 2

    def __init__(self, workspaces=(), runs=(), error=None):
        self.workspaces = workspaces
        self.runs = set(runs)  # (workspace name, run id) of the other workspaces
        self.error = error
        self.gets = []

    def map_concurrent(self, fn, items):
        return [fn(item) for item in items]

    def iter_items(self, op, params=None, **kwargs):
        return iter(self.workspaces)

    def get_json(self, op, params=None, *, what=None, missing_ok=False):
        assert op == 'runs.get_by_id' and missing_ok
        self.gets.append((params['subscription_id'], params['resource_group'], params['workspace_name'], params['run_id']))
        if self.error is not None:
            raise self.error
        return {'runId': params['run_id']} if (params['workspace_name'], params['run_id']) in self.runs else None


class _PurgeStorage(_Storage):
    def __init__(self, blobs, retention=Retention(True, 7, None)):
        super().__init__(blobs)
        self.retention = retention

    def delete_retention(self, account):
        return self.retention


class _Workspace:
    id = WS_OBJECT['id']
    subscription_id = 's'


class _Module:
    workspace = _Workspace()

    def __init__(self, blobs, workspaces=(), retention=Retention(True, 7, None), max_deletions=10000, *, runs=(), error=None):
        self.storage = _PurgeStorage(blobs, retention)
        self.client = _Client(workspaces, runs, error)
        self.params = {'max_deletions': max_deletions, 'delete_workspace': True}  # every run of the bundle is purged


def test_the_purged_runs_are_the_subjects_runs_of_the_bundle(tmp_path):
    write_runs(tmp_path)
    assert _storage_purge.purged_runs(str(tmp_path)) == [('r1', 'dcid.r1'), ('r2', 'dcid.r2')]
    assert _storage_purge.purged_runs(str(tmp_path), [BOB]) == [('r2', 'dcid.r2')]
    assert _storage_purge.purged_runs(str(tmp_path), ['33333333-3333-4333-8333-333333333333']) == []


def test_select_refuses_blobs_the_bundle_does_not_hold_or_holds_with_another_etag(tmp_path):
    write_runs(tmp_path)
    held, late, other = (blob('ExperimentRun/dcid.r1/a.txt'), blob('ExperimentRun/dcid.r1/late.txt'),
                         blob('ExperimentRun/dcid.r2/b.txt', etag='0x9'))
    exported = {'storage_blobs': {
        _storage_export.listed_entry(held)['id']: _digests.digest('storage_blobs', _storage_export.listed_entry(held)),
        _storage_export.listed_entry(other)['id']: _digests.digest('storage_blobs', dict(_storage_export.listed_entry(other), etag='0x1')),
    }}
    siblings = [sibling('ws-2', upper=True), WS_OBJECT]
    module = _Module([held, late, other], siblings)
    section, refusals, blobs = _storage_purge.select(module, WS_OBJECT, str(tmp_path), None, exported)
    assert len(blobs) == 3 and section['blobs'] == 3 and section['runs'] == 2
    assert any('1 storage blob(s) of the purged runs are not in the export bundle' in r and 'late.txt' in r for r in refusals)
    assert any('changed since the export' in r and 'b.txt' in r for r in refusals)
    assert section['shared_with'] == ['ws-2']
    assert section['retention']['enabled'] is True and section['retention']['recoverable_until']
    lines = _storage_purge.plan_lines(section)
    assert any('recoverable until' in line for line in lines) and any('shared with workspace(s) ws-2' in line for line in lines)
    assert any('Users/<name>/' in line for line in lines)

    section, refusals, blobs = _storage_purge.select(_Module([held]), WS_OBJECT, str(tmp_path), [ALICE], exported)
    assert refusals == [] and [b.name for b in blobs] == ['ExperimentRun/dcid.r1/a.txt']

    # more blobs than max_deletions: refused by the selection that the plan and the apply share
    section, refusals, blobs = _storage_purge.select(_Module([held], max_deletions=0), WS_OBJECT, str(tmp_path), [ALICE], exported)
    assert refusals == ['storage: the plan deletes 1 blobs and snapshots of the purged runs, more than max_deletions '
                        '(purge_workspace_max_deletions) 0']

    section, refusals, dummy = _storage_purge.select(_Module([held]), WS_OBJECT, str(tmp_path), [ALICE], {'runs': {}})
    assert any('kind storage_blobs not in the export bundle' in r for r in refusals)


def sibling(name, rg='rg', upper=False):
    account = WS_OBJECT['properties']['storageAccount']
    return {'id': f'/subscriptions/s/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}', 'name': name,
            'properties': {'storageAccount': account.upper() if upper else account}}


def test_a_run_id_another_workspace_of_the_account_has_too_is_kept_and_named(tmp_path):
    """Two workspaces on one account write ExperimentRun/dcid.<run id>/ in the same container: a purged run whose id a
    sharing workspace has too is not listed (so neither deleted nor verified) and the plan says why."""
    write_runs(tmp_path)
    r1, r2 = blob('ExperimentRun/dcid.r1/a.txt'), blob('ExperimentRun/dcid.r2/b.txt')
    exported = {'storage_blobs': {_storage_export.listed_entry(b)['id']: _digests.digest('storage_blobs', _storage_export.listed_entry(b))
                                  for b in (r1, r2)}}
    module = _Module([r1, r2], [WS_OBJECT, sibling('ws-2'), sibling('ws-3', rg='rg-other')], runs=[('ws-3', 'r1')])
    section, refusals, blobs = _storage_purge.select(module, WS_OBJECT, str(tmp_path), None, exported)
    assert refusals == [] and [b.name for b in blobs] == ['ExperimentRun/dcid.r2/b.txt']
    assert section['runs'] == 1 and section['blobs'] == 1 and section['shared_with'] == ['ws-2', 'ws-3']
    assert [(k['run_id'], k['prefix'], k['shared_with']) for k in section['kept']] == [('r1', 'ExperimentRun/dcid.r1/', ['ws-3'])]
    assert sorted(module.client.gets) == [('s', 'rg', 'ws-2', 'r1'), ('s', 'rg', 'ws-2', 'r2'), ('s', 'rg-other', 'ws-3', 'r1'),
                                          ('s', 'rg-other', 'ws-3', 'r2')]
    assert any(line.startswith('    kept: ExperimentRun/dcid.r1/ (workspace(s) ws-3 ') for line in _storage_purge.plan_lines(section))
    # not shared: no check at all
    alone = _Module([r1, r2], [WS_OBJECT])
    section, refusals, blobs = _storage_purge.select(alone, WS_OBJECT, str(tmp_path), None, exported)
    assert len(blobs) == 2 and section['kept'] == [] and alone.client.gets == []


def test_a_run_id_check_that_cannot_be_made_refuses_the_storage_part(tmp_path):
    from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError

    write_runs(tmp_path)
    error = AzureMLError('get run r1 in workspace rg/ws-2', 'forbidden', status=403, code='AuthorizationFailed', request_id='rid-1')
    module = _Module([blob('ExperimentRun/dcid.r1/a.txt')], [WS_OBJECT, sibling('ws-2')], error=error)
    with pytest.raises(_storage_purge.StoragePurgeError) as caught:
        _storage_purge.select(module, WS_OBJECT, str(tmp_path), None, {'storage_blobs': {}})
    text = str(caught.value)
    assert 'use storage account stml01 too have runs of the same ids could not be checked' in text
    assert 'HTTP 403' in text and 'rid-1' in text and 'no file is deleted' in text


def test_the_retention_policy_as_the_plan_says_it():
    import datetime

    now = datetime.datetime(2026, 12, 6, 9, 0, tzinfo=datetime.timezone.utc)
    module = _Module([], retention=Retention(True, 7, None))
    assert _storage_purge.retention_of(module, 'stml01', now)['recoverable_until'] == '2026-12-13T09:00:00Z'
    assert 'not recoverable' in _storage_purge.retention_text(_storage_purge.retention_of(_Module([], retention=Retention(False, None, None)),
                                                                                          'stml01', now))
    unread = _storage_purge.retention_of(_Module([], retention=Retention(None, None, 'HTTP 403')), 'stml01', now)
    assert 'could not be read (HTTP 403)' in _storage_purge.retention_text(unread)


class _ListingStorage(_Storage):
    """Blobs of several containers (``(container, Blob)``), listed by container and prefix."""

    def __init__(self, blobs):
        super().__init__(blobs)

    def iter_blobs(self, account, container, prefix):
        return iter([b for b in self.blobs if (b.account, b.container) == (account, container) and b.name.startswith(prefix)])


def test_a_blob_of_a_run_and_of_two_versions_is_one_entry_naming_them_all(tmp_path):
    from ansible_collections.gdpr.azureml.plugins.module_utils._storage import Blob as B
    from ansible_collections.gdpr.azureml.plugins.module_utils._storage_uris import Target

    shared = B('stml01', 'azureml', 'ExperimentRun/dcid.r1/outputs/model.pkl', None, '0x1', 5, None, None)
    upload = B('stml01', 'blobstore', 'LocalUpload/h/people/part-0.csv', None, '0x2', 7, None, None)
    sibling = B('stml01', 'blobstore', 'LocalUpload/h/people2/part-0.csv', None, '0x3', 7, None, None)
    export = _storage_export.StorageExport(_ListingStorage([shared, upload, sibling]), 'stml01', str(tmp_path), None,
                                           concurrency=2, where='ws')
    versions = [('model_versions', 'm1', Target('stml01', 'azureml', 'ExperimentRun/dcid.r1/outputs/model.pkl', None)),
                ('data_versions', 'd1', Target('stml01', 'blobstore', 'LocalUpload/h/people/', True)),
                ('data_versions', 'd2', Target('stml01', 'blobstore', 'LocalUpload/h/people/part-0.csv', False))]
    listed = export._listed([('r1', 'dcid.r1')], versions)
    by_name = {b.name: refs for b, refs, origin in listed}
    assert set(by_name) == {shared.name, upload.name}  # the sibling folder's file is no version's
    assert by_name[shared.name] == [{'kind': 'runs', 'id': 'r1'}, {'kind': 'model_versions', 'id': 'm1'}]
    assert by_name[upload.name] == [{'kind': 'data_versions', 'id': 'd1'}, {'kind': 'data_versions', 'id': 'd2'}]
    assert [origin for b, refs, origin in listed if b.name == shared.name] == [('r1', 'outputs/model.pkl')]
    # check mode: one entry per blob in the index, every referrer named
    result = export.run([('r1', 'dcid.r1')], str(tmp_path / 'storage_blobs.json'), versions=versions)
    assert result['count'] == 2 and export.version_blobs == 2


def test_a_version_on_another_account_that_cannot_be_listed_is_unreachable_not_a_failure(tmp_path):
    from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError
    from ansible_collections.gdpr.azureml.plugins.module_utils._storage_uris import Target

    class Refusing(_ListingStorage):
        def iter_blobs(self, account, container, prefix):
            if account != 'stml01':
                raise AzureMLError(f'list the blobs of {account}/{container}', 'This request is not authorized', status=403,
                                   code='AuthorizationFailure')
            return super().iter_blobs(account, container, prefix)

    export = _storage_export.StorageExport(Refusing([]), 'stml01', str(tmp_path), None, concurrency=2, where='ws')
    listed = export._listed([], [('data_versions', 'd1', Target('stother01', 'c1', 'p/', True))])
    assert listed == [] and export.unreachable[0]['id'] == 'd1'
    assert 'stother01' in export.unreachable[0]['reason'] and 'not authorized' in export.unreachable[0]['reason']
    own = _storage_export.StorageExport(Refusing([]), 'stother01', str(tmp_path), None, concurrency=2, where='ws')
    with pytest.raises(AzureMLError):  # the workspace's own account: a failure like any other
        own._listed([], [('data_versions', 'd1', Target('stother01', 'c1', 'p/', True))])


def test_select_versions_deletes_only_the_files_no_staying_version_or_run_references(tmp_path):
    """Versions d1 (a folder) and d2 (a file in it) and m1 (a model under run r9's prefix) are deleted; d3 stays and
    references d1's first file; run r9 stays. Kept: the file d3 needs (named with d3) and m1's file (named with r9)."""
    from types import SimpleNamespace

    from ansible_collections.gdpr.azureml.plugins.module_utils import _clouds

    ws_id = WS_OBJECT['id']

    def data(name, version, uri, type_):
        return {'id': f'{ws_id}/data/{name}/versions/{version}', 'name': str(version),
                'properties': {'dataUri': uri, 'dataType': type_}}

    store = 'azureml://datastores/workspaceblobstore/paths/'
    d1 = data('people', 1, store + 'LocalUpload/h1/people/', 'uri_folder')
    d2 = data('people', 2, store + 'LocalUpload/h1/people/a.csv', 'uri_file')
    d3 = data('other', 1, store + 'LocalUpload/h1/people/b.csv', 'uri_file')
    m1 = {'id': f'{ws_id}/models/m/versions/1', 'name': '1',
          'properties': {'modelUri': 'azureml://datastores/workspaceartifactstore/paths/ExperimentRun/dcid.r9/outputs/model/',
                         'modelType': 'custom_model'}}
    (tmp_path / 'data_versions.json').write_text(json.dumps([d1, d2, d3]), encoding='utf-8')
    (tmp_path / 'model_versions.json').write_text(json.dumps([m1]), encoding='utf-8')
    datastores = [{'name': name, 'properties': {'datastoreType': 'AzureBlob', 'accountName': 'stml01', 'containerName': container}}
                  for name, container in (('workspaceblobstore', 'blobstore'), ('workspaceartifactstore', 'azureml'))]
    blobs = [Blob('stml01', 'blobstore', 'LocalUpload/h1/people/a.csv', None, '0x1', 1, None, None),
             Blob('stml01', 'blobstore', 'LocalUpload/h1/people/b.csv', None, '0x2', 1, None, None),
             Blob('stml01', 'blobstore', 'LocalUpload/h1/people/c.csv', None, '0x3', 1, None, None),
             Blob('stml01', 'azureml', 'ExperimentRun/dcid.r9/outputs/model/model.pkl', None, '0x4', 1, None, None)]

    class Client(_Client):
        def list_items(self, op, params=None, **kwargs):
            return {'datastores_v2.list': datastores,
                    'data_containers.list': [{'name': 'people'}, {'name': 'other'}], 'model_containers.list': [{'name': 'm'}],
                    'data_versions.list': {'people': [d1, d2], 'other': [d3]}.get((params or {}).get('name'), []),
                    'model_versions.list': [m1]}[op]

    module = SimpleNamespace(client=Client(), storage=_ListingStorage(blobs), params={'max_deletions': 100},
                             workspace=SimpleNamespace(subscription_id='s', resource_group='rg', workspace_name='ws', id=ws_id))
    module.storage.cloud = _clouds.get_cloud('AzureCloud')
    objects = {'data_versions': [d1['id'], d2['id']], 'model_versions': [m1['id']]}
    part, chosen = _storage_purge.select_versions(module, WS_OBJECT, str(tmp_path), objects, purged_prefixes=[])
    assert [b.name for b in chosen] == ['LocalUpload/h1/people/a.csv', 'LocalUpload/h1/people/c.csv']
    kept = {k['id']: k for k in part['kept']}
    assert kept['stml01/blobstore/LocalUpload/h1/people/b.csv']['kept_by'] == [f"data version {d3['id']}"]
    assert kept['stml01/azureml/ExperimentRun/dcid.r9/outputs/model/model.pkl']['kept_by'] == ['run r9 (its files stay with it)']
    assert part['count'] == 3 and part['blobs'] == 2 and part['unreachable'] == []
    # the run goes too: its prefix is purged, so the model's file is no longer kept
    part, chosen = _storage_purge.select_versions(module, WS_OBJECT, str(tmp_path), objects, purged_prefixes=['ExperimentRun/dcid.r9/'])
    assert 'ExperimentRun/dcid.r9/outputs/model/model.pkl' in [b.name for b in chosen]


def test_a_model_version_deleted_through_its_v1_view_takes_its_files_along(tmp_path):
    """With both views in scope the purge deletes a model version as the v1 model ``name:version`` (``Kind.same_as``):
    its files go with it all the same; a model that stays keeps its version's files."""
    ws_id = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws'
    versions = [{'id': f'{ws_id}/models/m/versions/{n}', 'name': str(n)} for n in (1, 2)]
    (tmp_path / 'model_versions.json').write_text(json.dumps(versions), encoding='utf-8')
    assert _storage_purge.deleted_versions({'models': ['m:2']}, str(tmp_path)) == [('model_versions', versions[1]['id'])]
    assert _storage_purge.deleted_versions({'models': ['m:2'], 'model_versions': [versions[1]['id']]}, str(tmp_path)) == [
        ('model_versions', versions[1]['id'])]
    assert _storage_purge.deleted_versions({'models': ['m:3']}, str(tmp_path)) == []
    assert _storage_purge.deleted_versions({'models': ['m:2']}) == []  # no bundle to read: only what the plan names
