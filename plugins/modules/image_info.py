#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: image_info
short_description: List or get the images of an Azure Machine Learning workspace
version_added: "1.0.0"
description:
  - Lists every image of the workspace O(workspace_name) of O(resource_group) (both required), following every page
    (model management C(GET .../images)).
  - With O(id), gets that image only; the result is then empty when it does not exist.
  - Images are returned as the model management service returns them, sorted by RV(images[].id), so the
    same state gives the same result (and the same O(dest) file).
  - Images list the models they hold in C(modelIds).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  id:
    description:
      - Get this image only.
    type: str
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.common.dest
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.info_module
  - gdpr.azureml.attributes.actiongroup_azureml
seealso:
  - module: gdpr.azureml.image
    description: Deletes images.
  - module: gdpr.azureml.export_bundle
    description: Exports every kind of a workspace to a bundle in one module run.
'''

EXAMPLES = r'''
- name: List the images of a workspace
  gdpr.azureml.image_info:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
  register: found

- name: Show their ids
  ansible.builtin.debug:
    msg: "{{ found.images | map(attribute='id') | list }}"

- name: Get one image
  gdpr.azureml.image_info:
    resource_group: ml-prod
    workspace_name: churn-models
    id: "img-churn-classifier:2"

- name: Write every image to a file (mode 0600)
  gdpr.azureml.image_info:
    resource_group: ml-prod
    workspace_name: churn-models
    dest: /srv/gdpr/exports/images.json
'''

RETURN = r'''
images:
  description:
    - The images, as the model management service returns them, sorted by RV(images[].id).
    - Empty when O(id) does not exist.
  returned: success and O(dest) is not set
  type: list
  elements: dict
  contains:
    id:
      description: The image id.
      returned: always
      type: str
      sample: img-churn-classifier:2
    name:
      description: The image name.
      returned: always
      type: str
      sample: img-churn-classifier
    modelIds:
      description: The ids of the models in the image.
      returned: always
      type: list
      elements: str
      sample: ["churn-classifier:3"]
count:
  description: The number of images found (written to O(dest) when it is set).
  returned: success
  type: int
  sample: 4
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/images.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible_collections.gdpr.azureml.plugins.module_utils._info import run_list_or_get


def main():
    run_list_or_get('images', 'id', 'id', 'image')


if __name__ == '__main__':
    main()
