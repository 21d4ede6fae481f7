# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: subject_search_summary_lines
short_description: The printed lines of a subject search across a fleet
version_added: "2.0.0"
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
description:
  - The totals, then per subject the workspaces where it appears (or, without subjects, who appears in each workspace),
    then the workspaces not searched and those whose bundle is incomplete, of a summary made by
    P(gdpr.azureml.subject_search_summary#filter).
options:
  _input:
    description: The summary.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Print the summary
  ansible.builtin.debug:
    msg: "{{ find_subject_summary | gdpr.azureml.subject_search_summary_lines }}"
"""

RETURN = r"""
_value:
  description: The lines.
  type: list
  elements: str
"""

from ansible_collections.gdpr.azureml.plugins.plugin_utils._summaries import as_dict, counts_text, subject_label


def subject_search_summary_lines(summary):
    summary = as_dict(summary)
    totals = as_dict(summary.get('totals'))
    rows = summary.get('workspaces') or []
    lines = [f"Subject search: {totals.get('workspaces')} workspace(s), {totals.get('searched')} searched, "
             f"{totals.get('not_searched')} not searched"]
    for entry in summary.get('subjects') or []:
        lines.append(f"{subject_label(entry.get('subject'))}: {entry.get('total')} object(s) in {len(entry.get('workspaces') or [])} "
                     f"of {totals.get('searched')} workspace(s) searched")
        lines.extend(f"  {w['host']}: {w['total']} ({counts_text(w.get('counts'))})" for w in entry.get('workspaces') or [])
    if not summary.get('subjects'):
        lines.extend(f"  {row['host']}: " + (', '.join(str(i['identity']) for i in row.get('identities') or []) or 'nobody')
                     for row in rows if row['status'] == 'ok')
    lines.extend(f"NOT SEARCHED {row['host']}: {row.get('error')}" for row in rows if row['status'] != 'ok')
    lines.extend(f"INCOMPLETE bundle {row['host']}: the answer may miss objects"
                 for row in rows if row['status'] == 'ok' and not row.get('complete'))
    return [str(line) for line in lines]


class FilterModule:
    def filters(self):
        return {'subject_search_summary_lines': subject_search_summary_lines}
