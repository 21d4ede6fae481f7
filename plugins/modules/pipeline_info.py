#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: pipeline_info
short_description: Get Azure Machine Learning pipeline objects by id
version_added: "1.0.0"
description:
  - Gets the pipeline objects ("aether" service) of kind O(kind) whose ids O(ids) lists, from the workspace
    O(workspace_name) of O(resource_group) (both required), with at most O(concurrency) requests in flight.
  - The documented API has no call that lists pipeline objects, so their ids must come from elsewhere
    (the pipeline's owner, the studio, a previous export).
  - Ids the service does not know are left out of RV(pipelines) and listed in RV(missing).
  - Objects are returned as the service returns them, sorted by RV(pipelines[].id), so the same state gives the same
    result (and the same O(dest) file).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  kind:
    description:
      - The kind of pipeline object.
    type: str
    required: true
    choices: [experiment, graph, module, template, datasource]
  ids:
    description:
      - The ids of the objects to get.
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.common.dest
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.info_module
  - gdpr.azureml.attributes.actiongroup_azureml
notes:
  - No public specification of the pipelines service exists; the objects are returned as they come.
seealso:
  - module: gdpr.azureml.export_bundle
    description: Exports every kind of a workspace to a bundle in one module run, pipeline objects by id included.
'''

EXAMPLES = r'''
- name: Get two pipeline graphs
  gdpr.azureml.pipeline_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    kind: graph
    ids:
      - 2a5e3c5d-8f2b-4a51-9c1e-0d6f7b2f1a10
      - 7d1c9e0a-3b4f-4c2d-8e6a-5f9b0c1d2e3f
  register: graphs

- name: Say which ids the service does not know
  ansible.builtin.debug:
    msg: "unknown graphs: {{ graphs.missing }}"
  when: graphs.missing | length > 0
'''

RETURN = r'''
pipelines:
  description:
    - The pipeline objects found, as the service returns them, sorted by RV(pipelines[].id).
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    id:
      description: The object id.
      returned: always
      type: str
      sample: 2a5e3c5d-8f2b-4a51-9c1e-0d6f7b2f1a10
    name:
      description: The object name.
      returned: when the service gives one
      type: str
      sample: churn training pipeline
missing:
  description: The requested ids the service does not know (HTTP 404), sorted.
  returned: success
  type: list
  elements: str
  sample: ["7d1c9e0a-3b4f-4c2d-8e6a-5f9b0c1d2e3f"]
count:
  description: The number of objects found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 1
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/pipeline_graphs.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible_collections.gdpr.azureml.plugins.module_utils._export import collect, info_result
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import PIPELINE_KINDS
from ansible_collections.gdpr.azureml.plugins.module_utils._module import AzureMLModule


def get_objects(module):
    name = PIPELINE_KINDS[module.params['kind']].name
    ids = sorted(set(module.params['ids']))
    collector, items = collect(module.client, name, lambda c: c.start_pipeline(name, ids))
    result = info_result(module, name, 'pipelines', items)
    result['missing'] = sorted(collector.missing.get(name, []))
    return result


def main():
    module = AzureMLModule(
        argument_spec={
            'kind': {'type': 'str', 'required': True, 'choices': sorted(PIPELINE_KINDS)},
            'ids': {'type': 'list', 'elements': 'str', 'required': True},
            'dest': {'type': 'path'},
        },
        supports_check_mode=True,
    )
    module.run(get_objects)


if __name__ == '__main__':
    main()
