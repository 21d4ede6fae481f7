# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: fleet_fact
short_description: The per-host fact C(gdpr_azureml_fleet) that the fleet summary reads
version_added: "2.0.0"
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
description:
  - Builds the fact C(gdpr_azureml_fleet) of a workspace host (C(exported), C(deleted), C(kinds), C(failures), and for an
    export C(bundle)) from what the roles' modules returned, or records a failure in it. It is the one place that builds the fact;
    the roles P(gdpr.azureml.export_workspace_data#role) and P(gdpr.azureml.purge_workspace#role) and the playbooks
    C(gdpr.azureml.export_workspaces) and C(gdpr.azureml.purge_workspaces) call it.
  - With O(export), the fact of an export (the input is ignored). With O(plan), the input (what the export set, if anything)
    with the purge's C(deleted) and C(kinds); in check mode C(deleted=0), C(kinds={}) and what a real run would delete in
    C(would_delete) and C(would_delete_kinds). A purge with a storage part adds C(storage_blobs) to C(kinds) (blobs and
    snapshots deleted, or in check mode listed by the plan); C(deleted) counts the objects of the APIs only, as C(exported) does.
  - With O(failure), the failure is appended to C(failures) (prefixed with O(prefix)) unless a recorded failure already
    holds it, and the counter of O(operation) (C(exported) or C(deleted)) and C(kinds) default to zero and empty.
positional: operation
options:
  _input:
    description: The host's current fact (V({}) or V(null) when it has none).
    type: dict
    required: true
  operation:
    description: The operation whose fact this is.
    type: str
    choices: [export, purge]
    default: export
  export:
    description: The result of M(gdpr.azureml.export_bundle).
    type: dict
  plan:
    description: The result of M(gdpr.azureml.purge_plan) in plan mode (makes the fact of a purge).
    type: dict
  apply:
    description: The result of M(gdpr.azureml.purge_plan) in apply mode (V(null) or a skipped result when it did not run).
    type: dict
  workspace:
    description: The result of M(gdpr.azureml.workspace) (V(null) or a skipped result when it did not run).
    type: dict
  check_mode:
    description: Whether the purge is a check run.
    type: bool
    default: false
  failure:
    description: A failure to record (empty records nothing).
    type: str
    default: ""
  prefix:
    description: Put before O(failure) in C(failures) (for example the host or the task name).
    type: str
    default: ""
  bundle:
    description: With O(failure) and O(operation=export), the bundle folder to record.
    type: str
"""

EXAMPLES = r"""
- name: Record the export for the fleet summary
  ansible.builtin.set_fact:
    gdpr_azureml_fleet: "{{ {} | gdpr.azureml.fleet_fact(export=export_result) }}"

- name: Record a failure of the purge
  ansible.builtin.set_fact:
    gdpr_azureml_fleet: >-
      {{ gdpr_azureml_fleet | default({}, true)
         | gdpr.azureml.fleet_fact('purge', failure=ansible_failed_result.msg, prefix=inventory_hostname ~ ': ') }}
"""

RETURN = r"""
_value:
  description: The fact C({exported, deleted, kinds, failures, bundle, would_delete, would_delete_kinds}) (those that apply).
  type: dict
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.gdpr.azureml.plugins.plugin_utils._summaries import as_dict, plain

COUNTERS = {'export': 'exported', 'purge': 'deleted'}


def export_fact(result):
    """The fact of an export from the result of export_bundle."""
    result = as_dict(result)
    return {'exported': result.get('count'),
            'kinds': {kind: as_dict(entry).get('count') for kind, entry in as_dict(result.get('kinds')).items()},
            'bundle': result.get('bundle_dir'), 'failures': []}


STORAGE_KIND = 'storage_blobs'


def storage_count(plan, apply, check_mode):
    """The files of the storage account a purge deletes (blobs and their snapshots), or None when it has no storage part:
    in check mode what the plan lists, else what apply deleted."""
    if check_mode:
        section = as_dict(as_dict(plan).get('storage'))
        return (section.get('blobs') or 0) + (section.get('snapshots') or 0) if section else None
    outcome = as_dict(as_dict(apply).get('storage'))
    return outcome.get('deleted') or 0 if outcome else None


def purge_counts(plan, apply, workspace, check_mode):
    """``(deleted, kinds)`` of a purge: in check mode what the plan counts, else what apply deleted; plus the workspace.

    The files of the storage account are one more entry of ``kinds`` (``storage_blobs``), not counted in ``deleted``: as in
    an export's fact, the total counts the objects of the Azure Machine Learning APIs.
    """
    files = storage_count(plan, apply, check_mode)
    plan = as_dict(as_dict(plan).get('plan'))
    deleted = as_dict(as_dict(apply).get('deleted'))
    kinds = {}
    for kind in plan.get('kinds') or ():
        kinds[kind] = as_dict(plan.get('counts')).get(kind, 0) if check_mode else len(deleted.get(kind) or ())
    if as_dict(workspace).get('changed'):
        kinds['workspace'] = 1
    total = sum(kinds.values())
    if files is not None:
        kinds[STORAGE_KIND] = files
    return total, kinds


def fleet_fact(previous, operation='export', *, export=None, plan=None, apply=None, workspace=None, check_mode=False, failure='', prefix='',
               bundle=None):
    if operation not in COUNTERS:
        raise AnsibleFilterError(f'gdpr.azureml.fleet_fact: operation must be export or purge, got {operation!r}')
    previous = dict(previous) if isinstance(previous, Mapping) else {}
    if export is not None:
        fact = export_fact(export)
    elif plan is not None:
        deleted, kinds = purge_counts(plan, apply, workspace, check_mode)
        fact = dict(previous, deleted=deleted, kinds=kinds)
        if check_mode:  # a check run deletes nothing: what a real run would delete is reported apart
            fact.update(deleted=0, kinds={}, would_delete=deleted, would_delete_kinds=kinds)
    else:
        fact = previous
    failures = fact.get('failures') or []
    failures = [failures] if isinstance(failures, str) else [str(f) for f in failures]
    reason = str(failure or '').strip()
    if reason:
        if not any(reason in recorded for recorded in failures):
            failures.append(str(prefix or '') + reason)
        counter = COUNTERS[operation]
        fact = dict(fact, **{counter: fact.get(counter, 0), 'kinds': fact.get('kinds', {})})
        if bundle is not None:
            fact['bundle'] = bundle
    fact['failures'] = failures
    return plain(fact)


class FilterModule:
    def filters(self):
        return {'fleet_fact': fleet_fact}
