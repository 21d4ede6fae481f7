#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: bundle_report
short_description: Write the report of an export bundle and of its purge (report.html, report.md)
version_added: "1.0.0"
description:
  - Reads an export bundle written by the role P(gdpr.azureml.export_workspace_data#role) (or the module
    M(gdpr.azureml.export_bundle)) and writes, next to it, C(report.html) and C(report.md) - the report a privacy team files
    with a data-subject request.
  - "The report shows: the workspace (name, resource group, subscription, location, ARM id), the export's start and end,
    whether the bundle is complete and its checksums hold, each kind with its count (from C(manifest.json)), and the people
    that appear in run history (the runs' C(createdBy)) with the number of runs each created and of objects that refer to them."
  - "It also lists what the collection cannot see or erase (Application Insights and Log Analytics, the notebooks of the
    workspace file share, Key Vault secrets, container registry images, the activity log, feature stores, serverless
    endpoints, people named inside data files), each with the linked resource ids the workspace names, and where to erase it."
  - The people come from C(subjects.json) of the bundle when it lists identities (what the role writes by default), else they
    are computed from the bundle the same way (see M(gdpr.azureml.subject_info)). When C(subjects.json) answers a request
    about named subjects, the report lists those subjects too.
  - With O(audit_log) (after a purge) the report also shows, for this workspace, each object the purge deleted (or failed
    to delete) with its HTTP status and request id, and per kind the count that remained when the purge listed the kind
    again (the last C(verified) line). Deletes that found nothing to delete (outcome C(absent), which every rerun of a purge
    appends) stay in the audit log only, so that an idempotent rerun leaves the report as it was. A delete whose C(pending)
    line (written before the DELETE) has no settling line - the run was killed before its answer - is shown with the outcome
    V(unknown), never as deleted; the next purge settles it by listing the kind again.
  - C(report.html) is self-contained - inline CSS, no script, no external asset, so it can be mailed or archived as is.
    Every value that comes from the service is escaped.
  - Makes no service call and takes none of the connection options of the other modules, so it is not a member of the
    action group C(gdpr.azureml.azureml).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  bundle_dir:
    description:
      - The folder of one workspace's export bundle (C(<export_workspace_data_dest>/<inventory_hostname>)).
      - The bundle needs its C(manifest.json); a bundle whose checksums do not hold is reported as incomplete.
    type: path
    required: true
  audit_log:
    description:
      - The audit log of the purge (JSON lines, see the role P(gdpr.azureml.purge_workspace#role)). Only the lines of the
        bundle's workspace are read.
      - A log that does not exist yet is reported as such (nothing deleted).
      - Without it the report has no purge section.
    type: path
  formats:
    description:
      - Which files to write - V(html) (C(report.html)), V(md) (C(report.md)).
    type: list
    elements: str
    choices: [html, md]
    default: [html, md]
  dest:
    description:
      - The folder to write the files to. The default is O(bundle_dir).
    type: path
attributes:
  check_mode:
    support: full
    details:
      - Builds the report and writes nothing; RV(ignore:changed) says whether a real run would write.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - The files hold no time of their own, so the same bundle and audit log give the same bytes and a second run
        reports no change.
extends_documentation_fragment:
  - gdpr.azureml.attributes
notes:
  - The files are written atomically with mode C(0600), like the rest of the bundle. They hold personal data (names and
    object ids of the people in run history); keep them with the bundle.
seealso:
  - module: gdpr.azureml.subject_info
  - module: gdpr.azureml.export_bundle
  - module: gdpr.azureml.purge_plan
'''

EXAMPLES = r'''
- name: Write report.html and report.md next to an export bundle
  gdpr.azureml.bundle_report:
    bundle_dir: /srv/gdpr/exports/ml-prod_churn-models
  register: report

- name: Show where the report is
  ansible.builtin.debug:
    msg: "{{ report.files.html }}: {{ report.total }} objects, {{ report.people }} people in run history"

- name: After a purge, add what was deleted, with the request ids of the audit log
  gdpr.azureml.bundle_report:
    bundle_dir: /srv/gdpr/exports/ml-prod_churn-models
    audit_log: /srv/gdpr/exports/audit/ml-prod_churn-models.jsonl

- name: Write only the Markdown report
  gdpr.azureml.bundle_report:
    bundle_dir: /srv/gdpr/exports/ml-prod_churn-models
    formats: [md]
'''

RETURN = r'''
bundle_dir:
  description: The absolute path of the bundle read.
  returned: success
  type: str
  sample: /srv/gdpr/exports/ml-prod_churn-models
files:
  description: The path of each file written (or that a real run would write), by format.
  returned: success
  type: dict
  sample: {"html": "/srv/gdpr/exports/ml-prod_churn-models/report.html", "md": "/srv/gdpr/exports/ml-prod_churn-models/report.md"}
sha256:
  description: The SHA-256 digest of each file's content, by format.
  returned: success
  type: dict
  sample: {"html": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
workspace:
  description: The workspace of the bundle, from its manifest (C(id), C(name), C(resource_group), C(subscription_id), C(location)).
  returned: success
  type: dict
  sample: {"id": "/subscriptions/.../workspaces/churn-models", "name": "churn-models"}
complete:
  description: Whether the bundle is complete and every file matches its checksum.
  returned: success
  type: bool
  sample: true
problems:
  description: What is wrong with the bundle (empty when it is complete).
  returned: success
  type: list
  elements: str
  sample: []
kinds:
  description: The count of each kind, from the manifest.
  returned: success
  type: dict
  sample: {"models": 8, "runs": 13, "workspace": 1}
total:
  description: The number of objects in the bundle (the sum of RV(kinds)).
  returned: success
  type: int
  sample: 155
people:
  description: The number of people who created runs.
  returned: success
  type: int
  sample: 5
not_covered:
  description:
    - What the collection cannot see or erase (the report's section "Not covered by this export"), each with the resource
      ids of the workspace that it is linked to (from the bundle's C(manifest.json) C(not_covered) record, else from its
      C(workspace.json)); an empty list when nothing of the workspace names it.
    - The keys and what each one means are in the guide on subject requests (docs/subjects.md).
  returned: success
  type: dict
  version_added: "2.0.0"
  sample:
    application_insights: ["/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/microsoft.insights/components/ai1"]
    notebooks: ["/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1"]
    activity_log: []
purge:
  description: What the audit log says of this workspace; null without O(audit_log).
  returned: success
  type: dict
  contains:
    audit_log:
      description: The absolute path of the audit log.
      type: str
      returned: always
    deleted:
      description: The number of objects deleted (outcome V(deleted)).
      type: int
      returned: always
      sample: 17
    failed:
      description: The number of deletes that failed.
      type: int
      returned: always
      sample: 0
    unknown:
      description:
        - The number of deletes whose outcome nobody recorded (a C(pending) line without its settling line, a run killed
          meanwhile), shown with the outcome V(unknown). The next purge of the workspace settles them by listing again.
      type: int
      returned: always
      sample: 0
      version_added: 2.0.0
    remaining:
      description: Per kind, the count left when the purge listed the kind again (the last C(verified) line).
      type: dict
      returned: always
      sample: {"models": 0, "services": 0}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import BundleError
from ansible_collections.gdpr.azureml.plugins.module_utils._report import FORMATS, ReportError, write_reports


def main():
    module = AnsibleModule(
        argument_spec={
            'bundle_dir': {'type': 'path', 'required': True},
            'audit_log': {'type': 'path'},
            'formats': {'type': 'list', 'elements': 'str', 'choices': list(FORMATS), 'default': list(FORMATS)},
            'dest': {'type': 'path'},
        },
        supports_check_mode=True,
    )
    params = module.params
    formats = [f for f in FORMATS if f in params['formats']]
    try:
        result = write_reports(params['bundle_dir'], audit_log=params['audit_log'], formats=formats, dest=params['dest'],
                               check_mode=module.check_mode)
    except (ReportError, BundleError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f'{exc.strerror or exc}' + (f': {exc.filename}' if getattr(exc, 'filename', None) else ''))
    if result['problems']:
        module.warn('the export bundle does not verify: ' + '; '.join(result['problems']))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
