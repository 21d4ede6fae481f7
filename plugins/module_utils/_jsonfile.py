# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""Write a JSON array of items to a file: bounded memory, sorted, atomic, mode 0600, honest ``changed``.

Each item is serialised once (compact, sorted keys, UTF-8, ``ensure_ascii=False``) to an
anonymous spill file while only ``(sort key, digest, offset, length)`` stays in memory. The final
layout is stable, so the same items always give the same bytes::

    [
    {"id":"a",...},
    {"id":"b",...}
    ]

(an empty list is ``[]`` and a newline). The digest is computed from the spill first; when it
equals the existing file's nothing is written (``changed: false``). Otherwise the bytes go to a
temporary file in the destination folder (created 0600), which is fsynced and renamed over
``dest`` with ``os.replace``.
"""

import hashlib
import json
import os
import stat
import tempfile
from collections import namedtuple
from datetime import datetime, timezone

from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError

CHUNK = 1024 * 1024
MODE = 0o600
DIR_MODE = 0o700
# The times the collection writes (the bundle's manifest, the audit log, the plan file): ISO 8601, UTC, with a ``Z``.
TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def utc_now(precise=False):
    """The current time in ``TIME_FORMAT`` (``2026-11-29T08:00:00Z``: the manifest's ``started``/``finished``), or with
    ``precise`` to the microsecond (``2026-11-29T08:00:00.123456Z``: the audit log's ``time``, the plan file's ``created``)."""
    now = datetime.now(timezone.utc)
    return now.strftime(TIME_FORMAT) if not precise else now.strftime(TIME_FORMAT[:-1] + '.%fZ')


class JsonFileError(GdprAzureMLError):
    """``dest`` cannot be written (missing folder, a directory in the way)."""


def dumps_text(item):
    """The text of one item: compact JSON with sorted keys (:func:`dumps_item` before its UTF-8 encoding)."""
    return json.dumps(item, sort_keys=True, separators=(',', ':'), ensure_ascii=False)


def dumps_item(item):
    """The bytes of one item: compact JSON with sorted keys, UTF-8."""
    return dumps_text(item).encode('utf-8')


# An item of :func:`write_json_array` with its :func:`dumps_item` bytes, when the producer has encoded it already (the
# export's digest tap, ``_digests.Digests.tap_encoded``): written as is, not encoded again.
Encoded = namedtuple('Encoded', ['item', 'data'])


def sort_key_function(key):
    """A callable ``item -> str``: ``key`` itself when callable, else the field called ``key``."""
    if callable(key):
        return lambda item: _text(key(item))
    return lambda item: _text(item.get(key) if isinstance(item, dict) else None)


def sort_items(items, key):
    """``items`` sorted in memory exactly as :func:`write_json_array` orders the file."""
    keyfn = sort_key_function(key)
    decorated = [(keyfn(item), hashlib.sha256(dumps_item(item)).digest(), index, item) for index, item in enumerate(items)]
    decorated.sort(key=lambda entry: entry[:2])
    return [entry[3] for entry in decorated]


def _text(value):
    return '' if value is None else str(value)


def sha256_file(path):
    """Hex digest of the file at ``path``, or None when it does not exist."""
    digest = hashlib.sha256()
    try:
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(CHUNK), b''):
                digest.update(block)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


class _Spill:
    """Serialised items on disk, their sort keys and places in memory."""

    def __init__(self, items, key, folder=None):
        self.file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - closed by close()
        self.records = []
        keyfn = sort_key_function(key)
        offset = 0
        for given in items:
            item, data = given if isinstance(given, Encoded) else (given, dumps_item(given))
            self.file.write(data)
            # Ties on the key are broken by the item's own bytes (their digest), not by arrival
            # order: the same set of items always gives the same file.
            self.records.append((keyfn(item), hashlib.sha256(data).digest(), offset, len(data)))
            offset += len(data)
        self.records.sort()

    def chunks(self):
        """The bytes of the final file, in pieces."""
        if not self.records:
            yield b'[]\n'
            return
        self.file.flush()
        fd = self.file.fileno()
        yield b'[\n'
        for position, (_key, _digest, offset, length) in enumerate(self.records):
            if position:
                yield b',\n'
            yield os.pread(fd, length, offset)  # one system call, no seek of the buffered file
        yield b'\n]\n'

    def sha256(self):
        digest = hashlib.sha256()
        for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()

    def close(self):
        self.file.close()


def _hashing(chunks, hashed):
    for chunk in chunks:
        hashed.update(chunk)
        yield chunk


def _check_dest(dest):
    folder = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(folder):
        raise JsonFileError(f'dest folder {folder} does not exist')
    if os.path.isdir(dest):
        raise JsonFileError(f'dest {dest} is a directory')
    return folder


def missing_dirs(path):
    """The folders of ``path`` (itself and its parents) that do not exist yet, outermost first: what
    :func:`make_private_dirs` would create (a check run reports them without creating them)."""
    path = os.path.abspath(path)
    missing = []
    while not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return list(reversed(missing))


def make_private_dirs(path):
    """Create the folder ``path`` and its missing parents with mode 0700 (whatever the umask); return the folders created.

    Existing folders are left as they are. Safe against concurrent creators (forks exporting into the same new root):
    each missing folder is created with ``mkdir``; when it appeared meanwhile (``EEXIST``) it is accepted only if it is a
    real folder, not a file nor a symbolic link. :raises NotADirectoryError: something on the way is not a folder.
    """
    created = []
    for folder in missing_dirs(path):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:
            mode = os.lstat(folder).st_mode
            if stat.S_ISLNK(mode):
                raise NotADirectoryError(f'{folder} is a symbolic link, not a folder') from None
            if not stat.S_ISDIR(mode):
                raise NotADirectoryError(f'{folder} exists and is not a folder') from None
            continue  # another creator made it first
        os.chmod(folder, DIR_MODE)
        created.append(folder)
    return created


def write_atomic(dest, chunks, mode=MODE):
    """Write ``chunks`` (bytes, or an iterable of bytes) to ``dest`` atomically: a new temporary file in the same folder
    (``O_EXCL``, so never through a symlink; ``mode`` from creation, whatever the umask), fsynced, renamed over ``dest``,
    the folder fsynced. The one atomic writer of the collection: an interruption leaves the old file or the new one."""
    if isinstance(chunks, (bytes, bytearray)):
        chunks = [chunks]
    folder = os.path.dirname(os.path.abspath(dest))
    fd, tmp = None, None
    try:
        for attempt in range(100):
            tmp = os.path.join(folder, f'.{os.path.basename(dest)}.{os.getpid()}.{attempt}.tmp')
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
                break
            except FileExistsError:
                tmp = None
                continue
        if fd is None:
            raise JsonFileError(f'cannot create a temporary file next to {dest}')
        os.fchmod(fd, mode)  # whatever the umask
        with os.fdopen(fd, 'wb') as f:
            fd = None
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
        tmp = None
        fsync_dir(folder)
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def fsync_dir(folder):
    """fsync a folder (so that a rename in it is durable); silently skipped where the OS does not allow it."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def write_json_array(dest, items, key, *, check_mode=False):
    """Write ``items`` (any iterable of JSON values, or of :data:`Encoded` values with their bytes) to ``dest`` as a sorted
    JSON array.

    :param key: the sort key: a field name (``'id'``) or a callable ``item -> value``.
    :param check_mode: compute ``count`` and ``sha256`` and whether the file would change,
        write nothing (the spill goes to the system temporary folder).
    :returns: ``{'changed': bool, 'count': int, 'sha256': hex, 'dest': dest}``.
    :raises JsonFileError: the folder is missing or ``dest`` is a directory (not in check mode:
        there the prediction is simply ``changed: true``).
    """
    dest = os.path.abspath(os.path.expanduser(str(dest)))
    folder = None
    if not check_mode:
        folder = _check_dest(dest)
    spill = _Spill(items, key, folder)
    try:
        existing = sha256_file(dest) if os.path.isfile(dest) else None
        if existing is None and not check_mode:
            # nothing to compare with (a new file, the export's staging folder): written and hashed in one pass
            hashed = hashlib.sha256()
            write_atomic(dest, _hashing(spill.chunks(), hashed))
            return {'changed': True, 'count': len(spill.records), 'sha256': hashed.hexdigest(), 'dest': dest}
        digest = spill.sha256()
        changed = digest != existing
        if not check_mode:
            if changed:
                write_atomic(dest, spill.chunks())
            elif (os.stat(dest).st_mode & 0o777) != MODE:
                os.chmod(dest, MODE)
                changed = True
        return {'changed': changed, 'count': len(spill.records), 'sha256': digest, 'dest': dest}
    finally:
        spill.close()
