# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The modules ``model``, ``asset``, ``image`` and ``service`` (``docs/purge.md``).

:func:`run_delete` is the whole of each: list, plan, validate (the same checks in check mode and in a
real run), then DELETE with the client's bounded concurrency, wait for the service operations that
answer 202, and report one result per object. ``purge_plan`` mode=apply runs :func:`delete_kind` kind
after kind.
"""

import uuid

from ansible_collections.gdpr.azureml.plugins.module_utils._audit import audit_log, audit_record
from ansible_collections.gdpr.azureml.plugins.module_utils._client import LRO_FAILED, LRO_SUCCEEDED, AzureMLError, LroTimeoutError, request_id_of
from ansible_collections.gdpr.azureml.plugins.module_utils._clouds import MODEL_MANAGEMENT
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import DELETABLE_KINDS, KINDS
from ansible_collections.gdpr.azureml.plugins.module_utils._purge import (
    HOLDER_KINDS, PurgeError, blocking_holders, describe_holders, guarded, holders_message, list_kinds, list_objects, require_absolute,
    settle_pending, singular,
)

MMS_ABSENT = (204, 404)  # model management: 204 "does not exist and the request was well formed"
SERVICE_POLL_INTERVAL = 5  # seconds between polls of a service delete operation without Retry-After
SERVICE_WAIT_TIMEOUT = 900  # seconds the service deletes of one run may take (service's wait_timeout, purge_plan mode=apply)
FIRST_POLL_INTERVAL = 1  # ...after a first poll this soon, the interval doubling up to SERVICE_POLL_INTERVAL


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
    module.run(guarded(lambda m: delete_kind(m, kind_name, mode, requested)))


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


def delete_kind(module, kind_name, mode, requested, settle=True):
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
