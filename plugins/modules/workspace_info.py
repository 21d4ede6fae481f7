#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: workspace_info
short_description: List or get Azure Machine Learning workspaces
version_added: "1.0.0"
description:
  - Lists the Azure Machine Learning workspaces of O(resource_group), or of the whole subscription when O(resource_group) is not set.
  - Gets one workspace when O(workspace_name) is set.
  - Workspaces are returned as Azure Resource Manager returns them, sorted by their id, so the same state gives the same result.
  - With O(dest) they are written to a file instead (for GDPR export bundles).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  resource_group:
    description:
      - List the workspaces of this resource group. When not set, every workspace of the subscription is listed.
  workspace_name:
    description:
      - Get this workspace only (of O(resource_group), which is then required). The result is empty when it does not exist.
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.common.dest
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.info_module
  - gdpr.azureml.attributes.actiongroup_azureml
seealso:
  - name: Export or delete your Machine Learning service workspace data
    description: The Microsoft document whose REST calls this collection implements.
    link: https://learn.microsoft.com/azure/machine-learning/how-to-export-delete-data
'''

EXAMPLES = r'''
- name: List the workspaces of a resource group
  gdpr.azureml.workspace_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
  register: found

- name: Show their names
  ansible.builtin.debug:
    msg: "{{ found.workspaces | map(attribute='name') | list }}"

- name: Get one workspace, authenticating with the Azure CLI's login
  gdpr.azureml.workspace_info:
    auth_source: cli
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models

- name: Write every workspace of the subscription to a file (mode 0600)
  gdpr.azureml.workspace_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    dest: /srv/gdpr/exports/workspaces.json
  register: export

- name: Set the connection once for every gdpr.azureml module of a block (or a play)
  module_defaults:
    group/gdpr.azureml.azureml:
      auth_source: env  # AZURE_CLIENT_ID, AZURE_SECRET and AZURE_TENANT come from the environment
      subscription_id: "{{ azure_subscription_id }}"
      cloud_environment: AzureCloud
  block:
    - name: List the workspaces of the subscription
      gdpr.azureml.workspace_info:
      register: all_workspaces
'''

RETURN = r'''
workspaces:
  description:
    - The workspaces, as Azure Resource Manager returns them, sorted by RV(workspaces[].id).
    - Empty when O(workspace_name) does not exist.
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    id:
      description: The Azure Resource Manager id of the workspace.
      returned: always
      type: str
      sample: /subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/ml-prod/providers/Microsoft.MachineLearningServices/workspaces/churn-models
    name:
      description: The workspace name.
      returned: always
      type: str
      sample: churn-models
    location:
      description: The Azure region of the workspace.
      returned: always
      type: str
      sample: westeurope
    properties:
      description: The workspace properties (C(workspaceId), C(discoveryUrl), C(provisioningState), ...).
      returned: always
      type: dict
      sample: {"discoveryUrl": "https://westeurope.experiments.azureml.net/discovery", "provisioningState": "Succeeded"}
count:
  description: The number of workspaces found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 2
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/workspaces.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible_collections.gdpr.azureml.plugins.module_utils._module import AzureMLModule


def list_workspaces(module):
    """The workspaces to return: one (get), a resource group's or the subscription's (every page)."""
    client, ws = module.client, module.workspace
    if ws.workspace_name:
        found = client.get_json('workspaces.get', what=f'get workspace {ws}', missing_ok=True)
        return [found] if found else []
    if ws.resource_group:
        return client.iter_items('workspaces.list', what=f'list the workspaces of resource group {ws.resource_group}')
    return client.iter_items('workspaces.list_subscription', what=f'list the workspaces of subscription {ws.subscription_id}')


def main():
    module = AzureMLModule(
        argument_spec={'dest': {'type': 'path'}},
        requires_workspace=False,
        required_by={'workspace_name': 'resource_group'},
        supports_check_mode=True,
    )
    module.run(lambda m: m.items_result('workspaces', list_workspaces(m)))


if __name__ == '__main__':
    main()
