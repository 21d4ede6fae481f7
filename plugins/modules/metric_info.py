#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: metric_info
short_description: List or get the run metrics of Azure Machine Learning experiments
version_added: "1.0.0"
description:
  - Lists every run metric of the experiments O(experiments) (by default of every experiment) of the workspace
    O(workspace_name) of O(resource_group) (both required), following every page.
  - The run history API lists metrics per experiment; the module lists the experiments first when O(experiments) is not
    set, then the metrics of each, with at most O(concurrency) requests in flight.
  - With O(experiment) and O(metric_id), gets that one metric instead; the result is then empty when it does not exist.
  - Metrics are returned as the service returns them, sorted by RV(metrics[].metricId), so the same state gives the same
    result (and the same O(dest) file).
  - These are the run-history metrics. The metrics today's SDKs log are kept by the v2 metrics service, which this list does
    not return; M(gdpr.azureml.export_bundle) exports them as the kind C(metrics_v2).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  experiments:
    description:
      - The names of the experiments whose metrics to list. All experiments when not set.
      - An experiment the service does not know fails the module.
      - Mutually exclusive with O(experiment).
    type: list
    elements: str
  experiment:
    description:
      - The experiment of O(metric_id).
      - Requires O(metric_id).
    type: str
  metric_id:
    description:
      - Get this metric only (of O(experiment)).
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
  - module: gdpr.azureml.run_info
  - module: gdpr.azureml.export_bundle
    description: Exports every kind of a workspace to a bundle in one module run.
'''

EXAMPLES = r'''
- name: Write every metric of every experiment to a file (mode 0600)
  gdpr.azureml.metric_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    dest: /srv/gdpr/exports/metrics.json

- name: List the metrics of one experiment
  gdpr.azureml.metric_info:
    resource_group: ml-prod
    workspace_name: churn-models
    experiments: [customer churn v2]
  register: found

- name: Get one metric
  gdpr.azureml.metric_info:
    resource_group: ml-prod
    workspace_name: churn-models
    experiment: customer churn v2
    metric_id: 0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d
'''

RETURN = r'''
metrics:
  description:
    - The run metrics, as the run history service returns them, sorted by RV(metrics[].metricId).
    - Empty when the metric of O(metric_id) does not exist.
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    metricId:
      description: The metric id.
      returned: always
      type: str
      sample: 0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d
    runId:
      description: The run the metric belongs to.
      returned: always
      type: str
      sample: customer_churn_v2_1583143680_4ec268ea
    name:
      description: The metric name.
      returned: always
      type: str
      sample: accuracy
    cells:
      description: The metric values.
      returned: always
      type: list
      elements: dict
      sample: [{"accuracy": 0.8731}]
count:
  description: The number of metrics found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 30
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/metrics.json
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
    if p['metric_id']:
        what = f"get metric {p['metric_id']!r} of experiment {p['experiment']!r} in workspace {module.workspace}"
        items = get_one(module.client, 'metrics', {'experiment_name': p['experiment'], 'metric_id': p['metric_id']}, what)
    else:
        items = stream(module.client, 'metrics', lambda collector: collector.start_experiments(p['experiments']))
    return info_result(module, 'metrics', 'metrics', items)


def main():
    module = AzureMLModule(
        argument_spec={
            'experiments': {'type': 'list', 'elements': 'str'},
            'experiment': {'type': 'str'},
            'metric_id': {'type': 'str'},
            'dest': {'type': 'path'},
        },
        mutually_exclusive=[('experiments', 'experiment')],
        required_together=[('experiment', 'metric_id')],
        supports_check_mode=True,
    )
    module.run(collect)


if __name__ == '__main__':
    main()
