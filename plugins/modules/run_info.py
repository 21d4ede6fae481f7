#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: run_info
short_description: List or get the runs of Azure Machine Learning experiments
version_added: "1.0.0"
description:
  - Lists every run of the experiments O(experiments) (by default of every experiment) of the workspace O(workspace_name)
    of O(resource_group) (both required), following every page.
  - The run history API lists runs per experiment; the module lists the experiments first when O(experiments) is not set,
    then the runs of each, with at most O(concurrency) requests in flight.
  - With O(experiment) and O(run_id), gets that one run instead; the result is then empty when it does not exist.
  - Runs are returned as the service returns them (C(createdBy) names who started each run), sorted by RV(runs[].runId),
    so the same state gives the same result (and the same O(dest) file).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  experiments:
    description:
      - The names of the experiments whose runs to list. All experiments when not set.
      - An experiment the service does not know fails the module.
      - Mutually exclusive with O(experiment).
    type: list
    elements: str
  experiment:
    description:
      - The experiment of O(run_id).
      - Requires O(run_id).
    type: str
  run_id:
    description:
      - Get this run only (of O(experiment)).
      - Requires O(experiment).
    type: str
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.common.dest
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.info_module
  - gdpr.azureml.attributes.actiongroup_azureml
seealso:
  - module: gdpr.azureml.experiment_info
  - module: gdpr.azureml.artifact_info
  - module: gdpr.azureml.export_bundle
    description: Exports every kind of a workspace to a bundle in one module run.
'''

EXAMPLES = r'''
- name: Write every run of every experiment to a file (mode 0600)
  gdpr.azureml.run_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    dest: /srv/gdpr/exports/runs.json
  register: runs

- name: List the runs of two experiments
  gdpr.azureml.run_info:
    resource_group: ml-prod
    workspace_name: churn-models
    experiments:
      - customer churn v2
      - Försäljning 2020
  register: found

- name: Show who started them
  ansible.builtin.debug:
    msg: "{{ found.runs | map(attribute='createdBy.userName') | unique | list }}"

- name: Get one run
  gdpr.azureml.run_info:
    resource_group: ml-prod
    workspace_name: churn-models
    experiment: customer churn v2
    run_id: customer_churn_v2_1583143680_4ec268ea
'''

RETURN = r'''
runs:
  description:
    - The runs, as the run history service returns them, sorted by RV(runs[].runId).
    - Empty when the run of O(run_id) does not exist.
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    runId:
      description: The run id.
      returned: always
      type: str
      sample: customer_churn_v2_1583143680_4ec268ea
    experimentId:
      description: The id of the run's experiment.
      returned: always
      type: str
      sample: 6f1d2c3b-1e6a-4e0e-9d7a-3f3b2a1c0d9e
    createdBy:
      description: Who started the run (C(userObjectId), C(userTenantId), C(userName)).
      returned: when the service names one
      type: dict
      sample: {"userName": "Anna Svensson", "userObjectId": "4f0d0a1e-8a4b-4a0c-9d43-2f6e1c3b5a71", "userTenantId": "00000000-0000-4000-8000-0000000000aa"}
    status:
      description: The run status.
      returned: always
      type: str
      sample: Completed
count:
  description: The number of runs found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 15
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/runs.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible_collections.gdpr.azureml.plugins.module_utils._export import get_one, info_result, stream
from ansible_collections.gdpr.azureml.plugins.module_utils._module import AzureMLModule


def collect(module):
    p = module.params
    if p['run_id']:
        what = f"get run {p['run_id']!r} of experiment {p['experiment']!r} in workspace {module.workspace}"
        items = get_one(module.client, 'runs', {'experiment_name': p['experiment'], 'run_id': p['run_id']}, what)
    else:
        items = stream(module.client, 'runs', lambda collector: collector.start_experiments(p['experiments']))
    return info_result(module, 'runs', 'runs', items)


def main():
    module = AzureMLModule(
        argument_spec={
            'experiments': {'type': 'list', 'elements': 'str'},
            'experiment': {'type': 'str'},
            'run_id': {'type': 'str'},
            'dest': {'type': 'path'},
        },
        mutually_exclusive=[('experiments', 'experiment')],
        required_together=[('experiment', 'run_id')],
        supports_check_mode=True,
    )
    module.run(collect)


if __name__ == '__main__':
    main()
