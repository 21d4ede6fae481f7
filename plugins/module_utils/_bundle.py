# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""Read and verify export bundles (the layout of ``docs/export.md``).

A bundle is a folder holding one JSON array per kind (written by ``_jsonfile``: one item per
line) and ``manifest.json``, written last. A bundle without a manifest is incomplete. The purge
trusts a bundle only when :func:`verify_bundle` finds no problem.
"""

import gzip
import hashlib
import json
import os
import shutil
import tarfile
import tempfile

from ansible_collections.gdpr.azureml.plugins.module_utils._digests import DIGESTS_NAME
from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import fsync_dir, make_private_dirs, sha256_file, write_atomic
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KINDS

MANIFEST_NAME = 'manifest.json'
# 2: digests.json (the content digest of every object, listed in the manifest under ``digests``); 1: without it.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)


class BundleError(GdprAzureMLError):
    """The bundle cannot be read (unreadable manifest, a kind file that is not a JSON array)."""


def manifest_path(bundle_dir):
    return os.path.join(bundle_dir, MANIFEST_NAME)


def read_manifest(bundle_dir):
    """The parsed manifest of ``bundle_dir``; None when there is none (an incomplete bundle)."""
    path = manifest_path(bundle_dir)
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, ValueError) as exc:
        raise BundleError(f'cannot read {path}: {exc}') from exc
    if not isinstance(manifest, dict):
        raise BundleError(f'{path} is not a JSON object')
    return manifest


def verify_bundle(bundle_dir, workspace_id=None, kinds=None, require_digests=False):
    """Everything wrong with the bundle in ``bundle_dir``, as sentences; ``[]`` when it is complete.

    Checks: the folder and its manifest exist and parse, the format version is one this collection reads, the
    manifest is of ``workspace_id`` (compared case-insensitively, as ARM ids are), each kind in ``kinds`` (default:
    every kind the manifest lists) is listed, its file exists and its SHA-256 is the manifest's; the artifact contents
    (when the export took them and ``artifact_contents`` is among the kinds checked) match their index, size and SHA-256;
    ``digests.json`` (format 2) matches its checksum. With ``require_digests`` (the purge), a bundle without content
    digests (format 1) is refused: export again.
    """
    if not os.path.isdir(bundle_dir):
        return [f'no export bundle at {bundle_dir}']
    try:
        manifest = read_manifest(bundle_dir)
    except BundleError as exc:
        return [str(exc)]
    if manifest is None:
        return [f'the export bundle at {bundle_dir} has no {MANIFEST_NAME}: it is incomplete (export again)']
    problems = []
    version = manifest.get('format_version')
    if version not in READABLE_VERSIONS:
        problems.append(f"{MANIFEST_NAME} has format_version {version!r}, expected {FORMAT_VERSION}: re-export the workspace")
    elif require_digests and version < FORMAT_VERSION:
        problems.append(f'{MANIFEST_NAME} has format_version {version}, without the content digests a purge compares '
                        f'(format_version {FORMAT_VERSION}): re-export the workspace, then plan again')
    bundle_ws = str((manifest.get('workspace') or {}).get('id') or '')
    if workspace_id and bundle_ws.lower() != str(workspace_id).lower():
        problems.append(f'the export bundle at {bundle_dir} is of workspace {bundle_ws or "(none)"}, not {workspace_id}')
    listed = manifest.get('kinds') or {}
    if not isinstance(listed, dict):
        return problems + [f'{MANIFEST_NAME} has no kinds map']
    checked = kinds if kinds is not None else sorted(listed)
    for name in checked:
        entry = listed.get(name)
        if not isinstance(entry, dict):
            problems.append(f'kind {name} is not in the export bundle')
            continue
        path = os.path.join(bundle_dir, os.path.basename(str(entry.get('file') or '')))
        if not os.path.isfile(path):
            problems.append(f'{path} is missing')
        elif sha256_file(path) != entry.get('sha256'):
            problems.append(f'{path} does not match its checksum in {MANIFEST_NAME} (changed since the export)')
        elif name in STORED_FILE_INDEXES:
            problems.extend(verify_stored_files(bundle_dir, name))
    if version == FORMAT_VERSION:
        entry = manifest.get('digests')
        path = os.path.join(bundle_dir, DIGESTS_NAME)
        if not isinstance(entry, dict):
            problems.append(f'{MANIFEST_NAME} does not list {DIGESTS_NAME}: re-export the workspace')
        elif not os.path.isfile(path):
            problems.append(f'{path} is missing')
        elif sha256_file(path) != entry.get('sha256'):
            problems.append(f'{path} does not match its checksum in {MANIFEST_NAME} (changed since the export)')
    return problems


def read_digests(bundle_dir):
    """``{kind: {id: digest}}`` of the bundle's ``digests.json`` (check it with :func:`verify_bundle` first)."""
    path = os.path.join(bundle_dir, DIGESTS_NAME)
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        raise BundleError(f'cannot read {path}: {exc}') from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise BundleError(f'{path} is not a map of kinds to {{id: digest}}')
    return data


def find_objects(bundle_dir, kind_name, ids):
    """``{id: object}`` of the objects of ``kind_name`` in the bundle whose id is in ``ids`` (one pass over the kind file)."""
    kind, wanted, found = KINDS[kind_name], set(ids), {}
    path = os.path.join(bundle_dir, kind.file)
    if not wanted or not os.path.isfile(path):
        return found
    for obj in iter_objects(path):
        obj_id = kind.object_id(obj)
        if obj_id in wanted:
            found[obj_id] = obj
    return found


def iter_objects(path):
    """Yield the objects of one kind file, one at a time.

    Files written by ``_jsonfile`` hold one item per line, so they are read line by line
    (bounded memory); any other valid JSON array is parsed whole.
    """
    try:
        with open(path, encoding='utf-8') as f:
            first = f.readline()
            if first.strip() == '[]':
                return
            if first.rstrip('\n') == '[':
                for raw in f:
                    line = raw.rstrip('\n')
                    if line == ']':
                        return
                    yield json.loads(line[:-1] if line.endswith(',') else line)
                raise BundleError(f'{path} ends before its closing bracket')
            f.seek(0)
            data = json.load(f)
    except ValueError as exc:
        raise BundleError(f'{path} is not a JSON array: {exc}') from exc
    if isinstance(data, dict):  # workspace.json may hold one object
        data = [data]
    if not isinstance(data, list):
        raise BundleError(f'{path} is not a JSON array')
    yield from data


# -- writing bundles (the export) -----------------------------------------------------------------
#
# The export writes a bundle in this order: every kind file (and artifact content) to a private
# staging folder inside the bundle; then, only when something differs from what is there,
# remove the old manifest, move the new files into place, and write the new manifest last.
# An interruption at any point leaves either the old complete bundle or no manifest at all.

ARTIFACT_CONTENTS = 'artifact_contents'
ARTIFACT_CONTENTS_FILE = ARTIFACT_CONTENTS + '.json'
ARTIFACTS_DIR = 'artifacts'
STORAGE_BLOBS = 'storage_blobs'
STORAGE_BLOBS_FILE = STORAGE_BLOBS + '.json'
STORAGE_DIR = 'storage'
# The kinds whose entries name a file stored in the bundle (``stored_path``, ``size``, ``sha256``).
STORED_FILE_INDEXES = (ARTIFACT_CONTENTS, STORAGE_BLOBS)
STAGING_PREFIX = '.export-staging-'
FILE_MODE = 0o600
# Longest stored name component and relative path, in UTF-8 bytes (filesystems allow 255 and 4096).
MAX_COMPONENT_BYTES = 200
MAX_PATH_BYTES = 1024
# Characters never kept as they are in a stored name: separators of every OS, what Windows refuses,
# and '%' itself (so that every '%' of a stored name starts an escape and the mapping is one-to-one).
_ESCAPED = frozenset('/\\:*?"<>|%')


def make_dirs(path):
    """Create ``path`` and every missing parent with mode 0700 (whatever the umask); return the folders created.

    Existing folders are left as they are.
    """
    try:
        return make_private_dirs(path)
    except NotADirectoryError as e:
        raise BundleError(str(e)) from None


def folder_problem(path):
    """Why the folder ``path`` cannot be created or written (its first existing ancestor is a file, or is not
    writable), without creating anything; None when it can. Lets a module refuse a bad destination before any request."""
    head = os.path.abspath(path)
    while not os.path.isdir(head):
        if os.path.lexists(head):
            if os.path.isdir(head):
                break  # created meanwhile (another fork exporting into the same new root)
            return f'{head} exists and is not a folder'
        parent = os.path.dirname(head)
        if parent == head:
            return f'no existing folder above {path}'
        head = parent
    if not os.access(head, os.W_OK | os.X_OK):
        return f'{head} is not writable'
    return None


def dumps_manifest(manifest):
    """The bytes of ``manifest.json``: indented, sorted keys, UTF-8, a final newline."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + '\n').encode('utf-8')


def write_manifest(bundle_dir, manifest):
    """Write ``manifest.json`` atomically, mode 0600 (the last step of an export)."""
    write_atomic(manifest_path(bundle_dir), dumps_manifest(manifest), FILE_MODE)


def remove_manifest(bundle_dir):
    """Remove ``manifest.json`` (first step of replacing a bundle); True when there was one."""
    try:
        os.unlink(manifest_path(bundle_dir))
    except FileNotFoundError:
        return False
    fsync_dir(bundle_dir)
    return True


def manifest_content(manifest):
    """What a manifest says about the data: everything but the ``started`` / ``finished`` times."""
    if not isinstance(manifest, dict):
        return None
    return {k: v for k, v in manifest.items() if k not in ('started', 'finished')}


def safe_component(name):
    """A file name for one component of an artifact path, that cannot leave its folder.

    ``.`` and ``..`` become ``%2E`` / ``%2E%2E``; an empty component (a leading, doubled or
    trailing ``/``) becomes ``%empty`` (no other name gives it: after ``%`` an escape has hex digits or ``u``);
    separators (``/``, ``\\``), ``%``, control characters (NUL
    included) and characters Windows refuses are percent-escaped, as are leading spaces and
    trailing spaces and dots; names longer than :data:`MAX_COMPONENT_BYTES` are cut and end with
    ``~`` and 16 hex digits of their SHA-256. Letters of any script are kept. The mapping is
    one-to-one: two different names never give the same file name.
    """
    name = str(name)
    if name == '':
        return '%empty'  # not %2F: that is what a name made of one "/" gives
    if name in ('.', '..'):
        return '%2E' * len(name)
    out = []
    for ch in name:
        code = ord(ch)
        if ch in _ESCAPED or code < 0x20 or code == 0x7F:
            out.append('%%%02X' % code)
        elif 0xD800 <= code <= 0xDFFF:  # a lone surrogate cannot be a file name
            out.append('%%u%04X' % code)
        else:
            out.append(ch)
    lead = 0
    while lead < len(out) and out[lead] == ' ':
        out[lead] = '%20'
        lead += 1
    tail = len(out) - 1
    while tail >= lead and out[tail] in (' ', '.'):
        out[tail] = '%20' if out[tail] == ' ' else '%2E'
        tail -= 1
    text = ''.join(out)
    if len(text.encode('utf-8')) > MAX_COMPONENT_BYTES:
        digest = hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:16]
        cut = text.encode('utf-8')[:MAX_COMPONENT_BYTES - 17].decode('utf-8', 'ignore')
        text = f'{cut}~{digest}'
    return text


def artifact_relpath(run_id, path):
    """Where the content of artifact ``path`` of run ``run_id`` is stored, relative to the bundle.

    ``artifacts/<run id>/<path components>``, every component through :func:`safe_component`
    (``path`` is split on ``/`` only: a ``\\`` stays inside its component, escaped). A path longer
    than :data:`MAX_PATH_BYTES` is stored as ``artifacts/<run id>/~<sha256 of the path>``.
    """
    run = safe_component(run_id)
    parts = [safe_component(part) for part in str(path).split('/')]
    rel = '/'.join([ARTIFACTS_DIR, run] + parts)
    if len(rel.encode('utf-8')) > MAX_PATH_BYTES:
        rel = '/'.join([ARTIFACTS_DIR, run, '~' + hashlib.sha256(str(path).encode('utf-8', 'surrogatepass')).hexdigest()])
    return rel


def artifact_relpaths(run_id, paths):
    """``{path: relative path}`` for the artifacts of one run, file/folder clashes resolved.

    When the stored path of one artifact is also a folder another artifact's path needs
    (artifacts ``a`` and ``a/b``), the file gets the name ``<name>%2F`` (no real name ends like
    that: ``%`` is always escaped). The result does not depend on the order of ``paths``.
    """
    rels = {path: artifact_relpath(run_id, path) for path in paths}
    folders = set()
    for rel in rels.values():
        parts = rel.split('/')
        folders.update('/'.join(parts[:i]) for i in range(1, len(parts)))
    return {path: (rel + '%2F' if rel in folders else rel) for path, rel in rels.items()}


def inside(base, rel):
    """The absolute path of ``rel`` under ``base``; BundleError unless it really is inside ``base``.

    Checked with ``os.path.realpath``: no ``..``, no absolute path, no symbolic link on the way
    leads out of ``base``.
    """
    base_real = os.path.realpath(base)
    if os.path.isabs(rel) or '\x00' in rel:
        raise BundleError(f'refusing to store {rel!r}: not a relative path')
    target = os.path.join(base_real, rel)
    real = os.path.realpath(target)
    if real != os.path.normpath(target) or not real.startswith(base_real + os.sep):
        raise BundleError(f'refusing to store {rel!r}: it would leave the bundle {base}')
    return real


def new_staging_dir(bundle_dir):
    """A private (0700) staging folder inside ``bundle_dir``; stale ones of dead exports are removed first."""
    for name in os.listdir(bundle_dir):
        if not name.startswith(STAGING_PREFIX):
            continue
        try:
            pid = int(name[len(STAGING_PREFIX):].split('-', 1)[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(os.path.join(bundle_dir, name), ignore_errors=True)
    return tempfile.mkdtemp(prefix=f'{STAGING_PREFIX}{os.getpid()}-', dir=bundle_dir)  # mode 0700


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_tree(path):
    shutil.rmtree(path, ignore_errors=True)


def archive_members(bundle_dir, manifest):
    """The relative paths an archive of the bundle holds: the manifest, every file it lists, and the
    artifact contents its ``artifact_contents`` index lists; sorted."""
    members = {MANIFEST_NAME}
    if isinstance(manifest.get('digests'), dict):
        members.add(DIGESTS_NAME)
    for entry in (manifest.get('kinds') or {}).values():
        if isinstance(entry, dict) and entry.get('file'):
            members.add(os.path.basename(str(entry['file'])))
    for name in STORED_FILE_INDEXES:
        index = os.path.join(bundle_dir, name + '.json')
        if name in (manifest.get('kinds') or {}) and os.path.isfile(index):
            for item in iter_objects(index):
                if isinstance(item, dict) and item.get('stored_path'):
                    members.add(str(item['stored_path']))
    return sorted(members)


def build_archive(bundle_dir, manifest, fileobj, mtime):
    """Write a deterministic ``tar.gz`` of the bundle to ``fileobj``.

    Members are under the bundle folder's name, sorted, with ``mtime`` (seconds), owner 0/0
    without names, modes 0700 (folders) and 0600 (files); the gzip header carries ``mtime`` and no
    file name. The same bundle always gives the same bytes.
    """
    top = os.path.basename(os.path.normpath(bundle_dir))
    members = archive_members(bundle_dir, manifest)
    folders = set()
    for rel in members:
        parts = rel.split('/')
        folders.update('/'.join(parts[:i]) for i in range(1, len(parts)))
    entries = sorted([(rel, True) for rel in folders] + [(rel, False) for rel in members])
    with gzip.GzipFile(filename='', mode='wb', fileobj=fileobj, mtime=int(mtime), compresslevel=6) as gz:
        with tarfile.open(fileobj=gz, mode='w', format=tarfile.PAX_FORMAT) as tar:
            tar.addfile(_tarinfo(top, None, mtime))
            for rel, is_dir in entries:
                path = inside(bundle_dir, rel)
                if is_dir:
                    tar.addfile(_tarinfo(f'{top}/{rel}', None, mtime))
                else:
                    with open(path, 'rb') as f:
                        tar.addfile(_tarinfo(f'{top}/{rel}', os.fstat(f.fileno()).st_size, mtime), f)


def _tarinfo(name, size, mtime):
    info = tarfile.TarInfo(name)
    info.mtime = int(mtime)
    info.uid = info.gid = 0
    info.uname = info.gname = ''
    if size is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o700
    else:
        info.size = size
        info.mode = FILE_MODE
    return info


def verify_artifact_contents(bundle_dir):
    """Problems with the artifact contents of a bundle (each stored file's size and SHA-256 against
    the ``artifact_contents`` index); ``[]`` when they hold or the bundle has none."""
    return verify_stored_files(bundle_dir, ARTIFACT_CONTENTS)


def verify_stored_files(bundle_dir, name):
    """Problems with the files an index kind of :data:`STORED_FILE_INDEXES` lists (each stored file's size and SHA-256
    against its entry); ``[]`` when they hold or the bundle has no such index. Files listed twice are read once."""
    manifest = read_manifest(bundle_dir)
    if not manifest or name not in (manifest.get('kinds') or {}):
        return []
    problems, seen = [], set()
    index_file = name + '.json'
    for item in iter_objects(os.path.join(bundle_dir, index_file)):
        rel = item.get('stored_path') if isinstance(item, dict) else None
        if not rel or (rel, item.get('sha256')) in seen:
            continue
        seen.add((rel, item.get('sha256')))
        try:
            path = inside(bundle_dir, rel)
        except BundleError as exc:
            problems.append(str(exc))
            continue
        if not os.path.isfile(path):
            problems.append(f'{path} is missing')
        elif os.path.getsize(path) != item.get('size') or sha256_file(path) != item.get('sha256'):
            problems.append(f'{path} does not match its size and checksum in {index_file}')
    return problems
