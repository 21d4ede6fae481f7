# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The purge: what the deleting modules and ``purge_plan`` share (``docs/purge.md``).

- :func:`run_delete` is the whole of the modules ``model``, ``asset``, ``image`` and
  ``service``: list, plan, validate (the same checks in check mode and in a real run), then
  DELETE with the client's bounded concurrency, wait for the service operations that answer
  202, and report one result per object.
- :func:`references` / :func:`blocking_holders`: which images and services hold a model or an
  image (the service answers 412 ``DeletionRequired`` for those), computed from the listings,
  so that check mode refuses exactly where the real run would be refused.
- the audit log (``_audit``): a ``pending`` line before each DELETE, its settling line after; what an interrupted run
  left pending is settled by listing again (:func:`settle_pending`).
- :func:`write_plan` / :func:`read_plan`: the plan file a check run writes (``purge-plan.json``).
"""

import json
import os
import uuid

from ansible_collections.gdpr.azureml.plugins.module_utils._audit import AuditError, audit_log, audit_record, settle_by_relist, utc_now
from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import verify_bundle
from ansible_collections.gdpr.azureml.plugins.module_utils._client import (
    COLLECTION_VERSION, LRO_FAILED, LRO_SUCCEEDED, AzureMLError, LroTimeoutError, request_id_of,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._clouds import MODEL_MANAGEMENT
from ansible_collections.gdpr.azureml.plugins.module_utils._coverage import (
    UNLISTABLE, check_bundle, compare_planned, content_problems, erasure_counts, list_erasure,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import write_atomic
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import (
    DELETABLE_KINDS, HOLDER_KINDS, HOLDING_KINDS, KIND_NAMES, KINDS, SINGULAR, references,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import SubjectError, purge_subjects, subject_purge_selection
from ansible_collections.gdpr.azureml.plugins.module_utils._routes import PURGE_QUERY
from ansible_collections.gdpr.azureml.plugins.module_utils import _storage_purge

MMS_ABSENT = (204, 404)  # model management: 204 "does not exist and the request was well formed"
SERVICE_POLL_INTERVAL = 5  # seconds between polls of a service delete operation without Retry-After
SERVICE_WAIT_TIMEOUT = 900  # seconds the service deletes of one run may take (service's wait_timeout, purge_plan mode=apply)
FIRST_POLL_INTERVAL = 1  # ...after a first poll this soon, the interval doubling up to SERVICE_POLL_INTERVAL
PLAN_FORMAT_VERSION = 1
PLAN_NAME = 'purge-plan.json'


class PurgeError(Exception):
    """A purge cannot go on (a refused plan, an unusable audit log or plan file); ``result`` holds extra keys."""

    def __init__(self, message, **result):
        super().__init__(message)
        self.result = result


def singular(kind_name):
    return SINGULAR.get(kind_name, kind_name)


def describe_holders(holders):
    """``["image i:1", "service s"]`` -> ``"image i:1 and service s"``."""
    holders = list(holders)
    if len(holders) <= 1:
        return ''.join(holders)
    return ', '.join(holders[:-1]) + ' and ' + holders[-1]


# -- listing and references -----------------------------------------------------------------------------------------------

def list_objects(client, kind_name, ws):
    """Every object of ``kind_name`` in the workspace (every page)."""
    return client.list_items(KINDS[kind_name].list_op, what=f'list the {kind_name} of workspace {ws}')


def list_kinds(client, kind_names, ws):
    """``{kind: [objects]}`` for ``kind_names``, the lists fetched concurrently (each one page after another)."""
    names = list(dict.fromkeys(kind_names))
    lists = client.map_concurrent(lambda name: list_objects(client, name, ws), names)
    return dict(zip(names, lists))


def with_holders(kind_names):
    """``kind_names`` and the kinds whose objects can hold theirs (images and services hold models, services hold images):
    what a plan must list to tell whether its deletes would be refused."""
    return list(dict.fromkeys(list(kind_names) + [h for k in kind_names for h in HOLDER_KINDS.get(k, ())]))


def holder_index(listed):
    """``{(kind, id): [(holder kind, holder id), ...]}`` from the listings of images and services."""
    index = {}
    for holder_kind in HOLDING_KINDS:
        for obj in listed.get(holder_kind) or []:
            holder_id = KINDS[holder_kind].object_id(obj)
            for ref in references(holder_kind, obj):
                index.setdefault(ref, []).append((holder_kind, holder_id))
    return index


def blocking_holders(targets, listed):
    """The targets still held by something this purge does not delete.

    :param targets: ``{kind: iterable of ids}`` that would be deleted.
    :param listed: ``{kind: [objects]}`` holding at least the images and services of the workspace.
    :returns: ``{kind: {id: ["image i:1", "service s"]}}`` (only kinds and ids with a holder).
    """
    index = holder_index(listed)
    deleting = {kind: set(ids) for kind, ids in targets.items()}
    blocked = {}
    for kind_name in HOLDER_KINDS:
        for obj_id in sorted(deleting.get(kind_name, ())):
            holders = sorted({f'{singular(hk)} {hid}' for hk, hid in index.get((kind_name, obj_id), ())
                              if hid not in deleting.get(hk, ())})
            if holders:
                blocked.setdefault(kind_name, {})[obj_id] = holders
    return blocked


def holders_message(blocked, ws, limit=10):
    """One sentence naming what holds what (at most ``limit`` objects spelled out)."""
    parts, count = [], 0
    for kind_name in HOLDER_KINDS:
        for obj_id, holders in sorted((blocked.get(kind_name) or {}).items()):
            count += 1
            if len(parts) < limit:
                parts.append(f'{singular(kind_name)} {obj_id} is used by {describe_holders(holders)}')
    more = f' (and {count - limit} more)' if count > limit else ''
    return (f'{count} object(s) of workspace {ws} are still used by images or services that are not being deleted, so Azure '
            f'would refuse to delete them (HTTP 412 DeletionRequired): {"; ".join(parts)}{more}. Delete the services, then '
            f'the images, then the models (the role gdpr.azureml.purge_workspace does it in that order)')


# -- the deleting modules -------------------------------------------------------------------------------------------------

def delete_argument_spec():
    """The options of ``model``, ``asset``, ``image``, ``service`` (``service`` adds ``wait_timeout``)."""
    return {
        'state': {'type': 'str', 'required': True, 'choices': ['absent']},
        'id': {'type': 'str'},
        'ids': {'type': 'list', 'elements': 'str'},
        'all': {'type': 'bool'},
        'audit_log': {'type': 'path'},
    }


DELETE_MODULE_KWARGS = {
    'mutually_exclusive': [('id', 'ids', 'all')],
    'required_one_of': [('id', 'ids', 'all')],
    'supports_check_mode': True,
}


def _targets(module, kind_name):
    """Validate ``id`` / ``ids`` / ``all`` (no request); return ``(mode, ids or None)``."""
    p = module.params
    if p.get('all') is not None:
        if not p['all']:
            module.fail('all must be true when set (to delete some objects, list them in ids)', option='all')
        return 'all', None
    if p.get('id') is not None:
        if not p['id'].strip():
            module.fail('id must not be empty', option='id')
        return 'id', [p['id']]
    ids = p.get('ids')
    blank = [i for i in ids if not str(i).strip()]
    if blank:
        module.fail('ids must not hold empty strings', option='ids')
    return 'ids', list(dict.fromkeys(str(i) for i in ids))


def run_delete(module, kind_name):
    """The whole of a deleting module for ``kind_name`` (``models``, ``assets``, ``images``, ``services``).

    Every check runs before the first request that changes anything, in check mode as in a real run.
    """
    if kind_name not in DELETABLE_KINDS:
        raise ValueError(f'kind {kind_name} cannot be deleted')
    if kind_name == 'services' and module.params.get('wait_timeout') is not None and module.params['wait_timeout'] <= 0:
        module.fail(f"wait_timeout must be more than 0 seconds, got {module.params['wait_timeout']}", option='wait_timeout')
    require_absolute(module, 'audit_log')
    mode, requested = _targets(module, kind_name)
    module.run(guarded(lambda m: _delete(m, kind_name, mode, requested)))


def guarded(fn):
    """``fn`` for ``AzureMLModule.run``, a :class:`PurgeError` turned into ``fail`` with its result keys."""
    def wrapper(module):
        try:
            return fn(module)
        except PurgeError as exc:
            module.fail(str(exc), **exc.result)
        except AuditError as exc:
            module.fail(str(exc))
    return wrapper


def settle_pending(module, audit):
    """Settle what an interrupted run left ``pending`` in the audit log (``_audit.settle_by_relist``): list each such kind
    again (get the workspace), ``deleted`` when the object is gone, ``failed`` when it is still there."""
    client, ws = module.client, module.workspace

    def present(kind_name):
        if kind_name == 'workspace':
            found = client.get_json('workspaces.get', what=f'get workspace {ws} (to settle the audit log)', missing_ok=True)
            return set() if found is None else {str(found.get('id') or ws.id).lower(), ws.id.lower()}
        if kind_name == _storage_purge.KIND and module.params.get('storage'):
            found = client.get_json('workspaces.get', what=f'get workspace {ws} (to settle the audit log)', missing_ok=True)
            return None if found is None else _storage_purge.present_ids(module, found)
        if kind_name in DELETABLE_KINDS:
            try:
                return {KINDS[kind_name].object_id(o) for o in list_objects(client, kind_name, ws)}
            except AzureMLError as exc:
                if exc.status == 404:  # the workspace is gone, and its objects with it
                    return set()
                raise
        return None

    return settle_by_relist(audit, ws.id, present)


def _existing(module, kind_name, mode, requested):
    """The ids (of the targets) that exist now: one GET for ``id``, else a listing of the kind."""
    kind, client, ws = KINDS[kind_name], module.client, module.workspace
    if mode == 'id':
        found = client.get_json(kind.get_op, {'id': requested[0]}, what=f'get {singular(kind_name)} {requested[0]} in workspace {ws}',
                                missing_ok=True)
        return [requested[0]] if found is not None else []
    listed = [kind.object_id(obj) for obj in list_objects(client, kind_name, ws)]
    if mode == 'all':
        return sorted(set(listed))
    present = set(listed)
    return [i for i in requested if i in present]


def _delete(module, kind_name, mode, requested, settle=True):
    client, ws = module.client, module.workspace
    existing = _existing(module, kind_name, mode, requested)
    # The same validation in check mode and in a real run: what holds the objects to delete?
    blocked = {}
    if kind_name in HOLDER_KINDS and existing:
        listed = list_kinds(client, HOLDER_KINDS[kind_name], ws)
        blocked = blocking_holders({kind_name: existing}, listed).get(kind_name, {})
    if blocked:
        raise PurgeError(holders_message({kind_name: blocked}, ws), holders=blocked, changed=False, deleted=[], results=[])
    if module.check_mode:
        would = sorted(existing)
        return dict(changed=bool(would), deleted=would, results=[], **module.diff({kind_name: would}, {kind_name: []}))
    targets = existing if mode == 'all' else requested
    with audit_log(module.params.get('audit_log')) as audit:
        if settle:
            settle_pending(module, audit)
        results = delete_objects(module, kind_name, targets, set(existing), audit)
    deleted = [r['id'] for r in results if r['outcome'] == 'deleted']
    failed = [r for r in results if r['outcome'] == 'failed']
    before = sorted(set(existing) | set(deleted))
    after = sorted(set(before) - set(deleted))
    result = dict(changed=bool(deleted), deleted=deleted, results=results, **module.diff({kind_name: before}, {kind_name: after}))
    if failed:
        held = [r['id'] for r in failed if r.get('status') == 412]
        if held and kind_name in HOLDER_KINDS:
            blocked = blocking_holders({kind_name: held}, list_kinds(client, HOLDER_KINDS[kind_name], ws)).get(kind_name, {})
            for r in failed:
                if r['id'] in blocked:
                    r['holders'] = blocked[r['id']]
            result['holders'] = blocked
        first = failed[0]
        raise PurgeError(f'{len(failed)} of {len(results)} {kind_name} could not be deleted from workspace {ws} '
                         f'({len(deleted)} deleted); the first: {first.get("error")}'
                         + (f' (used by {describe_holders(first["holders"])})' if first.get('holders') else ''), **result)
    return result


def poll_interval(client, response, default):
    """Seconds between polls of an operation whose polls carry no ``Retry-After``: the ``Retry-After`` of the
    answer that started it (the pace the service asked for), else ``default``."""
    seconds = client.retry_after(response)
    return seconds if seconds else default


def delete_objects(module, kind_name, ids, existed, audit):
    """DELETE each id (bounded concurrency), then wait for the operations answered 202; one result per id, in order.

    ``existed``: ids a listing just saw; an ``absent`` answer to a DELETE that was retried is then
    counted as ``deleted`` (the first attempt deleted it). Before each DELETE a ``pending`` line with its
    ``client_request_id`` is on disk (an audit log that cannot be written stops here, before the DELETE:
    ``_audit.AuditError``); every result goes to ``audit`` once final, with the same ``client_request_id``.
    The accepted (202) deletes are waited for together (:func:`wait_operations`), so that a slow
    operation never holds one of the ``concurrency`` request slots while it sleeps.
    """
    kind, client, ws = KINDS[kind_name], module.client, module.workspace

    def record(entry):
        audit.write(audit_record(ws.id, kind_name, entry['id'], status=entry['status'], request_id=entry['request_id'],
                                 outcome=entry['outcome'], error=entry.get('error'), client_request_id=entry['client_request_id']))

    def one(obj_id):
        what = f'delete {singular(kind_name)} {obj_id} in workspace {ws}'
        cid = str(uuid.uuid4())
        audit.pending(audit_record(ws.id, kind_name, obj_id, status=None, request_id=None, outcome='pending', client_request_id=cid))
        try:
            res = client.delete(kind.delete_op, {'id': obj_id}, what=what, absent=MMS_ABSENT, client_request_id=cid)
            entry = {'id': obj_id, 'status': res.status, 'request_id': res.request_id, 'outcome': res.outcome, 'client_request_id': cid}
            if res.error:
                entry['error'] = res.error
            if res.outcome == 'absent' and (res.attempts or 1) > 1 and obj_id in existed:
                entry['outcome'] = 'deleted'
            if res.outcome == 'deleted' and res.status in (201, 202):
                return entry, {'entry': entry, 'response': res.response, 'what': what}
        except Exception as exc:  # one object's surprise must not hide the others' results
            entry = {'id': obj_id, 'status': None, 'request_id': None, 'outcome': 'failed', 'error': f'{what}: {type(exc).__name__}: {exc}',
                     'client_request_id': cid}
        record(entry)
        return entry, None

    done = client.map_concurrent(one, ids)
    accepted = [op for dummy, op in done if op is not None]
    if accepted:
        wait_operations(client, accepted, module.params.get('wait_timeout') or SERVICE_WAIT_TIMEOUT, SERVICE_POLL_INTERVAL,
                        family=MODEL_MANAGEMENT)
        for op in accepted:
            record(op['entry'])
    return [entry for entry, dummy in done]


def _operation_target(client, response, what, family):
    """``(url, mode)`` to poll for the operation ``response`` started (as ``Client.wait_lro`` chooses it)."""
    headers = response.headers
    for header, mode in (('Azure-AsyncOperation', 'status'), ('Location', 'location'), ('Operation-Location', 'status')):
        if headers.get(header):
            return client.follow(headers[header], response.url, family, what, kind='operation URL'), mode
    raise AzureMLError(what, f'HTTP {response.status_code} without an Azure-AsyncOperation, Location or Operation-Location header '
                             'to follow', status=response.status_code, request_id=request_id_of(response))


def wait_operations(client, ops, wait_timeout, default_interval, family=MODEL_MANAGEMENT):
    """Wait for several long-running operations at once, under one deadline of ``wait_timeout`` seconds.

    ``ops``: dicts with ``entry`` (the result dict, set to ``failed`` with an ``error`` when the operation fails, cannot
    be followed or is still running at the deadline), ``response`` (the 201/202 that started it) and ``what``. Each
    operation is polled at its own pace (``Retry-After`` of its answers, else of the answer that started it, else
    ``default_interval``); the polls that are due are sent together with the client's bounded concurrency, and
    nothing holds a request slot while it waits.
    """
    clock, sleep = client._clock, client._sleep
    deadline = clock() + wait_timeout
    pending = []
    for op in ops:
        try:
            url, mode = _operation_target(client, op['response'], op['what'], family)
        except AzureMLError as exc:
            _fail_entry(op['entry'], exc)
            continue
        # Without any Retry-After, poll soon and back off (1, 2, 4 ... up to default_interval seconds): a quick
        # operation is not kept waiting a whole interval, a slow one is polled at the usual pace.
        interval = client.retry_after(op['response'])
        ramp = not interval
        interval = min(FIRST_POLL_INTERVAL, default_interval) if ramp else interval
        pending.append(dict(op, url=url, mode=mode, interval=interval, ramp=ramp, max_interval=default_interval,
                            due=min(clock() + interval, deadline), state='InProgress'))

    def poll(op):
        try:
            response = client.send('GET', op['url'], what=f"{op['what']} (polling)", idempotent=True)
            asked = client.retry_after(response)
            if asked:
                op['interval'], op['ramp'] = asked, False
            elif op['ramp']:
                op['interval'] = min(op['interval'] * 2, op['max_interval'])
            if op['mode'] == 'location':
                if response.status_code in (200, 201, 204):
                    return True
                if response.status_code != 202:
                    raise client._error(op['what'], response)
                return False
            if response.status_code != 200:
                raise client._error(op['what'], response)
            body = response.json()
            body = body if isinstance(body, dict) else {}
            op['state'] = str(body.get('status') or body.get('state') or 'InProgress')
            if op['state'].lower() in LRO_SUCCEEDED:
                return True
            if op['state'].lower() in LRO_FAILED:
                error = body.get('error') if isinstance(body.get('error'), dict) else {}
                raise AzureMLError(op['what'], client.redact(error.get('message') or f"the operation ended {op['state']}"),
                                   status=response.status_code, code=error.get('code') or op['state'],
                                   request_id=op['entry'].get('request_id'))
            return False
        except AzureMLError as exc:
            _fail_entry(op['entry'], exc)
            return True
        except ValueError:
            _fail_entry(op['entry'], AzureMLError(op['what'], 'the operation status is not JSON'))
            return True

    while pending:
        now = clock()
        due = [op for op in pending if op['due'] <= now]
        if due:
            ended = client.map_concurrent(poll, due)
            finished = {id(op) for op, end in zip(due, ended) if end}
            now = clock()
            for op in due:
                op['due'] = min(now + op['interval'], deadline)
            pending = [op for op in pending if id(op) not in finished]
        if not pending:
            break
        if now >= deadline:
            for op in pending:
                _fail_entry(op['entry'], LroTimeoutError(
                    op['what'], f"the operation is still {op['state']} after {wait_timeout} s (wait_timeout)",
                    request_id=op['entry'].get('request_id')))
            break
        sleep(max(0.0, min(op['due'] for op in pending) - now))


def _fail_entry(entry, exc):
    entry['outcome'] = 'failed'
    entry['error'] = str(exc)


# -- plan files -------------------------------------------------------------------------------------------------------------

def plan_document(workspace, kinds, objects, **extra):
    """The plan file's content (see ``docs/purge.md``)."""
    doc = {
        'format_version': PLAN_FORMAT_VERSION,
        'collection_version': COLLECTION_VERSION,
        'created': utc_now(precise=True),
        'workspace': workspace,
        'kinds': list(kinds),
        'counts': {k: len(objects.get(k) or []) for k in kinds},
        'total': sum(len(objects.get(k) or []) for k in kinds),
        'objects': {k: sorted(objects.get(k) or []) for k in kinds},
    }
    doc.update(extra)
    return doc


def _comparable(doc):
    return {k: v for k, v in doc.items() if k != 'created'} if isinstance(doc, dict) else doc


def write_plan(path, doc):
    """Write ``doc`` to ``path`` atomically (0600) unless the file already holds the same plan; return True if written."""
    path = os.path.abspath(os.path.expanduser(str(path)))
    try:
        with open(path, encoding='utf-8') as f:
            if _comparable(json.load(f)) == _comparable(doc):
                return False
    except (OSError, ValueError):
        pass
    data = (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + '\n').encode('utf-8')
    write_atomic(path, data)
    return True


def read_plan(path, workspace_id):
    """``(plan, problems)``: the plan file at ``path`` and what makes it unusable for ``workspace_id``."""
    path = os.path.abspath(os.path.expanduser(str(path)))
    try:
        with open(path, encoding='utf-8') as f:
            plan = json.load(f)
    except FileNotFoundError:
        return None, [f'plan_file {path} does not exist (a check run writes it: run with --check first)']
    except (OSError, ValueError) as exc:
        return None, [f'plan_file {path} cannot be read: {exc}']
    if not isinstance(plan, dict) or not isinstance(plan.get('objects'), dict):
        return None, [f'plan_file {path} is not a purge plan (no objects map)']
    problems = []
    if plan.get('format_version') != PLAN_FORMAT_VERSION:
        problems.append(f"plan_file {path} has format_version {plan.get('format_version')!r}, expected {PLAN_FORMAT_VERSION}")
    plan_ws = str((plan.get('workspace') or {}).get('id') or '')
    if plan_ws.lower() != str(workspace_id).lower():
        problems.append(f'plan_file {path} is a plan of workspace {plan_ws or "(none)"}, not {workspace_id}')
    for kind_name, ids in plan['objects'].items():
        if kind_name not in DELETABLE_KINDS or not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            problems.append(f'plan_file {path}: objects.{kind_name} is not a list of ids of a deletable kind')
    return (plan if not problems else None), problems


# -- purge_plan ---------------------------------------------------------------------------------------------------------------

def plan_argument_spec():
    return {
        'mode': {'type': 'str', 'default': 'plan', 'choices': ['plan', 'apply', 'verify']},
        'objects': {'type': 'dict'},
        'kinds': {'type': 'list', 'elements': 'str', 'default': list(DELETABLE_KINDS), 'choices': list(DELETABLE_KINDS)},
        'export_dir': {'type': 'path'},
        'require_export': {'type': 'bool', 'default': True},
        'max_deletions': {'type': 'int', 'default': 10000},
        'confirm': {'type': 'list', 'elements': 'str'},
        'plan_file': {'type': 'path'},
        'show_max': {'type': 'int', 'default': 1000},
        'audit_log': {'type': 'path'},
        'delete_workspace': {'type': 'bool', 'default': False},
        'allow_soft_delete': {'type': 'bool', 'default': False},
        'play_workspaces': {'type': 'list', 'elements': 'str', 'default': []},
        'fail_on_refusal': {'type': 'bool', 'default': True},
        'subjects': {'type': 'list', 'elements': 'raw', 'default': []},
        'storage': {'type': 'bool', 'default': False},
    }


def require_absolute(module, *options):
    """Fail, naming the option, when one of the path ``options`` is set but relative: a relative audit log or plan lands
    wherever the module happens to run (for a playbook of the collection: inside the collection), so it is refused."""
    for option in options:
        value = module.params.get(option)
        if value and not os.path.isabs(str(value)):
            module.fail(f'{option} must be an absolute path, got {value}', option=option)


def validate_plan_options(module):
    """Option checks of ``purge_plan`` that need no request (each message names its option)."""
    p = module.params
    require_absolute(module, 'audit_log', 'plan_file', 'export_dir')
    for option in ('max_deletions', 'show_max'):
        if p[option] < 0:
            module.fail(f'{option} must be 0 or more, got {p[option]}', option=option)
    if p['mode'] == 'plan' and p['require_export'] and not p.get('export_dir'):
        module.fail('export_dir is required when require_export is true (the export bundle the purge is checked against)',
                    option='export_dir')
    if p.get('confirm') is not None and not [c for c in p['confirm'] if str(c).strip()]:
        module.fail('confirm must name the workspace (its name or ARM id); it is empty', option='confirm')
    if p.get('storage') and p['mode'] != 'verify' and not p.get('export_dir'):
        module.fail('export_dir is required with storage: only the blobs the export bundle holds (storage_blobs.json) are deleted',
                    option='export_dir')
    if p.get('storage') and p['mode'] == 'plan' and not p['require_export']:
        module.fail('storage needs require_export: only the blobs the export bundle holds and verifies are deleted', option='storage')
    if p['mode'] != 'plan' and p.get('plan_file'):
        module.fail('plan_file is only used when mode is plan', option='plan_file')
    if p['mode'] == 'apply':
        validate_apply_options(module)
    elif p.get('objects') is not None:
        module.fail('objects is only used when mode is apply', option='objects')
    if p.get('subjects'):
        try:
            purge_subjects(p['subjects'])
        except SubjectError as exc:
            module.fail(f'subjects: {exc}', option='subjects')
        if p.get('delete_workspace'):
            module.fail("subjects limit the purge to what these people created, delete_workspace would delete everyone's data: "
                        'purge by subject first, then delete the workspace in a run of its own if that is the remedy', option='subjects')


def validate_apply_options(module):
    """``mode=apply``: ``objects`` ({kind: [ids]}, kinds among ``kinds``), ``confirm`` (outside check mode) naming this
    workspace, at most ``max_deletions`` objects; each message names its option, before any request."""
    p, ws = module.params, module.workspace
    objects = p.get('objects')
    if objects is None:
        module.fail('objects is required when mode is apply: the ids to delete per kind (the plan of mode=plan, its plan.objects)',
                    option='objects')
    unknown = sorted(str(k) for k in objects if k not in p['kinds'])
    if unknown:
        module.fail(f"objects has kinds that kinds does not list: {', '.join(unknown)} (kinds: {', '.join(p['kinds'])})", option='objects')
    for kind_name, ids in objects.items():
        if not isinstance(ids, list) or not all(isinstance(i, str) and i.strip() for i in ids):
            module.fail(f'objects.{kind_name} must be a list of ids (non-empty strings)', option='objects')
    total = sum(len(set(ids)) for ids in objects.values())
    if total > p['max_deletions']:
        module.fail(f"objects holds {total} ids to delete, more than max_deletions {p['max_deletions']}", option='max_deletions')
    if not module.check_mode:
        problem = confirmation_problem(p.get('confirm'), ws, (ws.id,), p.get('play_workspaces'))
        if problem:
            module.fail(problem, option='confirm')


def confirmed(confirm, name, ids, resource_group=None):
    """``'strong'`` when ``confirm`` holds one of the workspace's ARM ``ids`` or ``<resource group>/<name>``, ``'name'`` when
    it holds only its bare ``name``, else None (all compared case-insensitively, as Azure compares them)."""
    ids = {str(i).lower() for i in ids if i}
    if resource_group:
        ids.add(f'{resource_group}/{name}'.lower())
    given = {str(c).strip().lower() for c in confirm or ()}
    if given & ids:
        return 'strong'
    return 'name' if str(name).lower() in given else None


def confirmation_problem(confirm, ws, ids, play_workspaces=()):
    """Why ``confirm`` does not confirm the workspace ``ws`` (a ``_module.Workspace``); None when it does.

    A bare name confirms a workspace only when no other workspace of the play (``play_workspaces``: the names of the play's
    hosts, this one included) has the same name: two ``ws-dup`` of two resource groups need ``<resource group>/ws-dup`` or
    the ARM id, so that confirming one never purges its namesake.
    """
    match = confirmed(confirm, ws.workspace_name, ids, ws.resource_group)
    if not confirm:
        return (f'not confirmed: set confirm (purge_workspace_confirm) to the name {ws.workspace_name}, '
                f'{ws.resource_group}/{ws.workspace_name} or the ARM id {ids[-1]} of this workspace (or a list holding it) to purge it')
    if match is None:
        return (f"confirm (purge_workspace_confirm) does not name this workspace: it holds {', '.join(confirm)}; "
                f'this workspace is {ws.resource_group}/{ws.workspace_name} ({ids[-1]})')
    namesakes = sum(1 for name in play_workspaces or () if str(name).lower() == ws.workspace_name.lower())
    if match == 'name' and namesakes > 1:
        return (f'confirm (purge_workspace_confirm) names {ws.workspace_name}, but {namesakes} workspaces of this play are called '
                f'{ws.workspace_name} (names compare case-insensitively, as in Azure): confirm this one as '
                f'{ws.resource_group}/{ws.workspace_name} or by its ARM id {ids[-1]}, so that its namesakes are not purged too')
    return None


def _inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def run_plan(module):
    validate_plan_options(module)
    module.run(guarded({'plan': _plan, 'apply': _apply, 'verify': _verify}[module.params['mode']]))


def _shown(objects, kinds, show_max):
    shown = {}
    for kind_name in kinds:
        ids = objects.get(kind_name) or []
        shown[kind_name] = {'count': len(ids), 'ids': ids[:show_max], 'more': max(0, len(ids) - show_max)}
    return shown


def _plan(module):
    p, client, ws = module.params, module.client, module.workspace
    kinds = [k for k in DELETABLE_KINDS if k in p['kinds']]  # the safe order, whatever the order asked for
    found = client.get_json('workspaces.get', what=f'get workspace {ws}', missing_ok=True)
    refusals, notes = [], []
    workspace = {'id': (found or {}).get('id') or ws.id, 'name': ws.workspace_name, 'resource_group': ws.resource_group,
                 'subscription_id': ws.subscription_id}

    # Confirmation: required for a real run; when given, it must name this workspace in check mode too.
    problem = confirmation_problem(p.get('confirm'), ws, (ws.id, workspace['id']), p.get('play_workspaces'))
    if problem and (p.get('confirm') or not module.check_mode):
        refusals.append(problem)
    elif problem:
        notes.append(f'a real run needs confirm (purge_workspace_confirm) naming {ws.workspace_name}')

    export_dir = os.path.abspath(p['export_dir']) if p.get('export_dir') else None
    if p.get('audit_log') and export_dir and _inside(p['audit_log'], export_dir):
        refusals.append(f"audit_log {p['audit_log']} is inside the export bundle folder {export_dir}: keep it outside, so that it "
                        'outlives the bundle')

    erasure = p['delete_workspace']
    current, objects, appeared, gone, held = {k: [] for k in kinds}, {k: [] for k in kinds}, {}, {}, {}
    erased, storage = {}, None
    if found is None:
        module.warn(f'workspace {ws} was not found (deleted, or a wrong name): there is nothing to plan')
        if p['require_export']:
            # Nothing to delete, but a wrong name must not pass for a purged workspace: its bundle proves it existed.
            problems = verify_bundle(export_dir, workspace['id'])
            if problems:
                refusals.append(f'workspace {ws} was not found, and no complete export bundle of it proves that it existed '
                                f'(a wrong name?): {"; ".join(problems)}')
    else:
        # a workspace delete takes every deletable object with it: all four kinds are listed (and checked) then
        listed = list_kinds(client, DELETABLE_KINDS if erasure else with_holders(kinds), ws)
        current = {k: sorted({KINDS[k].object_id(o) for o in listed[k]}) for k in kinds}
        if p.get('subjects'):  # only what the subjects created; what another person's image or service holds is kept
            selection = subject_purge_selection(listed, kinds, p['subjects'])
            current = {k: [i for i in current[k] if i in set(selection['objects'][k])] for k in kinds}
            held = selection['held']
            notes.extend(selection['notes'])
            for kind_name in HOLDER_KINDS:
                for obj_id, holders in sorted((held.get(kind_name) or {}).items()):
                    notes.append(f'{singular(kind_name)} {obj_id} is kept: the subjects created it, but it is still used by '
                                 f'{describe_holders(holders)}')
        objects = dict(current)
        if p.get('plan_file'):
            reviewed, problems = read_plan(p['plan_file'], workspace['id'])
            refusals.extend(problems)
            reviewed_objects = (reviewed or {}).get('objects') or {}
            for k in kinds:
                allowed = set(reviewed_objects.get(k) or [])
                objects[k] = [i for i in current[k] if i in allowed]
                new = [i for i in current[k] if i not in allowed]
                if new:
                    appeared[k] = new
                missing = sorted(allowed - set(current[k]))
                if missing:
                    gone[k] = missing
        blocked = blocking_holders({k: objects[k] for k in kinds}, listed)
        if blocked:
            refusals.append(holders_message(blocked, ws))
        # Export first, content not ids: the bundle must hold each object to delete (and, for a workspace delete, every
        # object the workspace holds) with the content it has now.
        exported = None
        if p['require_export']:
            problems, exported = check_bundle(export_dir, workspace['id'], list(kinds) + (list(KIND_NAMES) if erasure else []),
                                              erasure=erasure)
            refusals.extend(problems)
        if erasure:
            comparison = list_erasure(client, found, listed, exported)
            erased = dict(erasure_counts(comparison, objects, export_dir), workspace=1)
        else:
            comparison = compare_planned(listed, {k: objects[k] for k in kinds}, exported)
        if exported is not None:
            refusals.extend(content_problems(export_dir, comparison, erasure=erasure))
        if p.get('storage'):
            storage, more = _plan_storage(module, found, export_dir, exported, notes)
            refusals.extend(more)
    total = sum(len(objects[k]) for k in kinds)
    erased_total = sum(erased.values())
    if total + erased_total > p['max_deletions']:
        with_ws = (f' and deleting the workspace erases {erased_total} more with it ({total + erased_total} in all)'
                   if erasure else '')
        refusals.append(f"the plan deletes {total} objects{with_ws}, more than max_deletions (purge_workspace_max_deletions) "
                        f"{p['max_deletions']}: raise purge_workspace_max_deletions to at least {total + erased_total} to go on")
    workspace_delete = None
    if erasure:
        workspace_delete = {'permanent': not p['allow_soft_delete'], 'counts': erased, 'total': erased_total,
                            'unlisted': list(UNLISTABLE)}

    plan = plan_document(workspace, kinds, objects, delete_workspace=erasure, workspace_delete=workspace_delete,
                         workspace_found=found is not None, refusals=refusals, appeared_since=appeared, gone_since=gone,
                         export_dir=export_dir, plan_file=p.get('plan_file'),
                         subjects=p.get('subjects') or [], held=held, storage=storage)
    result = {'plan': plan, 'total': total, 'refusals': refusals, 'notes': notes, 'shown': _shown(objects, kinds, p['show_max']),
              'held': held, 'workspace_delete': workspace_delete, 'storage': storage,
              'appeared_since': appeared, 'gone_since': gone, 'workspace_found': found is not None, 'plan_dest': None,
              'changed': False}
    if module.check_mode:
        if module.diff_mode:
            before = {k: objects[k] for k in kinds}
            after = {k: [] for k in kinds}
            if erasure and found is not None:
                before['workspace'], after['workspace'] = [workspace['id']], []
            result['diff'] = {'before': before, 'after': after}
        result.update(_write_plan_file(module, export_dir, plan))
    result['lines'] = plan_lines(result, check_mode=module.check_mode)
    if refusals and p['fail_on_refusal']:
        raise PurgeError(f'purge of workspace {ws} refused: ' + ' | '.join(refusals), **result)
    return result


def _plan_storage(module, found, export_dir, exported, notes):
    """``(storage section of the plan or None, refusals)``: the blobs of the purged runs (``_storage_purge``)."""
    p = module.params
    if not p['delete_workspace'] and not p.get('subjects'):
        notes.append('storage: no run is purged (neither subjects nor delete_workspace), so no file of the storage account is deleted')
        return None, []
    try:
        section, refusals, _blobs = _storage_purge.select(module, found, export_dir, p.get('subjects'), exported)
    except _storage_purge.StoragePurgeError as exc:
        return None, [f'storage: {exc}']
    return section, refusals


def plan_lines(result, check_mode=False):
    """The plan as the role prints it: per kind the count and the ids shown, what a workspace delete takes with it (per
    kind, permanently or not), what appeared since the plan file, where the plan was written, the notes."""
    plan = result['plan']
    erasure = plan.get('workspace_delete')
    lines = [('Check mode, nothing is deleted. ' if check_mode else '') + f"Purge plan of workspace {plan['workspace']['name']} "
             f"({plan['workspace']['id']}): {plan['total']} object(s) to delete" + (', then the workspace itself' if erasure else '')]
    for kind_name in plan['kinds']:
        shown = result['shown'][kind_name]
        lines.append(f"  {kind_name}: {shown['count']}")
        lines.extend(f'    - {obj_id}' for obj_id in shown['ids'])
        if shown['more'] > 0:
            lines.append(f"    ... and {shown['more']} more (all of them are in the plan file)")
    if erasure:
        how = ('permanently (forceToPurge: nothing is left to recover)' if erasure['permanent'] else
               'softly (purge_workspace_allow_soft_delete: Azure keeps everything recoverable for its retention period)')
        counts = ', '.join(f'{k} {n}' for k, n in erasure['counts'].items()) or 'nothing listed'
        lines.append(f"Then the workspace is deleted {how}, erasing with it {erasure['total']} object(s): {counts}")
        lines.append(f"  pipeline objects cannot be listed ({', '.join(erasure['unlisted'])}): those the bundle holds are "
                     'counted; every pipeline object of the workspace goes with it')
        lines.append(f"  counted against purge_workspace_max_deletions: {plan['total'] + erasure['total']}")
    if result.get('storage'):
        lines.extend(_storage_purge.plan_lines(result['storage']))
    for kind_name, ids in result['appeared_since'].items():
        lines.append(f'  {kind_name}: {len(ids)} appeared since the plan file and are kept: {", ".join(ids[:10])}'
                     + (' ...' if len(ids) > 10 else ''))
    if not result['workspace_found']:
        lines.append('  the workspace was not found: nothing to delete')
    if result.get('plan_dest'):
        lines.append(f"Plan written to {result['plan_dest']} (review it, then purge with purge_workspace_plan_file)")
    lines.extend(f'Note: {note}' for note in result['notes'])
    return lines


def _write_plan_file(module, export_dir, plan):
    """Check mode only: write ``<export_dir>/purge-plan.json`` (the one thing a check run writes)."""
    if not export_dir:
        module.warn('no export_dir: the plan file was not written')
        return {}
    if not os.path.isdir(export_dir):
        module.warn(f'the export folder {export_dir} does not exist: the plan file was not written')
        return {}
    dest = os.path.join(export_dir, PLAN_NAME)
    if module.params.get('plan_file') and os.path.realpath(module.params['plan_file']) == os.path.realpath(dest):
        module.warn(f'{dest} is the reviewed plan_file: it was not overwritten')
        return {'plan_dest': None}
    return {'plan_dest': dest, 'changed': write_plan(dest, plan)}


def _apply(module):
    """Delete the ids of ``objects`` kind after kind in the only order Azure accepts, each kind as its deleting module does
    (its own listing, the holder check, one audit line per object), then list each kind again (:func:`_verify`).

    One module run for the whole purge of a workspace, whatever the number of kinds: the role's module starts do not grow
    with the kinds. A kind that fails stops the run before the next kind (a model whose image could not be deleted would
    be refused anyway); the failure keeps what was deleted (``deleted`` per kind, ``results``).
    """
    p, client, ws = module.params, module.client, module.workspace
    kinds = [k for k in DELETABLE_KINDS if k in p['kinds']]
    objects = {k: list(dict.fromkeys(p['objects'].get(k) or [])) for k in kinds}
    storage = _apply_storage_selection(module) if p.get('storage') else None
    if module.check_mode:  # the plan's own check: every kind at once, as if the earlier kinds were deleted
        listed = list_kinds(client, with_holders(kinds), ws)
        existing = {k: [i for i in objects[k] if i in {KINDS[k].object_id(o) for o in listed[k]}] for k in kinds}
        blocked = blocking_holders(existing, listed)
        if blocked:
            raise PurgeError(holders_message(blocked, ws), holders=blocked, changed=False, deleted={k: [] for k in kinds}, results=[])
        result = dict(changed=any(existing.values()) or bool(storage and storage['blobs']), deleted=existing, results=[],
                      **module.diff({k: sorted(existing[k]) for k in kinds}, {k: [] for k in kinds}))
        if storage is not None:
            result['storage'] = dict(storage['section'], deleted=0, would_delete=len(storage['blobs']))
        return result
    # What an interrupted run left pending in the audit log is settled first (listing its kinds again).
    with audit_log(p.get('audit_log')) as audit:
        settle_pending(module, audit)
    # results: one list (Ansible renames a 'results' that is not a list), each entry with its kind
    deleted, results, before, after = {k: [] for k in kinds}, [], {}, {}
    for kind_name in kinds:
        if not objects[kind_name]:
            continue
        try:
            done = _delete(module, kind_name, 'ids', objects[kind_name], settle=False)
        except (PurgeError, AzureMLError, AuditError) as exc:
            if isinstance(exc, PurgeError):  # this kind's deletes failed, or its holder check refused
                deleted[kind_name] = exc.result.get('deleted', [])
                results.extend(dict(r, kind=kind_name) for r in exc.result.get('results', []))
                extra = {'holders': exc.result['holders']} if 'holders' in exc.result else {}
            elif isinstance(exc, AuditError):  # the audit log cannot be written: stopped before the next DELETE
                extra = {}
            else:  # a listing of this kind or of its holders failed
                extra = exc.to_result()
            raise PurgeError(f'{kind_name}: {exc}', changed=any(deleted.values()), deleted=deleted, results=results, failed_kind=kind_name,
                             **extra) from None
        deleted[kind_name] = done['deleted']
        results.extend(dict(r, kind=kind_name) for r in done['results'])
        if 'diff' in done:
            before.update(done['diff']['before'])
            after.update(done['diff']['after'])
    storage_result = _apply_storage(module, storage, deleted, results) if storage is not None else None
    try:
        verified = _verify(module, settle=False)
    except AzureMLError as exc:
        raise PurgeError(f'the deletes are done, listing each kind again failed: {exc}', changed=any(deleted.values()), deleted=deleted,
                         results=results, **exc.to_result()) from None
    result = dict(verified, changed=any(deleted.values()) or bool(storage_result and storage_result['deleted']), deleted=deleted,
                  results=results)
    if storage_result is not None:
        result['storage'] = storage_result
    if module.diff_mode:
        result['diff'] = {'before': before, 'after': after}
    return result


def _apply_storage_selection(module):
    """``mode=apply`` with ``storage``, before any DELETE: the bundle checked again, the blobs of the purged runs listed and
    compared with it (a refusal raises, nothing deleted). ``{'section', 'blobs', 'runs', 'account'}``."""
    p, ws = module.params, module.workspace
    if not p['delete_workspace'] and not p.get('subjects'):
        return None
    found = module.client.get_json('workspaces.get', what=f'get workspace {ws}', missing_ok=True)
    if found is None:
        return None
    export_dir = os.path.abspath(p['export_dir'])
    problems, exported = check_bundle(export_dir, found.get('id') or ws.id, ['runs', _storage_purge.KIND])
    try:
        section, refusals, blobs = _storage_purge.select(module, found, export_dir, p.get('subjects'), exported)
    except _storage_purge.StoragePurgeError as exc:
        problems.append(f'storage: {exc}')
        section, refusals, blobs = None, [], []
    problems.extend(refusals)
    if problems:
        raise PurgeError(f'purge of the storage of workspace {ws} refused, nothing deleted: ' + ' | '.join(problems), changed=False,
                         deleted={}, results=[], refusals=problems)
    runs = _storage_purge.purged_runs(export_dir, p.get('subjects'))
    return {'section': section, 'blobs': blobs, 'runs': runs, 'account': section['account']}


def _apply_storage(module, storage, deleted, results):
    """Delete the selected blobs (audit lines pending then settled), list the prefixes again (a ``verified`` line)."""
    ws = module.workspace
    with audit_log(module.params.get('audit_log')) as audit:
        done = _storage_purge.delete(module, storage['blobs'], audit)
        try:
            left = _storage_purge.remaining(module, storage['account'], storage['runs'])
        except AzureMLError as exc:
            raise PurgeError(f'the storage deletes are done, listing the prefixes again failed: {exc}', changed=True, deleted=deleted,
                             results=results, storage_results=done) from None
        audit.write(audit_record(ws.id, _storage_purge.KIND, None, status=None, request_id=None, outcome='verified', remaining=len(left)))
    failed = [r for r in done if r['outcome'] == 'failed']
    outcome = dict(storage['section'], deleted=sum(1 + (r.get('snapshots') or 0) for r in done if r['outcome'] == 'deleted'),
                   absent=sum(1 for r in done if r['outcome'] == 'absent'), failed=len(failed), remaining=len(left),
                   remaining_ids=left[:1000], results=done)
    if failed or left:
        first = failed[0].get('error') if failed else f'{len(left)} blob(s) are still there: {", ".join(left[:10])}'
        raise PurgeError(f'storage of workspace {ws}: {len(failed)} blob delete(s) failed, {len(left)} blob(s) remain; the first: {first}',
                         changed=True, deleted=deleted, results=results, storage=outcome)
    return outcome


def _verify(module, settle=True):
    """After the deletions: list each kind again, append one ``verified`` line per kind to the audit log (with ``settle``,
    first settle what an interrupted run left pending)."""
    p, client, ws = module.params, module.client, module.workspace
    kinds = [k for k in DELETABLE_KINDS if k in p['kinds']]
    found = client.get_json('workspaces.get', what=f'get workspace {ws}', missing_ok=True)
    remaining, remaining_ids = {}, {}
    if found is None:
        remaining = {k: 0 for k in kinds}
        remaining_ids = {k: [] for k in kinds}
    else:
        subjects = p.get('subjects') or []
        listed = list_kinds(client, list(kinds) + (list(HOLDING_KINDS) if subjects else []), ws)
        # with subjects: what remains of the subjects' deletable objects (those another person's image or service holds
        # are kept on purpose and not counted)
        selected = subject_purge_selection(listed, kinds, subjects)['objects'] if subjects else None
        for k in kinds:
            ids = sorted({KINDS[k].object_id(o) for o in listed[k]})
            if selected is not None:
                ids = [i for i in ids if i in set(selected[k])]
            remaining[k], remaining_ids[k] = len(ids), ids
    lines = 0
    if not module.check_mode and p.get('audit_log'):
        with audit_log(p['audit_log']) as audit:
            if settle:
                settle_pending(module, audit)
            for k in kinds:
                audit.write(audit_record(ws.id, k, None, status=None, request_id=None, outcome='verified', remaining=remaining[k]))
            lines = audit.lines
    return {'changed': False, 'remaining': remaining, 'remaining_ids': remaining_ids, 'workspace_found': found is not None,
            'audit_lines': lines}


# -- workspace ------------------------------------------------------------------------------------------------------------------

WORKSPACE_POLL_INTERVAL = 10  # seconds between polls without Retry-After


def workspace_argument_spec():
    return {
        'state': {'type': 'str', 'required': True, 'choices': ['absent']},
        'workspace_name': {'type': 'str', 'required': True},
        'resource_group': {'type': 'str', 'required': True},
        'wait': {'type': 'bool', 'default': True},
        'wait_timeout': {'type': 'int', 'default': 1800},
        'permanently_delete': {'type': 'bool', 'default': False},
        'audit_log': {'type': 'path'},
    }


def run_workspace_delete(module):
    require_absolute(module, 'audit_log')
    if module.params['wait_timeout'] <= 0:
        module.fail(f"wait_timeout must be more than 0 seconds, got {module.params['wait_timeout']}", option='wait_timeout')
    module.run(guarded(_workspace_delete))


def _workspace_delete(module):
    p, client, ws = module.params, module.client, module.workspace
    permanent = p['permanently_delete']
    before = client.get_json('workspaces.get', what=f'get workspace {ws}', missing_ok=True)
    state_before = 'present' if before is not None else 'absent'
    gone_state = 'absent' if permanent else 'soft_deleted'
    workspace = before or {}

    def diff(before_state, after_state):
        return module.diff({'id': ws.id, 'state': before_state}, {'id': ws.id, 'state': after_state})

    if module.check_mode:
        if before is None:
            if permanent:
                module.warn(f'workspace {ws} is not visible: if it is soft-deleted, a real run purges it (DELETE with forceToPurge=true); '
                            'Azure tells a soft-deleted workspace from a purged one only in answer to that DELETE, which check mode '
                            'does not send')
            return dict(changed=False, workspace=workspace, **diff('absent', 'absent'))
        return dict(changed=True, workspace=workspace, **diff('present', gone_state))

    what = f'{"permanently " if permanent else ""}delete workspace {ws}'
    with audit_log(p.get('audit_log')) as audit:
        settle_pending(module, audit)
        cid = str(uuid.uuid4())
        audit.pending(audit_record(ws.id, 'workspace', ws.id, status=None, request_id=None, outcome='pending', client_request_id=cid))
        res = client.delete('workspaces.delete', what=what, query=PURGE_QUERY if permanent else None, absent=(204, 404),
                            client_request_id=cid)
        outcome, error = res.outcome, res.error
        try:
            if res.outcome == 'deleted' and res.status in (201, 202) and p['wait']:
                client.wait_lro(res.response, what=what, wait_timeout=p['wait_timeout'],
                                poll_interval=poll_interval(client, res.response, WORKSPACE_POLL_INTERVAL))
                still = client.get_json('workspaces.get', what=f'confirm the delete of workspace {ws}', missing_ok=True)
                if still is not None:
                    state = (still.get('properties') or {}).get('provisioningState')
                    raise AzureMLError(what, f'the delete operation succeeded but the workspace is still there (provisioningState {state})')
        except AzureMLError as exc:
            outcome, error = 'failed', str(exc)
            raise
        finally:
            audit.write(audit_record(ws.id, 'workspace', ws.id, status=res.status, request_id=res.request_id, outcome=outcome, error=error,
                                     client_request_id=cid))
    if res.outcome == 'failed':
        raise PurgeError(res.error, status=res.status, request_id=res.request_id, changed=False, workspace=workspace)
    changed = res.outcome == 'deleted'
    if not changed:
        return dict(changed=False, workspace=workspace, status=res.status, request_id=res.request_id, **diff('absent', 'absent'))
    if not p['wait']:
        module.warn(f'the delete of workspace {ws} was accepted (HTTP {res.status}) and not waited for (wait is false)')
    if not permanent:
        module.warn(f'workspace {ws} is soft-deleted: Azure keeps its data for the retention period; set permanently_delete '
                    'to purge it now (a GDPR erasure usually needs that)')
    return dict(changed=True, workspace=workspace, status=res.status, request_id=res.request_id,
                **diff(state_before if before is not None else 'soft_deleted', gone_state))
