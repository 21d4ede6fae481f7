#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: storage_info
short_description: List the files of an Azure Machine Learning workspace in its storage account
version_added: "2.0.0"
description:
  - Lists the blobs of a container of the storage account of the workspace O(workspace_name) of O(resource_group)
    (both required). By default the files of every run, in the container C(azureml) of the C(workspaceartifactstore) datastore,
    where a run's outputs and logs live under C(ExperimentRun/dcid.<run id>/).
  - The account is the one the workspace names (its C(storageAccount) in Azure Resource Manager); the module reaches it with
    a token for Azure Storage from the same auth source (see O(storage_access_token)), or with O(storage_account_key).
    It never reads a datastore's credentials.
  - Also returns the storage service's delete retention policy (RV(delete_retention)), which says how long deleted blobs
    stay recoverable.
  - Blobs are listed page by page and sorted by RV(blobs[].name) then RV(blobs[].snapshot), so the same state gives the same
    result (and the same O(dest) file). Nothing is downloaded.
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  container:
    description:
      - The container to list. C(azureml) holds the files of the runs; the C(workspaceblobstore) datastore's container is
        C(azureml-blobstore-<workspace guid>) (uploads, code snapshots).
    type: str
    default: azureml
  prefix:
    description:
      - List only the blobs whose name starts with this.
    type: str
  run_id:
    description:
      - List only the files of this run (the prefix C(ExperimentRun/dcid.<run_id>/)).
    type: str
  snapshots:
    description:
      - List the snapshots of the blobs too, one item each.
    type: bool
    default: true
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.common.dest
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.info_module
  - gdpr.azureml.attributes.actiongroup_azureml
seealso:
  - module: gdpr.azureml.artifact_info
    description: The artifacts a run registered (metadata from the artifact service).
'''

EXAMPLES = r'''
- name: List the files of one run in the workspace storage
  gdpr.azureml.storage_info:
    resource_group: ml-prod
    workspace_name: churn-models
    run_id: customer_churn_v2_1583143680_4ec268ea
  register: files

- name: Show their names and sizes, and how long deleted blobs stay recoverable
  ansible.builtin.debug:
    msg:
      files: "{{ files.blobs | items2dict(key_name='name', value_name='size') }}"
      retention: "{{ files.delete_retention }}"

- name: With static tokens (auth_source token), for example from az account get-access-token --resource https://storage.azure.com
  gdpr.azureml.storage_info:
    auth_source: token
    resource_group: ml-prod
    workspace_name: churn-models
    access_token: "{{ arm_token }}"
    storage_access_token: "{{ storage_token }}"
    dest: /srv/gdpr/exports/run-files.json
'''

RETURN = r'''
account:
  description: The workspace's storage account.
  returned: success
  type: str
  sample: stchurnmodels01
container:
  description: The container listed.
  returned: success
  type: str
  sample: azureml
prefix:
  description: The name prefix listed (from O(prefix) or O(run_id)), or null for the whole container.
  returned: success
  type: str
  sample: ExperimentRun/dcid.customer_churn_v2_1583143680_4ec268ea/
delete_retention:
  description:
    - The blob service's delete retention policy. RV(delete_retention.enabled) is null when it could not be read
      (reading it needs the C(Microsoft.Storage/storageAccounts/blobServices/read) permission); RV(delete_retention.error) says why.
  returned: success
  type: dict
  contains:
    enabled:
      description: Whether deleted blobs stay recoverable.
      returned: always
      type: bool
    days:
      description: For how many days, when enabled.
      returned: always
      type: int
    error:
      description: Why the policy could not be read.
      returned: when it could not be read
      type: str
  sample: {"enabled": false, "days": null}
blobs:
  description: The blobs, sorted by RV(blobs[].name) then RV(blobs[].snapshot).
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    name:
      description: The blob name.
      returned: always
      type: str
      sample: ExperimentRun/dcid.customer_churn_v2_1583143680_4ec268ea/outputs/model.pkl
    snapshot:
      description: The snapshot time stamp, or null for the blob itself.
      returned: always
      type: str
    size:
      description: The size in bytes.
      returned: always
      type: int
      sample: 2048
    etag:
      description: The ETag (without quotes).
      returned: always
      type: str
      sample: 0x8D7A1B2C3D4E5F6
    last_modified:
      description: When the blob was last written (ISO 8601).
      returned: always
      type: str
    content_md5:
      description: The MD5 digest the service keeps (hex), or null (large block blobs often have none).
      returned: always
      type: str
count:
  description: The number of blobs (snapshots included) found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 12
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/run-files.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible_collections.gdpr.azureml.plugins.module_utils._module import AzureMLModule
from ansible_collections.gdpr.azureml.plugins.module_utils._storage import run_blob_prefix


def collect(module):
    p = module.params
    account = module.storage_account()
    prefix = run_blob_prefix(p['run_id']) if p['run_id'] else p['prefix']
    storage = module.storage
    retention = storage.delete_retention(account)
    blobs = ({k: v for k, v in blob._asdict().items() if k not in ('account', 'container')}
             for blob in storage.iter_blobs(account, p['container'], prefix, snapshots=p['snapshots']))
    result = module.items_result('blobs', blobs, sort_key=lambda b: (b['name'], b['snapshot'] or ''))
    delete_retention = {'enabled': retention.enabled, 'days': retention.days}
    if retention.error:
        delete_retention['error'] = retention.error
    return dict(result, account=account, container=p['container'], prefix=prefix or None, delete_retention=delete_retention)


def main():
    module = AzureMLModule(argument_spec={
        'container': {'type': 'str', 'default': 'azureml'},
        'prefix': {'type': 'str'},
        'run_id': {'type': 'str'},
        'snapshots': {'type': 'bool', 'default': True},
        'dest': {'type': 'path'},
    }, mutually_exclusive=[('prefix', 'run_id')], supports_check_mode=True)
    module.run(collect, what=f'list the storage files of workspace {module.workspace}')


if __name__ == '__main__':
    main()
