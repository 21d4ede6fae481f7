# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""``purge_plan`` mode=apply (the reviewed plan's deletes, each kind once what it must follow is deleted) and mode=verify
(list again)."""

import os
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from ansible_collections.gdpr.azureml.plugins.module_utils._audit import AuditError, audit_log, audit_record
from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._coverage import check_bundle
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import DELETABLE_KINDS, DELETE_AFTER, HOLDING_KINDS, KINDS, SAME_AS
from ansible_collections.gdpr.azureml.plugins.module_utils._purge import (
    PurgeError, blocking_holders, holders_message, list_kinds, list_objects, once_each, settle_pending, with_holders,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._purge_delete import kind_deletes
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import subject_purge_selection
from ansible_collections.gdpr.azureml.plugins.module_utils import _storage_purge


def apply(module):
    """Delete the ids of ``objects`` in the order Azure needs, then list each kind again (:func:`verify`).

    A kind starts once the kinds it must follow are deleted (``_kinds.DELETE_AFTER``: its holders, the versions of a
    container, the jobs of an experiment, the schedules that create jobs, what may use its objects), checked for holders
    as its deleting module checks them, deleted with the client's bounded concurrency (one audit line per object), its
    long-running deletes waited for (:func:`_delete_in_order`). One module run for the whole purge of a workspace,
    whatever the number of kinds. A kind that fails stops the start of every kind not started yet (a model whose image
    could not be deleted would be refused anyway); the failure keeps what was deleted (``deleted`` per kind, ``results``),
    the kinds that were running then included.
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
    outcomes, failures = _delete_in_order(module, kinds, objects)
    for kind_name in kinds:  # in delete order, whatever the order the kinds ended in
        done = outcomes.get(kind_name)
        if done is None:
            continue
        deleted[kind_name] = done['deleted']
        results.extend(dict(r, kind=kind_name) for r in done['results'])
        if 'diff' in done:
            before.update(done['diff']['before'])
            after.update(done['diff']['after'])
    if failures:  # a kind's listing or deletes failed, or its holder check refused them: no kind that must follow it started
        kind_name, exc = failures[0]
        also = f' (also failed: {", ".join(k for k, dummy in failures[1:])})' if failures[1:] else ''
        if isinstance(exc, dict):
            extra, text = ({'holders': exc['holders']} if 'holders' in exc else {}), exc['error']
        else:
            extra, text = (exc.to_result() if isinstance(exc, AzureMLError) else {}), str(exc)
        raise PurgeError(f'{kind_name}: {text}{also}', changed=any(deleted.values()), deleted=deleted, results=results,
                         failed_kind=kind_name, **extra)
    storage_result, storage_failure = None, None
    if storage is not None:
        try:
            storage_result = _apply_storage(module, storage, deleted, results)
        except (PurgeError, AzureMLError, AuditError) as exc:  # the API kinds are verified all the same, then this is raised
            storage_failure = exc if isinstance(exc, PurgeError) else PurgeError(
                f'storage of workspace {ws}: {exc}', changed=any(deleted.values()), deleted=deleted, results=results,
                **(exc.to_result() if isinstance(exc, AzureMLError) else {}))
    try:
        verified = verify(module, settle=False)
    except AzureMLError as exc:
        if storage_failure is not None:  # the storage failure first, then what the verification met
            raise PurgeError(f'{storage_failure}; then listing each kind again failed too: {exc}',
                             **dict(storage_failure.result, verify_error=str(exc))) from None
        raise PurgeError(f'the deletes are done, listing each kind again failed: {exc}', changed=any(deleted.values()), deleted=deleted,
                         results=results, **exc.to_result()) from None
    if storage_failure is not None:
        left = {k: n for k, n in verified['remaining'].items() if n}
        listed = ', '.join(f'{n} {k}' for k, n in left.items()) + ' remain' if left else 'none of their objects remains'
        checked = {k: verified[k] for k in ('remaining', 'remaining_ids', 'workspace_found', 'audit_lines')}
        raise PurgeError(f'{storage_failure}; the API kinds were listed again: {listed}', **dict(storage_failure.result, **checked)) from None
    result = dict(verified, changed=any(deleted.values()) or bool(storage_result and storage_result['deleted']), deleted=deleted,
                  results=results)
    if storage_result is not None:
        result['storage'] = storage_result
    if module.diff_mode:
        result['diff'] = {'before': before, 'after': after}
    return result


def _delete_in_order(module, kinds, objects):
    """Delete the ``objects`` of ``kinds``, each kind as soon as the kinds it must follow (``_kinds.DELETE_AFTER``) among
    them are deleted: ``({kind: its kind_deletes result}, [(kind, what failed), ...])``, the failures in delete order.

    Every kind is listed at once, concurrently, while the first kinds are deleted: no delete takes an object of a kind that
    must follow it (a kind whose deletes take other objects, an endpoint its deployments, comes after them), and each
    kind checks its holders again when it starts. A kind that fails (its listing, a holder refusal, a delete) stops the
    start of every kind not started yet; the kinds already running end. The client keeps every request within its
    ``concurrency``, whatever the number of kinds running.
    """
    client, ws = module.client, module.workspace
    selected = [k for k in kinds if objects[k]]
    waits = {k: [p for p in DELETE_AFTER[k] if p in selected] for k in selected}
    outcomes, failures, done = {}, [], set()
    if not selected:
        return outcomes, failures
    with ThreadPoolExecutor(max_workers=len(selected)) as listers, ThreadPoolExecutor(max_workers=len(selected)) as deleters:
        listings = dict((k, listers.submit(list_objects, client, k, ws)) for k in selected)

        def delete(kind_name):
            return kind_deletes(module, kind_name, 'ids', objects[kind_name], settle=False, listed=listings[kind_name].result())

        todo, running = list(selected), {}
        while todo or running:
            if not failures:
                for kind_name in [k for k in todo if all(p in done for p in waits[k])]:
                    todo.remove(kind_name)
                    running[deleters.submit(delete, kind_name)] = kind_name
            if not running:
                break
            ended, dummy = wait(list(running), return_when=FIRST_COMPLETED)
            for future in sorted(ended, key=lambda f: selected.index(running[f])):
                kind_name = running.pop(future)
                try:
                    outcomes[kind_name] = future.result()
                except (AzureMLError, AuditError) as exc:  # its listing failed, or the audit log cannot be written
                    failures.append((kind_name, exc))
                    continue
                if 'error' in outcomes[kind_name]:
                    failures.append((kind_name, outcomes[kind_name]))
                else:
                    done.add(kind_name)
        for future in listings.values():  # the listings of kinds that will not start now
            future.cancel()
    failures.sort(key=lambda failure: selected.index(failure[0]))
    return outcomes, failures


def _apply_storage_selection(module):
    """``mode=apply`` with ``storage``, before any DELETE: the bundle checked again, the blobs of the purged runs and of the
    data and model versions among ``objects`` listed and compared with it (a refusal raises, nothing deleted).
    ``{'section', 'blobs', 'runs', 'account', 'others'}`` (``others``: the blobs outside the purged runs' prefixes)."""
    p, ws = module.params, module.workspace
    objects = {k: v for k, v in (p['objects'] or {}).items() if k in p['kinds']}
    export_dir = os.path.abspath(p['export_dir'])
    versions = _storage_purge.deleted_versions(objects, export_dir)
    if not _storage_purge.purges_runs(module, p.get('subjects')) and not versions:
        return None
    found = module.client.get_json('workspaces.get', what=f'get workspace {ws}', missing_ok=True)
    if found is None:
        return None
    problems, exported = check_bundle(export_dir, found.get('id') or ws.id,
                                      ['runs', _storage_purge.KIND] + sorted({kind_name for kind_name, dummy in versions}))
    try:
        section, refusals, blobs = _storage_purge.select(module, found, export_dir, p.get('subjects'), exported, objects=objects)
    except _storage_purge.StoragePurgeError as exc:
        problems.append(f'storage: {exc}')
        section, refusals, blobs = None, [], []
    problems.extend(refusals)
    if problems:
        raise PurgeError(f'purge of the storage of workspace {ws} refused, nothing deleted: ' + ' | '.join(problems), changed=False,
                         deleted={}, results=[], refusals=problems)
    kept = {k['run_id'] for k in section.get('kept') or []}  # another workspace of the account has a run of that id
    runs = [ref for ref in _storage_purge.purged_runs(export_dir, p.get('subjects')) if ref[0] not in kept] \
        if _storage_purge.purges_runs(module, p.get('subjects')) else []
    prefixes = [_storage_purge.run_blob_prefix({'runId': r, 'dataContainerId': c}) for r, c in runs]
    others = [b for b in blobs if not (b.account == section['account'] and b.container == _storage_purge.ARTIFACT_CONTAINER
                                       and any(b.name.startswith(x) for x in prefixes))]  # files of versions only
    return {'section': section, 'blobs': blobs, 'runs': runs, 'account': section['account'], 'others': others}


def _apply_storage(module, storage, deleted, results):
    """Delete the selected blobs (audit lines pending then settled), list the prefixes again (a ``verified`` line)."""
    ws = module.workspace
    with audit_log(module.params.get('audit_log')) as audit:
        done = _storage_purge.delete(module, storage['blobs'], audit)
        try:
            left = _storage_purge.remaining(module, storage['account'], storage['runs'], storage.get('others') or ())
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


def verify(module, settle=True):
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
        listed = list_kinds(client, list(kinds) + (list(HOLDING_KINDS) + [SAME_AS[k] for k in kinds if k in SAME_AS] if subjects else []),
                            ws)
        # with subjects: what remains of the subjects' deletable objects (those another person's image or service holds
        # are kept on purpose and not counted)
        selected = subject_purge_selection(listed, kinds, subjects, p.get('subject_match') or 'precise')['objects'] if subjects else None
        if selected is not None:  # as the plan counts them: a kept model is not a remaining model version
            selected, dummy = once_each(selected, listed, kinds, by_subject=True)
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
