# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: purge_summary_lines
short_description: The closing summary of a workspace's purge
version_added: "2.0.0"
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
description:
  - The lines that the role P(gdpr.azureml.purge_workspace#role) prints at the end - what was deleted (or, in check mode, what
    a real run would delete), what remains when each kind is listed again, where the audit log is, what appeared after the
    reviewed plan, what happens to what the documented API cannot delete one by one, and what no purge reaches (what the
    collection cannot see or erase, docs/subjects.md).
options:
  _input:
    description: The result of M(gdpr.azureml.purge_plan) in plan mode.
    type: dict
    required: true
  fleet:
    description: The host's fact C(gdpr_azureml_fleet) after the purge (see P(gdpr.azureml.fleet_fact#filter)).
    type: dict
    required: true
  workspace_name:
    description: The workspace's name.
    type: str
    required: true
  apply:
    description: The result of M(gdpr.azureml.purge_plan) in apply mode (V(null) or a skipped result when it did not run).
    type: dict
  delete_workspace:
    description: Whether the workspace itself is deleted (C(purge_workspace_delete_workspace)).
    type: bool
    default: false
  audit_log:
    description: The audit log (empty when none).
    type: str
    default: ""
  check_mode:
    description: Whether the run is a check run.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Summarise the purge
  ansible.builtin.debug:
    msg: >-
      {{ purge_workspace_plan | gdpr.azureml.purge_summary_lines(fleet=gdpr_azureml_fleet, workspace_name=azureml_workspace_name,
         apply=purge_workspace_apply | default(none), check_mode=ansible_check_mode) }}
"""

RETURN = r"""
_value:
  description: The lines.
  type: list
  elements: str
"""

from ansible_collections.gdpr.azureml.plugins.module_utils._not_covered import NOT_COVERED
from ansible_collections.gdpr.azureml.plugins.plugin_utils._summaries import as_dict

NOT_DELETABLE = 'run history, metrics, artifacts, datastores, computes, notification tasks, pipeline objects'


def spaced(counts):
    """``{'models': 2}`` as ``models 2`` (joined by ``, ``)."""
    return ', '.join(f'{kind} {n}' for kind, n in as_dict(counts).items())


def purge_summary_lines(result, *, fleet, workspace_name, apply=None, delete_workspace=False, audit_log='', check_mode=False):
    result, fleet, apply = as_dict(result), as_dict(fleet), as_dict(apply)
    plan = as_dict(result.get('plan'))
    permanent = as_dict(plan.get('workspace_delete')).get('permanent', True)
    lines = []
    if check_mode:
        lines.append(f"Check mode: nothing was deleted. A real run would delete {plan.get('total')} object(s) of workspace "
                     f"{workspace_name}: {spaced(plan.get('counts')) or 'none'}"
                     + (', then the workspace itself' if delete_workspace else '') + '.')
    else:
        kinds = as_dict(fleet.get('kinds'))
        counts = spaced({kind: n for kind, n in kinds.items() if kind != 'workspace'})
        deleted = fleet.get('deleted', 0) - (1 if 'workspace' in kinds else 0)
        lines.append(f'Deleted {deleted} object(s) of workspace {workspace_name}' + (f': {counts}' if counts else '') + '.')
        if 'remaining' in apply:
            lines.append(f"Listed again after the deletions, remaining: {spaced(apply['remaining']) or 'nothing'}.")
        if audit_log:
            lines.append(f'Audit log (keep it): {audit_log}')
    lines.extend(f'{len(ids)} {kind} appeared after the reviewed plan and were kept.'
                 for kind, ids in as_dict(result.get('appeared_since')).items())
    if not delete_workspace:
        lines.append('Not deleted, because the documented API cannot delete them one by one: ' + NOT_DELETABLE + '. The remedy is '
                     'to delete the workspace (after a full export): purge_workspace_delete_workspace: true (a permanent delete).')
    elif check_mode:
        lines.append('The workspace would be ' + ('purged (permanently deleted)' if permanent else 'soft-deleted '
                     '(purge_workspace_allow_soft_delete: Azure keeps its data for the retention period)') + ', with everything it holds.')
    elif permanent:
        lines.append('The workspace is purged (permanently deleted), with everything it held: ' + NOT_DELETABLE + '.')
    else:
        lines.append('The workspace is soft-deleted: Azure keeps its data (run history, metrics, artifacts, datastores, ...) for the '
                     'retention period. Run again without purge_workspace_allow_soft_delete to purge it now.')
    # No purge, not even a workspace delete, reaches what the collection cannot see (_not_covered): said every time.
    lines.append('Beyond any purge (the collection cannot see or erase them; the report\'s "Not covered by this export" names the '
                 'workspace\'s resources): ' + ', '.join(entry['title'] for entry in NOT_COVERED) + '.')
    return [str(line) for line in lines]


class FilterModule:
    def filters(self):
        return {'purge_summary_lines': purge_summary_lines}
