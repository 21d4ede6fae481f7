# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: subject_search_lines
short_description: The printed lines of one workspace's subject search
version_added: "2.0.0"
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
description:
  - From the result of M(gdpr.azureml.subject_info) for one workspace, the lines that the playbook C(gdpr.azureml.find_subject)
    prints - the workspace, then per subject the objects that refer to it (kind, id, name, fields), or, without subjects,
    who appears in the workspace.
options:
  _input:
    description: The result of M(gdpr.azureml.subject_info) (with its RV(gdpr.azureml.subject_info#module:subjects) or
      RV(gdpr.azureml.subject_info#module:identities)).
    type: dict
    required: true
  host:
    description: The inventory host name, for a workspace whose bundle does not name it.
    type: str
    default: ""
  show_max:
    description: The objects printed per subject; the others are counted.
    type: int
    default: 50
  report:
    description: Whether the full index is written to a report (said on the line that counts the objects not printed).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Show where the subjects appear in this workspace
  ansible.builtin.debug:
    msg: "{{ find_subject_result | gdpr.azureml.subject_search_lines(host=inventory_hostname, show_max=50) }}"
"""

RETURN = r"""
_value:
  description: The lines.
  type: list
  elements: str
"""

from ansible_collections.gdpr.azureml.plugins.plugin_utils._summaries import as_dict, counts_text, subject_label


def identity_label(identity):
    """An identity of the workspace as its object id, else its address, else its name."""
    if 'object_id' in identity:
        return f"object id {identity['object_id']}"
    return str(identity['address'] if 'address' in identity else identity.get('name'))


def object_line(obj):
    where = list(obj.get('fields') or []) + ['mentioned in ' + str(m) for m in obj.get('mentions') or []]
    return (f"    {obj['kind']} {obj['id']}" + (f' "{obj["name"]}"' if obj.get('name') else '') + f" [{', '.join(map(str, where))}]"
            + (' (created by the subject)' if obj.get('created_by') else '')
            + (f" (of run {as_dict(obj['via']).get('id')})" if 'via' in obj else ''))


def subject_search_lines(result, host='', show_max=50, report=False):
    result = as_dict(result)
    show_max = int(show_max)
    workspace, bundle = as_dict(result.get('workspace')), as_dict(result.get('bundle'))
    lines = [f"Workspace {workspace.get('name', host)} ({workspace.get('id', result.get('bundle_dir'))})"
             + ('' if bundle.get('complete') else ' - INCOMPLETE bundle: ' + '; '.join(map(str, bundle.get('problems') or [])))]
    for entry in result.get('subjects') or []:
        who = subject_label(entry.get('subject'))
        if not entry.get('found'):
            lines.append(f'  {who}: not found')
            continue
        counts = {kind: n for kind, n in as_dict(entry.get('counts')).items() if n > 0}
        lines.append(f"  {who}: {entry.get('total')} object(s): {counts_text(counts)}")
        objects = entry.get('objects') or []
        lines.extend(object_line(obj) for obj in objects[:show_max])
        if len(objects) > show_max:
            lines.append(f'    ... and {len(objects) - show_max} more' + (' (all of them are in the report)' if report else ''))
    for identity in result.get('identities') or []:
        names = identity.get('names') or []
        lines.append(f'  {identity_label(identity)}' + (f" ({', '.join(map(str, names))})" if names else '')
                     + f": {identity.get('total')} object(s): {counts_text(identity.get('counts'))}")
    if 'identities' in result and not result['identities']:
        lines.append('  nobody appears in this workspace')
    return [str(line) for line in lines]


class FilterModule:
    def filters(self):
        return {'subject_search_lines': subject_search_lines}
