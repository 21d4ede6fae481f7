# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The storage part of a purge (``purge_plan``'s ``storage``): the blobs of the purged runs.

The purged runs are the runs of the export bundle (``runs.json``): a subject's runs (their ``createdBy``) when the purge
is limited to subjects, every run when the workspace goes. Nothing else is purged from storage: a purge of models alone
leaves the files where they are. For each purged run the blobs under ``ExperimentRun/<data container>/`` of the
``azureml`` container are listed now (snapshots included) and compared with the bundle's ``storage_blobs`` digests
(name, snapshot, etag, size): a blob the bundle does not hold, or holds with another etag or size, refuses the plan
(export again), as every other kind does. Only this workspace's run prefixes are ever touched; an account that other
workspaces of the subscription also use is named in the plan, and a purged run whose id one of them has too (a v2 job
name is its run id, chosen by the user, so the two runs share the prefix) is kept: its prefix is named in the plan
(``kept``) and neither deleted nor verified. When that check cannot be made, the storage part is refused.

The apply deletes each base blob with its snapshots (``delete_snapshots=include``), a snapshot without its base blob on
its own; a ``pending`` audit line is on disk before each DELETE and settled after; then the prefixes are listed again
(``verified`` line with what remains). The service's delete retention policy is read and the plan says until when the
deleted blobs stay recoverable.
"""

import datetime
import os
import re
import uuid

from ansible_collections.gdpr.azureml.plugins.module_utils import _bundle
from ansible_collections.gdpr.azureml.plugins.module_utils._audit import audit_record
from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._digests import Comparison
from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import TIME_FORMAT
from ansible_collections.gdpr.azureml.plugins.module_utils._storage import ARTIFACT_CONTAINER, account_from_id, run_blob_prefix
from ansible_collections.gdpr.azureml.plugins.module_utils._storage_export import blob_id, listed_entry, run_ref
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import created_by_subjects

KIND = _bundle.STORAGE_BLOBS
WORKSPACE_ID = re.compile(r'^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.MachineLearningServices/workspaces/'
                          r'([^/]+)/?$', re.IGNORECASE)
EXAMPLES = 10
GAPS = ('file shares (Azure Files) are not read: the notebooks and files under Users/<name>/ of the workspace file share '
        'stay; delete them with the file share tools (az storage file, Storage Explorer)',
        "datastores other than the workspace's run files (workspaceblobstore uploads, registered data) are not purged by run",
        'blob versions are not read: on an account with blob versioning on, a deleted blob stays as a previous version; '
        'delete those versions with the storage tools (or turn versioning off) before answering the request')


class StoragePurgeError(GdprAzureMLError):
    """The storage part cannot be planned or applied (what was being done, what is wrong)."""


def purged_runs(export_dir, subjects=None):
    """``[(run id, data container)]`` of the runs in the bundle's ``runs.json`` (those the ``subjects`` created)."""
    path = os.path.join(export_dir, 'runs.json')
    if not os.path.isfile(path):
        raise StoragePurgeError(f'the export bundle at {export_dir} has no runs.json: the runs whose files to purge are unknown')
    runs = [run for run in _bundle.iter_objects(path) if run_ref(run)]
    if subjects:
        wanted = set(created_by_subjects('runs', runs, subjects))
        runs = [run for run in runs if str(run['runId']) in wanted]
    return sorted({run_ref(run) for run in runs})


def workspace_account(workspace_object):
    props = (workspace_object or {}).get('properties') or {}
    try:
        return account_from_id(props.get('storageAccount'))
    except ValueError:
        raise StoragePurgeError(f"the workspace names no storage account (properties.storageAccount is {props.get('storageAccount')!r})") \
            from None


def list_run_blobs(module, account, runs):
    """Every blob (snapshots included) under the prefixes of ``runs``, listed now, ``client.concurrency`` prefixes at a time."""
    storage = module.storage

    def one(ref):
        return list(storage.iter_blobs(account, ARTIFACT_CONTAINER, run_blob_prefix({'runId': ref[0], 'dataContainerId': ref[1]})))

    return [blob for blobs in module.client.map_concurrent(one, runs) for blob in blobs]


def shared_with(module, workspace_object):
    """``([(name, ARM id)] of the other workspaces of the subscription on the same storage account, None)`` or ``([], why
    not known)``."""
    mine = str(((workspace_object or {}).get('properties') or {}).get('storageAccount') or '').lower()
    own_id = str((workspace_object or {}).get('id') or module.workspace.id).lower()
    try:
        others = []
        for ws in module.client.iter_items('workspaces.list_subscription',
                                           what=f'list the workspaces of subscription {module.workspace.subscription_id} '
                                                '(which others use the same storage account)'):
            props = ws.get('properties') or {} if isinstance(ws, dict) else {}
            if str(props.get('storageAccount') or '').lower() == mine and str(ws.get('id') or '').lower() != own_id:
                others.append((str(ws.get('name') or ws.get('id')), str(ws.get('id') or '')))
        return sorted(others), None
    except AzureMLError as exc:
        return [], str(exc)


def runs_held_elsewhere(module, account, runs, others):
    """``{run id: [names of the workspaces in others that have a run of that id]}``: those runs' prefixes may hold the
    other workspace's files (a v2 job name is the run id, and the user chooses it). One ``runs.get_by_id`` per run and
    other workspace, ``client.concurrency`` at a time; StoragePurgeError when one of them cannot be made."""
    pairs = [(run_id, name, arm_id) for run_id, dummy in runs for name, arm_id in others]

    def one(pair):
        run_id, name, arm_id = pair
        found = WORKSPACE_ID.match(arm_id)
        if not found:
            raise StoragePurgeError(f'workspace {name}, which uses storage account {account} too, has no usable ARM id ({arm_id!r}): '
                                    'whether it has runs of the same ids cannot be checked')
        sub, rg, ws_name = found.groups()
        params = {'subscription_id': sub, 'resource_group': rg, 'workspace_name': ws_name, 'run_id': run_id}
        return module.client.get_json('runs.get_by_id', params, missing_ok=True,
                                      what=f'get run {run_id} in workspace {rg}/{ws_name} (which uses storage account {account} too)') \
            is not None

    try:
        held = module.client.map_concurrent(one, pairs)
    except AzureMLError as exc:
        raise StoragePurgeError(f'whether the workspaces that use storage account {account} too have runs of the same ids could not '
                                f'be checked ({exc}): the files under such a run prefix may be theirs, so no file is deleted') from None
    found = {}
    for pair, hit in zip(pairs, held):
        if hit:
            found.setdefault(pair[0], []).append(pair[1])
    return found


def retention_of(module, account, now=None):
    """The delete retention policy as the plan says it: ``enabled``, ``days``, ``recoverable_until`` (a deletion now), ``error``."""
    policy = module.storage.delete_retention(account)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    until = None
    if policy.enabled and policy.days:
        until = (now + datetime.timedelta(days=int(policy.days))).strftime(TIME_FORMAT)
    return {'enabled': policy.enabled, 'days': policy.days, 'recoverable_until': until, 'error': policy.error}


def retention_text(retention):
    if retention.get('enabled') is None:
        return f"the delete retention policy could not be read ({retention.get('error')}): deleted blobs may stay recoverable"
    if retention.get('enabled'):
        return (f"the account keeps deleted blobs for {retention['days']} day(s) (delete retention policy): those deleted now stay "
                f"recoverable until {retention['recoverable_until']}")
    return 'the account has no delete retention policy: deleted blobs are not recoverable'


def _ids_text(ids):
    ids = sorted(ids)
    return ', '.join(ids[:EXAMPLES]) + (f' (and {len(ids) - EXAMPLES} more)' if len(ids) > EXAMPLES else '')


def select(module, workspace_object, export_dir, subjects, exported):
    """The storage part of a plan: ``(section, refusals, blobs)``; ``exported`` is the bundle's ``{kind: {id: digest}}``
    (None: the bundle could not be trusted, which the caller already refuses)."""
    refusals = []
    if exported is not None and KIND not in exported:
        refusals.append(f'export bundle: kind storage_blobs not in the export bundle at {export_dir}: the files of the runs '
                        'were not exported (export with export_workspace_data_storage: true, then plan again)')
    account = workspace_account(workspace_object)
    runs = purged_runs(export_dir, subjects)
    others, unknown = shared_with(module, workspace_object)
    elsewhere = runs_held_elsewhere(module, account, runs, others) if others and runs else {}
    kept = [{'run_id': run_id, 'prefix': run_blob_prefix({'runId': run_id, 'dataContainerId': container}),
             'shared_with': elsewhere[run_id],
             'why': f"workspace(s) {', '.join(elsewhere[run_id])} on the same storage account have a run {run_id} too: the files "
                    'under its prefix may be theirs; not deleted (delete them with the storage tools once you know whose they are)'}
            for run_id, container in runs if run_id in elsewhere]
    runs = [ref for ref in runs if ref[0] not in elsewhere]
    blobs = list_run_blobs(module, account, runs) if runs else []
    comparison = Comparison(exported if exported is not None and KIND in exported else None)
    for blob in blobs:
        comparison.add(KIND, listed_entry(blob))
    new, changed = comparison.new.get(KIND) or [], comparison.changed.get(KIND) or []
    if new:
        refusals.append(f'{len(new)} storage blob(s) of the purged runs are not in the export bundle at {export_dir} (written after '
                        f'the export?): {_ids_text(new)}. Files are never deleted unexported: export again, then plan again')
    if changed:
        refusals.append(f'{len(changed)} storage blob(s) of the purged runs changed since the export (another etag or size): '
                        f'{_ids_text(changed)}. Files are never deleted unexported: export again, then plan again')
    section = {
        'account': account, 'container': ARTIFACT_CONTAINER, 'runs': len(runs),
        'prefixes': [run_blob_prefix({'runId': r, 'dataContainerId': c}) for r, c in runs][:EXAMPLES],
        'blobs': sum(1 for b in blobs if not b.snapshot), 'snapshots': sum(1 for b in blobs if b.snapshot),
        'bytes': sum(b.size or 0 for b in blobs), 'retention': retention_of(module, account),
        'shared_with': [name for name, dummy in others], 'shared_unknown': unknown, 'kept': kept, 'gaps': list(GAPS),
    }
    limit = module.params['max_deletions']
    if len(blobs) > limit:  # the plan and the apply select through here: one limit for both
        refusals.append(f'storage: the plan deletes {len(blobs)} blobs and snapshots of the purged runs, more than max_deletions '
                        f'(purge_workspace_max_deletions) {limit}')
    return section, refusals, blobs


def plan_lines(section):
    lines = [f"  storage: {section['blobs']} blob(s) and {section['snapshots']} snapshot(s), {section['bytes']} bytes, of "
             f"{section['runs']} run(s) in {section['account']}/{section['container']} (ExperimentRun/<data container>/ of each run)",
             f'    {retention_text(section["retention"])}']
    if section['shared_with']:
        lines.append(f"    the storage account is shared with workspace(s) {', '.join(section['shared_with'])}: only the prefixes "
                     'of this workspace\'s runs are touched')
    elif section.get('shared_unknown'):
        lines.append(f"    whether other workspaces use the storage account is unknown ({section['shared_unknown']}); only the "
                     "prefixes of this workspace's runs are touched")
    kept = section.get('kept') or []
    lines.extend(f"    kept: {k['prefix']} ({k['why']})" for k in kept[:EXAMPLES])
    if len(kept) > EXAMPLES:
        lines.append(f'    kept: {len(kept) - EXAMPLES} more run prefix(es) whose run id another workspace of the account has too')
    lines.extend(f'    not covered: {gap}' for gap in section['gaps'])
    return lines


def delete(module, blobs, audit):
    """Delete ``blobs`` (a base blob with its snapshots, a snapshot without its base on its own), at most
    ``concurrency`` at a time, each with its ``pending`` then settled audit line; one result per DELETE, in order."""
    storage, ws = module.storage, module.workspace
    bases = {(b.account, b.container, b.name) for b in blobs if not b.snapshot}
    targets = [b for b in blobs if not b.snapshot or (b.account, b.container, b.name) not in bases]
    snapshots = {}
    for b in blobs:
        if b.snapshot and (b.account, b.container, b.name) in bases:
            snapshots[(b.account, b.container, b.name)] = snapshots.get((b.account, b.container, b.name), 0) + 1

    def one(blob):
        obj_id = blob_id(blob.account, blob.container, blob.name, blob.snapshot)
        cid = str(uuid.uuid4())
        with_snapshots = snapshots.get((blob.account, blob.container, blob.name), 0) if not blob.snapshot else None
        audit.pending(audit_record(ws.id, KIND, obj_id, status=None, request_id=None, outcome='pending', client_request_id=cid,
                                   snapshots=with_snapshots))
        try:
            res = storage.delete(blob.account, blob.container, blob.name, snapshot=blob.snapshot, etag=blob.etag)
            entry = {'id': obj_id, 'status': res.status, 'request_id': res.request_id, 'outcome': res.outcome,
                     'client_request_id': cid, 'snapshots': with_snapshots}
            if res.error:
                entry['error'] = res.error
        except Exception as exc:  # one blob's surprise must not hide the others' results
            entry = {'id': obj_id, 'status': None, 'request_id': None, 'outcome': 'failed', 'client_request_id': cid,
                     'error': storage.redact(f'delete blob {obj_id}: {type(exc).__name__}: {exc}'), 'snapshots': with_snapshots}
        audit.write(audit_record(ws.id, KIND, obj_id, status=entry['status'], request_id=entry['request_id'], outcome=entry['outcome'],
                                 error=entry.get('error'), client_request_id=cid, snapshots=with_snapshots))
        return {k: v for k, v in entry.items() if v is not None}

    return module.client.map_concurrent(one, targets)


def remaining(module, account, runs):
    """The ids of the blobs still under the prefixes of ``runs`` (listed again)."""
    return sorted(blob_id(b.account, b.container, b.name, b.snapshot) for b in list_run_blobs(module, account, runs))


def present_ids(module, workspace_object):
    """Every blob id under ``ExperimentRun/`` of the workspace's account (to settle what an interrupted purge left pending)."""
    account = workspace_account(workspace_object)
    return {blob_id(b.account, b.container, b.name, b.snapshot)
            for b in module.storage.iter_blobs(account, ARTIFACT_CONTAINER, 'ExperimentRun/')}
