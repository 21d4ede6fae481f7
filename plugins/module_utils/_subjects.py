# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The subject index: where an export bundle refers to a person (``docs/subjects.md``).

:func:`build_index` streams every kind file of a bundle through ``_bundle.iter_objects`` (one
object in memory at a time; what stays in memory is the index itself and, for the runs, a map
from run id to its creator) and answers two questions:

- ``subjects``: for each identity asked about (object id, UPN or e-mail, display name, tenant id),
  every object that refers to it - kind, id, name, the JSON path of each matching field - and
  counts per kind.
- ``identities``: every distinct identity the identity fields of the workspace name, with counts
  per kind ("who appears at all").

Matching (the same for both):

- A subject matches a string value of an object when the value *equals* one of its identifiers:
  object ids as GUIDs, case-insensitively (GUID strings are case-insensitive: ``A1B2...`` and
  ``a1b2...`` are the same id); UPNs, e-mail addresses and display names case-insensitively after
  Unicode NFC normalisation (``str.casefold``). An e-mail address also matches the guest UPN Azure
  AD derives from it (``jane.doe_fabrikam.com#EXT#@contoso.onmicrosoft.com``).
- Every string value of every object is compared, at any depth (arrays included): identity fields
  (``createdBy.*``, ``userId``, ...), tags, ``kvTags``, ``properties``, task recipients, models
  embedded in images and services. Keys are not compared, nor is free text (descriptions, paths)
  unless ``contains`` is set: then a value that *contains* an identifier also counts (reported
  under ``mentions``).
- ``tenant_id`` narrows a subject: a match on its object id or display name inside a user record
  (a dict holding ``userTenantId``) of another tenant is not counted.
- Metrics (run history and v2) and artifacts name no user: they belong to a run. They are reported
  for the subject who created their run (``via`` names the run; the field is the run reference,
  ``runId``, or ``container`` for artifacts: the run's data container, ``dcid.<runId>``, or its id).
  So is a v2 job, the run of the same id (its ``name``): its creator precisely, by the run's ``createdBy.userObjectId``.
- Each object found says how (``evidence``, :data:`EVIDENCE`): ``precise`` (an object id: the object's own, its run's,
  a compute instance's ``assignedUser.objectId``), ``address`` (a UPN or e-mail address) or ``display_name`` (only a
  display name, as ARM ``systemData.createdBy`` names a user: people share names, weaker evidence).

Identity fields (what "who appears" reads): user records at any depth (dicts with
``userObjectId``, ``userName`` or ``userPuId``: run history ``createdBy`` and the SDK ``User`` of
models, images, services, also embedded), top-level ``userId`` (runs), the strings of
``createdBy``/``lastModifiedBy``/``modifiedBy``/``updatedBy``/``deletedBy``/``submittedBy``/``owner``
keys outside tags and properties (ARM ``systemData``), ``emailAddress`` of any dict (task
recipients, with ``displayName``), and every value that looks like an e-mail address under
``tags``/``kvTags``/``properties``.

:func:`subject_purge_selection` / :func:`created_by_subjects` serve the purge: which objects of the
deletable kinds the listed subjects created (by their object id, from the objects' own
``createdBy``), and which of those another person's image or service still holds.
"""

import functools
import hashlib
import json
import os
import re
import unicodedata

from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import BundleError, iter_objects, read_manifest, verify_bundle
from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import MODE as FILE_MODE
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import sha256_file, write_atomic
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import (
    CREATOR_FIELDS, CREATOR_KINDS, DELETABLE_KINDS, HOLDING_KINDS, KIND_NAMES, KINDS, RUN_CHILDREN, SAME_AS, field_values, other_view,
    references,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._routes import GUID_RE

FORMAT_VERSION = 1
INDEX_NAME = 'subjects.json'
SUBJECT_KEYS = ('object_id', 'upn', 'email', 'name', 'tenant_id')
EMAIL_RE = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
# User records: dicts of the run history ``CreatedBy`` / the SDK ``User`` shape.
USER_RECORD_KEYS = ('userObjectId', 'userName', 'userPuId')
# Keys whose string value names a person (ARM ``systemData.createdBy``, ...), outside tags and properties.
IDENTITY_STRING_KEYS = frozenset(('createdBy', 'lastModifiedBy', 'modifiedBy', 'updatedBy', 'deletedBy', 'submittedBy', 'owner'))
# Containers whose e-mail-like values are identities (any depth below them).
TAG_CONTAINERS = frozenset(('tags', 'kvTags', 'properties'))
# The deletable kinds whose objects carry their creator's object id (``_kinds``: ``Kind.creator_ids``; the SDK's
# ``createdBy`` on models, images and services). Assets name no creator: a purge by subject never deletes them.
IDENTITY_TYPES = ('object_id', 'address', 'name')
# How strongly an object is tied to a subject (``evidence`` of an entry of ``subjects.json``), strongest first:
# ``precise``: the subject's object id (the object's own field, or the run of the same id for a job and the objects of a
# run: ``createdBy.userObjectId``; a compute instance's ``assignedUser.objectId``); ``address``: a UPN or e-mail address;
# ``display_name``: a display name only (ARM ``systemData.createdBy``, ``userName``), which people share: weaker evidence.
EVIDENCE = ('precise', 'address', 'display_name')
_EVIDENCE_OF = {'object_id': 'precise', 'address': 'address', 'name': 'display_name'}
# A dict at this key names a person by ``objectId`` / ``tenantId`` (a compute instance's ``assignedUser``).
ASSIGNED_USER_KEYS = frozenset(('assignedUser',))


class SubjectError(GdprAzureMLError, ValueError):
    """A subject cannot be used (unknown key, malformed id) or the bundle cannot be indexed."""


# -- normalisation and subjects ---------------------------------------------------------------------------------------------

def norm(text):
    """The comparison form of a name or address: NFC, case-folded, without surrounding blanks."""
    return unicodedata.normalize('NFC', str(text)).strip().casefold()


def is_guid(text):
    return isinstance(text, str) and bool(GUID_RE.match(text.strip()))


def guest_upn_prefix(address):
    """The start of the guest UPN Azure AD gives ``address`` in another tenant (``a.b_c.com#ext#@``), or None."""
    address = norm(address)
    if '#ext#' in address or address.count('@') != 1:
        return None
    local, domain = address.split('@')
    return f'{local}_{domain}#ext#@' if local and domain else None


def parse_subject(value, index=0):
    """One subject, as a dict of the keys of :data:`SUBJECT_KEYS` that are set.

    A string is an object id when it is a GUID, a UPN or e-mail address (``email``; UPNs and e-mail
    addresses are compared the same way) when it holds ``@``, else a display name. A dict may hold
    ``object_id``, ``upn``, ``email``, ``name`` and ``tenant_id``; it needs one of the first four.
    """
    where = f'subjects[{index}]'
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise SubjectError(f'{where} is empty')
        if is_guid(text):
            return {'object_id': text.lower()}
        if '@' in text:
            return {'email': text}
        return {'name': text}
    if not isinstance(value, dict):
        raise SubjectError(f'{where} must be a string or a dict with keys {", ".join(SUBJECT_KEYS)}, got {type(value).__name__}')
    unknown = sorted(str(k) for k in value if k not in SUBJECT_KEYS)
    if unknown:
        raise SubjectError(f'{where} has unknown key(s) {", ".join(unknown)}; known keys: {", ".join(SUBJECT_KEYS)}')
    subject = {}
    for key in SUBJECT_KEYS:
        item = value.get(key)
        if item is None:
            continue
        if not isinstance(item, str) or not item.strip():
            raise SubjectError(f'{where}.{key} must be a non-empty string')
        item = item.strip()
        if key in ('object_id', 'tenant_id'):
            if not is_guid(item):
                raise SubjectError(f'{where}.{key} must be a GUID (00000000-0000-0000-0000-000000000000), got {item!r}')
            item = item.lower()
        elif key in ('upn', 'email') and '@' not in item:
            raise SubjectError(f'{where}.{key} must hold an @, got {item!r}')
        subject[key] = item
    if not any(k in subject for k in ('object_id', 'upn', 'email', 'name')):
        raise SubjectError(f'{where} needs at least one of object_id, upn, email, name (tenant_id alone names a whole tenant)')
    return subject


def parse_subjects(values):
    """:func:`parse_subject` of each value; identical subjects are kept once (first place)."""
    subjects = []
    for index, value in enumerate(values or ()):
        subject = parse_subject(value, index)
        if subject not in subjects:
            subjects.append(subject)
    return subjects


def describe_subject(subject):
    """``"Jane Doe <jane@contoso.com> (object id 0000...)"`` for messages."""
    parts = []
    if subject.get('name'):
        parts.append(subject['name'])
    addresses = [subject[k] for k in ('upn', 'email') if subject.get(k)]
    if addresses:
        parts.append('<' + '>, <'.join(dict.fromkeys(addresses)) + '>')
    if subject.get('object_id'):
        parts.append(f"(object id {subject['object_id']})")
    return ' '.join(parts)


class SubjectMatcher:
    """Which subjects a string value names (see the module docstring for the rules)."""

    def __init__(self, subjects, contains=False):
        self.subjects = list(subjects)
        self.contains = contains
        self._exact = {}
        self._guest = []
        self._needles = []
        for index, subject in enumerate(self.subjects):
            if subject.get('object_id'):
                self._add(subject['object_id'].lower(), index, 'object_id')
            for key in ('upn', 'email'):
                if subject.get(key):
                    self._add(norm(subject[key]), index, 'address')
                    prefix = guest_upn_prefix(subject[key])
                    if prefix:
                        self._guest.append((prefix, index))
            if subject.get('name'):
                self._add(norm(subject['name']), index, 'name')
        self._tenants = {i: s.get('tenant_id') for i, s in enumerate(self.subjects)}

    def _add(self, value, index, how):
        entries = self._exact.setdefault(value, [])
        if (index, how) not in entries:
            entries.append((index, how))
        if len(value) >= 3:
            self._needles.append((value, index, how))

    def _tenant_ok(self, index, how, tenant):
        wanted = self._tenants.get(index)
        if not wanted or not tenant or how == 'address':
            return True
        return str(tenant).strip().lower() == wanted

    def exact(self, value, tenant=None):
        """The indexes of the subjects ``value`` equals (``tenant``: the ``userTenantId`` of its user record)."""
        return set(self.how(value, tenant))

    def how(self, value, tenant=None):
        """``{subject index: {'object_id' | 'address' | 'name', ...}}``: which subjects ``value`` equals, and as what
        (a guest UPN derived from an address counts as ``address``)."""
        text = norm(value)
        if not text:
            return {}
        found = {}
        for i, how in self._exact.get(text, ()):
            if self._tenant_ok(i, how, tenant):
                found.setdefault(i, set()).add(how)
        if self._guest and '#ext#@' in text:
            for prefix, i in self._guest:
                if text.startswith(prefix):
                    found.setdefault(i, set()).add('address')
        return found

    def mentions(self, value, tenant=None):
        """The indexes of the subjects whose identifier ``value`` contains (not counting exact matches)."""
        if not self.contains:
            return set()
        text = norm(value)
        return {i for needle, i, how in self._needles if needle in text and needle != text and self._tenant_ok(i, how, tenant)}


# -- walking objects ----------------------------------------------------------------------------------------------------------

_SIMPLE_KEY = re.compile(r'^[A-Za-z_$][A-Za-z0-9_$]*$')


def format_path(path):
    """``('modelDetails', 0, 'createdBy', 'userName')`` -> ``modelDetails[0].createdBy.userName``;
    keys that are not plain identifiers are quoted: ``properties["_azureml.ComputeTargetType"]``."""
    out = ''
    for step in path:
        if isinstance(step, int):
            out += f'[{step}]'
        elif _SIMPLE_KEY.match(step):
            out += ('.' if out else '') + step
        else:
            out += '[' + json.dumps(step, ensure_ascii=False) + ']'
    return out


@functools.lru_cache(maxsize=4096)
def pattern_path(path):
    """:func:`format_path` with array indexes left out (``recipients[].emailAddress``)."""
    return format_path(tuple('[]' if isinstance(s, int) else s for s in path)).replace('.[]', '[]').replace('["[]"]', '[]')


def iter_strings(value, path=(), tenant=None):
    """Yield ``(path, string, tenant)`` for every string value under ``value``; ``tenant`` is the
    ``userTenantId`` of the innermost user record around it."""
    if isinstance(value, dict):
        if isinstance(value.get('userTenantId'), str):
            tenant = value['userTenantId']
        for key, item in value.items():
            yield from iter_strings(item, path + (str(key),), tenant)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_strings(item, path + (index,), tenant)
    elif isinstance(value, str):
        yield path, value, tenant


def classify(text):
    """``(type, comparison key, display value)`` of an identity string; None when empty."""
    text = text.strip() if isinstance(text, str) else ''
    if not text:
        return None
    if is_guid(text):
        return 'object_id', text.lower(), text.lower()
    if '@' in text:
        return 'address', norm(text), text
    return 'name', norm(text), text


def identity_fields(obj, kind_name=None):
    """The identities an object's identity fields name: ``[(identity, path, is_creator)]``.

    ``identity`` is ``(type, key, display, extra)`` with ``extra`` holding ``name`` / ``tenant_id``
    seen beside it. ``is_creator``: the field is the object's own creator (its kind's ``creator_fields``:
    ``createdBy``, ``userId``, ``systemData.createdBy``; any kind's when ``kind_name`` is not given).
    """
    found = []

    def creator(path):
        return _is_creator_path(path, kind_name)

    def walk(value, path, in_tags):
        if isinstance(value, dict):
            if _has_user_record(value):
                oid, name, tenant = value.get('userObjectId'), value.get('userName'), value.get('userTenantId')
                extra = {'name': name if isinstance(name, str) and name.strip() else None,
                         'tenant_id': tenant.lower() if is_guid(tenant) else None}
                if is_guid(oid):
                    found.append((('object_id', oid.lower(), oid.lower(), extra), path + ('userObjectId',), creator(path)))
                elif extra['name']:
                    kind_, key, display = classify(extra['name'])
                    found.append(((kind_, key, display, {'name': None, 'tenant_id': extra['tenant_id']}), path + ('userName',),
                                  creator(path)))
            if path and path[-1] in ASSIGNED_USER_KEYS and is_guid(value.get('objectId')):
                tenant = value.get('tenantId')
                found.append((('object_id', value['objectId'].lower(), value['objectId'].lower(),
                               {'name': None, 'tenant_id': tenant.lower() if is_guid(tenant) else None}),
                              path + ('objectId',), creator(path)))
            address = value.get('emailAddress')
            if isinstance(address, str) and classify(address):
                display_name = value.get('displayName')
                kind_, key, display = classify(address)
                found.append(((kind_, key, display, {'name': display_name if isinstance(display_name, str) and display_name.strip()
                                                     else None, 'tenant_id': None}), path + ('emailAddress',), False))
            for raw_key, item in value.items():
                key = str(raw_key)
                if isinstance(item, str):
                    if in_tags:
                        if EMAIL_RE.match(item.strip()):
                            found.append((classify(item) + ({'name': None, 'tenant_id': None},), path + (key,), False))
                    elif key in IDENTITY_STRING_KEYS or (key == 'userId' and not path):
                        ident = classify(item)
                        if ident:
                            sub = path + (key,)
                            found.append((ident + ({'name': None, 'tenant_id': None},), sub, creator(sub)))
                elif isinstance(item, (dict, list)):
                    walk(item, path + (key,), in_tags or key in TAG_CONTAINERS)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, path + (index,), in_tags)
                if in_tags and isinstance(item, str) and EMAIL_RE.match(item.strip()):
                    found.append((classify(item) + ({'name': None, 'tenant_id': None},), path + (index,), False))

    walk(obj, (), False)
    return found


def _has_user_record(value):
    """Whether the dict ``value`` is a user record: one of :data:`USER_RECORD_KEYS` holds a non-blank string."""
    for key in USER_RECORD_KEYS:
        item = value.get(key)
        if isinstance(item, str) and item.strip():
            return True
    return False


def object_name(obj):
    for key in ('name', 'displayName', 'path', 'friendlyName'):
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def run_of(kind_name, obj):
    """The run a metric or an artifact belongs to (None for other kinds)."""
    field = RUN_CHILDREN.get(kind_name)
    if not field:
        return None, None
    if kind_name == 'artifacts' and obj.get('origin') not in (None, 'ExperimentRun'):
        return None, None
    value = obj.get(field)
    return (field, value) if isinstance(value, str) and value else (None, None)


# -- the index ---------------------------------------------------------------------------------------------------------------

class _Identity:
    __slots__ = ('type', 'value', 'names', 'tenant_ids', 'counts', 'fields')

    def __init__(self, type_, value):
        self.type = type_
        self.value = value
        self.names = set()
        self.tenant_ids = set()
        self.counts = {}
        self.fields = set()

    def as_dict(self):
        out = {self.type: self.value, 'names': sorted(self.names, key=norm), 'tenant_ids': sorted(self.tenant_ids),
               'counts': dict(self.counts), 'total': sum(self.counts.values()), 'fields': sorted(self.fields)}
        return out


def bundle_kinds(bundle_dir, allow_incomplete=False, *, verified=None):
    """``(manifest, kind names to read, problems)`` of a bundle; SubjectError when it cannot be indexed.

    ``verified``: the problems ``verify_bundle`` found in this same run (the caller that has just verified the bundle
    does not make this read every file again).

    A complete bundle (manifest present, every checksum right) gives the kinds its manifest lists.
    Otherwise the bundle is refused unless ``allow_incomplete``: then every kind file present is
    read and the problems are returned.
    """
    if not os.path.isdir(bundle_dir):
        raise SubjectError(f'no export bundle at {bundle_dir}')
    problems = verify_bundle(bundle_dir) if verified is None else list(verified)
    if problems and not allow_incomplete:
        raise SubjectError('the export bundle cannot be indexed: ' + '; '.join(problems)
                           + ' (export it again, or set allow_incomplete to index what is there)')
    try:
        manifest = read_manifest(bundle_dir)
    except BundleError:
        manifest = None
    listed = (manifest or {}).get('kinds') if isinstance((manifest or {}).get('kinds'), dict) else None
    if listed is not None and not problems:
        names = [k for k in KIND_NAMES if k in listed]
    else:
        names = [k for k in KIND_NAMES if os.path.isfile(os.path.join(bundle_dir, KINDS[k].file))]
    return manifest, names, problems


def _workspace_of(bundle_dir, manifest, kinds):
    ws = (manifest or {}).get('workspace')
    if isinstance(ws, dict) and ws.get('id'):
        return {k: ws.get(k) for k in ('id', 'name', 'resource_group', 'subscription_id', 'location') if ws.get(k) is not None}
    if 'workspace' in kinds:
        for obj in iter_objects(os.path.join(bundle_dir, KINDS['workspace'].file)):
            if isinstance(obj, dict) and obj.get('id'):
                return {'id': obj['id'], 'name': obj.get('name')}
    return {}


def build_index(bundle_dir, subjects=(), identities=None, contains=False, allow_incomplete=False, *, verified=None):
    """The subject index of the bundle in ``bundle_dir`` (the content of ``subjects.json``).

    :param subjects: identities to look for (strings or dicts, see :func:`parse_subject`).
    :param identities: also list every identity that appears; default: only when no subject is given
        (an answer about one person should not list the others).
    :param contains: also report values that contain a subject's identifier (``mentions``).
    :param allow_incomplete: index a bundle without manifest or with wrong checksums (``bundle.complete`` is then false).
    :param verified: what ``verify_bundle`` found in this run, if the caller has just verified it (see :func:`bundle_kinds`).
    :raises SubjectError: bad subjects, no bundle, an incomplete bundle without ``allow_incomplete``.
    :raises BundleError: a kind file that is not a JSON array.
    """
    parsed = parse_subjects(subjects)
    if identities is None:
        identities = not parsed
    manifest, kinds, problems = bundle_kinds(bundle_dir, allow_incomplete, verified=verified)
    matcher = SubjectMatcher(parsed, contains=contains)
    found = [{} for subject in parsed]  # per subject: (kind, id) -> entry
    who = {}
    run_subjects, run_identities = {}, {}
    run_of_container = {}  # a run's data container (dataContainerId, where its artifacts live) -> its run id

    for kind_name in kinds:
        kind = KINDS[kind_name]
        path = os.path.join(bundle_dir, kind.file)
        if not os.path.isfile(path):
            continue
        for obj in iter_objects(path):
            if not isinstance(obj, dict):
                continue
            obj_id = kind.object_id(obj)
            field, run_id = run_of(kind_name, obj)
            if run_id is not None:
                run_id = run_of_container.get(run_id, run_id)
            if kind_name == 'runs' and isinstance(obj.get('dataContainerId'), str) and obj['dataContainerId']:
                run_of_container[obj['dataContainerId']] = obj_id
            if parsed:
                hits = _subject_hits(matcher, obj, kind_name)
                if run_id is not None:
                    for i, evidence in run_subjects.get(run_id, {}).items():
                        hit = hits.setdefault(i, _new_hit())
                        hit['fields'].add((field,))
                        hit['via'] = {'kind': 'runs', 'id': run_id}
                        hit['evidence'].add(evidence)
                if kind_name == 'runs':
                    mine = {i: strongest(hit['creator_evidence']) for i, hit in hits.items() if hit['creator_evidence']}
                    if mine:
                        run_subjects[obj_id] = mine
                for i, hit in hits.items():
                    entry = {'kind': kind_name, 'id': obj_id, 'name': object_name(obj),
                             'fields': sorted(format_path(p) for p in hit['fields']),
                             'created_by': any(_is_creator_path(p, kind_name) for p in hit['fields'])}
                    if hit['evidence']:
                        entry['evidence'] = strongest(hit['evidence'])
                    if hit['mentions']:
                        entry['mentions'] = sorted(format_path(p) for p in hit['mentions'])
                    if hit['via']:
                        entry['via'] = hit['via']
                    found[i][(kind_name, obj_id)] = entry
            if identities:
                seen = _identities_seen(who, obj, kind_name)
                if run_id is not None:
                    for key in run_identities.get(run_id, ()):
                        if key not in seen:
                            seen[key] = False
                            who[key].fields.add(f'{field} (via the run)')
                if kind_name == 'runs':
                    creators = tuple(sorted(key for key, is_creator in seen.items() if is_creator))
                    if creators:
                        run_identities[obj_id] = creators
                for key in seen:
                    counts = who[key].counts
                    counts[kind_name] = counts.get(kind_name, 0) + 1

    order = {name: n for n, name in enumerate(KIND_NAMES)}
    index = {
        'format_version': FORMAT_VERSION,
        'workspace': _workspace_of(bundle_dir, manifest, kinds),
        'bundle': {'complete': not problems, 'problems': problems, 'kinds': kinds},
        'match': 'contains' if contains else 'exact',
    }
    if parsed or not identities:
        index['subjects'] = []
        for subject, entries in zip(parsed, found):
            objects = sorted(entries.values(), key=lambda e: (order[e['kind']], e['id']))
            counts = dict.fromkeys(kinds, 0)
            for e in objects:
                counts[e['kind']] += 1
            evidence = dict.fromkeys(EVIDENCE, 0)
            for e in objects:
                if e.get('evidence'):
                    evidence[e['evidence']] += 1
            index['subjects'].append({'subject': subject, 'found': bool(objects), 'total': len(objects), 'counts': counts,
                                      'evidence': evidence, 'objects': objects})
    if identities:
        rank = {t: n for n, t in enumerate(IDENTITY_TYPES)}
        index['identities'] = [who[key].as_dict() for key in sorted(who, key=lambda k: (rank[k[0]], k[1]))
                               if who[key].counts]
    return index


def object_strings(obj):
    """``(path, string, tenant)`` of every string value of an object, as the matching sees them: ``tenant`` is the
    ``userTenantId`` of the user record around the value, and for the run history ``userId`` that of ``createdBy``."""
    created = obj.get('createdBy') if isinstance(obj, dict) else None
    # The run history userId names the same user as createdBy: it is in that record's tenant.
    run_tenant = created.get('userTenantId') if isinstance(created, dict) else None
    for spath, value, record_tenant in iter_strings(obj):
        yield spath, value, (run_tenant if spath == ('userId',) and record_tenant is None else record_tenant)


def _new_hit():
    return {'fields': set(), 'mentions': set(), 'via': None, 'evidence': set(), 'creator_evidence': set()}


def _subject_hits(matcher, obj, kind_name=None):
    """``{subject index: {'fields': {path}, 'mentions': {path}, 'via': None, 'evidence': {...}, 'creator_evidence': {...}}}``
    of one object: ``evidence`` how each exact match was made (:data:`EVIDENCE`), ``creator_evidence`` the same for the
    matches in the object's creator fields."""
    hits = {}
    for spath, value, tenant in object_strings(obj):
        for i, hows in matcher.how(value, tenant).items():
            hit = hits.setdefault(i, _new_hit())
            hit['fields'].add(spath)
            evidence = {_EVIDENCE_OF[h] for h in hows}
            hit['evidence'] |= evidence
            if _is_creator_path(spath, kind_name):
                hit['creator_evidence'] |= evidence
        for i in matcher.mentions(value, tenant):
            hits.setdefault(i, _new_hit())['mentions'].add(spath)
    return hits


def strongest(evidence):
    """The strongest of a set of :data:`EVIDENCE` values (None for an empty set)."""
    return next((e for e in EVIDENCE if e in evidence), None)


def _identities_seen(who, obj, kind_name=None):
    """Record the identities of ``obj``'s identity fields in ``who``; ``{key: is_creator}`` of this object."""
    seen = {}
    for (type_, key, display, extra), fpath, is_creator in identity_fields(obj, kind_name):
        ident = who.get((type_, key))
        if ident is None:
            ident = who[(type_, key)] = _Identity(type_, display)
        if extra.get('name'):
            ident.names.add(extra['name'])
        if extra.get('tenant_id'):
            ident.tenant_ids.add(extra['tenant_id'])
        ident.fields.add(pattern_path(fpath))
        seen[(type_, key)] = seen.get((type_, key), False) or is_creator
    return seen


@functools.lru_cache(maxsize=4096)
def _creator_steps(kind_name):
    fields = KINDS[kind_name].creator_fields if kind_name in KINDS else CREATOR_FIELDS
    return tuple(tuple(f.split('.')) for f in fields)


def _is_creator_path(path, kind_name=None):
    """Whether the field at ``path`` names the object's creator (a field of kind ``kind_name``'s ``creator_fields``)."""
    return any(tuple(path[:len(steps)]) == steps for steps in _creator_steps(kind_name))


def summary(index):
    """The short form of an index: per subject ``subject``, ``found``, ``total``, ``counts`` (kinds with objects),
    ``evidence`` (how many objects per :data:`EVIDENCE`, those with any)."""
    return [{'subject': s['subject'], 'found': s['found'], 'total': s['total'],
             'counts': {k: n for k, n in s['counts'].items() if n},
             'evidence': {k: n for k, n in (s.get('evidence') or {}).items() if n}} for s in index.get('subjects') or []]


def dumps_index(index):
    """The bytes of ``subjects.json``: indented, sorted keys, UTF-8, a final newline (no times: same bundle, same bytes)."""
    return (json.dumps(index, indent=2, sort_keys=True, ensure_ascii=False) + '\n').encode('utf-8')


def write_index(dest, index, check_mode=False):
    """Write ``index`` to the file ``dest`` (atomic, mode 0600) unless it already holds the same bytes.

    :returns: ``{'changed', 'dest', 'sha256'}``; in check mode nothing is written and ``changed``
        says whether a real run would write.
    """
    dest = os.path.abspath(os.path.expanduser(str(dest)))
    data = dumps_index(index)
    digest = hashlib.sha256(data).hexdigest()
    folder = os.path.dirname(dest)
    if os.path.isdir(dest):
        raise SubjectError(f'dest {dest} is a folder: give the path of the file to write (for example {os.path.join(dest, INDEX_NAME)})')
    if not os.path.isdir(folder):
        if check_mode:  # a real run would fail here unless something creates the folder first
            return {'changed': True, 'dest': dest, 'sha256': digest}
        raise SubjectError(f'the folder of dest, {folder}, does not exist')
    existing = sha256_file(dest) if os.path.isfile(dest) else None
    changed = existing != digest or (os.stat(dest).st_mode & 0o777) != FILE_MODE
    if changed and not check_mode:
        write_atomic(dest, data)  # a temporary file created 0600, fsynced, renamed over dest
    return {'changed': changed, 'dest': dest, 'sha256': digest}


def subject_info(params, check_mode=False, verified=None):
    """The result of the module ``subject_info`` for its ``params`` (raises SubjectError / BundleError); ``verified``: see
    :func:`bundle_kinds`."""
    bundle_dir = os.path.abspath(os.path.expanduser(str(params['bundle_dir'])))
    index = build_index(bundle_dir, params.get('subjects') or (), identities=params.get('identities'),
                        contains=params.get('match') == 'contains', allow_incomplete=bool(params.get('allow_incomplete')),
                        verified=verified)
    objects = set()
    for entry in index.get('subjects') or ():
        objects.update((o['kind'], o['id']) for o in entry['objects'])
    result = {
        'changed': False,
        'bundle_dir': bundle_dir,
        'workspace': index['workspace'],
        'bundle': index['bundle'],
        'summary': summary(index),
        'found_total': len(objects),
        'count': len(index.get('subjects') or ()) + len(index.get('identities') or ()),
    }
    if 'identities' in index:
        result['identity_count'] = len(index['identities'])
    if params.get('dest'):
        result.update(write_index(params['dest'], index, check_mode))
    if not params.get('dest') or params.get('return_index'):
        for key in ('subjects', 'identities'):
            if key in index:
                result[key] = index[key]
    return result


# -- the purge ----------------------------------------------------------------------------------------------------------------

def creator_of(obj, kind_name):
    """``(object id, tenant id)`` of the object's own creator: the first GUID among its kind's ``creator_ids``
    (``createdBy.userObjectId``, with the ``userTenantId`` of the same record; the run history's ``userId``);
    ``(None, None)`` when the object names none."""
    if not isinstance(obj, dict):
        return None, None
    for path in KINDS[kind_name].creator_ids:
        oid = next((v for v in field_values(obj, path) if is_guid(v)), None)
        if oid is None:
            continue
        record = path.rpartition('.')[0]
        tenant = next(iter(field_values(obj, record + '.userTenantId')), None) if record else None
        return oid.strip().lower(), (tenant.strip().lower() if is_guid(tenant) else None)
    return None, None


def purge_subjects(subjects):
    """The parsed subjects of a purge by subject; SubjectError when there is none or one lacks its object id
    (``purge_plan`` calls it to validate its option before any request)."""
    parsed = parse_subjects(subjects)
    if not parsed:
        raise SubjectError('no subjects given')
    missing = [describe_subject(s) for s in parsed if not s.get('object_id')]
    if missing:
        raise SubjectError('a purge by subject needs the Azure AD object id of each subject (objects name their creator by object '
                           'id; names and addresses are not proof enough to delete): missing for ' + '; '.join(missing))
    return parsed


def created_by_subjects(kind_name, objects, subjects):
    """The ids (sorted) of ``objects`` (of ``kind_name``) whose own creator is one of ``subjects``.

    The creator is the object's ``createdBy.userObjectId`` (run history and SDK shapes), compared as a
    GUID; when a subject has a ``tenant_id`` and the object's ``createdBy.userTenantId`` is another,
    it does not match. Subjects need an ``object_id`` (SubjectError otherwise). Objects that name no
    creator are never selected.
    """
    parsed = purge_subjects(subjects)
    wanted = {}
    for s in parsed:
        wanted.setdefault(s['object_id'], set()).add(s.get('tenant_id'))
    kind = KINDS[kind_name]
    ids = set()
    for obj in objects:
        oid, tenant = creator_of(obj, kind_name)
        tenants = wanted.get(oid)
        if tenants is None:
            continue
        if None in tenants or not tenant or tenant in tenants:
            ids.add(kind.object_id(obj))
    return sorted(ids)


def _wanted(parsed):
    wanted = {}
    for s in parsed:
        wanted.setdefault(s['object_id'], set()).add(s.get('tenant_id'))
    return wanted


def _is_wanted(wanted, oid, tenant):
    tenants = wanted.get(oid)
    return tenants is not None and (None in tenants or not tenant or tenant in tenants)


def _precise_creators(kind_name, objects, listed):
    """``{id: (object id, tenant id)}`` of the creator of each of ``objects`` that names one precisely: its own
    ``creator_ids``, else those of its other view (``Kind.same_as``: a job's run, listed in ``listed['runs']``)."""
    kind, found = KINDS[kind_name], {}
    other = SAME_AS.get(kind_name)
    others = {}
    if other and KINDS[other].creator_ids:
        others = {KINDS[other].object_id(o): o for o in listed.get(other) or []}
    for obj in objects:
        obj_id = kind.object_id(obj)
        oid, tenant = creator_of(obj, kind_name)
        if oid is None and others:
            view = other_view(kind_name, obj_id)
            if view is not None and view[1] in others:
                oid, tenant = creator_of(others[view[1]], other)
        if oid is not None:
            found[obj_id] = (oid, tenant)
    return found


def _display_names(parsed):
    return {norm(s['name']) for s in parsed if s.get('name')}


SUBJECT_MATCH = ('precise', 'display_name')


def subject_purge_selection(listed, kinds, subjects, match='precise'):
    """What a purge limited to ``subjects`` deletes, from the listings of the workspace.

    :param listed: ``{kind: [objects]}``: the kinds to purge, and all images and services (they hold models and images), and the
        other view of kinds that have one (runs, for jobs: a job is selected by its run's ``createdBy.userObjectId``).
    :param match: ``precise`` (the default): only objects that name their creator's object id (or whose other view does);
        ``display_name``: also the v2 objects whose ``systemData.createdBy`` is the display name of a subject (its ``name``:
        weaker evidence, people share names).
    :param kinds: the kinds to purge (deletable kinds).
    :param subjects: the subjects (each with an ``object_id``).
    :returns: ``{'objects': {kind: [ids]}, 'held': {kind: {id: ["image i:1", ...]}}, 'unattributed': {kind: n},
        'notes': [sentences], 'evidence': {kind: {id: 'precise' or 'display_name'}}}``. ``objects``: created by the subjects and held by nothing that stays.
        ``held``: created by the subjects but used by an image or a service this purge does not delete
        (another person's, or of a kind not purged): reported, not deleted (the service would answer
        412). ``unattributed``: objects that name no creator, never deleted by a purge by subject
        (assets never name one).
    """
    parsed = purge_subjects(subjects)
    if match not in SUBJECT_MATCH:
        raise SubjectError(f"subject_match must be one of {', '.join(SUBJECT_MATCH)}, got {match!r}")
    wanted, names = _wanted(parsed), _display_names(parsed) if match == 'display_name' else set()
    if match == 'display_name' and not names:
        notes = ['subject_match is display_name, but no subject has a name: only precise evidence selects']
    else:
        notes = []
    created, unattributed, evidence = {}, {}, {}
    for kind_name in kinds:
        objects = listed.get(kind_name) or []
        kind = KINDS[kind_name]
        precise = _precise_creators(kind_name, objects, listed) if kind_name in CREATOR_KINDS else {}
        created[kind_name] = set()
        for obj in objects:
            obj_id = kind.object_id(obj)
            if obj_id in precise:
                if _is_wanted(wanted, *precise[obj_id]):
                    created[kind_name].add(obj_id)
                    evidence.setdefault(kind_name, {})[obj_id] = 'precise'
            elif names and kind.api == 'v2' and any(norm(v) in names for f in kind.creator_fields for v in field_values(obj, f)
                                                    if isinstance(v, str)):
                created[kind_name].add(obj_id)
                evidence.setdefault(kind_name, {})[obj_id] = 'display_name'
        nameless = sum(1 for o in objects if kind.object_id(o) not in precise)
        by_name = sum(1 for how in (evidence.get(kind_name) or {}).values() if how == 'display_name')
        if kind.empty_of:  # (an experiment: deleted once the subjects' jobs leave it empty, ``_purge.once_each``)
            continue
        if kind_name not in CREATOR_KINDS:
            if objects:
                unattributed[kind_name] = len(objects)
            if kind.api != 'v2':
                notes.append(f'{kind_name} name no creator in the API: a purge by subject deletes none of them')
            elif not names:
                notes.append(f'{kind_name} name their creator by display name only (systemData.createdBy): a purge by subject '
                             'deletes none of them unless subject_match is display_name')
        elif nameless:
            unattributed[kind_name] = nameless
            notes.append(f'{nameless} {kind_name} name no creator by object id: a purge by subject keeps them'
                         + (' (unless their systemData.createdBy is a subject\'s name)' if names and kind.api == 'v2' else ''))
        if by_name:
            notes.append(f'{by_name} {kind_name} selected by display name only (systemData.createdBy; people share names: '
                         'weaker evidence, subject_match display_name)')
    targets = {k: set(ids) for k, ids in created.items()}
    held = {}
    changed = True
    while changed:  # an image kept because a service holds it keeps its models in turn
        changed = False
        for holder_kind in (k for k in DELETABLE_KINDS if k in HOLDING_KINDS):  # holders first
            for holder in listed.get(holder_kind) or []:
                holder_id = KINDS[holder_kind].object_id(holder)
                if holder_id in targets.get(holder_kind, ()):
                    continue
                for ref_kind, ref_id in references(holder_kind, holder):
                    if ref_id not in created.get(ref_kind, ()):
                        continue
                    if ref_id in targets[ref_kind]:
                        targets[ref_kind].discard(ref_id)
                        changed = True
                    held.setdefault(ref_kind, {}).setdefault(ref_id, set()).add(f'{KINDS[holder_kind].singular} {holder_id}')
    held = {k: {i: sorted(h) for i, h in sorted(ids.items())} for k, ids in held.items()}
    for kind_name, ids in held.items():
        notes.append(f"{len(ids)} of the subjects' {kind_name} kept: still used by images or services that are not deleted")
    evidence = {k: {i: how for i, how in sorted(ids.items()) if i in targets.get(k, ())} for k, ids in sorted(evidence.items())}
    return {'objects': {k: sorted(v) for k, v in targets.items()}, 'held': held, 'unattributed': unattributed, 'notes': notes,
            'evidence': {k: ids for k, ids in evidence.items() if ids}}
