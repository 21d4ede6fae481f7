# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The modules ``model``, ``asset``, ``image`` and ``service`` (``docs/purge.md``).

:func:`run_delete` is the whole of each: list, plan, validate (the same checks in check mode and in a
real run), then DELETE with the client's bounded concurrency, wait for the service operations that
answer 202, and report one result per object. ``purge_plan`` mode=apply runs :func:`kind_deletes` for each
kind once the kinds it must follow are deleted (``_purge_apply``).
"""

import uuid

from ansible_collections.gdpr.azureml.plugins.module_utils._audit import audit_log, audit_record
from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import DELETABLE_KINDS, KINDS
from ansible_collections.gdpr.azureml.plugins.module_utils._purge import (
    HOLDER_KINDS, PurgeError, blocking_holders, delete_params, describe_holders, holders_message, list_kinds, list_objects,
    require_absolute, settle_pending, singular,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._routes import get_route

# model management: 204 "does not exist and the request was well formed"; ARM: 204 "did not exist" too
MMS_ABSENT = (204, 404)
SERVICE_POLL_INTERVAL = 5  # seconds between polls of a service delete operation without Retry-After
SERVICE_WAIT_TIMEOUT = 900  # seconds the service deletes of one run may take (service's wait_timeout, purge_plan mode=apply)
FIRST_POLL_INTERVAL = 1  # ...after a first poll this soon, the interval doubling up to SERVICE_POLL_INTERVAL
# A kind with at least this many long-running deletes (thousands of jobs) is listed once when their first polls
# are due: a listing that no longer shows an object it showed before the DELETE settles that delete (a page per 20-100
# objects instead of a poll per object, far from ARM's read limits); the others are polled as usual.
CONFIRM_BY_LISTING = 100


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
    module.run(lambda m: delete_kind(m, kind_name, mode, requested))


def _existing(module, kind_name, mode, requested, listed=None):
    """The ids (of the targets) that exist now: one GET for ``id``, else a listing of the kind (``listed``, its objects,
    when the caller listed it already)."""
    kind, client, ws = KINDS[kind_name], module.client, module.workspace
    if mode == 'id':
        found = client.get_json(kind.get_op, {'id': requested[0]}, what=f'get {singular(kind_name)} {requested[0]} in workspace {ws}',
                                missing_ok=True)
        return [requested[0]] if found is not None else []
    present = {kind.object_id(obj) for obj in (listed if listed is not None else list_objects(client, kind_name, ws))}
    if mode == 'all':
        return sorted(present)
    return [i for i in requested if i in present]


def delete_kind(module, kind_name, mode, requested, settle=True):
    """The deletes of one kind (a deleting module): :func:`kind_deletes`; a refusal or a failure raises :class:`PurgeError`."""
    result = kind_deletes(module, kind_name, mode, requested, settle=settle)
    if 'error' in result:
        raise PurgeError(result.pop('error'), **result)
    return result


def kind_deletes(module, kind_name, mode, requested, *, settle=True, listed=None):
    """Delete the objects ``requested`` (ids; None with ``mode`` ``all``) of ``kind_name``: its listing, the holder check,
    then the DELETEs with the client's bounded concurrency and one wait for the long-running ones
    (:func:`delete_objects`). The same validation in check mode and in a real run.

    Returns the result (``changed``, ``deleted``, ``results``, the diff), with ``error`` (and ``holders``) when something
    else holds its objects (nothing is sent) or its deletes failed. ``listed``: the kind's objects when the caller listed
    them already (``purge_plan`` mode=apply lists every kind at its start); the holders are listed here all the same.
    """
    client, ws = module.client, module.workspace
    existing = _existing(module, kind_name, mode, requested, listed)
    blocked = {}
    if kind_name in HOLDER_KINDS and existing:
        listed_holders = list_kinds(client, HOLDER_KINDS[kind_name], ws)
        blocked = blocking_holders({kind_name: existing}, listed_holders).get(kind_name, {})
    if blocked:
        return dict(error=holders_message({kind_name: blocked}, ws), holders=blocked, changed=False, deleted=[], results=[])
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
            try:
                blocked = blocking_holders({kind_name: held}, list_kinds(client, HOLDER_KINDS[kind_name], ws)).get(kind_name, {})
            except AzureMLError:  # what holds them stays unnamed; the deletes are reported all the same
                blocked = {}
            for r in failed:
                if r['id'] in blocked:
                    r['holders'] = blocked[r['id']]
            result['holders'] = blocked
        first = failed[0]
        result['error'] = (f'{len(failed)} of {len(results)} {kind_name} could not be deleted from workspace {ws} '
                           f'({len(deleted)} deleted); the first: {first.get("error")}'
                           + (f' (used by {describe_holders(first["holders"])})' if first.get('holders') else ''))
    return result


def delete_objects(module, kind_name, ids, existed, audit):
    """DELETE each id (bounded concurrency), then wait for the operations answered 202; one result per id, in order.

    ``existed``: ids a listing just saw; an ``absent`` answer to a DELETE that was retried is then
    counted as ``deleted`` (the first attempt deleted it). Before each DELETE a ``pending`` line with its
    ``client_request_id`` is on disk (an audit log that cannot be written stops here, before the DELETE:
    ``_audit.AuditError``); every result goes to ``audit`` once final, with the same ``client_request_id``.
    The accepted (202) deletes are waited for together (``Client.wait_operations``), so that a slow
    operation never holds one of the ``concurrency`` request slots while it sleeps; with :data:`CONFIRM_BY_LISTING` or
    more of them, a listing settles first what it no longer shows (:func:`_confirmed_by_listing`).
    """
    kind, client, ws = KINDS[kind_name], module.client, module.workspace

    def record(entry):
        audit.write(audit_record(ws.id, kind_name, entry['id'], status=entry['status'], request_id=entry['request_id'],
                                 outcome=entry['outcome'], error=entry.get('error'), client_request_id=entry['client_request_id'],
                                 confirmed_by=entry.get('confirmed_by')))

    def one(obj_id):
        what = f'delete {singular(kind_name)} {obj_id} in workspace {ws}'
        cid = str(uuid.uuid4())
        try:
            params = delete_params(kind_name, obj_id, ws)
        except PurgeError as exc:  # never sent: no audit line
            entry = {'id': obj_id, 'status': None, 'request_id': None, 'outcome': 'failed', 'error': f'{what}: {exc}',
                     'client_request_id': cid}
            return entry, None
        audit.pending(audit_record(ws.id, kind_name, obj_id, status=None, request_id=None, outcome='pending', client_request_id=cid))
        try:
            res = client.delete(kind.delete_op, params, what=what, absent=MMS_ABSENT, client_request_id=cid)
            entry = {'id': obj_id, 'status': res.status, 'request_id': res.request_id, 'outcome': res.outcome, 'client_request_id': cid}
            if res.error:
                entry['error'] = res.error
            if res.outcome == 'absent' and (res.attempts or 1) > 1 and obj_id in existed:
                entry['outcome'] = 'deleted'
            if res.outcome == 'deleted' and res.status in (201, 202):
                return entry, (res.response, what)
        except Exception as exc:  # one object's surprise must not hide the others' results
            entry = {'id': obj_id, 'status': None, 'request_id': None, 'outcome': 'failed', 'error': f'{what}: {type(exc).__name__}: {exc}',
                     'client_request_id': cid}
        record(entry)
        return entry, None

    done = client.map_concurrent(one, ids)
    accepted = [(entry, op) for entry, op in done if op is not None]
    for entry in _confirmed_by_listing(module, kind_name, accepted, existed):
        entry['confirmed_by'] = 'listing'
        record(entry)
    accepted = [(entry, op) for entry, op in accepted if 'confirmed_by' not in entry]
    if accepted:
        # long-running deletes (model management's services; ARM's jobs, endpoints, deployments, schedules, computes): one
        # deadline for all, each polled at the pace its Retry-After asks
        outcomes = client.wait_operations([op for dummy, op in accepted], family=get_route(kind.delete_op).family,
                                          poll_interval=SERVICE_POLL_INTERVAL,
                                          wait_timeout=module.params.get('wait_timeout') or SERVICE_WAIT_TIMEOUT,
                                          first_poll=FIRST_POLL_INTERVAL)
        for entry, outcome in zip([entry for entry, dummy in accepted], outcomes):
            if isinstance(outcome, Exception):
                entry['outcome'], entry['error'] = 'failed', str(outcome)
            record(entry)
    return [entry for entry, dummy in done]


def _confirmed_by_listing(module, kind_name, accepted, existed):
    """The entries of the accepted deletes (``(entry, (response, what))``), when there are :data:`CONFIRM_BY_LISTING` or
    more, whose objects one listing of the kind, made once their first polls are due, no longer shows (only objects the
    listing before the DELETEs showed: ``existed``). A listing that fails settles nothing: every delete is polled."""
    client, ws = module.client, module.workspace
    known = [(entry, op) for entry, op in accepted if entry['id'] in existed]
    if len(known) < CONFIRM_BY_LISTING or not KINDS[kind_name].list_op:
        return []
    client.sleep_until_pollable([op[0] for dummy, op in known], poll_interval=SERVICE_POLL_INTERVAL, first_poll=FIRST_POLL_INTERVAL)
    try:
        present = {KINDS[kind_name].object_id(obj) for obj in list_objects(client, kind_name, ws)}
    except AzureMLError:
        return []
    return [entry for entry, dummy in known if entry['id'] not in present]
