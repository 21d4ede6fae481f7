#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: export_bundle
short_description: Export everything an Azure Machine Learning workspace holds to a bundle folder
version_added: "1.0.0"
description:
  - Exports every object of the requested O(kinds) of one workspace (every page of every list, the runs and metrics of
    every experiment, archived ones included, the artifacts and the v2 metrics of every run) into one JSON file per kind,
    then writes C(manifest.json) listing each file with its object count and SHA-256 digest.
  - This is the module the role P(gdpr.azureml.export_workspace_data#role) runs, once per workspace; it does in one module run
    what would otherwise take one module run per kind or per object. The kinds are exported at the same time,
    with at most O(concurrency) requests in flight.
  - Objects are written as the service returns them, sorted by their id, so the same service state gives byte-identical
    files. Datastores are requested with C(includeSecret=false) and their credential fields are removed as well
    (see M(gdpr.azureml.datastore_info)).
  - The bundle layout and the manifest are described in the collection's C(docs/export.md).
  - When every kind file comes out identical and the manifest would list the same files, nothing is written
    (the manifest keeps its timestamps) and the module reports no change. Otherwise it first removes the old
    C(manifest.json), then replaces the kind files that changed, then writes the new manifest, so an interrupted
    export never leaves a manifest over incomplete files.
  - Files the module does not own (purge plans, reports, subject indexes) are never touched.
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  dest:
    description:
      - The bundle folder of this workspace.
      - Missing folders are created with mode C(0700), its parents included; files are written with mode C(0600).
    type: path
    required: true
  kinds:
    description:
      - The kinds to export, named as their bundle files (V(runs) is C(runs.json)).
      - The pipeline kinds export the objects whose ids O(pipeline_ids) lists (the API has no list call for them);
        the manifest marks them C(scope=requested).
      - The v2 kinds (V(jobs) to V(connections), ARM api-version 2025-12-01) are listed with every view
        (C(listViewType=All)), archived jobs and asset versions and disabled schedules too; versions are listed under
        their container, deployments under their endpoint. No secret is requested (no C(listsecrets), C(listKeys)).
      - V(registries) holds the registries of the workspace's resource group that the exported v2 objects refer to
        (C(azureml://registries/<name>/...)); the manifest marks it C(scope=referenced).
    type: list
    elements: str
    choices: [workspace, computes, experiments, runs, metrics, metrics_v2, artifacts, tasks, datastores, models, assets, images,
              services, jobs, data_containers, data_versions, model_containers, model_versions, environment_containers,
              environment_versions, component_containers, component_versions, code_containers, code_versions, online_endpoints,
              online_deployments, batch_endpoints, batch_deployments, schedules, connections, registries, pipeline_experiments,
              pipeline_graphs, pipeline_modules, pipeline_templates, pipeline_datasources]
    default: [workspace, computes, experiments, runs, metrics, metrics_v2, artifacts, tasks, datastores, models, assets, images,
              services, jobs, data_containers, data_versions, model_containers, model_versions, environment_containers,
              environment_versions, component_containers, component_versions, code_containers, code_versions, online_endpoints,
              online_deployments, batch_endpoints, batch_deployments, schedules, connections, registries, pipeline_experiments,
              pipeline_graphs, pipeline_modules, pipeline_templates, pipeline_datasources]
  pipeline_ids:
    description:
      - The ids of the pipeline objects to export, by pipeline kind.
      - Keys are V(experiment), V(graph), V(module), V(template) and V(datasource) (as the O(gdpr.azureml.pipeline_info#module:kind)
        option of M(gdpr.azureml.pipeline_info)); values are lists of ids.
      - Ids the service does not know are left out of the bundle, listed in RV(missing), and reported in a warning.
    type: dict
    default: {}
  archive:
    description:
      - Also write the bundle as C(<dest>.tar.gz) (mode C(0600)), next to the folder.
      - The archive holds the manifest and the files it lists, with fixed times and owners, so the same bundle gives the same
        archive; it is only rewritten when its content changes.
    type: bool
    default: false
  artifact_content:
    description:
      - Also download the content of every artifact the service offers one for (C(artifacts.contentinfo), then its
        pre-signed URL, fetched without the Authorization header).
      - Contents are stored under C(artifacts/<run id>/<artifact path>) in the bundle, every path component made safe
        (no C(..), no absolute paths, no separators, no control characters, long names shortened), and listed in
        C(artifact_contents.json) (each file's original path, stored path, size and SHA-256), kind C(artifact_contents)
        of the manifest.
      - Needs V(artifacts) in O(kinds). In check mode nothing is downloaded.
    type: bool
    default: false
  storage:
    description:
      - Also export the files of the exported runs from the workspace's storage account (Azure Blob Storage, the account its
        C(storageAccount) names) - every blob under C(ExperimentRun/<data container>/) of each run in the C(azureml) container,
        snapshots included, downloaded with at most O(concurrency) transfers and one 4 MiB chunk each in memory.
      - Each blob is an entry of C(storage_blobs.json) (kind C(storage_blobs) of the manifest and C(digests.json)) with
        C(account), C(container), C(name), C(snapshot), C(etag), C(size), C(sha256), C(stored_path) (under C(storage/), every
        path component made safe as for O(artifact_content)) and C(referenced_by) (the run, and the artifact of the same
        path). A blob already downloaded as artifact content is not downloaded again (its entry points at that file).
      - A rerun downloads only the blobs whose (etag, size) changed or whose stored file no longer has its SHA-256; an
        interrupted export resumes from its progress journal C(.storage-progress.jsonl).
      - With V(data_versions) / V(model_versions) in O(kinds), the files each version's C(properties.dataUri) /
        C(properties.modelUri) points at are exported too (one blob for C(uri_file), every blob under the folder otherwise),
        resolved through the workspace's v2 datastores (their account and container names, never their secrets). A blob of
        several versions or of a version and a run is one entry whose C(referenced_by) names them all. A version whose URI
        is not reachable (ADLS Gen1, another cloud, a public host, a registry, ...) is listed with the reason in the
        manifest's C(storage.unreachable) and in C(unreachable) of RV(storage); nothing is guessed.
      - Needs V(runs) in O(kinds) and a storage credential (see O(storage_access_token), O(storage_account_key)). No SAS,
        account key or token is written anywhere. In check mode the blobs are listed, nothing is downloaded.
      - File shares (the notebooks under C(Users/<name>/)) are not read; see the collection's C(docs/export.md).
    type: bool
    default: false
  subjects:
    description:
      - When set, also write the subject index C(subjects.json) into the bundle, read from the bundle just written (no
        further service call), as M(gdpr.azureml.subject_info) with O(gdpr.azureml.subject_info#module:dest) does.
      - An empty list indexes every identity the bundle names; a list of subjects (object ids, UPNs, e-mail addresses,
        display names, or dicts with C(object_id), C(upn), C(email), C(name), C(tenant_id)) indexes each one's objects.
      - Validated before any request. Not written in check mode.
    type: list
    elements: raw
  report:
    description:
      - Also write C(report.html) and C(report.md) into the bundle, read from the bundle (and its C(subjects.json)), as
        M(gdpr.azureml.bundle_report) does. Not written in check mode.
      - The role P(gdpr.azureml.export_workspace_data#role) sets it, and O(subjects), so that one module run per workspace
        does the whole export.
    type: bool
    default: false
extends_documentation_fragment:
  - gdpr.azureml.common
  - gdpr.azureml.attributes
  - gdpr.azureml.attributes.actiongroup_azureml
attributes:
  check_mode:
    support: full
    details:
      - In check mode everything is listed (and counted) but nothing is written, no folder created and no artifact content
        downloaded; C(changed) and the C(changed) of each kind in RV(kinds) predict the real run.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - A second export of an unchanged workspace writes nothing and reports no change.
notes:
  - The service's state may change during the export; the bundle holds what each list call returned.
  - Memory stays bounded whatever the size of the workspace; objects stream from the service to disk.
seealso:
  - module: gdpr.azureml.datastore_info
  - module: gdpr.azureml.pipeline_info
  - name: Export or delete your Machine Learning service workspace data
    description: The Microsoft document whose REST calls this collection implements.
    link: https://learn.microsoft.com/azure/machine-learning/how-to-export-delete-data
'''

EXAMPLES = r'''
- name: Export a whole workspace (this is what the role gdpr.azureml.export_workspace_data does)
  gdpr.azureml.export_bundle:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    dest: /srv/gdpr/exports/ml-prod_churn-models
    pipeline_ids:
      graph: [2a5e3c5d-8f2b-4a51-9c1e-0d6f7b2f1a10]
  register: export

- name: Show what was exported
  ansible.builtin.debug:
    msg: "{{ export.count }} objects in {{ export.bundle_dir }}: {{ export.kinds | dict2items | map(attribute='key') | join(', ') }}"

- name: Export only the model management objects, with an archive
  gdpr.azureml.export_bundle:
    resource_group: ml-prod
    workspace_name: churn-models
    dest: /srv/gdpr/exports/ml-prod_churn-models-models
    kinds: [models, assets, images, services]
    archive: true

- name: Export run artifacts with their contents
  gdpr.azureml.export_bundle:
    resource_group: ml-prod
    workspace_name: churn-models
    dest: /srv/gdpr/exports/ml-prod_churn-models
    kinds: [experiments, runs, artifacts]
    artifact_content: true

- name: Export the runs with the files they wrote to the workspace's storage account
  gdpr.azureml.export_bundle:
    resource_group: ml-prod
    workspace_name: churn-models
    dest: /srv/gdpr/exports/ml-prod_churn-models
    kinds: [experiments, runs, artifacts]
    artifact_content: true
    storage: true

- name: Export, index two people and write the report, in one module run (what the role does)
  gdpr.azureml.export_bundle:
    resource_group: ml-prod
    workspace_name: churn-models
    dest: /srv/gdpr/exports/ml-prod_churn-models
    subjects: [jane.doe@contoso.com, 5f0c1e9a-7d3b-4c2a-9e8f-1a2b3c4d5e6f]
    report: true
'''

RETURN = r'''
bundle_dir:
  description: The absolute path of the bundle folder.
  returned: success
  type: str
  sample: /srv/gdpr/exports/ml-prod_churn-models
manifest:
  description:
    - The bundle's manifest, as written (or as it would be written in check mode, with RV(manifest.finished) set to the
      time of the check). When nothing changed it is the manifest already there, timestamps included.
  returned: success
  type: dict
  contains:
    format_version:
      description: The bundle format version.
      returned: always
      type: int
      sample: 1
    collection_version:
      description: The version of gdpr.azureml that wrote the bundle.
      returned: always
      type: str
      sample: 2.0.0
    workspace:
      description: The workspace exported (C(id), C(name), C(resource_group), C(subscription_id), C(location)).
      returned: always
      type: dict
    started:
      description: When the export started (ISO 8601, UTC).
      returned: always
      type: str
      sample: "2026-11-29T08:00:00Z"
    finished:
      description: When the kind files were complete (ISO 8601, UTC).
      returned: always
      type: str
      sample: "2026-11-29T08:00:04Z"
    kinds:
      description: Per kind, C(file), C(count), C(sha256) (of the file's bytes) and C(scope) (V(all), or V(requested) for pipeline kinds).
      returned: always
      type: dict
      sample: {"models": {"file": "models.json", "count": 8, "sha256": "9f86d0...", "scope": "all"}}
kinds:
  description:
    - Per kind exported, C(file), C(count), C(sha256), C(scope) and C(changed) (whether its file was, or would be, replaced).
    - In check mode with O(artifact_content), the C(artifact_contents) entry counts the artifacts and has no C(sha256)
      unless predicted unchanged.
  returned: success
  type: dict
  sample: {"models": {"file": "models.json", "count": 8, "sha256": "9f86d0...", "scope": "all", "changed": false}}
count:
  description: The number of objects exported, over every kind (artifact contents not counted).
  returned: success
  type: int
  sample: 312
missing:
  description: Per pipeline kind, the requested ids the service does not know.
  returned: success
  type: dict
  sample: {"pipeline_graphs": ["0b7c6f0e-0000-0000-0000-000000000000"]}
archive:
  description: The path of the archive.
  returned: success and O(archive=true)
  type: str
  sample: /srv/gdpr/exports/ml-prod_churn-models.tar.gz
subject_index:
  description:
    - The subject index written to C(subjects.json) (with O(subjects), not in check mode) - C(dest), C(changed), C(sha256),
      C(summary) (per subject, objects per kind and C(total)), C(found_total), C(count) and, for an index of every identity,
      C(identity_count). See M(gdpr.azureml.subject_info).
  returned: success and O(subjects) is set and not in check mode
  type: dict
  sample: {"dest": "/srv/gdpr/exports/ml-prod_churn-models/subjects.json", "changed": true, "identity_count": 5}
report:
  description:
    - The report written (with O(report), not in check mode) - C(files) (format to path), C(sha256), C(changed), C(total)
      and C(people). See M(gdpr.azureml.bundle_report).
  returned: success and O(report=true) and not in check mode
  type: dict
  sample: {"files": {"html": "/srv/gdpr/exports/ml-prod_churn-models/report.html"}, "changed": true, "people": 5}
storage:
  description:
    - With O(storage), what the storage export did - C(account), C(container), C(downloaded) (blobs), C(reused) (kept from a
      previous export, same etag, size and SHA-256), C(deduplicated) (taken from artifact contents), C(bytes_downloaded),
      C(version_blobs) (entries that are files of a data or model version), C(unreachable) (the versions whose files could
      not be exported - C(kind), C(id), C(uri) without its query, C(reason); as in the manifest).
  returned: success and O(storage=true)
  type: dict
  sample: {"account": "stmlprod01", "container": "azureml", "downloaded": 12, "reused": 0, "deduplicated": 3, "bytes_downloaded": 40960,
           "version_blobs": 4, "unreachable": [{"kind": "data_versions", "id": "/subscriptions/.../data/people/versions/1",
                                               "uri": "adl://lake.azuredatalakestore.net/people/",
                                               "reason": "Azure Data Lake Storage Gen1 (adl://) is not read"}]}
duration:
  description: Seconds the export took inside the module.
  returned: success
  type: float
  sample: 3.42
'''

import os

from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import BundleError, folder_problem, verify_bundle
from ansible_collections.gdpr.azureml.plugins.module_utils._export import export_bundle
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import EXPORT_DEFAULT, KIND_NAMES
from ansible_collections.gdpr.azureml.plugins.module_utils._module import AzureMLModule
from ansible_collections.gdpr.azureml.plugins.module_utils._report import ReportError, write_reports
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import SubjectError, parse_subjects, subject_info

INDEX_KEYS = ('dest', 'changed', 'sha256', 'summary', 'found_total', 'count', 'identity_count')
REPORT_KEYS = ('files', 'sha256', 'changed', 'total', 'people')


def run(module):
    p = module.params
    problem = folder_problem(p['dest'])
    if problem:  # before any request
        module.fail(f"dest {p['dest']} cannot hold the bundle: {problem}", option='dest')
    if p['subjects'] is not None:
        try:
            parse_subjects(p['subjects'])
        except SubjectError as exc:
            module.fail(f'subjects: {exc}', option='subjects')
    result = export_bundle(module, dest=p['dest'], kinds=p['kinds'], pipeline_ids=p['pipeline_ids'],
                           archive=p['archive'], artifact_content=p['artifact_content'], storage=p['storage'])
    for name, ids in sorted(result['missing'].items()):
        module.warn(f"{name}: the service does not know the requested id(s) {', '.join(sorted(ids))}")
    if module.check_mode:  # the index and the report read the bundle, which check mode does not write
        return result
    bundle_dir = result['bundle_dir']
    try:
        # One verification for both (every checksum: the kind files and every stored file, artifact contents and blobs),
        # not one each: a storage export would read its gigabytes back twice.
        verified = verify_bundle(bundle_dir) if p['subjects'] is not None or p['report'] else None
        if p['subjects'] is not None:
            index = subject_info({'bundle_dir': bundle_dir, 'subjects': p['subjects'], 'dest': os.path.join(bundle_dir, 'subjects.json')},
                                 verified=verified)
            result['subject_index'] = {k: index[k] for k in INDEX_KEYS if k in index}
        if p['report']:
            report = write_reports(bundle_dir, verified=verified)
            result['report'] = {k: report[k] for k in REPORT_KEYS}
    except (SubjectError, ReportError, BundleError) as exc:
        module.fail(f'the bundle {bundle_dir} was exported, but its subject index or report could not be written: {exc}',
                    bundle_dir=bundle_dir, manifest=result['manifest'])
    result['changed'] = (result['changed'] or result.get('subject_index', {}).get('changed', False)
                         or result.get('report', {}).get('changed', False))
    return result


def main():
    module = AzureMLModule(
        argument_spec={
            'dest': {'type': 'path', 'required': True},
            'kinds': {'type': 'list', 'elements': 'str', 'choices': list(KIND_NAMES), 'default': list(EXPORT_DEFAULT)},
            'pipeline_ids': {'type': 'dict', 'default': {}},
            'archive': {'type': 'bool', 'default': False},
            'artifact_content': {'type': 'bool', 'default': False},
            'storage': {'type': 'bool', 'default': False},
            'subjects': {'type': 'list', 'elements': 'raw'},
            'report': {'type': 'bool', 'default': False},
        },
        supports_check_mode=True,
    )
    module.run(run, what=f'export workspace {module.workspace} to {module.params["dest"]}')


if __name__ == '__main__':
    main()
