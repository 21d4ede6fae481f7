# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: fleet_summary_lines
short_description: The printed lines of a fleet summary
version_added: "2.0.0"
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
description:
  - The heading (totals) and a table with one line per workspace (host, status, exported, deleted, failures) of a fleet
    summary made by P(gdpr.azureml.fleet_summary#filter).
options:
  _input:
    description: The fleet summary.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Print the fleet summary
  ansible.builtin.debug:
    msg: "{{ fleet_summary | gdpr.azureml.fleet_summary_lines }}"
"""

RETURN = r"""
_value:
  description: The lines.
  type: list
  elements: str
"""

from ansible_collections.gdpr.azureml.plugins.plugin_utils._summaries import as_dict


def fleet_summary_lines(summary):
    summary = as_dict(summary)
    totals = as_dict(summary.get('totals'))
    rows = summary.get('workspaces') or []
    width = max([9] + [len(str(row['host'])) for row in rows])
    fmt = '%-' + str(width) + 's  %-11s  %8s  %8s  %s'
    lines = [f"Fleet summary ({summary.get('operation')}): {totals.get('workspaces')} workspaces, {totals.get('ok')} ok, "
             f"{totals.get('failed')} failed, {totals.get('not_reached')} not reached; {totals.get('exported')} objects exported, "
             f"{totals.get('deleted')} deleted",
             fmt % ('workspace', 'status', 'exported', 'deleted', 'failures')]
    for row in rows:
        lines.append(fmt % (row['host'], row['status'], '-' if row.get('exported') is None else row['exported'],
                            '-' if row.get('deleted') is None else row['deleted'], ' | '.join(map(str, row.get('failures') or []))))
    return [str(line) for line in lines]


class FilterModule:
    def filters(self):
        return {'fleet_summary_lines': fleet_summary_lines}
