#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: service_info
short_description: List or get the web services of an Azure Machine Learning workspace
version_added: "1.0.0"
description:
  - Lists every service of the workspace O(workspace_name) of O(resource_group) (both required), following every page
    (model management C(GET .../services)).
  - With O(id), gets that service only; the result is then empty when it does not exist.
  - Web services are returned as the model management service returns them, sorted by RV(services[].id), so the
    same state gives the same result (and the same O(dest) file).
  - Services name their image (C(imageId)) and models (C(models)).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  id:
    description:
      - Get this service only.
    type: str
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.common.dest
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.info_module
  - gdpr.azureml.attributes.actiongroup_azureml
seealso:
  - module: gdpr.azureml.service
    description: Deletes services.
  - module: gdpr.azureml.export_bundle
    description: Exports every kind of a workspace to a bundle in one module run.
'''

EXAMPLES = r'''
- name: List the web services of a workspace
  gdpr.azureml.service_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
  register: found

- name: Show their ids
  ansible.builtin.debug:
    msg: "{{ found.services | map(attribute='id') | list }}"

- name: Get one service
  gdpr.azureml.service_info:
    resource_group: ml-prod
    workspace_name: churn-models
    id: "churn-scoring"

- name: Write every service to a file (mode 0600)
  gdpr.azureml.service_info:
    resource_group: ml-prod
    workspace_name: churn-models
    dest: /srv/gdpr/exports/services.json
'''

RETURN = r'''
services:
  description:
    - The web services, as the model management service returns them, sorted by RV(services[].id).
    - Empty when O(id) does not exist.
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    id:
      description: The service id.
      returned: always
      type: str
      sample: churn-scoring
    name:
      description: The service name.
      returned: always
      type: str
      sample: churn-scoring
    imageId:
      description: The image the service runs.
      returned: when the service has one
      type: str
      sample: img-churn-classifier:2
    computeType:
      description: Where the service runs.
      returned: always
      type: str
      sample: ACI
count:
  description: The number of services found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 3
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/services.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible_collections.gdpr.azureml.plugins.module_utils._info import run_list_or_get


def main():
    run_list_or_get('services', 'id', 'id', 'service')


if __name__ == '__main__':
    main()
