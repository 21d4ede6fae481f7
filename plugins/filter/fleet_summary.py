# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: fleet_summary
short_description: The fleet summary (the content of C(fleet-summary.json)) from the workspace hosts' facts
version_added: "2.0.0"
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
description:
  - Reads the fact C(gdpr_azureml_fleet) (see P(gdpr.azureml.fleet_fact#filter)) and the coordinates (C(azureml_workspace_id),
    C(azureml_subscription_id), C(azureml_resource_group), C(azureml_workspace_name)) of every host of O(hosts), and returns
    the fleet summary that the playbook C(gdpr.azureml.fleet_summary) prints and writes to C(fleet-summary.json).
  - A host without the fact never finished its role; it is reported with the status C(not reached). A host whose fact lists
    failures has the status C(failed).
  - Print it with P(gdpr.azureml.fleet_summary_lines#filter).
options:
  _input:
    description: The magic variable C(hostvars).
    type: dict
    required: true
  hosts:
    description: The workspace hosts to report, in the order of the summary.
    type: list
    elements: str
    required: true
  operation:
    description: The label of the operation; empty derives it from the facts (C(export), C(purge), C(export and purge), else
      C(workspaces)).
    type: str
    default: ""
  target:
    description: The hosts pattern of the run.
    type: str
    default: all
"""

EXAMPLES = r"""
- name: Compute the fleet summary
  ansible.builtin.set_fact:
    fleet_summary: "{{ hostvars | gdpr.azureml.fleet_summary(hosts=groups['all'] | sort, target='all') }}"
"""

RETURN = r"""
_value:
  description: The fleet summary.
  type: dict
  contains:
    format_version:
      description: V(1).
      type: int
    operation:
      description: The operation.
      type: str
    target:
      description: The hosts pattern.
      type: str
    totals:
      description: C(workspaces), C(ok), C(failed), C(not_reached), C(exported), C(deleted) (integers).
      type: dict
    workspaces:
      description: One row per host (C(host), C(status), C(exported), C(deleted), C(kinds), C(failures), C(workspace_id),
        C(subscription_id), C(resource_group), C(workspace_name)).
      type: list
      elements: dict
"""

from collections.abc import Mapping

from ansible_collections.gdpr.azureml.plugins.plugin_utils._summaries import host_var, is_integer, plain

COORDINATES = (('workspace_id', 'azureml_workspace_id'), ('subscription_id', 'azureml_subscription_id'),
               ('resource_group', 'azureml_resource_group'), ('workspace_name', 'azureml_workspace_name'))


def fleet_row(hostvars, host):
    """The summary row of one host."""
    fact = host_var(hostvars, host, 'gdpr_azureml_fleet')
    if isinstance(fact, Mapping):
        failures = fact.get('failures') or []
        failures = [failures] if isinstance(failures, str) else [str(f) for f in failures]
        row = {'host': host, 'status': 'failed' if failures else 'ok', 'exported': fact.get('exported'),
               'deleted': fact.get('deleted'), 'kinds': fact.get('kinds') or {}, 'failures': failures}
    else:
        row = {'host': host, 'status': 'not reached', 'exported': None, 'deleted': None, 'kinds': {},
               'failures': ['no result: the role did not finish on this host']}
    for key, name in COORDINATES:
        row[key] = host_var(hostvars, host, name)
    return row


def fleet_summary(hostvars, hosts, operation='', target='all'):
    rows = [fleet_row(hostvars, str(host)) for host in hosts]
    kind = ' and '.join(label for label, key in (('export', 'exported'), ('purge', 'deleted'))
                        if any(is_integer(row[key]) for row in rows)) or 'workspaces'
    statuses = [row['status'] for row in rows]
    return plain({
        'format_version': 1,
        'operation': operation or kind,
        'target': target,
        'totals': {'workspaces': len(rows), 'ok': statuses.count('ok'), 'failed': statuses.count('failed'),
                   'not_reached': statuses.count('not reached'),
                   'exported': sum(row['exported'] for row in rows if is_integer(row['exported'])),
                   'deleted': sum(row['deleted'] for row in rows if is_integer(row['deleted']))},
        'workspaces': rows,
    })


class FilterModule:
    def filters(self):
        return {'fleet_summary': fleet_summary}
