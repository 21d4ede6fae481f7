# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: host_path
short_description: The path of a host's own file or folder under a root folder, refusing host names that would leave it
version_added: "2.0.0"
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
description:
  - Joins a root folder and an inventory host name (a workspace) into the host's path, for example its export bundle folder
    C(<root>/<host>) or its audit log C(<root>/audit/<host>.jsonl).
  - The one place of the collection that turns a host name into a path. The roles P(gdpr.azureml.export_workspace_data#role)
    and P(gdpr.azureml.purge_workspace#role) and the playbook C(gdpr.azureml.find_subject) derive every per-host path through it.
  - A host name holding C(/), C(\), a NUL character, or equal to C(.) or C(..), is refused (the filter fails, naming the host),
    so that no host name can write or read outside its root (a static inventory may name a host C(../../elsewhere)).
positional: host, folder, suffix
options:
  _input:
    description: The root folder (for example C(export_workspace_data_dest)). An empty root gives an empty path (the host name
      is still checked).
    type: path
    required: true
  host:
    description: The inventory host name (C(inventory_hostname)).
    type: str
    required: true
  folder:
    description: A sub-folder of the root, between the root and the host's name (for example C(audit)).
    type: str
    default: ""
  suffix:
    description: Appended to the host's name (for example C(.jsonl)).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: The bundle folder of this host
  ansible.builtin.debug:
    msg: "{{ '/srv/exports' | gdpr.azureml.host_path(host=inventory_hostname) }}"  # /srv/exports/<host>

- name: The audit log of this host
  ansible.builtin.debug:
    msg: "{{ '/srv/exports' | gdpr.azureml.host_path(host=inventory_hostname, folder='audit', suffix='.jsonl') }}"
"""

RETURN = r"""
_value:
  description: The path, C(<root>[/<folder>]/<host><suffix>).
  type: path
"""

from ansible.errors import AnsibleFilterError

FORBIDDEN = ('/', '\\', '\x00')


def host_component(host):
    """``host`` as one path component; ValueError when it holds a separator or NUL, or is ``.`` / ``..`` / empty."""
    name = str(host)
    if name in ('', '.', '..') or any(ch in name for ch in FORBIDDEN):
        raise ValueError(f"the inventory host name {name!r} cannot name a file or folder of its own: a host name must not hold "
                         "'/', '\\' or NUL, nor be '.' or '..' (rename the host; its path would leave the root folder)")
    return name


def host_path(root, host, folder='', suffix=''):
    try:
        name = host_component(host) + str(suffix or '')
        if folder and (str(folder) in ('.', '..') or any(ch in str(folder) for ch in FORBIDDEN)):
            raise ValueError(f'folder must be one folder name, got {folder!r}')
    except ValueError as exc:
        raise AnsibleFilterError(f'gdpr.azureml.host_path: {exc}') from None
    if root is None or str(root) == '':
        return ''
    parts = [str(root).rstrip('/')] + ([str(folder)] if folder else []) + [name]
    return '/'.join(parts)


class FilterModule:
    def filters(self):
        return {'host_path': host_path}
