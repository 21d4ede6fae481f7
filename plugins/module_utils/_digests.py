# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""Content digests: what the purge compares with the export, instead of ids (``docs/export.md``, ``digests.json``).

The digest of an object is the SHA-256 of its canonical JSON (sorted keys, compact, UTF-8), scrubbed as the export stores
it (``_scrub``), without the volatile fields its kind declares (``_kinds.Kind.volatile``: states the service moves on its
own). Two objects with the same id and different content (a service deleted and created again under its name by someone
else) have different digests: the purge refuses to delete what no bundle holds, naming the fields that changed.
"""

import hashlib
import json
import threading

from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import Encoded, dumps_item
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KINDS, SAME_AS

_TWO_VIEWS = frozenset(SAME_AS) | frozenset(SAME_AS.values())

DIGESTS_NAME = 'digests.json'


def _without(obj, path):
    """``obj`` without the field at the dotted ``path``: a copy of the dicts along the path only (``obj`` itself when the
    field is absent; nothing is modified in place)."""
    head, dot, rest = path.partition('.')
    if not isinstance(obj, dict) or head not in obj:
        return obj
    inner = _without(obj[head], rest) if dot else None
    if dot and inner is obj[head]:
        return obj
    out = dict(obj)
    if dot:
        out[head] = inner
    else:
        del out[head]
    return out


def content(kind_name, obj):
    """``obj`` without the volatile fields of its kind: ``obj`` itself when it has none of them, else a copy of what lies
    on their paths (the rest shared with ``obj``, which stays as it is)."""
    volatile = KINDS[kind_name].volatile if kind_name in KINDS else ()
    if not volatile or not isinstance(obj, dict):
        return obj
    for path in volatile:
        obj = _without(obj, path)
    return obj


def canonical(kind_name, obj):
    """The bytes a digest is taken over: ``_jsonfile.dumps_item`` of the content (the bytes the bundle file stores when
    the object has no volatile field)."""
    return dumps_item(content(kind_name, obj))


def digest(kind_name, obj, data=None):
    """SHA-256 (hex) of the object's canonical content; ``data``: ``dumps_item(obj)`` when the caller has it already
    (hashed as is when the object has no volatile field: the same bytes, not encoded twice)."""
    stripped = content(kind_name, obj)
    if data is not None and stripped is obj:
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha256(dumps_item(stripped)).hexdigest()


def changed_fields(kind_name, old, new):
    """The dotted names of the fields whose content differs between ``old`` and ``new`` (volatile fields left out), sorted."""
    return _diff(content(kind_name, old), content(kind_name, new), '')


def _diff(old, new, prefix):
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [] if old == new else [prefix.rstrip('.') or '(the whole object)']
    names = []
    for key in sorted(set(old) | set(new), key=str):
        if key in old and key in new and isinstance(old[key], dict) and isinstance(new[key], dict):
            names.extend(_diff(old[key], new[key], f'{prefix}{key}.'))
        elif key not in old or key not in new or old[key] != new[key]:
            names.append(f'{prefix}{key}')
    return names


class Digests:
    """``{kind: {id: digest}}`` collected while objects stream by (thread-safe). An id met twice in a kind gets the digest
    of all its objects' digests, so that the same objects always give the same map."""

    def __init__(self):
        self._seen = {}
        self._lock = threading.Lock()

    def add(self, kind_name, obj, data=None):
        value = digest(kind_name, obj, data)
        obj_id = KINDS[kind_name].object_id(obj)
        with self._lock:
            self._seen.setdefault(kind_name, {}).setdefault(obj_id, []).append(value)
        return obj

    def tap(self, kind_name, items):
        """``items``, each one's digest recorded on its way (the export's writer consumes it: no second pass)."""
        for item in items:
            yield self.add(kind_name, item)

    def tap_encoded(self, kind_name, items):
        """:meth:`tap` for ``_jsonfile.write_json_array``: each item as ``_jsonfile.Encoded`` (its bytes, encoded once for the
        digest and the file; an item that comes ``Encoded`` already is not encoded again)."""
        for item in items:
            encoded = item if isinstance(item, Encoded) else Encoded(item, dumps_item(item))
            self.add(kind_name, encoded.item, encoded.data)
            yield encoded

    def kind(self, kind_name):
        """``{id: digest}`` of one kind (empty when none was seen)."""
        with self._lock:
            seen = dict(self._seen.get(kind_name) or {})
        return {obj_id: values[0] if len(values) == 1 else hashlib.sha256(''.join(sorted(values)).encode()).hexdigest()
                for obj_id, values in seen.items()}

    def as_dict(self, kinds=None):
        """``{kind: {id: digest}}`` for ``kinds`` (default: every kind seen); a kind seen empty maps to ``{}``."""
        return {name: self.kind(name) for name in (kinds if kinds is not None else sorted(self._seen))}

    def count(self):
        with self._lock:
            return sum(len(ids) for ids in self._seen.values())


def dumps(mapping):
    """The bytes of ``digests.json``: one id per line, sorted keys, UTF-8, a final newline (equal maps, equal bytes)."""
    return (json.dumps(mapping, sort_keys=True, indent=0, ensure_ascii=False) + '\n').encode('utf-8')


class Comparison:
    """Objects listed now, compared with the digests of an export bundle (``exported``: ``{kind: {id: digest}}``, or None
    to count only). Per kind: how many were listed, the ids the bundle does not hold (``new``), the ids whose content is not
    the bundle's (``changed``), and the first ``keep`` changed objects themselves (to name the fields that changed).
    Thread-safe: a listing's workers add to it concurrently."""

    def __init__(self, exported=None, keep=10):
        self.exported = exported
        self.keep = keep
        self.listed = {}
        self.new = {}
        self.changed = {}
        self.kept = {}
        # the ids of the kinds of two views (``Kind.same_as``: jobs and runs, v2 model versions and models), so that an object
        # of both is counted once (``_coverage.erasure_counts``)
        self.ids = {}
        self._lock = threading.Lock()

    def add(self, kind_name, obj):
        obj_id = KINDS[kind_name].object_id(obj)
        value = digest(kind_name, obj) if self.exported is not None else None
        with self._lock:
            self.listed[kind_name] = self.listed.get(kind_name, 0) + 1
            if kind_name in _TWO_VIEWS:
                self.ids.setdefault(kind_name, set()).add(obj_id)
            if self.exported is None:
                return
            known = (self.exported.get(kind_name) or {}).get(obj_id)
            if known is None:
                self.new.setdefault(kind_name, []).append(obj_id)
            elif known != value:
                self.changed.setdefault(kind_name, []).append(obj_id)
                kept = self.kept.setdefault(kind_name, {})
                if len(kept) < self.keep:
                    kept[obj_id] = obj

    def count(self, kind_name):
        return self.listed.get(kind_name, 0)
