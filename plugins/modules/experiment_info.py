#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: experiment_info
short_description: List the experiments of an Azure Machine Learning workspace
version_added: "1.0.0"
description:
  - Lists every experiment (run history) of the workspace O(workspace_name) of O(resource_group) (both required),
    following every page.
  - Archived experiments are listed too (C(viewType=All)); they carry C(archivedTime). The service leaves them out of
    its list unless asked.
  - The run history API has no call to get one experiment; filter the result instead.
  - Experiments are returned as the service returns them, sorted by RV(experiments[].experimentId), so the same state gives
    the same result (and the same O(dest) file).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options: {}
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.common.dest
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.info_module
  - gdpr.azureml.attributes.actiongroup_azureml
seealso:
  - module: gdpr.azureml.run_info
  - module: gdpr.azureml.metric_info
  - module: gdpr.azureml.export_bundle
    description: Exports every kind of a workspace to a bundle in one module run.
'''

EXAMPLES = r'''
- name: List the experiments of a workspace
  gdpr.azureml.experiment_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
  register: found

- name: Show their names
  ansible.builtin.debug:
    msg: "{{ found.experiments | map(attribute='name') | list }}"
'''

RETURN = r'''
experiments:
  description:
    - The experiments, as the run history service returns them, sorted by RV(experiments[].experimentId).
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    experimentId:
      description: The experiment id.
      returned: always
      type: str
      sample: 6f1d2c3b-1e6a-4e0e-9d7a-3f3b2a1c0d9e
    name:
      description: The experiment name (the key the runs and metrics of the experiment are listed by).
      returned: always
      type: str
      sample: customer churn v2
    createdUtc:
      description: When the experiment was created.
      returned: always
      type: str
      sample: "2020-03-02T08:00:00.000000Z"
count:
  description: The number of experiments found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 5
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/experiments.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible_collections.gdpr.azureml.plugins.module_utils._export import info_result, stream
from ansible_collections.gdpr.azureml.plugins.module_utils._module import AzureMLModule


def collect(module):
    items = stream(module.client, 'experiments', lambda collector: collector.start_experiments())
    return info_result(module, 'experiments', 'experiments', items)


def main():
    module = AzureMLModule(argument_spec={'dest': {'type': 'path'}}, supports_check_mode=True)
    module.run(collect)


if __name__ == '__main__':
    main()
