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
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KINDS, SAME_AS, other_view
from ansible_collections.gdpr.azureml.plugins.module_utils._storage import ARTIFACT_CONTAINER, account_from_id, run_blob_prefix
from ansible_collections.gdpr.azureml.plugins.module_utils._storage_export import blob_id, listed_entry, run_ref
from ansible_collections.gdpr.azureml.plugins.module_utils._storage_uris import URI_FIELDS, covers, describe, version_targets
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import created_by_subjects

KIND = _bundle.STORAGE_BLOBS
VERSION_KINDS = tuple(URI_FIELDS)  # data_versions, model_versions: their URIs name files
WORKSPACE_ID = re.compile(r'^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.MachineLearningServices/workspaces/'
                          r'([^/]+)/?$', re.IGNORECASE)
EXAMPLES = 10
GAPS = ('file shares (Azure Files) are not read: the notebooks and files under Users/<name>/ of the workspace file share '
        'stay; delete them with the file share tools (az storage file, Storage Explorer)',
        "datastores other than the workspace's run files and the files of the data and model versions being deleted "
        '(workspaceblobstore uploads of nothing deleted, registered data) are not purged',
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


def purges_runs(module, subjects):
    """True when the purge takes runs (a workspace delete, or a purge by subject): their files go with them."""
    return bool(module.params.get('delete_workspace') or subjects)


def deleted_versions(objects, export_dir=None):
    """``[(kind, id)]`` of the data and model versions among the plan's ``objects`` (``{kind: [ids]}``), also those deleted
    through their other view (``Kind.same_as``: a model version the plan deletes as the v1 model ``name:version``, which
    the purge does when both kinds are in scope), found among the versions of the export bundle at ``export_dir``."""
    objects = objects or {}
    found = {(kind_name, str(obj_id)) for kind_name in VERSION_KINDS for obj_id in objects.get(kind_name) or []}
    for kind_name in VERSION_KINDS:
        target = SAME_AS.get(kind_name)
        going = {str(i) for i in objects.get(target) or []} if target else set()
        if going and export_dir:
            found.update((kind_name, i) for i in bundle_version_ids(export_dir, kind_name)
                         if (other_view(kind_name, i) or (None, None))[1] in going)
    return sorted(found)


def list_versions(module):
    """``{kind: [version objects]}`` of every data and model version of the workspace now (containers, then each
    container's versions, ``client.concurrency`` lists at a time)."""
    client, ws = module.client, module.workspace
    found = {}
    for kind_name in VERSION_KINDS:
        parent = KINDS[kind_name].parent
        containers = client.list_items(KINDS[parent].list_op, what=f'list the {parent} of workspace {ws}')
        names = [c.get('name') for c in containers if isinstance(c, dict) and c.get('name')]
        lists = client.map_concurrent(lambda name, k=kind_name: client.list_items(
            KINDS[k].list_op, {'name': name}, what=f'list the {k} of {name} in workspace {ws}'), names)
        found[kind_name] = [obj for objs in lists for obj in objs]
    return found


def bundle_version_ids(export_dir, kind_name):
    """The ids of the versions of ``kind_name`` the export bundle holds."""
    path = os.path.join(export_dir, KINDS[kind_name].file)
    return [KINDS[kind_name].object_id(o) for o in _bundle.iter_objects(path)] if os.path.isfile(path) else []


def bundle_versions(export_dir, wanted):
    """``[(kind, id, object)]`` of the versions ``wanted`` (``[(kind, id)]``) as the export bundle holds them."""
    wanted, found = set(wanted), []
    for kind_name in VERSION_KINDS:
        path = os.path.join(export_dir, KINDS[kind_name].file)
        if not any(k == kind_name for k, dummy in wanted) or not os.path.isfile(path):
            continue
        for obj in _bundle.iter_objects(path):
            obj_id = KINDS[kind_name].object_id(obj)
            if (kind_name, obj_id) in wanted:
                found.append((kind_name, obj_id, obj))
    return found


def select_versions(module, workspace_object, export_dir, objects, purged_prefixes):
    """The files of the data and model versions being deleted: ``(section part, blobs)``.

    The deleted versions' URIs come from the bundle (what was exported), the datastores and the versions that stay are
    listed now. A file is kept (not deleted, named in the plan with what keeps it) when a version that stays references
    it, or when it lies under the prefix of a run that stays (``purged_prefixes``: the run prefixes being purged)."""
    deleted = deleted_versions(objects, export_dir)
    part = {'count': len(deleted), 'blobs': 0, 'kept': [], 'unreachable': [], 'targets': []}
    if not deleted:
        return part, []
    ws = module.workspace
    suffix = module.storage.cloud.storage_suffix
    where = (ws.subscription_id, ws.resource_group, ws.workspace_name)
    what = f'list the datastores of workspace {ws} (where the files of its data and model versions are)'
    datastores = module.client.list_items('datastores_v2.list', what=what)
    targets, part['unreachable'] = version_targets(bundle_versions(export_dir, deleted), datastores, suffix=suffix, workspace=where)
    held = {(k, i) for k, i, dummy in targets} | {(u['kind'], u['id']) for u in part['unreachable']}
    missing = [f'{k} {i}' for k, i in deleted if (k, i) not in held]
    if missing:
        raise StoragePurgeError(f"the export bundle at {export_dir} does not hold {', '.join(missing[:EXAMPLES])}: where their files "
                                'are is unknown (export again with storage, then plan again)')
    gone = set(deleted)
    listed = list_versions(module)
    staying = [(k, KINDS[k].object_id(o), o) for k in VERSION_KINDS for o in listed[k] if (k, KINDS[k].object_id(o)) not in gone]
    kept_targets, dummy = version_targets(staying, datastores, suffix=suffix, workspace=where)
    part['targets'] = [f'{k} {i}: {describe(t)}' for k, i, t in targets][:EXAMPLES]
    run_account = workspace_account(workspace_object)

    def one(target):
        try:
            return [b for b in module.storage.iter_blobs(target.account, target.container, target.path) if covers(target, b.name)]
        except AzureMLError as exc:
            if target.account == run_account:  # the workspace's own account: an error like any other
                raise
            return exc  # another account these credentials cannot list: its files are not reachable

    by_id, refs = {}, {}
    for (kind_name, obj_id), blobs in zip([(k, i) for k, i, t in targets], module.client.map_concurrent(one, [t for k, i, t in targets])):
        if isinstance(blobs, AzureMLError):
            part['unreachable'].append({'kind': kind_name, 'id': obj_id, 'uri': None,
                                        'reason': f'its storage account could not be listed: {blobs}'})
            continue
        for blob in blobs:
            key = blob_id(blob.account, blob.container, blob.name, blob.snapshot)
            by_id[key] = blob
            refs.setdefault(key, []).append(f'{KINDS[kind_name].singular} {obj_id}')
    chosen, kept = [], {}
    for key in sorted(by_id):
        blob = by_id[key]
        keepers = [f'{KINDS[k].singular} {i}' for k, i, t in kept_targets
                   if (t.account, t.container) == (blob.account, blob.container) and covers(t, blob.name)]
        if blob.account == run_account and blob.container == ARTIFACT_CONTAINER and blob.name.startswith('ExperimentRun/') \
                and not any(blob.name.startswith(prefix) for prefix in purged_prefixes):
            keepers.append('run ' + blob.name.split('/')[1][len('dcid.'):] + ' (its files stay with it)')
        if keepers:
            base = blob_id(blob.account, blob.container, blob.name)
            kept.setdefault(base, {'id': base, 'referenced_by': refs[key], 'kept_by': keepers,
                                   'why': f"also the file(s) of {', '.join(keepers)}, which stay(s): not deleted"})
        else:
            chosen.append(blob)
    part['kept'] = sorted(kept.values(), key=lambda k: k['id'])
    part['blobs'] = sum(1 for b in chosen if not b.snapshot)
    return part, chosen


def select(module, workspace_object, export_dir, subjects, exported, *, objects=None):
    """The storage part of a plan: ``(section, refusals, blobs)``; ``exported`` is the bundle's ``{kind: {id: digest}}``
    (None: the bundle could not be trusted, which the caller already refuses); ``objects`` the plan's ``{kind: [ids]}``
    (its data and model versions take their files along)."""
    refusals = []
    if exported is not None and KIND not in exported:
        refusals.append(f'export bundle: kind storage_blobs not in the export bundle at {export_dir}: the files of the runs '
                        'and versions were not exported (export with export_workspace_data_storage: true, then plan again)')
    account = workspace_account(workspace_object)
    runs = purged_runs(export_dir, subjects) if purges_runs(module, subjects) else []
    others, unknown = shared_with(module, workspace_object)
    elsewhere = runs_held_elsewhere(module, account, runs, others) if others and runs else {}
    kept = [{'run_id': run_id, 'prefix': run_blob_prefix({'runId': run_id, 'dataContainerId': container}),
             'shared_with': elsewhere[run_id],
             'why': f"workspace(s) {', '.join(elsewhere[run_id])} on the same storage account have a run {run_id} too: the files "
                    'under its prefix may be theirs; not deleted (delete them with the storage tools once you know whose they are)'}
            for run_id, container in runs if run_id in elsewhere]
    runs = [ref for ref in runs if ref[0] not in elsewhere]
    blobs = list_run_blobs(module, account, runs) if runs else []
    prefixes = [run_blob_prefix({'runId': r, 'dataContainerId': c}) for r, c in runs]
    if module.params.get('delete_workspace'):  # the workspace takes every version with it: none stays
        objects = dict(objects or {}, **{k: bundle_version_ids(export_dir, k) for k in VERSION_KINDS})
    versions, version_blobs = select_versions(module, workspace_object, export_dir, objects, prefixes)
    seen = {blob_id(b.account, b.container, b.name, b.snapshot) for b in blobs}
    blobs += [b for b in version_blobs if blob_id(b.account, b.container, b.name, b.snapshot) not in seen]
    comparison = Comparison(exported if exported is not None and KIND in exported else None)
    for blob in blobs:
        comparison.add(KIND, listed_entry(blob))
    new, changed = comparison.new.get(KIND) or [], comparison.changed.get(KIND) or []
    whose = 'the purged runs' + (' and versions' if versions['count'] else '')
    if new:
        refusals.append(f'{len(new)} storage blob(s) of {whose} are not in the export bundle at {export_dir} '
                        f'(written after the export?): {_ids_text(new)}. Files are never deleted unexported: export again, then plan again')
    if changed:
        refusals.append(f'{len(changed)} storage blob(s) of {whose} changed since the export (another etag or '
                        f'size): {_ids_text(changed)}. Files are never deleted unexported: export again, then plan again')
    section = {
        'account': account, 'container': ARTIFACT_CONTAINER, 'runs': len(runs),
        'prefixes': prefixes[:EXAMPLES],
        'blobs': sum(1 for b in blobs if not b.snapshot), 'snapshots': sum(1 for b in blobs if b.snapshot),
        'bytes': sum(b.size or 0 for b in blobs), 'retention': retention_of(module, account),
        'shared_with': [name for name, dummy in others], 'shared_unknown': unknown, 'kept': kept, 'versions': versions,
        'gaps': list(GAPS),
    }
    limit = module.params['max_deletions']
    if len(blobs) > limit:  # the plan and the apply select through here: one limit for both
        refusals.append(f'storage: the plan deletes {len(blobs)} blobs and snapshots of {whose}, more than '
                        f'max_deletions (purge_workspace_max_deletions) {limit}')
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
    versions = section.get('versions') or {}
    if versions.get('count'):
        lines.append(f"    data and model versions deleted: {versions['count']}; {versions['blobs']} of their file(s) deleted")
        lines.extend(f'      files of {t}' for t in versions['targets'])
        lines.extend(f"    kept: {k['id']} ({k['why']})" for k in versions['kept'][:EXAMPLES])
        if len(versions['kept']) > EXAMPLES:
            lines.append(f"    kept: {len(versions['kept']) - EXAMPLES} more file(s) of versions or runs that stay (all in the plan file)")
        lines.extend(f"    not reachable: {u['kind']} {u['id']} ({u['uri']}): {u['reason']}; its files are not deleted"
                     for u in versions['unreachable'][:EXAMPLES])
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


def remaining(module, account, runs, others=()):
    """The ids of the blobs still under the prefixes of ``runs`` (listed again), and of the blobs ``others`` (version
    files outside those prefixes) that are still there."""
    left = {blob_id(b.account, b.container, b.name, b.snapshot) for b in list_run_blobs(module, account, runs)}
    wanted = {blob_id(b.account, b.container, b.name, b.snapshot) for b in others}
    left |= wanted & _present_under(module, {(b.account, b.container, _folder(b.name)) for b in others})
    return sorted(left)


def _folder(name):
    return name.rsplit('/', 1)[0] + '/' if '/' in name else ''


def _present_under(module, prefixes):
    """Every blob id under the ``(account, container, prefix)`` ``prefixes``, listed now."""
    def one(where):
        return [blob_id(b.account, b.container, b.name, b.snapshot) for b in module.storage.iter_blobs(*where)]

    return {i for ids in module.client.map_concurrent(one, sorted(prefixes)) for i in ids}


def present_ids(module, workspace_object):
    """Every blob id under ``ExperimentRun/`` of the workspace's account, and in the folders of the version files the
    export bundle holds (to settle what an interrupted purge left pending)."""
    account = workspace_account(workspace_object)
    found = {blob_id(b.account, b.container, b.name, b.snapshot)
             for b in module.storage.iter_blobs(account, ARTIFACT_CONTAINER, 'ExperimentRun/')}
    index = os.path.join(os.path.abspath(module.params.get('export_dir') or ''), _bundle.STORAGE_BLOBS_FILE)
    folders = set()
    if module.params.get('export_dir') and os.path.isfile(index):
        for entry in _bundle.iter_objects(index):
            if isinstance(entry, dict) and any(isinstance(r, dict) and r.get('kind') in VERSION_KINDS
                                               for r in entry.get('referenced_by') or []):
                folders.add((entry['account'], entry['container'], _folder(entry['name'])))
    return found | _present_under(module, folders)
