# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The answer to the person: a subject access package (GDPR Articles 15 and 20) from a fleet's export bundles.

:func:`subject_package` reads the export bundles of a fleet of workspaces (no service call) and writes, for one person,
``<dest>/<slug>/``:

- ``objects.json``: every object of every workspace and kind that the subject index (``_subjects.build_index``)
  attributes to the person, with the workspace, the kind, the fields that matched, how strong the match is
  (``identifier``: object id, UPN or e-mail address; ``display_name``: the name only) and the object itself with every
  other person's identifiers replaced by a marker (``_redact``);
- ``files/<bundle>/...``: the files the person's runs produced, where the bundle holds them (artifact contents), unless
  they hold another person's identifier (then they are withheld and named);
- ``summary.html`` and ``summary.md`` (``_access_summary``);
- ``manifest.json`` (last): the SHA-256 of every file, the bundles read, the fields redacted in how many objects;
- optionally ``<dest>/<slug>.zip`` with the same bytes for the same folder.

Kinds come from the bundles' manifests and the kinds table (``_kinds``), attribution from the subject index: a kind
the export learns later appears here with no change. Bundles are read twice, one object at a time: once by the
subject index (attribution, and every identity the fleet knows), once to pick the person's objects.
"""

import datetime
import hashlib
import json
import os
import re
import stat
import tempfile
import zipfile

from ansible_collections.gdpr.azureml.plugins.module_utils import _not_covered
from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import (
    ARTIFACT_CONTENTS, BundleError, folder_problem, inside, iter_objects, read_manifest, safe_component,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import (
    CHUNK, DIR_MODE, MODE, TIME_FORMAT, make_private_dirs, sha256_file, write_atomic,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KIND_NAMES, KINDS
from ansible_collections.gdpr.azureml.plugins.module_utils._redact import MARKER, Redactor, fold_ascii, redact_tree
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import (
    SubjectError, SubjectMatcher, build_index, describe_subject, format_path, identity_fields, is_guid, norm, object_strings,
    parse_subjects,
)

FORMAT_VERSION = 1
OBJECTS_NAME = 'objects.json'
SUMMARY_HTML = 'summary.html'
SUMMARY_MD = 'summary.md'
MANIFEST_NAME = 'manifest.json'
FILES_DIR = 'files'
MATCH_IDENTIFIER = 'identifier'
MATCH_NAME = 'display_name'
# Files a bundle holds for its objects: (the manifest kind of the index file, the kind of the objects, the field of
# an index entry naming the object, the field holding the stored file's path in the bundle). A row per content the
# export stores (storage files: one more row).
CONTENT_INDEXES = ((ARTIFACT_CONTENTS, 'artifacts', 'artifactId', 'stored_path'),)
# Where an object says when it was created (first found wins), for "held since".
TIME_PATHS = (('createdUtc',), ('createdTime',), ('createdDate',), ('creationTime',), ('createdAt',), ('createdOn',),
              ('systemData', 'createdAt'), ('properties', 'creationTime'), ('startTimeUtc',))
# Values of another person's user record that stay (tenant and identity provider: organisations, not people).
RECORD_KEEP = frozenset(('userTenantId', 'userIss', 'userIdp'))
# Values of a user record or a recipient that are identifiers: also searched in every text of the package.
IDENTIFIER_KEYS = frozenset(('userObjectId', 'userPuId', 'userAltSecId', 'userName', 'emailAddress', 'displayName', 'upn',
                             'userPrincipalName', 'email', 'mail'))
# What no bundle holds (the coverage statement adds what each bundle lacks).
NOT_LOOKED_AT = (
    'Telemetry Azure Machine Learning keeps about its users: it is requested in the Azure Privacy portal, no API of '
    'the workspace returns it.',
    'Free text (descriptions, run definitions, file contents) was searched only for identifiers written out in full: '
    'a text that names the person in another way is not in the answer.',
    'Data on datastores and storage accounts (training data, files a run wrote outside its artifacts): the export does '
    'not read storage.',
    'Changes after the export of each workspace: the answer shows each workspace as it was at the time of its export.',
)
STATUS_COMPLETE = 'complete'
STATUS_INCOMPLETE = 'incomplete'
STATUS_NOT_SEARCHED = 'not searched'
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class PackageError(GdprAzureMLError, ValueError):
    """The package cannot be built or written (bad subject, bad destination, a file that changed while copied)."""


# -- the person --------------------------------------------------------------------------------------------------------------

def parse_person(subject):
    """The identifiers of one person: a string, a dict or a list of them (``_subjects.parse_subject``), as a list of
    subjects (identical ones once). :raises SubjectError: none given, or one is malformed."""
    values = subject if isinstance(subject, (list, tuple)) else ([] if subject in (None, '') else [subject])
    person = parse_subjects(values)
    if not person:
        raise SubjectError('subject is empty: name the person by object id, UPN, e-mail address or display name')
    return person


def describe_person(person):
    """``Jane Doe <jane@contoso.com> (object id 0f8f...)`` from all the identifiers of the person."""
    merged = {}
    for key in ('name', 'upn', 'email', 'object_id'):
        values = list(dict.fromkeys(s[key] for s in person if s.get(key)))
        if values:
            merged[key] = ', '.join(values)
    return describe_subject(merged)


def person_slug(person):
    """The folder name of a person's package: stable for the same most precise identifier.

    The lowest object id given, as it is; else the lowest address, else the lowest display name, as lower-case ASCII
    letters, digits and ``-`` (at most 48) and 10 hex digits of its SHA-256.
    """
    oids = sorted(s['object_id'] for s in person if s.get('object_id'))
    if oids:
        return oids[0]
    addresses = sorted(norm(s[k]) for s in person for k in ('upn', 'email') if s.get(k))
    kind, base = ('address', addresses[0]) if addresses else ('name', sorted(norm(s['name']) for s in person if s.get('name'))[0])
    readable = re.sub(r'[^a-z0-9]+', '-', fold_ascii(base).lower()).strip('-')[:48].strip('-') or 'subject'
    return '%s-%s' % (readable, hashlib.sha256(f'{kind}:{base}'.encode()).hexdigest()[:10])


class _Own:
    """Which values are the person's own: the identifiers given, and the names the bundles show beside them."""

    def __init__(self, person):
        self.person = person
        self.matcher = SubjectMatcher(person)
        self.precise = SubjectMatcher([{k: v for k, v in s.items() if k != 'name'} for s in person
                                       if any(s.get(k) for k in ('object_id', 'upn', 'email'))])
        self.linked_names = {}  # norm -> display form

    def value(self, value, tenant=None):
        return isinstance(value, str) and (bool(self.matcher.exact(value, tenant)) or norm(value) in self.linked_names)

    def record(self, record):
        """Whether a user record (``createdBy`` ...) is the person's: by its object id when it has one, else its name."""
        oid, tenant = record.get('userObjectId'), record.get('userTenantId')
        if is_guid(oid):
            return bool(self.matcher.exact(oid, tenant))
        return self.value(record.get('userName'), tenant)

    def identifiers(self):
        out = []
        for s in self.person:
            out += [('object_id', s['object_id'])] if s.get('object_id') else []
            out += [('address', s[k]) for k in ('upn', 'email') if s.get(k)]
            out += [('name', s['name'])] if s.get('name') else []
        return out + [('name', n) for n in sorted(self.linked_names.values())]


# -- reading the fleet -------------------------------------------------------------------------------------------------------

def _bundle_names(paths):
    names, seen = [], set()
    for path in paths:
        name = safe_component(os.path.basename(path) or 'bundle')
        if name in seen:
            name = '%s~%s' % (name, hashlib.sha256(path.encode('utf-8', 'surrogatepass')).hexdigest()[:8])
        seen.add(name)
        names.append(name)
    return names


def read_fleet(bundle_dirs, person, allow_incomplete=False):
    """Index every bundle for the person (``_subjects.build_index``, identities included); one record per bundle."""
    paths = []
    for value in bundle_dirs:
        path = os.path.normpath(os.path.abspath(os.path.expanduser(str(value))))
        if path not in paths:
            paths.append(path)
    bundles = []
    for path, name in zip(paths, _bundle_names(paths)):
        b = {'name': name, 'path': path, 'status': STATUS_NOT_SEARCHED, 'problems': [], 'workspace': {}, 'exported': None,
             'kinds': [], 'scopes': {}, 'unknown_kinds': [], 'index': None, 'manifest': None}
        bundles.append(b)
        try:
            index = build_index(path, person, identities=True, allow_incomplete=True)
            manifest = read_manifest(path) or {}
        except (SubjectError, BundleError, OSError) as exc:
            b['problems'] = [_hide_path(str(exc), path, name)]
            continue
        problems = [_hide_path(p, path, name) for p in index['bundle']['problems']]
        b.update(workspace=index['workspace'], problems=problems, kinds=index['bundle']['kinds'], manifest=manifest,
                 exported=manifest.get('finished'), index=index)
        listed = manifest.get('kinds') if isinstance(manifest.get('kinds'), dict) else {}
        b['scopes'] = {k: str((listed.get(k) or {}).get('scope') or 'all') for k in b['kinds']}
        # Kinds of a newer export (entries with a scope, as every kind file has; not sidecar files such as content indexes).
        content_kinds = {row[0] for row in CONTENT_INDEXES}
        b['unknown_kinds'] = sorted(k for k in listed if k not in KINDS and k not in content_kinds
                                    and isinstance(listed[k], dict) and listed[k].get('scope'))
        if not problems:
            b['status'] = STATUS_COMPLETE
        elif allow_incomplete:
            b['status'] = STATUS_INCOMPLETE
    return bundles


def _hide_path(text, path, name):
    """A problem sentence without the operator's folders: the bundle is named by its folder name."""
    return str(text).replace(path + os.sep, name + '/').replace(path, name)


def _attributed(index):
    """``{(kind, id): entry}`` of the person across the subject entries of one index (one per identifier dict)."""
    found = {}
    for subject in index.get('subjects') or ():
        for o in subject['objects']:
            e = found.setdefault((o['kind'], o['id']), {'kind': o['kind'], 'id': o['id'], 'name': o.get('name'), 'fields': set(),
                                                        'created_by': False, 'via': None})
            e['fields'].update(o['fields'])
            e['created_by'] = e['created_by'] or bool(o.get('created_by'))
            if o.get('via'):
                e['via'] = o['via']
    return found


def _pick_objects(bundle, found):
    """Put each attributed object (as exported) into its entry: one pass over the kind files that hold any."""
    for kind_name in bundle['kinds']:
        wanted = {i for k, i in found if k == kind_name}
        if not wanted:
            continue
        kind = KINDS[kind_name]
        for obj in iter_objects(os.path.join(bundle['path'], kind.file)):
            oid = kind.object_id(obj) if isinstance(obj, dict) else None
            if oid in wanted and 'object' not in found[(kind_name, oid)]:
                found[(kind_name, oid)]['object'] = obj


def _contents(bundle, found):
    """``{(kind, id): index entry}`` of the stored files of attributed objects (artifact contents), and how many of the
    person's objects of a content kind have no stored file (``{kind: n}``)."""
    listed = (bundle['manifest'] or {}).get('kinds') or {}
    held, without = {}, {}
    for index_kind, kind_name, id_field, path_field in CONTENT_INDEXES:
        wanted = {i for k, i in found if k == kind_name}
        if not wanted:
            continue
        entry = listed.get(index_kind) if isinstance(listed, dict) else None
        index_path = os.path.join(bundle['path'], os.path.basename(str((entry or {}).get('file') or index_kind + '.json')))
        if isinstance(entry, dict) and os.path.isfile(index_path):
            for item in iter_objects(index_path):
                if isinstance(item, dict) and str(item.get(id_field)) in wanted and item.get(path_field):
                    held[(kind_name, str(item[id_field]))] = {'stored_path': str(item[path_field]), 'sha256': item.get('sha256'),
                                                              'size': item.get('size')}
        missing = len([i for i in wanted if (kind_name, i) not in held])
        if missing:
            without[kind_name] = {'count': missing, 'exported': isinstance(entry, dict)}
    return held, without


# -- what is whose -------------------------------------------------------------------------------------------------------------

def _get(obj, path):
    for step in path:
        obj = obj[step]
    return obj


def _identifier_type(key, value):
    if is_guid(value):
        return 'object_id'
    if '@' in value:
        return 'address'
    return 'name' if key in ('userName', 'displayName', 'name') else 'other'


def structural_redactions(obj, own):
    """``(paths to replace whole, [(type, value)] identifiers they held)`` of one object: the identity fields
    (``_subjects.identity_fields``) that are not the person's. A user record or a recipient that is someone else's loses
    every string but its tenant and identity provider; a value that is one of the person's own identifiers stays (a
    namesake's display name)."""
    paths, values = set(), []

    def take(path, key, value):
        if not isinstance(value, str) or not value.strip() or own.value(value):
            return
        paths.add(path)
        if key in IDENTIFIER_KEYS or key is None:
            values.append((_identifier_type(key, value), value))

    for _identity, path, _creator in identity_fields(obj):
        last, parent = path[-1], path[:-1]
        holder = _get(obj, parent) if parent else obj
        if last in ('userObjectId', 'userName') and isinstance(holder, dict) and parent:
            if own.record(holder):
                continue
            for key, value in holder.items():
                if key not in RECORD_KEEP:
                    take(parent + (key,), key, value)
        elif last == 'emailAddress' and isinstance(holder, dict) and isinstance(holder.get('emailAddress'), str):
            if own.value(holder['emailAddress']):
                continue
            for key, value in holder.items():
                take(parent + (key,), key, value)
        else:
            take(path, None, _get(obj, path))
    return paths, values


def match_strength(own, obj, fields):
    """``identifier`` when a matching field holds an object id, UPN or address of the person, else ``display_name``."""
    for path, value, tenant in object_strings(obj):
        if format_path(path) in fields and own.precise.subjects and own.precise.exact(value, tenant):
            return MATCH_IDENTIFIER
    return MATCH_NAME


def _created_time(obj):
    for path in TIME_PATHS:
        value = obj
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        parsed = _parse_time(value)
        if parsed:
            return parsed
    return None


def _parse_time(value):
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace('Z', '+00:00')
    m = re.match(r'^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(.*)$', text)
    if not m:
        return None
    try:
        when = datetime.datetime.fromisoformat(m.group(1) + ('.' + (m.group(2) + '000000')[:6] if m.group(2) else '') + m.group(3))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc).strftime(TIME_FORMAT)


# -- the package ---------------------------------------------------------------------------------------------------------------

def _kind_order(name):
    return (KIND_NAMES.index(name), name) if name in KIND_NAMES else (len(KIND_NAMES), name)


def build_package(bundles, person, allow_incomplete=False):
    """Everything the package holds, in memory but the stored files (referred to by path): a dict with ``entries``
    (redacted, sorted), ``files`` (the stored files to copy), ``model`` (what the summary shows) and the ``redactor``."""
    own = _Own(person)
    others, namesakes = [], {}
    picked = []
    for b in bundles:
        index = b['index']
        if index is None:
            continue
        for ident in index.get('identities') or ():
            value = ident.get('object_id') or ident.get('address') or ident.get('name')
            if own.value(value):
                for name in ident.get('names') or ():
                    own.linked_names.setdefault(norm(name), name)
        if b['status'] == STATUS_NOT_SEARCHED:
            continue
        found = _attributed(index)
        _pick_objects(b, found)
        held, without = _contents(b, found)
        b['without_content'] = without
        picked.append((b, found, held))
    for b in bundles:  # the identities of every bundle read (also those not searched: more to take out, never less)
        for ident in (b['index'] or {}).get('identities') or ():
            for type_ in ('object_id', 'address', 'name'):
                value = ident.get(type_)
                if value and not own.value(value):
                    others.append((type_, value))
                    for name in ident.get('names') or ():
                        if own.value(name):
                            namesakes.setdefault(name, set()).add(value)
                        else:
                            others.append(('name', name))

    raw = []
    for b, found, held in picked:
        label = {'bundle': b['name'], 'id': b['workspace'].get('id'), 'name': b['workspace'].get('name')}
        for (kind_name, oid), e in found.items():
            obj = e.get('object')
            if obj is None:
                b['problems'].append(f'{kind_name} {oid} is in the subject index but not in its kind file')
                continue
            paths, values = structural_redactions(obj, own)
            others.extend(values)
            raw.append((b, label, e, obj, paths, held.get((kind_name, oid))))
    strength = {}
    for b, _label, e, obj, _paths, _held in raw:
        if not e['via']:
            strength[(b['name'], e['kind'], e['id'])] = match_strength(own, obj, e['fields'])
    redactor = Redactor(sorted(set(others)), own.identifiers())

    entries = []
    acc = {'files': [], 'withheld': [], 'redactions': {}, 'times': [], 'namesakes': namesakes}
    raw.sort(key=lambda r: (str(r[1]['id'] or '').lower(), r[0]['name'], _kind_order(r[2]['kind']), r[2]['id']))
    for b, label, e, obj, paths, content in raw:
        via = e['via']
        entry = {'workspace': label, 'kind': e['kind'], 'id': e['id'], 'name': e['name'], 'fields': sorted(e['fields']),
                 'created_by': e['created_by'],
                 'match': strength.get((b['name'], 'runs', via['id']), MATCH_IDENTIFIER) if via
                 else strength[(b['name'], e['kind'], e['id'])],
                 'object': obj}
        if via:
            entry['via'] = via
        when = _created_time(obj)
        if when:
            acc['times'].append(when)
        if content:
            entry['file'] = _plan_content(b, content, redactor, acc, entry)
        redacted, fields = redact_tree(entry, redactor, {('object',) + p for p in paths})
        if fields:
            redacted['redacted'] = sorted(fields)
            for field in fields:
                acc['redactions'][field] = acc['redactions'].get(field, 0) + 1
        entries.append(redacted)
    for item in acc['withheld']:  # what the summary says of a withheld file is redacted like the rest
        item.update(redact_tree({k: item[k] for k in ('workspace', 'kind', 'id')}, redactor)[0])
    model = _model(bundles, person, entries, acc=acc, allow_incomplete=allow_incomplete, redactor=redactor)
    return {'entries': entries, 'files': acc['files'], 'model': model, 'redactor': redactor}


def _plan_content(bundle, content, redactor, acc, entry):
    """Check one stored file (its SHA-256 against the export's index, and that it names nobody else) and plan its copy."""
    rel = content['stored_path']
    try:
        source = inside(bundle['path'], rel)
    except BundleError as exc:
        bundle['problems'].append(_hide_path(str(exc), bundle['path'], bundle['name']))
        return {'stored': False, 'reason': 'its stored path leaves the bundle'}
    digest = hashlib.sha256()

    def chunks():
        with open(source, 'rb') as f:
            for block in iter(lambda: f.read(CHUNK), b''):
                digest.update(block)
                yield block

    try:
        names_others = redactor.scan(chunks())
    except OSError as exc:
        bundle['problems'].append(f'{bundle["name"]}/{rel} cannot be read: {exc.strerror or exc}')
        bundle['status'] = STATUS_INCOMPLETE
        return {'stored': False, 'reason': 'the bundle\'s copy cannot be read'}
    if names_others:
        acc['withheld'].append({'workspace': bundle['name'], 'kind': entry['kind'], 'id': entry['id'],
                                'reason': 'it holds identifiers of other people: review it by hand'})
        return {'stored': False, 'reason': 'withheld: it holds identifiers of other people'}
    if digest.hexdigest() != content['sha256']:
        bundle['problems'].append(f'{bundle["name"]}/{rel} does not match its checksum in {ARTIFACT_CONTENTS}.json')
        bundle['status'] = STATUS_INCOMPLETE
        return {'stored': False, 'reason': 'the bundle\'s copy changed since the export'}
    path = _file_path(redactor.redact_text('/'.join([FILES_DIR, bundle['name'], rel]))[0], {f['path'] for f in acc['files']})
    acc['files'].append({'path': path, 'source': source, 'sha256': content['sha256'], 'size': os.path.getsize(source)})
    return {'stored': True, 'path': path, 'sha256': content['sha256'], 'size': os.path.getsize(source)}


def _file_path(path, taken):
    """``path`` (already redacted: a stored path may spell someone's alias), made unique among ``taken``: neither
    equal to another nor a file where another needs a folder (``~2``, ``~3``... appended)."""
    def clash(candidate):
        return any(t == candidate or t.startswith(candidate + '/') or candidate.startswith(t + '/') for t in taken)

    unique, n = path, 1
    while clash(unique):
        n += 1
        unique = f'{path}~{n}'
    return unique


def _coverage(bundles, allow_incomplete):
    """What the package could not look at, as sentences (each with the bundles it concerns), then :data:`NOT_LOOKED_AT`."""
    grouped = {}

    def add(sentence, bundle):
        grouped.setdefault(sentence, []).append(bundle)

    for b in bundles:
        if b['status'] == STATUS_NOT_SEARCHED:
            add('not searched' + ('' if b['index'] is None or allow_incomplete else ' (the bundle does not verify)')
                + ': ' + '; '.join(b['problems']), b['name'])
            continue
        if b['status'] == STATUS_INCOMPLETE:
            add('searched as it is, though it does not verify (objects may be missing): ' + '; '.join(b['problems']), b['name'])
        absent = [k for k in KIND_NAMES if k not in b['kinds']]
        if absent:
            add('not exported, so not searched: ' + ', '.join(absent), b['name'])
        partial = [k for k in b['kinds'] if b['scopes'].get(k, 'all') != 'all']
        if partial:
            add(', '.join(partial) + ': only the objects the export asked for by id (the API cannot list them)', b['name'])
        for kind_name, gap in sorted((b.get('without_content') or {}).items()):
            add(f'the stored files of {gap["count"]} of the person\'s {kind_name}: '
                + ('the service gave no content for them' if gap['exported']
                   else 'the export did not download contents (export_workspace_data_artifact_content)'), b['name'])
        if b['unknown_kinds']:
            add('kinds this version of the collection does not read: ' + ', '.join(b['unknown_kinds']), b['name'])
        # what the collection cannot see or erase (_not_covered), with the resources this workspace links to
        for item in _not_covered.of_bundle(b['path'], b['manifest']):
            linked = f" (this workspace's: {', '.join(item['resource_ids'])})" if item['resource_ids'] else ''
            add(f"not covered by the collection, so not searched: {item['title']}{linked}: {item['holds']}. Where: "
                f"{item['remedy']}", b['name'])
    return [{'text': text, 'bundles': names} for text, names in grouped.items()] + [{'text': t, 'bundles': []} for t in NOT_LOOKED_AT]


def _model(bundles, person, entries, *, acc, allow_incomplete, redactor):
    times, redactions = acc['times'], acc['redactions']
    counts = {}
    per_bundle = {}
    for e in entries:
        counts[e['kind']] = counts.get(e['kind'], 0) + 1
        per = per_bundle.setdefault(e['workspace']['bundle'], {})
        per[e['kind']] = per.get(e['kind'], 0) + 1
    searched = sorted({k for b in bundles for k in b['kinds']}, key=_kind_order)
    rows = []
    for b in bundles:
        per = per_bundle.get(b['name'], {})
        rows.append({'bundle': b['name'], 'name': b['workspace'].get('name'), 'id': b['workspace'].get('id'),
                     'resource_group': b['workspace'].get('resource_group'), 'location': b['workspace'].get('location'),
                     'exported': b['exported'], 'status': b['status'], 'problems': list(b['problems']),
                     'objects': sum(per.values()), 'counts': {k: per[k] for k in sorted(per, key=_kind_order)}})
    rows = redact_tree(rows, redactor)[0]
    model = {
        'format_version': FORMAT_VERSION,
        'subject': person,
        'complete': all(b['status'] == STATUS_COMPLETE for b in bundles),
        'bundles': rows,
        'total': len(entries),
        'counts': dict([(k, counts.get(k, 0)) for k in searched] + [(k, n) for k, n in counts.items() if k not in searched]),
        'first': min(times) if times else None,
        'last': max(times) if times else None,
        'not_theirs': [_short(e) for e in entries if not e['created_by'] and not e.get('via')],
        'name_only': [_short(e) for e in entries if e['match'] == MATCH_NAME],
        'namesakes': {name: len(ids) for name, ids in sorted(acc['namesakes'].items())},
        'files': [{k: f[k] for k in ('path', 'sha256', 'size')} for f in acc['files']],
        'withheld': acc['withheld'],
        'redactions': {'marker': MARKER, 'objects': sum(1 for e in entries if e.get('redacted')),
                       'fields': {k: redactions[k] for k in sorted(redactions)}},
        'coverage': redact_tree(_coverage(bundles, allow_incomplete), redactor)[0],
    }
    return model


def _short(entry):
    return {'workspace': entry['workspace']['bundle'], 'kind': entry['kind'], 'id': entry['id'], 'name': entry['name'],
            'fields': entry['fields'], 'match': entry['match']}


# -- bytes ---------------------------------------------------------------------------------------------------------------------

def dumps(value):
    """Indented JSON with sorted keys, UTF-8, a final newline: the same content gives the same bytes."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + '\n').encode('utf-8')


def manifest_of(model, planned):
    """The package's ``manifest.json``: the SHA-256 and size of every other file, and what the package is."""
    return {
        'format_version': FORMAT_VERSION,
        'subject': model['subject'],
        'complete': model['complete'],
        'bundles': [{k: b[k] for k in ('bundle', 'id', 'name', 'exported', 'status', 'problems', 'objects')} for b in model['bundles']],
        'counts': {k: n for k, n in model['counts'].items() if n},
        'total': model['total'],
        'files': {p['path']: {'sha256': p['sha256'], 'size': p['size']} for p in planned},
        'withheld': model['withheld'],
        'redactions': model['redactions'],
    }


def plan_files(package):
    """The files of the folder but the manifest, sorted by path: ``{path, data | source, sha256, size}``."""
    from ansible_collections.gdpr.azureml.plugins.module_utils._access_summary import render_html, render_markdown
    planned = []
    for path, data in ((OBJECTS_NAME, dumps(package['entries'])), (SUMMARY_HTML, render_html(package['model'])),
                       (SUMMARY_MD, render_markdown(package['model']))):
        planned.append({'path': path, 'data': data, 'sha256': hashlib.sha256(data).hexdigest(), 'size': len(data)})
    planned += [dict(f) for f in package['files']]
    # Defense in depth: the data the files are made of holds no other person's identifier (the summaries are checked
    # through their model: their fixed text is the collection's, not anybody's data).
    for label, data in ((OBJECTS_NAME, planned[0]['data']), ('the summary', dumps(package['model']))):
        if package['redactor'].contains(data.decode('utf-8')):
            raise PackageError(f'{label} would hold an identifier of another person: nothing was written (please report this)')
    return sorted(planned, key=lambda p: p['path'])


def _chunks(item):
    if 'data' in item:
        yield item['data']
        return
    with open(item['source'], 'rb') as f:
        yield from iter(lambda: f.read(CHUNK), b'')


def build_zip(slug, planned, fileobj):
    """A deterministic zip of the folder: members under ``<slug>/``, sorted, folders first in their place, every time
    1980-01-01 00:00, modes 0700 / 0600, deflated. The same folder gives the same bytes."""
    folders = set()
    for item in planned:
        parts = item['path'].split('/')
        folders.update('/'.join(parts[:i]) for i in range(1, len(parts)))
    members = sorted([(p, None) for p in folders] + [(i['path'], i) for i in planned], key=lambda m: m[0])
    with zipfile.ZipFile(fileobj, 'w', compression=zipfile.ZIP_DEFLATED) as zf:
        top = zipfile.ZipInfo(slug + '/', _ZIP_TIME)
        top.external_attr = (stat.S_IFDIR | DIR_MODE) << 16 | 0x10
        top.create_system = 3
        zf.writestr(top, b'')
        for path, item in members:
            if item is None:
                info = zipfile.ZipInfo(f'{slug}/{path}/', _ZIP_TIME)
                info.external_attr = (stat.S_IFDIR | DIR_MODE) << 16 | 0x10
                info.create_system = 3
                zf.writestr(info, b'')
                continue
            info = zipfile.ZipInfo(f'{slug}/{path}', _ZIP_TIME)
            info.external_attr = (stat.S_IFREG | MODE) << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            info.file_size = item['size']
            with zf.open(info, 'w', force_zip64=item['size'] > 0x7FFFFFFF) as out:
                for chunk in _chunks(item):
                    out.write(chunk)


# -- writing -------------------------------------------------------------------------------------------------------------------

def _same_file(path, sha256):
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == MODE and sha256_file(path) == sha256


def _previous_files(folder):
    """The files the package's previous manifest listed (only those may be removed as stale)."""
    try:
        with open(os.path.join(folder, MANIFEST_NAME), encoding='utf-8') as f:
            previous = json.load(f)
    except (OSError, ValueError):
        return set()
    listed = previous.get('files') if isinstance(previous, dict) else None
    return {str(p) for p in listed} if isinstance(listed, dict) else set()


def write_package(package, dest, slug, archive=False, check_mode=False):
    """Write the folder ``<dest>/<slug>`` (and ``<dest>/<slug>.zip``) unless it already holds the same bytes.

    Changed files are replaced atomically (0600; folders 0700), files the previous manifest listed that are no longer
    part of the package are removed, the manifest is removed first and written last. In check mode nothing is written
    and the result says what would be.
    """
    folder = os.path.join(dest, slug)
    planned = plan_files(package)
    manifest = dumps(manifest_of(package['model'], planned))
    manifest_item = {'path': MANIFEST_NAME, 'data': manifest, 'sha256': hashlib.sha256(manifest).hexdigest(), 'size': len(manifest)}
    if package['redactor'].contains(manifest.decode('utf-8')):
        raise PackageError(f'{MANIFEST_NAME} would hold an identifier of another person: nothing was written (please report this)')
    changed_paths = [p['path'] for p in planned + [manifest_item] if not _same_file(os.path.join(folder, p['path']), p['sha256'])]
    stale = sorted(_previous_files(folder) - {p['path'] for p in planned})
    stale = [p for p in stale if os.path.lexists(os.path.join(folder, p))]
    folder_mode_wrong = os.path.isdir(folder) and stat.S_IMODE(os.stat(folder).st_mode) != DIR_MODE
    changed = bool(changed_paths or stale or folder_mode_wrong)
    zip_path = folder + '.zip'
    removed = list(stale)
    archive_result = None
    if not check_mode and changed:
        make_private_dirs(folder)
        os.chmod(folder, DIR_MODE)
        if MANIFEST_NAME in changed_paths and os.path.lexists(os.path.join(folder, MANIFEST_NAME)):
            os.unlink(os.path.join(folder, MANIFEST_NAME))  # no manifest while the folder changes: it is not an answer yet
        for item in planned:
            if item['path'] in changed_paths:
                _write_item(folder, item)
        for rel in stale:
            _remove(folder, rel)
        _write_item(folder, manifest_item)
    items = planned + [manifest_item]
    if archive:
        with tempfile.TemporaryFile() as tmp:  # anonymous: gone when closed, never a name to find
            build_zip(slug, items, tmp)
            tmp.seek(0)
            digest = hashlib.sha256()
            for block in iter(lambda: tmp.read(CHUNK), b''):
                digest.update(block)
            zip_changed = not _same_file(zip_path, digest.hexdigest())
            if zip_changed and not check_mode:
                tmp.seek(0)
                write_atomic(zip_path, iter(lambda: tmp.read(CHUNK), b''), MODE)
        archive_result = {'path': zip_path, 'sha256': digest.hexdigest(), 'changed': zip_changed}
        changed = changed or zip_changed
    elif changed and os.path.lexists(zip_path):  # a zip of the folder as it was is no longer the answer
        if not check_mode:
            os.unlink(zip_path)
        removed.append(os.path.basename(zip_path))
    return {
        'changed': changed,
        'dest': folder,
        'files': [{'path': i['path'], 'sha256': i['sha256'], 'size': i['size'], 'changed': i['path'] in changed_paths} for i in items],
        'removed': removed,
        'archive': archive_result,
    }


def _write_item(folder, item):
    target = inside(folder, item['path'])
    make_private_dirs(os.path.dirname(target))
    if 'data' in item:
        write_atomic(target, item['data'], MODE)
        return
    digest = hashlib.sha256()

    def chunks():
        for block in _chunks(item):
            digest.update(block)
            yield block

    write_atomic(target, chunks(), MODE)
    if digest.hexdigest() != item['sha256']:
        os.unlink(target)
        raise PackageError(f'{item["path"]} changed in its bundle while it was copied: run again')


def _remove(folder, rel):
    try:
        target = inside(folder, rel)
    except BundleError:
        return
    if os.path.isfile(target) or os.path.islink(target):
        os.unlink(target)
    parent = os.path.dirname(target)
    files_root = os.path.join(os.path.realpath(folder), FILES_DIR)
    while parent.startswith(files_root) and parent != os.path.realpath(folder):
        try:
            os.rmdir(parent)  # only when empty
        except OSError:
            break
        parent = os.path.dirname(parent)


# -- the module ----------------------------------------------------------------------------------------------------------------

def subject_package(params, check_mode=False):
    """The result of the module ``subject_package`` for its ``params`` (raises SubjectError, PackageError, BundleError)."""
    person = parse_person(params.get('subject'))
    bundle_dirs = [b for b in params.get('bundle_dirs') or () if str(b or '').strip()]
    if not bundle_dirs:
        raise PackageError('bundle_dirs is empty: give the export bundle folder of every workspace to search')
    dest = os.path.normpath(os.path.abspath(os.path.expanduser(str(params['dest']))))
    problem = folder_problem(dest)
    if problem:
        raise PackageError(f'dest {dest} cannot be written: {problem}')
    allow_incomplete = bool(params.get('allow_incomplete'))
    slug = person_slug(person)
    bundles = read_fleet(bundle_dirs, person, allow_incomplete)
    package = build_package(bundles, person, allow_incomplete)
    written = write_package(package, dest, slug, archive=bool(params.get('archive')), check_mode=check_mode)
    model = package['model']
    result = dict(written)
    result.update({
        'slug': slug,
        'subject': person,
        'complete': model['complete'],
        'total': model['total'],
        'counts': {k: n for k, n in model['counts'].items() if n},
        'workspaces': sum(1 for b in model['bundles'] if b['objects']),
        'bundles': [{'bundle_dir': b['path'], 'bundle': b['name'], 'status': b['status'], 'problems': b['problems'],
                     'workspace': b['workspace'].get('id')} for b in bundles],
        'withheld': model['withheld'],
        'redactions': model['redactions'],
        'first': model['first'],
        'last': model['last'],
    })
    result['lines'] = summary_lines(result, person, model)
    return result


def summary_lines(result, person, model):
    """What the playbook prints."""
    searched = [b for b in model['bundles'] if b['status'] != STATUS_NOT_SEARCHED]
    lines = [f'Subject access package for {describe_person(person)}: {model["total"]} object(s) in {result["workspaces"]} of '
             f'{len(searched)} workspace(s) searched, {len(model["files"])} file(s)'
             + (f', {len(model["withheld"])} withheld' if model['withheld'] else ''),
             f'  {result["dest"]}' + (f' and {result["archive"]["path"]}' if result.get('archive') else '')
             + (' (changed)' if result['changed'] else ' (unchanged)')]
    for b in model['bundles']:
        if b['objects']:
            lines.append(f'  {b["bundle"]}: {b["objects"]} (' + ', '.join(f'{k}={n}' for k, n in b['counts'].items()) + ')')
    if model['redactions']['objects']:
        lines.append(f'  other people\'s identifiers replaced by {MARKER} in {model["redactions"]["objects"]} object(s)')
    for b in model['bundles']:
        if b['status'] == STATUS_NOT_SEARCHED:
            lines.append(f'NOT SEARCHED {b["bundle"]}: ' + '; '.join(b['problems']))
        elif b['status'] == STATUS_INCOMPLETE:
            lines.append(f'INCOMPLETE bundle {b["bundle"]}: the answer may miss objects')
    return lines
