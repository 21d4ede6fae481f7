#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: model
short_description: Delete Azure Machine Learning models (GDPR erasure)
version_added: "1.0.0"
description:
  - Deletes models of an Azure Machine Learning workspace through the model management API
    (C(DELETE .../models/{id})), one (O(id)), several (O(ids)) or every model of the workspace (O(all=true)).
  - Idempotent. A model that does not exist (the service answers HTTP 204 or 404) is reported with outcome V(absent)
    and is not a change, so a second identical run reports no change.
  - The deletes run concurrently, at most O(concurrency) requests in flight; a whole workspace is one module run.
  - A model used by an image or a service cannot be deleted (Azure answers HTTP 412 C(DeletionRequired)). Before any
    delete, the module lists the images and services of the workspace and fails, naming them, when any of them uses
    a model to delete; nothing is deleted then. Delete the services and images first.
  - Every check runs before the first request that changes anything, and runs the same way in check mode.
  - In check mode the module lists the models, runs every check and sends no request that changes anything;
    RV(deleted) holds the ids that a real run would delete and C(changed) is what a real run would report.
  - The role P(gdpr.azureml.purge_workspace#role) plans a whole purge (export check, confirmation, limits), deletes every kind in
    a safe order with these modules and keeps an audit log.
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  state:
    description:
      - V(absent) deletes the models selected by O(id), O(ids) or O(all). It is the only state (there is no create API).
    type: str
    required: true
    choices: [absent]
  id:
    description:
      - The id of one model to delete (for example V(churn:3)).
      - Exactly one of O(id), O(ids) and O(all) is required.
    type: str
  ids:
    description:
      - The ids of the models to delete. Ids that do not exist are reported with outcome V(absent).
      - Exactly one of O(id), O(ids) and O(all) is required.
    type: list
    elements: str
  all:
    description:
      - V(true) deletes every model of the workspace (as listed at the start of the run).
      - Exactly one of O(id), O(ids) and O(all) is required; V(false) is refused.
    type: bool
  audit_log:
    description:
      - Append one JSON line per model this run sends a delete for to this file (the audit log of
        C(docs/purge.md)), with the keys C(time) (ISO 8601, UTC), C(workspace_id), C(kind) (V(models)), C(id),
        C(status) (HTTP), C(request_id), C(outcome) (V(deleted), V(absent) or V(failed)) and, for a failure, C(error).
      - Before each DELETE a line with C(outcome) V(pending) and the C(client_request_id) the DELETE carries
        (C(x-ms-client-request-id)) is written to disk; the settling line after it carries the same C(client_request_id).
        A line that cannot be written stops the module before its next DELETE. A run that finds C(pending) lines left by
        an interrupted run settles them first by listing the kind again (C(settled_by) V(relist)).
      - An absolute path.
      - The file is created with mode C(0600) (the folders the module creates, C(0700)); it is only ever appended to,
        never truncated. Nothing is written in check mode.
    type: path
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.actiongroup_azureml
attributes:
  check_mode:
    support: full
    details:
      - Lists the models, images and services,
        finds what still uses the models to delete (and fails as a real run would).
      - Sends no request that changes anything.
  diff_mode:
    support: full
    details:
      - C(before) and C(after) hold the ids of the selected models that exist, before and after the run.
  idempotent:
    support: full
notes:
  - Workspace coordinates (O(subscription_id), O(resource_group), O(workspace_name)) are required.
seealso:
  - module: gdpr.azureml.model_info
  - module: gdpr.azureml.purge_plan
  - name: Export or delete your Machine Learning service workspace data
    description: The Microsoft document whose REST calls this collection implements.
    link: https://learn.microsoft.com/azure/machine-learning/how-to-export-delete-data
"""

EXAMPLES = r"""
- name: Delete one model
  gdpr.azureml.model:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    state: absent
    id: churn:3

- name: See what deleting every model would do (nothing is deleted in check mode)
  gdpr.azureml.model:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    state: absent
    all: true
  check_mode: true
  register: plan

- name: Delete the models of a reviewed list, keeping an audit log
  gdpr.azureml.model:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    state: absent
    ids: "{{ plan.deleted }}"
    audit_log: /srv/gdpr/exports/audit/ml-prod_churn-models.jsonl
"""

RETURN = r"""
deleted:
  description:
    - The ids of the models this run deleted; in check mode, the ids a real run would delete.
  returned: always
  type: list
  elements: str
  sample: ["churn:3"]
results:
  description:
    - One entry per model the run sent a delete for, in the order of O(ids) (empty in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The model id.
      returned: always
      type: str
      sample: churn:3
    status:
      description: The HTTP status of the delete (C(200) deleted, C(202) accepted, C(204) or C(404) absent).
      returned: always
      type: int
      sample: 200
    request_id:
      description: The C(x-ms-request-id) of the answer (what Microsoft support asks for).
      returned: always
      type: str
      sample: 4f6c1c56-6c2d-4a8a-9d55-0b6f3e1f7d21
    outcome:
      description: V(deleted), V(absent) (did not exist) or V(failed).
      returned: always
      type: str
      sample: deleted
    error:
      description: Why the delete failed.
      returned: when RV(results[].outcome) is V(failed)
      type: str
    holders:
      description: What still uses the model (for example V(service s-1)) when the service answered 412.
      returned: when the service refused the delete with HTTP 412
      type: list
      elements: str
holders:
  description:
    - When the module fails because models to delete are still used, which images or services use each of them.
  returned: when models to delete are still used
  type: dict
  sample: {"churn:3": ["image churn-img:1", "service churn-svc"]}
"""

from ansible_collections.gdpr.azureml.plugins.module_utils._module import AzureMLModule
from ansible_collections.gdpr.azureml.plugins.module_utils._purge_delete import DELETE_MODULE_KWARGS, delete_argument_spec, run_delete


def main():
    module = AzureMLModule(argument_spec=delete_argument_spec(), **DELETE_MODULE_KWARGS)
    run_delete(module, 'models')


if __name__ == '__main__':
    main()
