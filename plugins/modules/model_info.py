#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: model_info
short_description: List or get the registered models of an Azure Machine Learning workspace
version_added: "1.0.0"
description:
  - Lists every model of the workspace O(workspace_name) of O(resource_group) (both required), following every page
    (model management C(GET .../models)).
  - With O(id), gets that model only; the result is then empty when it does not exist.
  - Registered models are returned as the model management service returns them, sorted by RV(models[].id), so the
    same state gives the same result (and the same O(dest) file).
  - Models name the run that produced them and, in C(createdBy), who registered them.
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  id:
    description:
      - Get this model only.
    type: str
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.common.dest
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.info_module
  - gdpr.azureml.attributes.actiongroup_azureml
seealso:
  - module: gdpr.azureml.model
    description: Deletes models.
  - module: gdpr.azureml.export_bundle
    description: Exports every kind of a workspace to a bundle in one module run.
'''

EXAMPLES = r'''
- name: List the registered models of a workspace
  gdpr.azureml.model_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
  register: found

- name: Show their ids
  ansible.builtin.debug:
    msg: "{{ found.models | map(attribute='id') | list }}"

- name: Get one model
  gdpr.azureml.model_info:
    resource_group: ml-prod
    workspace_name: churn-models
    id: "churn-classifier:3"

- name: Write every model to a file (mode 0600)
  gdpr.azureml.model_info:
    resource_group: ml-prod
    workspace_name: churn-models
    dest: /srv/gdpr/exports/models.json
'''

RETURN = r'''
models:
  description:
    - The registered models, as the model management service returns them, sorted by RV(models[].id).
    - Empty when O(id) does not exist.
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    id:
      description: The model id, C(<name>:<version>).
      returned: always
      type: str
      sample: churn-classifier:3
    name:
      description: The model name.
      returned: always
      type: str
      sample: churn-classifier
    version:
      description: The model version.
      returned: always
      type: int
      sample: 3
    createdBy:
      description: Who registered the model.
      returned: when the service names one
      type: dict
      sample: {"userName": "Anna Svensson", "userObjectId": "4f0d0a1e-8a4b-4a0c-9d43-2f6e1c3b5a71"}
count:
  description: The number of models found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 8
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/models.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible_collections.gdpr.azureml.plugins.module_utils._info import run_list_or_get


def main():
    run_list_or_get('models', 'id', 'id', 'model')


if __name__ == '__main__':
    main()
