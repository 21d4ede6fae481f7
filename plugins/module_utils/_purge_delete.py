# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The modules ``model``, ``asset``, ``image`` and ``service`` (``docs/purge.md``).

:func:`run_delete` is the whole of each: list, plan, validate (the same checks in check mode and in a
real run), then DELETE with the client's bounded concurrency, wait for the service operations that
answer 202, and report one result per object. ``purge_plan`` mode=apply runs :func:`delete_kinds` for each
kind once the kinds it must follow are deleted (``_purge_apply``).
"""

import uuid

from ansible_collections.gdpr.azureml.plugins.module_utils._audit import audit_log, audit_record
from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import DELETABLE_KINDS, KINDS
from ansible_collections.gdpr.azureml.plugins.module_utils._purge import (
    HOLDER_KINDS, PurgeError, blocking_holders, delete_params, describe_holders, holders_message, list_kinds,
    require_absolute, settle_pending, singular,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._routes import get_route

# model management: 204 "does not exist and the request was well formed"; ARM: 204 "did not exist" too
MMS_ABSENT = (204, 404)
SERVICE_POLL_INTERVAL = 5  # seconds between polls of a service delete operation without Retry-After
SERVICE_WAIT_TIMEOUT = 900  # seconds the service deletes of one run may take (service's wait_timeout, purge_plan mode=apply)
FIRST_POLL_INTERVAL = 1  # ...after a first poll this soon, the interval doubling up to SERVICE_POLL_INTERVAL
# A kind with at least this many long-running deletes in one run (thousands of jobs) is listed once when their first polls
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


def _existing(module, kind_names, mode, requested, listed=None):
    """``{kind: the ids (of the targets) that exist now}``: one GET for ``id``, else one listing of the kinds together
    (``listed``, when the caller listed them already)."""
    client, ws = module.client, module.workspace
    if mode == 'id':
        found = {}
        for kind_name in kind_names:
            kind, obj_id = KINDS[kind_name], requested[kind_name][0]
            got = client.get_json(kind.get_op, {'id': obj_id}, what=f'get {singular(kind_name)} {obj_id} in workspace {ws}', missing_ok=True)
            found[kind_name] = [obj_id] if got is not None else []
        return found
    listed = listed if listed is not None else list_kinds(client, kind_names, ws)
    existing = {}
    for kind_name in kind_names:
        ids = [KINDS[kind_name].object_id(obj) for obj in listed[kind_name]]
        present = set(ids)
        existing[kind_name] = sorted(present) if mode == 'all' else [i for i in requested[kind_name] if i in present]
    return existing


def delete_kind(module, kind_name, mode, requested, settle=True):
    """The deletes of one kind (a deleting module): :func:`delete_kinds`; a refusal or a failure raises :class:`PurgeError`."""
    result = delete_kinds(module, {kind_name: requested}, mode, settle=settle)[kind_name]
    if 'error' in result:
        raise PurgeError(result.pop('error'), **result)
    return result


def delete_kinds(module, requested, mode='ids', settle=True, listed=None):
    """Delete the objects ``requested`` (``{kind: ids}``, None with ``mode`` ``all``) of kinds that can go together (none
    must follow another): one listing of the kinds, the holder check of every kind, then the DELETEs of all of them
    with the client's bounded concurrency and one wait for the long-running ones (:func:`delete_objects`).

    Returns ``{kind: result}`` (``changed``, ``deleted``, ``results``, the diff); a kind whose objects something else
    holds, or whose deletes failed, has ``error`` (and ``holders``). A holder found before the deletes stops every
    kind's deletes: nothing is sent. The same validation in check mode and in a real run. ``listed``: the listing of the
    kinds (``{kind: objects}``) when the caller made it already (while earlier kinds were deleted); the holders are
    listed here all the same.
    """
    client, ws = module.client, module.workspace
    kind_names = list(requested)
    existing = _existing(module, kind_names, mode, requested, listed)
    held = [k for k in kind_names if k in HOLDER_KINDS and existing[k]]
    blocked = {}
    if held:
        listed = list_kinds(client, [h for k in held for h in HOLDER_KINDS[k]], ws)
        blocked = blocking_holders({k: existing[k] for k in held}, listed)
    if blocked:
        refused = {k: {'error': holders_message({k: blocked[k]}, ws), 'holders': blocked[k]} for k in blocked}
        return {k: dict(changed=False, deleted=[], results=[], **refused.get(k, {})) for k in kind_names}
    if module.check_mode:
        return {k: dict(changed=bool(existing[k]), deleted=sorted(existing[k]), results=[],
                        **module.diff({k: sorted(existing[k])}, {k: []})) for k in kind_names}
    targets = [(k, i) for k in kind_names for i in (existing[k] if mode == 'all' else requested[k])]
    with audit_log(module.params.get('audit_log')) as audit:
        if settle:
            settle_pending(module, audit)
        entries = delete_objects(module, targets, {(k, i) for k in kind_names for i in existing[k]}, audit)
    done = {}
    for kind_name in kind_names:
        results = [entry for (k, dummy), entry in zip(targets, entries) if k == kind_name]
        deleted = [r['id'] for r in results if r['outcome'] == 'deleted']
        failed = [r for r in results if r['outcome'] == 'failed']
        before = sorted(set(existing[kind_name]) | set(deleted))
        after = sorted(set(before) - set(deleted))
        result = done[kind_name] = dict(changed=bool(deleted), deleted=deleted, results=results,
                                        **module.diff({kind_name: before}, {kind_name: after}))
        if not failed:
            continue
        held = [r['id'] for r in failed if r.get('status') == 412]
        if held and kind_name in HOLDER_KINDS:
            try:
                blocked = blocking_holders({kind_name: held}, list_kinds(client, HOLDER_KINDS[kind_name], ws)).get(kind_name, {})
            except AzureMLError:  # what holds them stays unnamed; the deletes of every kind are reported all the same
                blocked = {}
            for r in failed:
                if r['id'] in blocked:
                    r['holders'] = blocked[r['id']]
            result['holders'] = blocked
        first = failed[0]
        result['error'] = (f'{len(failed)} of {len(results)} {kind_name} could not be deleted from workspace {ws} '
                           f'({len(deleted)} deleted); the first: {first.get("error")}'
                           + (f' (used by {describe_holders(first["holders"])})' if first.get('holders') else ''))
    return done


def delete_objects(module, targets, existed, audit):
    """DELETE each ``(kind, id)`` of ``targets`` (bounded concurrency), then wait for the operations answered 202; one result
    per target, in order.

    ``existed``: the ``(kind, id)`` a listing just saw; an ``absent`` answer to a DELETE that was retried is then
    counted as ``deleted`` (the first attempt deleted it). Before each DELETE a ``pending`` line with its
    ``client_request_id`` is on disk (an audit log that cannot be written stops here, before the DELETE:
    ``_audit.AuditError``); every result goes to ``audit`` once final, with the same ``client_request_id``.
    The accepted (202) deletes are waited for together, whatever their kind (``Client.wait_operations``), so that a slow
    operation never holds one of the ``concurrency`` request slots while it sleeps.
    """
    client, ws = module.client, module.workspace

    def record(kind_name, entry):
        audit.write(audit_record(ws.id, kind_name, entry['id'], status=entry['status'], request_id=entry['request_id'],
                                 outcome=entry['outcome'], error=entry.get('error'), client_request_id=entry['client_request_id'],
                                 confirmed_by=entry.get('confirmed_by')))

    def one(target):
        kind_name, obj_id = target
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
            res = client.delete(KINDS[kind_name].delete_op, params, what=what, absent=MMS_ABSENT, client_request_id=cid)
            entry = {'id': obj_id, 'status': res.status, 'request_id': res.request_id, 'outcome': res.outcome, 'client_request_id': cid}
            if res.error:
                entry['error'] = res.error
            if res.outcome == 'absent' and (res.attempts or 1) > 1 and target in existed:
                entry['outcome'] = 'deleted'
            if res.outcome == 'deleted' and res.status in (201, 202):
                return entry, (res.response, what, get_route(KINDS[kind_name].delete_op).family)
        except Exception as exc:  # one object's surprise must not hide the others' results
            entry = {'id': obj_id, 'status': None, 'request_id': None, 'outcome': 'failed', 'error': f'{what}: {type(exc).__name__}: {exc}',
                     'client_request_id': cid}
        record(kind_name, entry)
        return entry, None

    done = client.map_concurrent(one, targets)
    accepted = [(target[0], entry, op) for target, (entry, op) in zip(targets, done) if op is not None]
    if accepted:
        listed = _confirmed_by_listing(module, accepted, existed)
        for kind_name, entry in ((item[0], item[1]) for item in listed):
            entry['confirmed_by'] = 'listing'
            record(kind_name, entry)
        accepted = [a for a in accepted if 'confirmed_by' not in a[1]]
    if accepted:
        # long-running deletes (model management's services; ARM's jobs, endpoints, deployments, schedules, computes): one
        # deadline for all, each polled at the pace its Retry-After asks
        outcomes = client.wait_operations([op for dummy, dummy2, op in accepted], poll_interval=SERVICE_POLL_INTERVAL,
                                          wait_timeout=module.params.get('wait_timeout') or SERVICE_WAIT_TIMEOUT,
                                          first_poll=FIRST_POLL_INTERVAL)
        for (kind_name, entry), outcome in zip(((item[0], item[1]) for item in accepted), outcomes):
            if isinstance(outcome, Exception):
                entry['outcome'], entry['error'] = 'failed', str(outcome)
            record(kind_name, entry)
    return [entry for entry, dummy in done]


def _confirmed_by_listing(module, accepted, existed):
    """The accepted deletes (``(kind, entry, (response, what, family))``) of the kinds with :data:`CONFIRM_BY_LISTING` or
    more of them that one listing of those kinds, made once their first polls are due, no longer shows (only objects the
    listing before the DELETEs showed: ``existed``). A listing that fails settles nothing: every delete is polled."""
    client, ws = module.client, module.workspace
    by_kind = {}
    for item in accepted:
        if (item[0], item[1]['id']) in existed:
            by_kind.setdefault(item[0], []).append(item)
    many = [k for k in by_kind if len(by_kind[k]) >= CONFIRM_BY_LISTING and KINDS[k].list_op]
    if not many:
        return []
    client.sleep_until_pollable([item[2][0] for k in many for item in by_kind[k]], poll_interval=SERVICE_POLL_INTERVAL,
                                first_poll=FIRST_POLL_INTERVAL)
    try:
        listed = list_kinds(client, many, ws)
    except AzureMLError:
        return []
    gone = []
    for kind_name in many:
        present = {KINDS[kind_name].object_id(obj) for obj in listed[kind_name]}
        gone.extend(item for item in by_kind[kind_name] if item[1]['id'] not in present)
    return gone
