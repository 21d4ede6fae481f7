#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: notification_info
short_description: List or get the notification tasks of an Azure Machine Learning workspace
version_added: "1.0.0"
description:
  - Lists every notification task of the workspace O(workspace_name) of O(resource_group) (both required), following
    every page (notification service C(GET .../tasks)).
  - With O(task_id), gets that task only; the result is then empty when it does not exist.
  - Tasks are returned as the service returns them (they name their creator and their recipients' e-mail addresses),
    sorted by RV(tasks[].id), so the same state gives the same result (and the same O(dest) file).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  task_id:
    description:
      - Get this task only.
    type: str
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.common.dest
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.info_module
  - gdpr.azureml.attributes.actiongroup_azureml
notes:
  - No public specification of the notification service exists; the tasks are returned as they come.
seealso:
  - module: gdpr.azureml.export_bundle
    description: Exports every kind of a workspace to a bundle in one module run.
'''

EXAMPLES = r'''
- name: List the notification tasks of a workspace
  gdpr.azureml.notification_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
  register: found

- name: Get one task
  gdpr.azureml.notification_info:
    resource_group: ml-prod
    workspace_name: churn-models
    task_id: 3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a
'''

RETURN = r'''
tasks:
  description:
    - The notification tasks, as the service returns them, sorted by RV(tasks[].id).
    - Empty when O(task_id) does not exist.
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    id:
      description: The task id.
      returned: always
      type: str
      sample: 3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a
    name:
      description: The task name.
      returned: always
      type: str
      sample: "Notify on completion: customer churn v2"
count:
  description: The number of tasks found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 4
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/tasks.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible_collections.gdpr.azureml.plugins.module_utils._info import run_list_or_get


def main():
    run_list_or_get('tasks', 'task_id', 'task_id', 'notification task')


if __name__ == '__main__':
    main()
