#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: subject_package
short_description: Write the answer to a data-subject access request from a fleet's export bundles (GDPR Articles 15 and 20)
version_added: "2.0.0"
description:
  - Reads the export bundles of every workspace of a fleet (written by the role P(gdpr.azureml.export_workspace_data#role))
    and writes, for one person, a folder C(<dest>/<slug>/) to hand to them - their data in a concise, intelligible form and,
    for portability, in a machine-readable one. One module run answers for the whole fleet.
  - "C(objects.json): every object of every workspace and kind that refers to the person (as M(gdpr.azureml.subject_info)
    finds them), with the workspace, the kind, the fields that matched, how strong the match is (C(identifier) - an object
    id, UPN or e-mail address of the person; C(display_name) - their name only), and the object as exported."
  - "C(files/<bundle>/...): the files the person's runs produced, where the bundle holds them (artifact contents, exported
    with C(export_workspace_data_artifact_content)), with their SHA-256."
  - "C(summary.html) and C(summary.md): what is held, where, since when, how many objects per kind, which objects name the
    person without being theirs, which were matched by display name only, what was redacted, and what the collection
    could not look at."
  - "C(manifest.json), written last: the SHA-256 and size of every other file, the bundles read, and which fields were
    redacted in how many objects. With O(archive), also C(<dest>/<slug>.zip) of the folder (the same folder always gives
    the same bytes)."
  - "Other people's data stays out: inside the objects included, the identifiers of anybody else - object ids, e-mail
    addresses, UPNs, PUIDs and the display names of every person the bundles know - are replaced by C([redacted]) wherever
    they appear (fields, tags, properties, descriptions, keys; also case-changed, percent-encoded or JSON-escaped). A user
    record of someone else loses every value but its tenant and identity provider. The person's own identifiers stay;
    a display name the person shares with someone else stays, and the summary lists the objects matched by name only.
    A stored file that holds another person's identifier is withheld and named in the summary."
  - The kinds come from the bundles and the kinds table of the collection, the attribution from its subject index, so
    kinds a later export adds appear with no change to this module.
  - Makes no service call and takes none of the connection options of the other modules, so it is not a member of the
    action group C(gdpr.azureml.azureml).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  subject:
    description:
      - The person, by one or more of their identifiers - an Azure AD object id (a GUID), a UPN or e-mail address (holds C(@)),
        a display name, or a dict with C(object_id), C(upn), C(email), C(name) and C(tenant_id) (see M(gdpr.azureml.subject_info)).
      - A list names one person by several identifiers (for example the object id and the e-mail address), not several people.
      - Give the object id whenever you can. Identifiers that are not given are treated as someone else's - an object id
        the bundles show beside the person's name is redacted when only the name was given.
    type: raw
    required: true
  bundle_dirs:
    description:
      - The export bundle folder of every workspace to search (C(<export_workspace_data_dest>/<inventory_hostname>)).
      - Each is named in the package by its folder name.
    type: list
    elements: path
    required: true
  dest:
    description:
      - The folder that holds the packages (the playbook's default is C(<export_workspace_data_dest>/subject-access)).
        The package of the person is C(<dest>/<slug>), C(<slug>) being the person's lowest object id given, or else a
        readable form of their address or name followed by 10 hex digits of its SHA-256.
      - Created with mode C(0700) when missing.
    type: path
    required: true
  allow_incomplete:
    description:
      - Accept an answer that misses part of the fleet - a bundle folder that does not exist, a bundle without C(manifest.json)
        or whose files do not match their checksums, a stored file that changed since the export.
      - Either way such bundles are named in the summary and in RV(bundles) (bundles that do not verify are searched as they
        are only with this option). Without it the module fails after writing the package, which says it is incomplete.
    type: bool
    default: false
  archive:
    description:
      - Also write C(<dest>/<slug>.zip) of the folder. Members are sorted, dated 1980-01-01, modes 0700 and 0600, so the
        same folder gives the same bytes and a rerun leaves the zip as it was.
      - Without it, a zip left by an earlier run is removed when the folder changes (it would no longer be the answer).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details:
      - Reads the bundles and builds the package in memory; writes nothing, and RV(files) and RV(ignore:changed) say what
        a real run would write.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - The files hold no time of their own; the same bundles give the same bytes and a rerun reports no change.
extends_documentation_fragment:
  - gdpr.azureml.attributes
notes:
  - Files are written atomically with mode C(0600) in folders of mode C(0700). The package holds the person's personal data;
    hand it over through a channel fit for that.
  - The answer shows each workspace as it was when its bundle was exported. Export again for a current answer.
  - The redaction finds identifiers the bundles know (and values of user records). A name or address of someone who appears
    in no identity field of any bundle (only in free text) is not known and stays; read the package before handing it over.
seealso:
  - module: gdpr.azureml.subject_info
  - name: Subject requests (docs/subjects.md)
    description: The runbook of a data-subject request, "answer the person" included.
    link: https://github.com/gdpr-azureml/gdpr.azureml/blob/main/docs/subjects.md
'''

EXAMPLES = r'''
- name: Answer Jane Doe from the export bundles of the fleet (one folder per workspace)
  gdpr.azureml.subject_package:
    subject:
      - 0f8fad5b-d9cb-469f-a165-70867728950e
      - jane.doe@contoso.com
      - Jane Doe
    bundle_dirs:
      - /srv/gdpr/exports/ml-prod_churn-models
    dest: /srv/gdpr/exports/subject-access
    archive: true
  register: answer

- name: Say where the package is
  ansible.builtin.debug:
    msg: "{{ answer.dest }}: {{ answer.total }} objects, {{ answer.files | length }} files ({{ answer.lines[0] }})"

- name: Accept an answer that misses a workspace whose bundle is gone (the summary names it)
  gdpr.azureml.subject_package:
    subject: {object_id: 0f8fad5b-d9cb-469f-a165-70867728950e, email: jane.doe@contoso.com}
    bundle_dirs:
      - /srv/gdpr/exports/ml-prod_churn-models
      - /srv/gdpr/exports/ml-prod_retired-workspace
    dest: /srv/gdpr/exports/subject-access
    allow_incomplete: true
'''

RETURN = r'''
dest:
  description: The folder of the package.
  returned: success
  type: str
  sample: /srv/gdpr/exports/subject-access/0f8fad5b-d9cb-469f-a165-70867728950e
slug:
  description: The folder's name (see O(dest)).
  returned: success
  type: str
  sample: 0f8fad5b-d9cb-469f-a165-70867728950e
subject:
  description: The person's identifiers as understood (ids lower case), one dict per identifier or dict given.
  returned: success
  type: list
  elements: dict
  sample: [{"object_id": "0f8fad5b-d9cb-469f-a165-70867728950e"}, {"email": "jane.doe@contoso.com"}]
complete:
  description: Whether every bundle was searched and verifies. When V(false) the module fails unless O(allow_incomplete).
  returned: always
  type: bool
total:
  description: The number of objects in C(objects.json).
  returned: success
  type: int
  sample: 59
counts:
  description: The number of those objects per kind (kinds with at least one).
  returned: success
  type: dict
  sample: {"runs": 4, "metrics": 8, "artifacts": 12, "models": 8}
workspaces:
  description: The number of workspaces that hold at least one of the objects.
  returned: success
  type: int
  sample: 4
bundles:
  description: Each bundle given, and what became of it.
  returned: always
  type: list
  elements: dict
  contains:
    bundle_dir:
      description: The absolute path of the bundle folder.
      type: str
      returned: always
    bundle:
      description: Its name in the package (the folder name).
      type: str
      returned: always
    status:
      description: V(complete) (searched, verifies), V(incomplete) (searched as it is, with O(allow_incomplete)) or
        V(not searched) (missing, unreadable, or does not verify).
      type: str
      returned: always
    problems:
      description: What is wrong with it.
      type: list
      elements: str
      returned: always
    workspace:
      description: The ARM id of its workspace, from its manifest (null when unknown).
      type: str
      returned: always
files:
  description: Every file of the folder (the manifest last), and whether this run wrote it (or would, in check mode).
  returned: success
  type: list
  elements: dict
  contains:
    path:
      description: The path relative to the folder.
      type: str
      returned: always
      sample: objects.json
    sha256:
      description: The SHA-256 of its content.
      type: str
      returned: always
    size:
      description: Its size in bytes.
      type: int
      returned: always
    changed:
      description: Whether it was (or would be) written.
      type: bool
      returned: always
removed:
  description: Files of an earlier package that are no longer part of it (and a zip that no longer matches), removed (or to be).
  returned: success
  type: list
  elements: str
archive:
  description: The zip (O(archive)); null without it.
  returned: success
  type: dict
  contains:
    path:
      description: Its path.
      type: str
      returned: always
    sha256:
      description: The SHA-256 of its bytes.
      type: str
      returned: always
    changed:
      description: Whether it was (or would be) written.
      type: bool
      returned: always
withheld:
  description: The stored files left out because they hold identifiers of other people (C(workspace), C(kind), C(id), C(reason)).
  returned: success
  type: list
  elements: dict
redactions:
  description: What was redacted - C(marker), C(objects) (how many objects lost at least one value) and C(fields)
    (each field, as a path in C(objects.json), with the number of objects it was redacted in).
  returned: success
  type: dict
  sample: {"marker": "[redacted]", "objects": 12, "fields": {"object.createdBy.userName": 6, "object.kvTags.owner": 2}}
first:
  description: When the oldest object was created (UTC), null when no object says.
  returned: success
  type: str
  sample: "2020-03-02T10:01:00Z"
last:
  description: When the newest object was created (UTC).
  returned: success
  type: str
  sample: "2020-03-02T12:04:00Z"
lines:
  description: A short account for a playbook to print.
  returned: success
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gdpr.azureml.plugins.module_utils._access import PackageError, subject_package
from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import BundleError
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import SubjectError


def main():
    module = AnsibleModule(
        argument_spec={
            'subject': {'type': 'raw', 'required': True},
            'bundle_dirs': {'type': 'list', 'elements': 'path', 'required': True},
            'dest': {'type': 'path', 'required': True},
            'allow_incomplete': {'type': 'bool', 'default': False},
            'archive': {'type': 'bool', 'default': False},
        },
        supports_check_mode=True,
    )
    try:
        result = subject_package(module.params, check_mode=module.check_mode)
    except (SubjectError, PackageError, BundleError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f'{exc.strerror or exc}' + (f': {exc.filename}' if getattr(exc, 'filename', None) else ''))
    if not result['complete']:
        missing = [f"{b['bundle']}: {'; '.join(b['problems'])}" for b in result['bundles'] if b['status'] != 'complete']
        if not module.params['allow_incomplete']:
            module.fail_json(msg='the answer is incomplete, %d bundle(s) could not be searched or do not verify: %s. The package '
                                 '(%s) says so; export those workspaces again, or set allow_incomplete to accept an incomplete answer'
                                 % (len(missing), ' | '.join(missing), result['dest']), **result)
        module.warn('the answer is incomplete: ' + ' | '.join(missing))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
