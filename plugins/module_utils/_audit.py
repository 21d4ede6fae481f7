# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The audit log of a purge (``docs/purge.md``, "The audit log"): never lose a line about a DELETE.

- Before each DELETE a ``pending`` line names the object and the ``client_request_id`` the DELETE carries
  (``x-ms-client-request-id``), and is on disk (fsynced) before the request leaves: the workers of one kind write their
  pending lines and share the fsyncs (a group commit), so at most ``concurrency`` pending lines wait for one fsync.
- After the answer, the settling line (``deleted``, ``absent`` or ``failed``) carries the same ``client_request_id``.
- A run killed between the two leaves a pending line alone: the next run that writes to the log lists the kind again and
  settles it (``settled_by: relist``): ``deleted`` when the object is gone, ``failed`` when it is still there.
- A line that cannot be written (a full disk) stops the purge before its DELETE: :class:`AuditError`, and every later
  write fails too, so that no DELETE ever goes out unrecorded.

The file: JSON lines, keys sorted, created 0600 (its missing folders 0700), opened ``O_APPEND`` and never truncated, one
``write(2)`` per line (concurrent writers never interleave within a line).
"""

import json
import os
import threading

from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import make_private_dirs, utc_now

FSYNC_EVERY = 64  # settling lines between fsyncs (a pending line is always fsynced before its DELETE)
FILE_MODE = 0o600
PENDING = 'pending'
INTERRUPTED = ('the run that sent this DELETE ended before its answer was recorded; listed again, the object is still there '
               '(not deleted)')


class AuditError(GdprAzureMLError):
    """The audit log cannot be opened or written: nothing more may be deleted."""


def audit_record(workspace_id, kind_name, obj_id, *, status, request_id, outcome, **extra):
    """One audit line: ``time``, ``workspace_id``, ``kind``, ``id``, ``status``, ``request_id``, ``outcome``, and the
    ``extra`` keys that are not None (``client_request_id``, ``error``, ``remaining``, ``settled_by``)."""
    record = {'time': utc_now(precise=True), 'workspace_id': workspace_id, 'kind': kind_name, 'id': obj_id, 'status': status,
              'request_id': request_id, 'outcome': outcome}
    record.update({k: v for k, v in extra.items() if v is not None})
    return record


class AuditLog:
    """An append-only JSON-lines file (see the module docstring). Thread-safe."""

    def __init__(self, path):
        self.path = os.path.abspath(os.path.expanduser(str(path)))
        self.lines = 0
        self._fd = None
        self._lock = threading.Lock()  # the descriptor and the line count
        self._sync_lock = threading.Lock()  # one fsync at a time; the others wait for it and may find their line covered
        self._synced = 0
        self._unsynced = 0
        self.failed = None

    def open(self):
        if self._fd is not None:
            return self
        if os.path.isdir(self.path):
            raise AuditError(f'audit_log {self.path} is a directory')
        try:
            make_private_dirs(os.path.dirname(self.path))
            created = not os.path.exists(self.path)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        except OSError as exc:
            raise AuditError(f'the audit log {self.path} cannot be opened ({exc.strerror or exc}): nothing was deleted') from None
        try:
            if created:
                os.fchmod(fd, FILE_MODE)  # whatever the umask
            size = os.fstat(fd).st_size
            if size:
                # A line cut short (a crash mid-write) must not swallow the next record.
                with open(self.path, 'rb') as f:
                    f.seek(size - 1)
                    if f.read(1) != b'\n':
                        os.write(fd, b'\n')
        except OSError as exc:
            os.close(fd)
            raise AuditError(f'the audit log {self.path} cannot be written ({exc.strerror or exc}): nothing was deleted') from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def _fail(self, exc, doing):
        self.failed = self.failed or AuditError(f'the audit log {self.path} cannot be written ({exc.strerror or exc}) while '
                                                f'{doing}: the purge stopped before its next DELETE')
        raise self.failed from None

    def write(self, record, sync=False):
        """Append ``record`` (a dict) as one JSON line; with ``sync``, return once it is on disk. The line's number."""
        data = (json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(',', ':')) + '\n').encode('utf-8')
        with self._lock:
            if self.failed is not None:
                raise self.failed
            self.open()
            try:
                os.write(self._fd, data)
            except OSError as exc:
                self._fail(exc, f"recording {record.get('outcome')} {record.get('kind')} {record.get('id')}")
            self.lines += 1
            number = self.lines
            self._unsynced += 1
            due = self._unsynced >= FSYNC_EVERY
        if sync or due:
            self.sync(number)
        return number

    def pending(self, record):
        """Write the ``pending`` line of a DELETE about to be sent, and return once it is on disk."""
        return self.write(record, sync=True)

    def sync(self, number=None):
        """fsync, unless line ``number`` (default: every line written so far) is on disk already: the workers waiting here
        share one fsync (a group commit)."""
        with self._sync_lock:
            with self._lock:
                target = self.lines
                if number is not None and number <= self._synced:
                    return
                fd = self._fd
            if fd is None:
                return
            try:
                os.fsync(fd)
            except OSError as exc:
                with self._lock:
                    self._fail(exc, 'writing it to disk')
            with self._lock:
                self._synced = max(self._synced, target)
                self._unsynced = self.lines - self._synced

    def close(self):
        try:
            if self._fd is not None and self.failed is None and self._synced < self.lines:
                self.sync()
        finally:
            with self._lock:
                if self._fd is not None:
                    os.close(self._fd)
                    self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.close()
        except AuditError:
            if exc[0] is None:
                raise


class NoAudit:
    """No audit log (the option is not set): every method does nothing."""

    lines = 0
    path = None
    failed = None

    def open(self):
        return self

    def write(self, record, sync=False):
        return 0

    def pending(self, record):
        return 0

    def sync(self, number=None):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def audit_log(path):
    """An :class:`AuditLog` for ``path``, opened now (so that an unusable path fails before any delete), or a
    :class:`NoAudit` when ``path`` is empty."""
    return AuditLog(path).open() if path else NoAudit()


def read_lines(path):
    """The records of the audit log at ``path`` (lines that are not JSON objects, such as a line cut short, are skipped);
    none when it is not a regular file (a device such as ``/dev/full`` has no lines to read back)."""
    records = []
    if not os.path.isfile(path):
        return records
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            for raw in f:
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(line, dict):
                    records.append(line)
    except FileNotFoundError:
        pass
    return records


def unsettled(records, workspace_id=None):
    """The ``pending`` lines (of ``workspace_id``, compared case-insensitively, when given) that no later line with the same
    ``client_request_id`` settles, in the order they were written."""
    wanted = str(workspace_id).lower() if workspace_id else None
    pending, settled = {}, set()
    for line in records:
        if wanted is not None and str(line.get('workspace_id') or '').lower() != wanted:
            continue
        cid = line.get('client_request_id')
        if not cid:
            continue
        if line.get('outcome') == PENDING:
            pending.setdefault(cid, line)
        else:
            settled.add(cid)
    return [line for cid, line in pending.items() if cid not in settled]


def settle_by_relist(audit, workspace_id, present):
    """Settle the pending lines of ``workspace_id`` that an interrupted run left: ``present(kind)`` lists the kind again
    and returns the ids there now (lower-cased for the workspace kind). Returns the settling lines written."""
    if not isinstance(audit, AuditLog):
        return []
    lines = unsettled(read_lines(audit.path), workspace_id)
    written, listed = [], {}
    for line in lines:
        kind_name = line.get('kind')
        if kind_name not in listed:
            listed[kind_name] = present(kind_name)
        ids = listed[kind_name]
        if ids is None:
            continue  # a kind this run cannot list: left pending (unknown)
        obj_id = line.get('id')
        gone = (str(obj_id).lower() if kind_name == 'workspace' else obj_id) not in ids
        record = audit_record(line.get('workspace_id'), kind_name, obj_id, status=None, request_id=None,
                              outcome='deleted' if gone else 'failed', client_request_id=line.get('client_request_id'),
                              settled_by='relist', error=None if gone else INTERRUPTED)
        audit.write(record)
        written.append(record)
    if written:
        audit.sync()
    return written
