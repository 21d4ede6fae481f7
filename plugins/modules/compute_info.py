#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: compute_info
short_description: List or get the compute targets of an Azure Machine Learning workspace
version_added: "1.0.0"
description:
  - Lists every compute target of the workspace O(workspace_name) of O(resource_group) (both required), following every page
    (Azure Resource Manager C(GET .../workspaces/{name}/computes)).
  - With O(name), gets that compute target only; the result is then empty when it does not exist.
  - Compute targets are returned as Azure Resource Manager returns them (the API never returns their secrets),
    sorted by RV(computes[].id), so the same state gives the same result (and the same O(dest) file).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  name:
    description:
      - Get this compute target only.
    type: str
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.common.dest
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.info_module
  - gdpr.azureml.attributes.actiongroup_azureml
seealso:
  - module: gdpr.azureml.export_bundle
    description: Exports every kind of a workspace to a bundle in one module run.
'''

EXAMPLES = r'''
- name: List the compute targets of a workspace
  gdpr.azureml.compute_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
  register: found

- name: Show their names and types
  ansible.builtin.debug:
    msg: "{{ found.computes | map(attribute='name') | zip(found.computes | map(attribute='properties.computeType')) }}"

- name: Get one compute target
  gdpr.azureml.compute_info:
    resource_group: ml-prod
    workspace_name: churn-models
    name: cpu-cluster

- name: Write them to a file (mode 0600)
  gdpr.azureml.compute_info:
    resource_group: ml-prod
    workspace_name: churn-models
    dest: /srv/gdpr/exports/computes.json
'''

RETURN = r'''
computes:
  description:
    - The compute targets, as Azure Resource Manager returns them, sorted by RV(computes[].id).
    - Empty when O(name) does not exist.
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    id:
      description: The Azure Resource Manager id of the compute target.
      returned: always
      type: str
      sample: /subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/ml/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/cpu
    name:
      description: The compute target name.
      returned: always
      type: str
      sample: cpu-cluster
    properties:
      description: The compute properties (C(computeType), C(provisioningState), C(createdOn), type-specific C(properties), ...).
      returned: always
      type: dict
      sample: {"computeType": "AmlCompute", "provisioningState": "Succeeded"}
count:
  description: The number of compute targets found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 3
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/computes.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible_collections.gdpr.azureml.plugins.module_utils._info import run_list_or_get


def main():
    run_list_or_get('computes', 'name', 'compute_name', 'compute')


if __name__ == '__main__':
    main()
