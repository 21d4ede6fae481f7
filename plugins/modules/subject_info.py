#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: subject_info
short_description: Find where an export bundle refers to a person (GDPR data-subject requests)
version_added: "1.0.0"
description:
  - Reads an export bundle written by the role C(gdpr.azureml.export_workspace_data) and answers
    "what does this workspace hold about this person, and where?".
  - For each identity of O(subjects) it lists every exported object that refers to it (kind, id, name, and the JSON path
    of each matching field, for example C(createdBy.userObjectId), C(userId), C(kvTags.owner)), with counts per kind.
  - Without O(subjects) it lists every distinct identity the identity fields of the workspace name, with counts per kind,
    so that a privacy officer sees who appears at all.
  - Makes no service call and takes none of the connection options of the other modules, so it is not a member of the
    action group C(gdpr.azureml.azureml) (C(module_defaults) for that group do not reach it). A fleet's bundles can be
    searched long after the export, offline.
  - "Matching: object ids and tenant ids are compared as GUIDs, that is case-insensitively; UPNs, e-mail addresses and
    display names case-insensitively after Unicode NFC normalisation. Every string value of every object is compared,
    at any depth (identity fields, tags, C(kvTags), C(properties), task recipients, models embedded in images and services).
    An e-mail address also matches the guest UPN Azure AD derives from it (C(jane_fabrikam.com#EXT#@contoso.onmicrosoft.com))."
  - Metrics and artifacts name no user; they are reported for the subject who created their run (RV(subjects[].objects[].via)).
  - The fields searched and the rules are listed in C(docs/subjects.md) of the collection.
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  bundle_dir:
    description:
      - The folder of one workspace's export bundle (C(<export_workspace_data_dest>/<inventory_hostname>)).
    type: path
    required: true
  subjects:
    description:
      - The identities to look for.
      - A string is an Azure AD object id when it is a GUID, a UPN or e-mail address when it holds C(@), else a display name.
      - A dict may hold C(object_id), C(upn), C(email), C(name) (display name) and C(tenant_id); it needs one of the first four.
        C(tenant_id) narrows the subject - a match on its object id or display name inside a user record of another tenant
        (a C(userTenantId) that differs) is not counted.
      - Give the object id whenever you can - run history names users by object id and display name only, so an e-mail
        address alone finds only tags, task recipients and the like; a display name can also match a namesake.
      - When empty, the index lists every identity that appears instead (see O(identities)).
    type: list
    elements: raw
    default: []
  identities:
    description:
      - Also list every distinct identity that appears in the workspace (RV(identities)).
      - The default is V(true) when O(subjects) is empty and V(false) otherwise, so that the answer to one person's
        request does not list the other people of the workspace.
    type: bool
  match:
    description:
      - V(exact) counts a string value that equals an identifier of a subject.
      - V(contains) also reports values that contain one (free text such as descriptions), under
        RV(subjects[].objects[].mentions); identifiers shorter than 3 characters are only matched exactly.
    type: str
    choices: [exact, contains]
    default: exact
  allow_incomplete:
    description:
      - Index a bundle that is incomplete (no C(manifest.json), for example an export that was interrupted)
        or whose files do not match their checksums. The result says so (RV(bundle.complete) is V(false)) and lists the problems.
      - By default such a bundle is refused - an index built from part of the data would report a person as absent
        where they may well appear.
    type: bool
    default: false
  dest:
    description:
      - Write the index to this file (usually C(<bundle_dir>/subjects.json)) instead of returning it, atomically and with mode
        C(0600). The folder must exist.
      - The content has no timestamps, so the same bundle and subjects always give the same bytes;
        RV(ignore:changed) is V(true) only when the file's content (or mode) changes. In check mode nothing is written.
    type: path
  return_index:
    description:
      - With O(dest), return RV(subjects) and RV(identities) as well (by default a run that writes the index returns only its
        summary). The playbook C(gdpr.azureml.find_subject) prints them and writes its report in one module run.
    type: bool
    default: false
    version_added: "2.0.0"
attributes:
  check_mode:
    support: full
    details:
      - With O(dest), nothing is written in check mode; RV(ignore:changed) says whether a real run would write.
  diff_mode:
    support: none
  idempotent:
    support: full
extends_documentation_fragment:
  - gdpr.azureml.attributes
notes:
  - The index refers to the exported data - what the workspace held at the time of the export. Export again for a
    current answer.
  - Personal data in free text (descriptions, artifact contents, paths on datastores) is found only in part, with O(match=contains)
    and only where it spells an identifier in full.
seealso:
  - name: Export or delete your Machine Learning service workspace data
    description: The Microsoft document whose REST calls this collection implements.
    link: https://learn.microsoft.com/azure/machine-learning/how-to-export-delete-data
'''

EXAMPLES = r'''
- name: Where does Jane Doe appear in this workspace's export?
  gdpr.azureml.subject_info:
    bundle_dir: /srv/gdpr/exports/ml-prod_churn-models
    subjects:
      - object_id: 0f8fad5b-d9cb-469f-a165-70867728950e
        email: jane.doe@contoso.com
        name: Jane Doe
  register: jane

- name: Show the objects, kind and id
  ansible.builtin.debug:
    msg: "{{ jane.subjects[0].objects | map(attribute='kind') | zip(jane.subjects[0].objects | map(attribute='id')) | list }}"

- name: Who appears in the workspace at all?
  gdpr.azureml.subject_info:
    bundle_dir: /srv/gdpr/exports/ml-prod_churn-models
  register: everyone

- name: Write the index of two people into the bundle (mode 0600)
  gdpr.azureml.subject_info:
    bundle_dir: /srv/gdpr/exports/ml-prod_churn-models
    subjects:
      - 0f8fad5b-d9cb-469f-a165-70867728950e
      - john.roe@contoso.com
    dest: /srv/gdpr/exports/ml-prod_churn-models/subjects.json
'''

RETURN = r'''
bundle_dir:
  description: The absolute path of the bundle read.
  returned: success
  type: str
  sample: /srv/gdpr/exports/ml-prod_churn-models
workspace:
  description: The workspace of the bundle, from its manifest (C(id), C(name), C(resource_group), C(subscription_id), C(location)).
  returned: success
  type: dict
  sample: {"id": "/subscriptions/.../workspaces/churn-models", "name": "churn-models"}
bundle:
  description: What was read.
  returned: success
  type: dict
  contains:
    complete:
      description: V(false) when the bundle has no manifest or a file does not match its checksum (only with O(allow_incomplete)).
      type: bool
      returned: always
    problems:
      description: What is wrong with the bundle (empty when it is complete).
      type: list
      elements: str
      returned: always
    kinds:
      description: The kinds searched (the kinds of the manifest, or the kind files present in an incomplete bundle).
      type: list
      elements: str
      returned: always
      sample: [workspace, computes, experiments, runs, metrics, artifacts, tasks, datastores, models, assets, images, services]
summary:
  description: Per subject, in the order of O(subjects) (identical subjects once), whether and how often it was found.
  returned: success
  type: list
  elements: dict
  contains:
    subject:
      description: The subject as understood (keys C(object_id), C(upn), C(email), C(name), C(tenant_id) that are set; ids lower case).
      type: dict
      returned: always
      sample: {"object_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "name": "Jane Doe"}
    found:
      description: Whether at least one object refers to the subject.
      type: bool
      returned: always
    total:
      description: The number of objects that refer to the subject.
      type: int
      returned: always
    counts:
      description: The number of those objects per kind (kinds with at least one).
      type: dict
      returned: always
      sample: {"runs": 4, "metrics": 8, "artifacts": 12, "models": 1}
    evidence:
      description:
        - The number of those objects per evidence (those with at least one) - V(precise) (an object id, the object's own
          or its run's, a compute instance's assigned user), V(address) (a UPN or e-mail address), V(display_name) (a name
          only, as ARM C(systemData.createdBy) names the creator of a v2 resource - weaker evidence).
        - Each object of the index says its own in C(evidence).
      type: dict
      returned: always
      sample: {"precise": 24, "display_name": 1}
found_total:
  description: The number of distinct objects that refer to at least one subject.
  returned: success
  type: int
  sample: 25
count:
  description: The number of entries of the index - one per subject, plus one per identity when identities are listed.
  returned: success
  type: int
  sample: 1
identity_count:
  description: The number of distinct identities that appear.
  returned: success and identities are listed
  type: int
  sample: 5
subjects:
  description: Per subject, every object that refers to it.
  returned: success, O(dest) is not set or O(return_index=true), and O(subjects) is set (or O(identities=false))
  type: list
  elements: dict
  contains:
    subject:
      description: The subject as understood.
      type: dict
      returned: always
    found:
      description: Whether at least one object refers to the subject.
      type: bool
      returned: always
    total:
      description: The number of objects that refer to the subject.
      type: int
      returned: always
    counts:
      description: The number of those objects for every kind searched (zero included).
      type: dict
      returned: always
    objects:
      description: The objects, by kind (in bundle order) and id.
      type: list
      elements: dict
      returned: always
      contains:
        kind:
          description: The kind (the bundle file name without C(.json)).
          type: str
          returned: always
          sample: runs
        id:
          description: The object's id (the id field of its kind, for example C(runId) for runs, C(name) for datastores).
          type: str
          returned: always
          sample: churn_1583136420_0a1b2c3d
        name:
          description: The object's name (C(name), else C(displayName), C(path)); null when it has none.
          type: str
          returned: always
        fields:
          description: The JSON paths of the fields that equal an identifier of the subject; for metrics and
            artifacts, the reference to their run (C(runId), C(container)).
          type: list
          elements: str
          returned: always
          sample: ["createdBy.userName", "createdBy.userObjectId", "tags.owner", "userId"]
        created_by:
          description: Whether the object names the subject as its own creator (top-level C(createdBy), C(userId), C(systemData.createdBy)).
          type: bool
          returned: always
        via:
          description: For metrics and artifacts, the run (C(kind), C(id)) the subject created.
          type: dict
          returned: when the object is found through its run
          sample: {"kind": "runs", "id": "churn_1583136420_0a1b2c3d"}
        mentions:
          description: The JSON paths of the values that contain an identifier of the subject.
          type: list
          elements: str
          returned: with O(match=contains), when there are such values
          sample: ["description"]
identities:
  description: Every distinct identity that the identity fields of the workspace name, object ids first, then addresses, then names.
  returned: success, O(dest) is not set or O(return_index=true), and identities are listed (see O(identities))
  type: list
  elements: dict
  contains:
    object_id:
      description: The Azure AD object id (for identities known by it).
      type: str
      returned: for identities known by their object id
    address:
      description: The UPN or e-mail address (for identities known by it, such as task recipients and C(owner) tags).
      type: str
      returned: for identities known by their address
    name:
      description: The display name (for identities known by it only).
      type: str
      returned: for identities known by their name only
    names:
      description: The display names seen with the identity (C(createdBy.userName), C(displayName)).
      type: list
      elements: str
      returned: always
    tenant_ids:
      description: The tenant ids seen with the identity (C(userTenantId)).
      type: list
      elements: str
      returned: always
    counts:
      description: The number of objects per kind whose identity fields name it (metrics and artifacts through their run).
      type: dict
      returned: always
      sample: {"runs": 3, "metrics": 6, "artifacts": 9, "models": 2}
    total:
      description: The sum of RV(identities[].counts).
      type: int
      returned: always
    fields:
      description: Where it was seen (JSON paths without array indexes).
      type: list
      elements: str
      returned: always
      sample: ["createdBy.userObjectId", "userId", "modelDetails[].createdBy.userObjectId"]
dest:
  description: The absolute path of the file written.
  returned: success and O(dest) is set
  type: str
  sample: /srv/gdpr/exports/ml-prod_churn-models/subjects.json
sha256:
  description: The SHA-256 digest of the file's content (what the file holds, or would hold in check mode).
  returned: success and O(dest) is set
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import BundleError
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import SubjectError, subject_info


def main():
    module = AnsibleModule(
        argument_spec={
            'bundle_dir': {'type': 'path', 'required': True},
            'subjects': {'type': 'list', 'elements': 'raw', 'default': []},
            'identities': {'type': 'bool'},
            'match': {'type': 'str', 'choices': ['exact', 'contains'], 'default': 'exact'},
            'allow_incomplete': {'type': 'bool', 'default': False},
            'dest': {'type': 'path'},
            'return_index': {'type': 'bool', 'default': False},
        },
        supports_check_mode=True,
    )
    try:
        result = subject_info(module.params, check_mode=module.check_mode)
    except (SubjectError, BundleError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f'{exc.strerror or exc}' + (f': {exc.filename}' if getattr(exc, 'filename', None) else ''))
    if result['bundle']['problems']:
        module.warn('the export bundle is incomplete, the index may miss objects: ' + '; '.join(result['bundle']['problems']))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
