#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# An action plugin (plugins/action/fleet_summary_json.py) does the work on the controller: this file holds its documentation.

DOCUMENTATION = r'''
module: fleet_summary_json
short_description: Write the fleet summary file on the controller (fleet-summary.json)
version_added: "2.0.0"
description:
  - Writes a fleet summary (what the filter P(gdpr.azureml.fleet_summary#filter) computes) as JSON to O(path) on the
    Ansible controller, atomically with mode C(0600); a missing folder (and its missing parents) is created with mode C(0700).
  - Runs in the controller's Ansible process and starts no module process. The fleet playbooks
    (C(gdpr.azureml.export_workspaces), C(gdpr.azureml.purge_workspaces)) call it once at the end; it replaces a
    C(ansible.builtin.copy), which starts two module processes on the controller (C(stat), then C(copy)).
  - The bytes are those of C(to_nice_json(sort_keys=true)) followed by a line break.
  - Makes no service call and takes none of the connection options of the other modules, so it is not a member of the
    action group C(gdpr.azureml.azureml).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  path:
    description:
      - The absolute path of the file to write on the controller.
      - A path that is a symbolic link or a folder is refused.
    type: path
    required: true
  summary:
    description:
      - The fleet summary, a dictionary.
    type: dict
    required: true
attributes:
  check_mode:
    support: full
    details:
      - Writes nothing; RV(ignore:changed) says whether a real run would write.
  diff_mode:
    support: full
    details:
      - The file's content before and after.
  idempotent:
    support: full
    details:
      - The same summary gives the same bytes; a file that holds them already, with mode C(0600), is not written again.
  action:
    support: full
    description: Runs on the controller, in the Ansible process (an action plugin).
  async:
    support: none
    description: Supports being used with the C(async) keyword.
extends_documentation_fragment:
  - gdpr.azureml.attributes
notes:
  - The file names the workspaces of the run and what failed; error messages may quote the service. Keep it with the bundles.
seealso:
  - module: gdpr.azureml.export_bundle
  - module: gdpr.azureml.purge_plan
'''

EXAMPLES = r'''
# In a play on localhost after the workspaces' plays (as playbooks/fleet_summary.yml does)
- name: Write the fleet summary of every workspace host of the inventory
  gdpr.azureml.fleet_summary_json:
    path: /srv/gdpr/exports/fleet-summary.json
    summary: "{{ hostvars | gdpr.azureml.fleet_summary(hosts=groups['all'] | sort, target='all') }}"
'''

RETURN = r'''
path:
  description: The file written (or that a real run would write in check mode).
  returned: always
  type: str
  sample: /srv/gdpr/exports/fleet-summary.json
created_dirs:
  description: The folders created (mode C(0700)), parents first.
  returned: always
  type: list
  elements: str
  sample: [/srv/gdpr/exports]
'''
