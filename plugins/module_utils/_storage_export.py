# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The files behind the runs: every blob under each exported run's ``ExperimentRun/<data container>/`` prefix (kind
``storage_blobs``), for ``export_bundle``'s ``storage`` option, and the selection the purge deletes from.

The export (:class:`StorageExport`) runs after the API kinds, on the runs just exported: one task per run lists its
prefix (snapshots included), one task per blob downloads it (``_storage.StorageClient.download``: one chunk in memory),
with the export's :class:`~._export.Scheduler` (``concurrency`` transfers at a time). Each entry names the account,
container, blob, snapshot, etag, size, the SHA-256 of the bytes, where they are stored in the bundle
(``storage/<account>/<container>/<name components>``, every component made safe like artifact contents; a snapshot is
``<name>%40<snapshot>``) and what refers to them (the run, and the artifact of the same path).

- **De-duplicated**: a blob whose bytes the export already downloaded as artifact content (same run, same path, same
  size, and the ETag of that download is the listed blob's etag) is not downloaded again; its entry points at the
  artifact content's file. A blob rewritten between the two (another etag, even with the same size) is downloaded:
  the entry's etag (what a purge deletes on, ``If-Match``) always goes with the bytes the bundle holds.
- **Resumable**: a blob is not downloaded again when a previous export (its ``storage_blobs.json``, or the progress
  journal ``.storage-progress.jsonl`` an interrupted run left) recorded the same (etag, size) and the stored file still
  has the recorded SHA-256 (block blobs often have no MD5 to compare with).
- **Manifest last**: before the first file is written into the bundle, the manifest is removed (an interrupted export
  leaves a bundle without a manifest, which nothing trusts); a file is downloaded to the staging folder, then moved.
"""

import json
import os
import threading
import uuid

from ansible_collections.gdpr.azureml.plugins.module_utils import _bundle
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import sha256_file, write_json_array
from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError, map_concurrent
from ansible_collections.gdpr.azureml.plugins.module_utils._storage import ARTIFACT_CONTAINER, run_blob_prefix
from ansible_collections.gdpr.azureml.plugins.module_utils._storage_uris import URI_FIELDS, covers

KIND = _bundle.STORAGE_BLOBS
PROGRESS_NAME = '.storage-progress.jsonl'
PER_RUN, PER_BLOB = 2, 3  # scheduler priorities: downloads before more listings


def blob_id(account, container, name, snapshot=None):
    """The id of a ``storage_blobs`` entry: ``<account>/<container>/<name>`` (``?snapshot=<time>`` for a snapshot)."""
    return f'{account}/{container}/{name}' + (f'?snapshot={snapshot}' if snapshot else '')


def blob_relpath(account, container, name, snapshot=None):
    """Where a blob is stored, relative to the bundle: ``storage/<account>/<container>/<name split on '/'>``, every
    component through ``_bundle.safe_component``, a snapshot's last component followed by ``%40<snapshot>`` (``%`` is
    always escaped in a real name: no clash). Too long: ``storage/<account>/<container>/~<sha256 of name and snapshot>``."""
    import hashlib

    head = [_bundle.STORAGE_DIR, _bundle.safe_component(account), _bundle.safe_component(container)]
    parts = [_bundle.safe_component(part) for part in str(name).split('/')]
    if snapshot:
        parts[-1] += '%40' + _bundle.safe_component(snapshot)
    rel = '/'.join(head + parts)
    if len(rel.encode('utf-8')) > _bundle.MAX_PATH_BYTES:
        key = f'{name}\n{snapshot or ""}'.encode('utf-8', 'surrogatepass')
        rel = '/'.join(head + ['~' + hashlib.sha256(key).hexdigest()])
    return rel


def blob_relpaths(blobs):
    """``{(name, snapshot): relative path}`` for the blobs of one prefix, file/folder clashes resolved as artifact
    contents' (blobs ``a`` and ``a/b``: the file ``a`` is stored as ``a%2F``)."""
    rels = {(b.name, b.snapshot): blob_relpath(b.account, b.container, b.name, b.snapshot) for b in blobs}
    folders = set()
    for rel in rels.values():
        parts = rel.split('/')
        folders.update('/'.join(parts[:i]) for i in range(1, len(parts)))
    return {key: (rel + '%2F' if rel in folders else rel) for key, rel in rels.items()}


def same_etag(downloaded, listed):
    """True when the ETag header of a download and a listed blob's etag name the same version (quotes and a weak ``W/``
    prefix aside); False when either is unknown."""
    def bare(value):
        value = str(value or '').strip()
        return (value[2:] if value.startswith('W/') else value).strip('"')
    return bool(bare(downloaded)) and bare(downloaded) == bare(listed)


def listed_entry(blob):
    """The fields of an entry a listing of the account gives (what the purge compares with the bundle's digests)."""
    return {'id': blob_id(blob.account, blob.container, blob.name, blob.snapshot), 'account': blob.account,
            'container': blob.container, 'name': blob.name, 'snapshot': blob.snapshot, 'etag': blob.etag, 'size': blob.size}


def run_ref(run):
    """``(run id, data container)`` of an exported run object (None when it has no id)."""
    if not isinstance(run, dict) or not run.get('runId'):
        return None
    return str(run['runId']), str(run.get('dataContainerId') or 'dcid.' + str(run['runId']))


def _records(bundle_dir):
    """``{id: entry}`` a previous export recorded: its ``storage_blobs.json``, then its progress journal (later wins)."""
    found = {}
    index = os.path.join(bundle_dir, _bundle.STORAGE_BLOBS_FILE)
    if os.path.isfile(index) and not os.path.islink(index):
        try:
            for item in _bundle.iter_objects(index):
                if isinstance(item, dict) and item.get('id') and item.get('sha256') and item.get('stored_path'):
                    found[item['id']] = item
        except (_bundle.BundleError, OSError, ValueError):
            pass
    journal = os.path.join(bundle_dir, PROGRESS_NAME)
    if os.path.isfile(journal) and not os.path.islink(journal):
        try:
            with open(journal, encoding='utf-8') as f:
                for line in f:
                    try:
                        item = json.loads(line)
                    except ValueError:
                        continue  # the line an interruption cut short
                    if isinstance(item, dict) and item.get('id') and item.get('sha256') and item.get('stored_path'):
                        found[item['id']] = item
        except OSError:
            pass
    return found


class StorageExport:
    """The ``storage_blobs`` of one export (see the module docstring).

    :param storage: the module's ``_storage.StorageClient``; :param account: the workspace's storage account.
    :param bundle_dir: the bundle folder; :param staging: its staging folder (None in check mode: nothing is written).
    :param artifacts: ``{(data container, path): artifact id}`` of the exported artifacts.
    :param contents: ``{(run id, path): artifact_contents entry}`` of the artifact contents just downloaded, each with the
        ``etag`` of its download (``_client.Client.download``'s ``received``; None when the answer had none).
    """

    def __init__(self, storage, account, bundle_dir, staging, *, concurrency, where, artifacts=None, contents=None):
        self.storage = storage
        self.account = account
        self.bundle_dir = bundle_dir
        self.staging = staging
        self.check_mode = staging is None
        self.concurrency = concurrency
        self.where = where
        self.artifacts = artifacts or {}
        self.contents = contents or {}
        self.records = _records(bundle_dir) if os.path.isdir(bundle_dir) else {}
        self.downloaded = 0
        self.reused = 0
        self.deduplicated = 0
        self.bytes = 0
        self.manifest_removed = False
        self.version_blobs = 0
        self.unreachable = []  # versions on another account that could not be listed
        self._lock = threading.Lock()
        self._journal = None

    # -- listing: the runs' prefixes and the versions' files, each blob once ------------------------------------------

    def _list_run(self, run_id, container):
        prefix = run_blob_prefix({'runId': run_id, 'dataContainerId': container})
        found = []
        for blob in self.storage.iter_blobs(self.account, ARTIFACT_CONTAINER, prefix):
            path = blob.name[len(prefix):]
            refs = [{'kind': 'runs', 'id': run_id}]
            artifact_id = self.artifacts.get((container, path))
            if artifact_id:
                refs.append({'kind': 'artifacts', 'id': artifact_id})
            found.append((blob, refs, (run_id, path)))
        return found

    def _list_version(self, kind_name, obj_id, target):
        ref = {'kind': kind_name, 'id': obj_id}
        try:
            return [(blob, [ref], None) for blob in self.storage.iter_blobs(target.account, target.container, target.path)
                    if covers(target, blob.name)]
        except AzureMLError as exc:
            if target.account == self.account:  # the workspace's own account: an error like any other
                raise
            # another account (a URL or datastore of another account): not readable with these credentials
            with self._lock:
                self.unreachable.append({'kind': kind_name, 'id': obj_id, 'uri': None,
                                         'reason': f'storage account {target.account} could not be listed: {exc}'})
            return []

    def _listed(self, runs, versions):
        """``[(blob, refs, (run id, path) or None)]``: every blob once, its ``refs`` every run, artifact and version naming it."""
        tasks = [('run', ref) for ref in runs] + [('version', v) for v in versions]

        def one(task):
            return self._list_run(*task[1]) if task[0] == 'run' else self._list_version(*task[1])

        merged = {}
        for found in map_concurrent(one, tasks, self.concurrency):
            for blob, refs, origin in found:
                key = blob_id(blob.account, blob.container, blob.name, blob.snapshot)
                if key not in merged:
                    merged[key] = (blob, [], origin)
                have = merged[key]
                have[1].extend(r for r in refs if r not in have[1])
                if origin is not None and have[2] is None:
                    merged[key] = (have[0], have[1], origin)
        return [merged[key] for key in sorted(merged)]

    def _blob(self, scheduler, sink, listed, rel):
        blob, refs, origin = listed
        entry = dict(listed_entry(blob), sha256=None, stored_path=rel, referenced_by=refs)
        content = self.contents.get(origin) if origin is not None and blob.snapshot is None else None
        if content and content.get('stored_path') and content.get('sha256') and content.get('size') == blob.size \
                and same_etag(content.get('etag'), blob.etag):
            entry.update(sha256=content['sha256'], stored_path=content['stored_path'])
            with self._lock:
                self.deduplicated += 1
            sink.put(entry)
        elif self._reusable(entry):
            sink.put(entry)
        elif self.check_mode:
            sink.put(entry)  # would be downloaded: no digest known
        else:
            scheduler.submit(self._download, sink, entry, priority=PER_BLOB)

    def _reusable(self, entry):
        """Fill ``entry`` from a previous export's record when (etag, size) match and the stored file still has its SHA-256."""
        record = self.records.get(entry['id'])
        if not record or record.get('etag') != entry['etag'] or record.get('size') != entry['size']:
            return False
        try:
            path = _bundle.inside(self.bundle_dir, str(record['stored_path']))
        except _bundle.BundleError:
            return False
        if not os.path.isfile(path) or os.path.islink(path) or os.path.getsize(path) != entry['size'] or \
                sha256_file(path) != record.get('sha256'):
            return False
        entry.update(sha256=record['sha256'], stored_path=record['stored_path'])
        with self._lock:
            self.reused += 1
        return True

    def _before_first_write(self):
        with self._lock:
            if not self.manifest_removed:
                _bundle.remove_manifest(self.bundle_dir)  # manifest last: the bundle is incomplete from here on
                self.manifest_removed = True
            if self._journal is None:
                fd = os.open(os.path.join(self.bundle_dir, PROGRESS_NAME),
                             os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, 'O_NOFOLLOW', 0), _bundle.FILE_MODE)
                self._journal = os.fdopen(fd, 'a', encoding='utf-8')

    def _download(self, sink, entry):
        self._before_first_write()
        final = _bundle.inside(self.bundle_dir, entry['stored_path'])
        part = os.path.join(self.staging, uuid.uuid4().hex + '.part')
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0), _bundle.FILE_MODE)
        try:
            with os.fdopen(fd, 'wb') as f:
                # No fsync per file (10,000 of them cost more than the transfers): a file cut short by a crash has another
                # SHA-256 than its journal line or index entry, so the resume downloads it again and the verifier refuses it.
                got = self.storage.download(entry['account'], entry['container'], entry['name'], f, snapshot=entry['snapshot'])
            with self._lock:
                _bundle.make_dirs(os.path.dirname(final))
            if os.path.islink(final):
                os.unlink(final)
            os.replace(part, final)
        finally:
            if os.path.lexists(part):
                os.unlink(part)
        entry.update(size=got.size, sha256=got.sha256, etag=got.etag or entry['etag'])
        line = json.dumps({k: entry[k] for k in ('id', 'etag', 'size', 'sha256', 'stored_path')}, sort_keys=True)
        with self._lock:
            self.downloaded += 1
            self.bytes += got.size
            self._journal.write(line + '\n')
            self._journal.flush()
        sink.put(entry)

    # -- the whole export -----------------------------------------------------------------------------------------

    def run(self, runs, dest, digests=None, versions=()):
        """List and download the blobs of ``runs`` (``[(run id, data container)]``) and of ``versions`` (``[(kind, id,
        _storage_uris.Target)]``) into the bundle, each blob once (its ``referenced_by`` names every run, artifact and
        version whose files it is); write the index to ``dest`` (check mode: only its digest); return
        ``write_json_array``'s result."""
        from ansible_collections.gdpr.azureml.plugins.module_utils._export import Scheduler, Sink, _run_then_close

        listed = self._listed(runs, versions)
        self.version_blobs = sum(1 for dummy, refs, dummy2 in listed if any(r['kind'] in URI_FIELDS for r in refs))
        rels = {}
        for group in {(b.account, b.container) for b, dummy, dummy2 in listed}:
            rels.update({(group[0], group[1]) + key: rel for key, rel in
                         blob_relpaths([b for b, dummy, dummy2 in listed if (b.account, b.container) == group]).items()})
        scheduler = Scheduler(self.concurrency)
        sink = Sink(scheduler)
        for blob, refs, origin in listed:
            scheduler.submit(self._blob, scheduler, sink, (blob, refs, origin), rels[(blob.account, blob.container, blob.name, blob.snapshot)],
                             priority=PER_RUN)
        thread = threading.Thread(target=_run_then_close, args=(scheduler, [sink]), name='gdpr-azureml-storage', daemon=True)
        thread.start()
        try:
            items = digests.tap(KIND, sink) if digests is not None else sink
            return write_json_array(dest, items, lambda e: e['id'], check_mode=self.check_mode)
        except BaseException:
            scheduler.fail(RuntimeError('the storage index could not be written'))
            sink.abandon()
            raise
        finally:
            thread.join()
            if self._journal is not None:
                self._journal.close()

    def changes(self, new_index, previous_index):
        """``(files written, stale relative paths)``: the stale ones are files of the previous index under ``storage/``
        that the new index no longer lists."""
        keep, stale = set(), []
        for item in _bundle.iter_objects(new_index):
            if isinstance(item, dict) and item.get('stored_path'):
                keep.add(item['stored_path'])
        if os.path.isfile(previous_index):
            try:
                for item in _bundle.iter_objects(previous_index):
                    rel = item.get('stored_path') if isinstance(item, dict) else None
                    if rel and rel not in keep and rel.startswith(_bundle.STORAGE_DIR + '/'):
                        stale.append(rel)
            except (_bundle.BundleError, ValueError):
                pass
        return self.downloaded, stale

    def summary(self):
        return {'account': self.account, 'container': ARTIFACT_CONTAINER, 'downloaded': self.downloaded, 'reused': self.reused,
                'deduplicated': self.deduplicated, 'bytes_downloaded': self.bytes, 'version_blobs': self.version_blobs}


def remove_progress(bundle_dir):
    """Remove the progress journal (once the manifest lists what it recorded)."""
    try:
        os.unlink(os.path.join(bundle_dir, PROGRESS_NAME))
    except FileNotFoundError:
        pass
