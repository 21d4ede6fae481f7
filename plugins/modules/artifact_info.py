#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: artifact_info
short_description: List the artifacts of Azure Machine Learning runs
version_added: "1.0.0"
description:
  - Lists the artifacts (their metadata) of the runs O(run_ids) of the workspace O(workspace_name) of O(resource_group)
    (both required), following every page.
  - By default the artifacts of every run of the workspace; the module then lists the experiments (archived ones too) and
    their runs first. The artifact API lists artifacts per container; the module makes these calls with at most
    O(concurrency) requests in flight.
  - A run's artifacts live in the container its C(dataContainerId) names (C(dcid.<run id>) for runs of the SDK), which the
    module lists; a container that does not exist lists as empty. For a run without C(dataContainerId) it lists both
    C(dcid.<run id>) and C(<run id>) and merges them.
  - Artifacts are returned as the service returns them, sorted by RV(artifacts[].artifactId), so the same state gives
    the same result (and the same O(dest) file).
  - Artifact contents are not downloaded; M(gdpr.azureml.export_bundle) does it with O(gdpr.azureml.export_bundle#module:artifact_content=true).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  run_ids:
    description:
      - The ids of the runs whose artifacts to list. Every run of the workspace when not set.
      - Each run is got first, by its id alone (C(GET /history/v1.0/.../workspaces/{name}/runs/{runId}), the call azureml-core
        makes), to learn its data container.
      - A run without artifacts (or unknown to the service) lists none.
    type: list
    elements: str
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.common.dest
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.info_module
  - gdpr.azureml.attributes.actiongroup_azureml
seealso:
  - module: gdpr.azureml.run_info
  - module: gdpr.azureml.export_bundle
    description: Exports every kind of a workspace to a bundle in one module run, artifact contents included if asked.
'''

EXAMPLES = r'''
- name: Write the artifacts of every run of a workspace to a file (mode 0600)
  gdpr.azureml.artifact_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    dest: /srv/gdpr/exports/artifacts.json

- name: List the artifacts of two runs
  gdpr.azureml.artifact_info:
    resource_group: ml-prod
    workspace_name: churn-models
    run_ids:
      - customer_churn_v2_1583143680_4ec268ea
      - customer_churn_v2_1583144100_a1b2c3d4
  register: found

- name: Show their paths
  ansible.builtin.debug:
    msg: "{{ found.artifacts | map(attribute='path') | list }}"
'''

RETURN = r'''
artifacts:
  description:
    - The artifacts, as the artifact service returns them, sorted by RV(artifacts[].artifactId).
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    artifactId:
      description: The artifact id, C(<origin>/<container>/<path>).
      returned: always
      type: str
      sample: ExperimentRun/dcid.customer_churn_v2_1583143680_4ec268ea/outputs/model.pkl
    container:
      description: The run's data container (its C(dataContainerId), C(dcid.<run id>) for runs of the SDK).
      returned: always
      type: str
      sample: dcid.customer_churn_v2_1583143680_4ec268ea
    path:
      description: The artifact path inside the run, as the run wrote it (it may hold any character).
      returned: always
      type: str
      sample: outputs/model.pkl
count:
  description: The number of artifacts found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 45
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/artifacts.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible_collections.gdpr.azureml.plugins.module_utils._export import info_result, stream
from ansible_collections.gdpr.azureml.plugins.module_utils._module import AzureMLModule


def start(run_ids):
    def starter(collector):
        if run_ids is None:
            collector.start_experiments()
        else:
            collector.start_artifacts(sorted(set(run_ids)))
    return starter


def collect(module):
    items = stream(module.client, 'artifacts', start(module.params['run_ids']))
    return info_result(module, 'artifacts', 'artifacts', items)


def main():
    module = AzureMLModule(argument_spec={'run_ids': {'type': 'list', 'elements': 'str'}, 'dest': {'type': 'path'}}, supports_check_mode=True)
    module.run(collect)


if __name__ == '__main__':
    main()
