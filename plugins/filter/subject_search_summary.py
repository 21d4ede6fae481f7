# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: subject_search_summary
short_description: The subject search across a fleet (the content of C(find-subject-summary.json))
version_added: "2.0.0"
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
description:
  - Reads, for every host of O(hosts), the result of M(gdpr.azureml.subject_info) (the variable C(find_subject_result)) or
    the failure (C(find_subject_error)) that the playbook C(gdpr.azureml.find_subject) recorded, and returns, per subject, the
    workspaces where it appears, and per workspace its status.
  - A host with neither is reported with the status C(not reached); a host with an error with the status C(failed).
  - Print it with P(gdpr.azureml.subject_search_summary_lines#filter).
options:
  _input:
    description: The magic variable C(hostvars).
    type: dict
    required: true
  hosts:
    description: The workspace hosts searched, in the order of the summary.
    type: list
    elements: str
    required: true
  target:
    description: The hosts pattern of the run.
    type: str
    default: all
"""

EXAMPLES = r"""
- name: Compute the answer per subject
  ansible.builtin.set_fact:
    find_subject_summary: "{{ hostvars | gdpr.azureml.subject_search_summary(hosts=groups['all'] | sort) }}"
"""

RETURN = r"""
_value:
  description: The summary.
  type: dict
  contains:
    format_version:
      description: V(1).
      type: int
    target:
      description: The hosts pattern.
      type: str
    totals:
      description: C(workspaces), C(searched), C(not_searched) (integers).
      type: dict
    subjects:
      description: Per subject (C(subject)), the workspaces where it appears (C(host), C(workspace), C(total), C(counts)) and
        its C(total).
      type: list
      elements: dict
    workspaces:
      description: One row per host (C(host), C(status), C(error), C(workspace), C(complete), C(summary), C(identities)).
      type: list
      elements: dict
"""

from collections.abc import Mapping

from ansible_collections.gdpr.azureml.plugins.plugin_utils._summaries import as_dict, host_var, plain
from ansible_collections.gdpr.azureml.plugins.filter.subject_search_lines import identity_label

NO_RESULT = 'no result: the search did not run on this host'


def search_row(hostvars, host):
    """The summary row of one host."""
    error = host_var(hostvars, host, 'find_subject_error')
    result = host_var(hostvars, host, 'find_subject_result')
    if error is not None or not isinstance(result, Mapping) or result.get('failed'):
        return {'host': host, 'status': 'failed' if error is not None else 'not reached', 'error': NO_RESULT if error is None else error,
                'workspace': None, 'complete': False, 'summary': [], 'identities': []}
    identities = [{'identity': identity_label(i), 'names': i.get('names'), 'total': i.get('total'), 'counts': i.get('counts')}
                  for i in result.get('identities') or []]
    return {'host': host, 'status': 'ok', 'error': None, 'workspace': as_dict(result.get('workspace')).get('id'),
            'complete': as_dict(result.get('bundle')).get('complete'), 'summary': result.get('summary'), 'identities': identities}


def subject_search_summary(hostvars, hosts, target='all'):
    rows = [search_row(hostvars, str(host)) for host in hosts]
    ok = [row for row in rows if row['status'] == 'ok']
    subjects = []
    for index, entry in enumerate((ok[0]['summary'] or []) if ok else []):
        where = [{'host': row['host'], 'workspace': row['workspace'], 'total': row['summary'][index]['total'],
                  'counts': row['summary'][index]['counts']} for row in ok if row['summary'][index]['found']]
        subjects.append({'subject': entry['subject'], 'workspaces': where, 'total': sum(w['total'] for w in where)})
    return plain({'format_version': 1, 'target': target,
                  'totals': {'workspaces': len(rows), 'searched': len(ok), 'not_searched': len(rows) - len(ok)},
                  'subjects': subjects, 'workspaces': rows})


class FilterModule:
    def filters(self):
        return {'subject_search_summary': subject_search_summary}
