#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: workspace
short_description: Delete an Azure Machine Learning workspace, optionally purging it (no soft delete)
version_added: "1.0.0"
description:
  - Deletes the Azure Machine Learning workspace O(workspace_name) of O(resource_group) through Azure Resource Manager.
  - Deleting the workspace is the only documented way to remove what the API cannot delete one object at a time
    (run history, metrics, artifacts, datastores, computes, notification tasks, pipeline objects).
  - The delete is a long-running operation. With O(wait=true) (the default) the module polls the C(Azure-AsyncOperation)
    URL (else the C(Location) URL) that Azure answers with, honouring C(Retry-After), until the operation ends or
    O(wait_timeout) seconds pass (a real deadline, after which the module fails), then confirms with a GET that the workspace is gone.
  - By default Azure only soft-deletes a workspace; its data is kept for the retention period and the workspace is invisible.
    O(permanently_delete=true) sends C(forceToPurge=true) (with api-version C(2024-04-01), the first version that has it) and
    purges the workspace, including one that an earlier run soft-deleted.
  - Idempotent. When there is nothing to delete, Azure answers HTTP 204 (or 404) and the module reports no change; a second
    identical run reports no change.
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  state:
    description:
      - V(absent) deletes the workspace. It is the only state (this collection creates nothing).
    type: str
    required: true
    choices: [absent]
  workspace_name:
    description:
      - The workspace to delete.
    type: str
    required: true
  resource_group:
    description:
      - The resource group of the workspace.
    type: str
    required: true
  wait:
    description:
      - Wait for the delete operation to end, then confirm with a GET that the workspace is gone.
      - With V(false) the module returns as soon as Azure has accepted the delete (HTTP 202) and warns.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the delete operation (with O(wait=true)). After that the module fails, saying the operation is still running.
      - Must be more than 0; V(0) is refused before any request.
    type: int
    default: 1800
  permanently_delete:
    description:
      - Skip the soft delete, where the API has one. The delete is sent with C(forceToPurge=true) and api-version C(2024-04-01).
      - A soft-deleted workspace answers HTTP 404 to a GET, so it cannot be seen; with this option the module always sends the
        purge, which Azure answers with HTTP 202 (a purge of a soft-deleted workspace, then waited for) or HTTP 204 (nothing
        left to purge, no change).
    type: bool
    default: false
  audit_log:
    description:
      - Append one JSON line for the delete to this file (the audit log of C(docs/purge.md)), with the keys
        C(time), C(workspace_id), C(kind) (V(workspace)), C(id) (the ARM id), C(status) (HTTP status of the DELETE),
        C(request_id), C(outcome) (V(deleted), V(absent) or V(failed)) and, for a failure, C(error); before the DELETE, a line
        with C(outcome) V(pending) and the C(client_request_id) the DELETE carries, which the settling line repeats.
      - An absolute path. The file is created with mode C(0600) (the folders the module creates, C(0700)) and only ever appended
        to. Nothing is written in check mode.
    type: path
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.actiongroup_azureml
attributes:
  check_mode:
    support: full
    details:
      - Gets the workspace and sends no DELETE. A workspace that is visible is reported as a change.
      - A soft-deleted workspace is invisible, and Azure tells it from a purged one only in answer to the purge itself; so with
        O(permanently_delete=true) check mode reports no change for an invisible workspace and warns that a real run may purge it.
  diff_mode:
    support: full
    details:
      - C(before) and C(after) hold the ARM id and the state (V(present), V(soft_deleted) or V(absent)) of the workspace.
  idempotent:
    support: full
notes:
  - Everything the workspace holds is lost with it. Export it first (role P(gdpr.azureml.purge_workspace#role) with
    C(purge_workspace_delete_workspace) checks the export bundle and the confirmation before it calls this module).
seealso:
  - module: gdpr.azureml.workspace_info
  - module: gdpr.azureml.purge_plan
  - name: Soft delete of Azure Machine Learning workspaces
    description: What Azure keeps after a delete without O(permanently_delete).
    link: https://learn.microsoft.com/azure/machine-learning/concept-soft-delete
"""

EXAMPLES = r"""
- name: Delete a workspace and wait until it is gone (soft delete)
  gdpr.azureml.workspace:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    state: absent

- name: Purge a workspace (also one soft-deleted earlier), waiting at most 20 minutes
  gdpr.azureml.workspace:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    state: absent
    permanently_delete: true
    wait_timeout: 1200
    audit_log: /srv/gdpr/exports/audit/ml-prod_churn-models.jsonl
"""

RETURN = r"""
workspace:
  description:
    - The workspace as Azure Resource Manager last returned it (before the delete); empty when it was not visible.
  returned: always
  type: dict
  sample:
    id: /subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/ml-prod/providers/Microsoft.MachineLearningServices/workspaces/churn-models
    name: churn-models
    location: westeurope
status:
  description: The HTTP status Azure answered the DELETE with (C(202) accepted, C(204) nothing to delete).
  returned: when a DELETE was sent
  type: int
  sample: 202
request_id:
  description: The C(x-ms-request-id) of the answer to the DELETE.
  returned: when a DELETE was sent
  type: str
  sample: 4f6c1c56-6c2d-4a8a-9d55-0b6f3e1f7d21
"""

from ansible_collections.gdpr.azureml.plugins.module_utils._module import AzureMLModule
from ansible_collections.gdpr.azureml.plugins.module_utils._workspace_delete import run_workspace_delete, workspace_argument_spec


def main():
    module = AzureMLModule(argument_spec=workspace_argument_spec(), supports_check_mode=True)
    run_workspace_delete(module)


if __name__ == '__main__':
    main()
