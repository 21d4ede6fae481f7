#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: service
short_description: Delete Azure Machine Learning services (GDPR erasure)
version_added: "1.0.0"
description:
  - Deletes services of an Azure Machine Learning workspace through the model management API
    (C(DELETE .../services/{id})), one (O(id)), several (O(ids)) or every service of the workspace (O(all=true)).
  - Idempotent. A service that does not exist (the service answers HTTP 204 or 404) is reported with outcome V(absent)
    and is not a change, so a second identical run reports no change.
  - The deletes run concurrently, at most O(concurrency) requests in flight; a whole workspace is one module run.
  - A service on AKS is deleted asynchronously. The service answers HTTP 202 with an C(Operation-Location), which the
    module polls (honouring C(Retry-After)) until the operation succeeds, fails or O(wait_timeout) passes, so that the
    images and models it used can be deleted next.
  - Every check runs before the first request that changes anything, and runs the same way in check mode.
  - In check mode the module lists the services, runs every check and sends no request that changes anything;
    RV(deleted) holds the ids that a real run would delete and C(changed) is what a real run would report.
  - The role P(gdpr.azureml.purge_workspace#role) plans a whole purge (export check, confirmation, limits), deletes every kind in
    a safe order with these modules and keeps an audit log.
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  state:
    description:
      - V(absent) deletes the services selected by O(id), O(ids) or O(all). It is the only state (there is no create API).
    type: str
    required: true
    choices: [absent]
  id:
    description:
      - The id of one service to delete (for example V(churn-svc)).
      - Exactly one of O(id), O(ids) and O(all) is required.
    type: str
  ids:
    description:
      - The ids of the services to delete. Ids that do not exist are reported with outcome V(absent).
      - Exactly one of O(id), O(ids) and O(all) is required.
    type: list
    elements: str
  all:
    description:
      - V(true) deletes every service of the workspace (as listed at the start of the run).
      - Exactly one of O(id), O(ids) and O(all) is required; V(false) is refused.
    type: bool
  audit_log:
    description:
      - Append one JSON line per service this run sends a delete for to this file (the audit log of
        C(docs/purge.md)), with the keys C(time) (ISO 8601, UTC), C(workspace_id), C(kind) (V(services)), C(id),
        C(status) (HTTP), C(request_id), C(outcome) (V(deleted), V(absent) or V(failed)) and, for a failure, C(error).
      - Before each DELETE a line with C(outcome) V(pending) and the C(client_request_id) the DELETE carries
        (C(x-ms-client-request-id)) is written to disk; the settling line after it carries the same C(client_request_id).
        A line that cannot be written stops the module before its next DELETE. A run that finds C(pending) lines left by
        an interrupted run settles them first by listing the kind again (C(settled_by) V(relist)).
      - An absolute path.
      - The file is created with mode C(0600) (the folders the module creates, C(0700)); it is only ever appended to,
        never truncated. Nothing is written in check mode.
    type: path
  wait_timeout:
    description:
      - Seconds to wait for each asynchronous service delete (HTTP 202) to finish, polling its C(Operation-Location);
        a delete still running then is reported as V(failed). Must be more than 0.
      - Services on AKS are deleted asynchronously.
    type: int
    default: 900
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.actiongroup_azureml
attributes:
  check_mode:
    support: full
    details:
      - Lists the services.
      - Sends no request that changes anything.
  diff_mode:
    support: full
    details:
      - C(before) and C(after) hold the ids of the selected services that exist, before and after the run.
  idempotent:
    support: full
notes:
  - Workspace coordinates (O(subscription_id), O(resource_group), O(workspace_name)) are required.
seealso:
  - module: gdpr.azureml.service_info
  - module: gdpr.azureml.purge_plan
  - name: Export or delete your Machine Learning service workspace data
    description: The Microsoft document whose REST calls this collection implements.
    link: https://learn.microsoft.com/azure/machine-learning/how-to-export-delete-data
"""

EXAMPLES = r"""
- name: Delete one service
  gdpr.azureml.service:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    state: absent
    id: churn-svc

- name: See what deleting every service would do (nothing is deleted in check mode)
  gdpr.azureml.service:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    state: absent
    all: true
  check_mode: true
  register: plan

- name: Delete the services of a reviewed list, keeping an audit log
  gdpr.azureml.service:
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
    - The ids of the services this run deleted; in check mode, the ids a real run would delete.
  returned: always
  type: list
  elements: str
  sample: ["churn-svc"]
results:
  description:
    - One entry per service the run sent a delete for, in the order of O(ids) (empty in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The service id.
      returned: always
      type: str
      sample: churn-svc
    status:
      description: The HTTP status of the delete (C(200) deleted, C(202) accepted, then waited for, C(204) or C(404) absent).
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
"""

from ansible_collections.gdpr.azureml.plugins.module_utils._module import AzureMLModule
from ansible_collections.gdpr.azureml.plugins.module_utils._purge_delete import DELETE_MODULE_KWARGS, SERVICE_WAIT_TIMEOUT, delete_argument_spec, run_delete


def main():
    spec = delete_argument_spec()
    spec['wait_timeout'] = {'type': 'int', 'default': SERVICE_WAIT_TIMEOUT}
    module = AzureMLModule(argument_spec=spec, **DELETE_MODULE_KWARGS)
    run_delete(module, 'services')


if __name__ == '__main__':
    main()
