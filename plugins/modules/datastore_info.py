#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: datastore_info
short_description: List or get the datastores of an Azure Machine Learning workspace, without their credentials
version_added: "1.0.0"
description:
  - Lists every datastore of the workspace O(workspace_name) of O(resource_group) (both required), following every page.
  - With O(name), gets that datastore only; the result is then empty when it does not exist.
  - Never returns credentials. The datastore API returns them by default; the module always sends C(includeSecret=false),
    and also removes these fields from whatever comes back, wherever they appear in a datastore (any section, nested
    objects included, names compared case-insensitively)
    C(accountKey), C(certificate), C(clientSecret), C(credential), C(kerberosKeytab), C(kerberosPassword), C(password),
    C(sasToken), C(secret), C(userPassword).
    Everything else (account, container, server and database names, client and tenant ids, C(credentialType)) is kept.
  - Datastores are sorted by RV(datastores[].name), so the same state gives the same result (and the same O(dest) file).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  name:
    description:
      - Get this datastore only.
    type: str
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.common.dest
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.info_module
  - gdpr.azureml.attributes.actiongroup_azureml
seealso:
  - module: gdpr.azureml.export_bundle
    description: Exports every kind of a workspace to a bundle in one module run (datastores without credentials too).
'''

EXAMPLES = r'''
- name: List the datastores of a workspace (no credentials)
  gdpr.azureml.datastore_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
  register: found

- name: Show their names and types
  ansible.builtin.debug:
    msg: "{{ found.datastores | items2dict(key_name='name', value_name='dataStoreType') }}"

- name: Get the default blob datastore
  gdpr.azureml.datastore_info:
    resource_group: ml-prod
    workspace_name: churn-models
    name: workspaceblobstore
'''

RETURN = r'''
datastores:
  description:
    - The datastores, as the service returns them with C(includeSecret=false), credential fields removed, sorted by
      RV(datastores[].name).
    - Empty when O(name) does not exist.
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    name:
      description: The datastore name.
      returned: always
      type: str
      sample: workspaceblobstore
    dataStoreType:
      description: The datastore type.
      returned: always
      type: str
      sample: AzureBlob
    azureStorageSection:
      description: For blob and file datastores, the storage account and container (C(credentialType) kept, credentials removed).
      returned: for blob and file datastores
      type: dict
      sample: {"accountName": "stml01", "containerName": "azureml-blobstore", "credentialType": "AccountKey"}
count:
  description: The number of datastores found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 7
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/datastores.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible_collections.gdpr.azureml.plugins.module_utils._info import run_list_or_get


def main():
    run_list_or_get('datastores', 'name', 'name', 'datastore')


if __name__ == '__main__':
    main()
