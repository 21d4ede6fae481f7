# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""``purge_plan``: its options, the confirmation rules, and mode=plan (``docs/purge.md``).

The plan lists what would be deleted, checks it against the export bundle, the holders, the plan
file a reviewer approved and ``max_deletions``, and in check mode writes ``purge-plan.json``
(``_plan_file``). mode=apply and mode=verify are in ``_purge_apply``.
"""

import os

from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import verify_bundle
from ansible_collections.gdpr.azureml.plugins.module_utils._coverage import (
    UNLISTABLE, check_bundle, compare_planned, content_problems, erasure_counts, list_erasure,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import DELETABLE_KINDS, HOLDER_KINDS, KIND_NAMES, KINDS, PURGE_DEFAULT, SAME_AS
from ansible_collections.gdpr.azureml.plugins.module_utils._plan_file import PLAN_NAME, plan_document, read_plan, write_plan
from ansible_collections.gdpr.azureml.plugins.module_utils._purge import (
    PurgeError, blocking_holders, describe_holders, holders_message, list_kinds, once_each, require_absolute, singular, with_holders,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._purge_apply import apply, verify
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import SUBJECT_MATCH, SubjectError, purge_subjects, subject_purge_selection
from ansible_collections.gdpr.azureml.plugins.module_utils import _storage_purge


# -- purge_plan ---------------------------------------------------------------------------------------------------------------

def plan_argument_spec():
    return {
        'mode': {'type': 'str', 'default': 'plan', 'choices': ['plan', 'apply', 'verify']},
        'objects': {'type': 'dict'},
        'kinds': {'type': 'list', 'elements': 'str', 'default': list(PURGE_DEFAULT), 'choices': list(DELETABLE_KINDS)},
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
        'subject_match': {'type': 'str', 'default': 'precise', 'choices': list(SUBJECT_MATCH)},
        'storage': {'type': 'bool', 'default': False},
    }


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
    module.run({'plan': _plan, 'apply': apply, 'verify': verify}[module.params['mode']])


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
    erased, storage, evidence = {}, None, None
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
        # with subjects, the other view of a kind's objects too: a job is selected by its run's createdBy.userObjectId
        listed = list_kinds(client, with_holders(DELETABLE_KINDS if erasure else kinds)
                            + ([SAME_AS[k] for k in kinds if k in SAME_AS] if p.get('subjects') else []), ws)
        current = {k: sorted({KINDS[k].object_id(o) for o in listed[k]}) for k in kinds}
        if p.get('subjects'):  # only what the subjects created; what another person's image or service holds is kept
            selection = subject_purge_selection(listed, kinds, p['subjects'], p.get('subject_match') or 'precise')
            current = {k: [i for i in current[k] if i in set(selection['objects'][k])] for k in kinds}
            held, evidence = selection['held'], selection['evidence']
            notes.extend(selection['notes'])
            for kind_name in HOLDER_KINDS:
                for obj_id, holders in sorted((held.get(kind_name) or {}).items()):
                    notes.append(f'{singular(kind_name)} {obj_id} is kept: the subjects created it, but it is still used by '
                                 f'{describe_holders(holders)}')
        # each object once (a v2 model version that is a v1 model in scope: under models), no container with versions left
        current, kept = once_each(current, listed, kinds, by_subject=bool(p.get('subjects')))
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
            # a version the reviewed plan left out keeps its container (not by subject: only what the reviewed plan holds)
            objects, more = once_each(objects, listed, kinds)
            for kind_name, reasons in more.items():
                kept.setdefault(kind_name, {}).update(reasons)
        for kind_name, reasons in sorted(kept.items()):
            for obj_id, reason in sorted(reasons.items()):
                notes.append(f'{singular(kind_name)} {obj_id} is kept: {reason}')
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
            storage, more = _plan_storage(module, found, export_dir, exported, notes, objects=objects)
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
                         subjects=p.get('subjects') or [], held=held, storage=storage,
                         **({'subject_match': p.get('subject_match') or 'precise', 'evidence': _planned_evidence(evidence, objects)}
                            if p.get('subjects') else {}))
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


def _planned_evidence(evidence, objects):
    """``{kind: {id: 'precise' or 'display_name'}}`` of the planned objects: what selected each one (a purge by subject)."""
    return {k: {i: how for i, how in ids.items() if i in set(objects.get(k) or ())} for k, ids in (evidence or {}).items()
            if any(i in set(objects.get(k) or ()) for i in ids)}


def _plan_storage(module, found, export_dir, exported, notes, *, objects=None):
    """``(storage section of the plan or None, refusals)``: the blobs of the purged runs and of the data and model versions
    among ``objects`` (``_storage_purge``)."""
    p = module.params
    if not _storage_purge.purges_runs(module, p.get('subjects')) and not _storage_purge.deleted_versions(objects, export_dir):
        notes.append('storage: no run is purged (neither subjects nor delete_workspace) and no data or model version, so no file '
                     'of the storage account is deleted')
        return None, []
    try:
        section, refusals, _blobs = _storage_purge.select(module, found, export_dir, p.get('subjects'), exported, objects=objects)
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
