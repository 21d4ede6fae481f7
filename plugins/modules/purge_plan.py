#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: purge_plan
short_description: Plan (and check) the purge of an Azure Machine Learning workspace, apply it, or verify it afterwards
version_added: "1.0.0"
description:
  - With O(mode=plan) (the default), lists the objects of the deletable kinds O(kinds) (services, images, models, assets) and
    runs every safety check of a purge in one module run, before anything is deleted. It is the planning step of the role
    P(gdpr.azureml.purge_workspace#role); its plan file is described in C(docs/purge.md).
  - Every check runs and every refusal is collected and returned, not only the first one.
    The confirmation (O(confirm)) must name this workspace (required for a real run; in check mode, checked when given).
    With O(require_export), the export bundle in O(export_dir) must be complete (a manifest), be of this workspace, match its
    checksums (and those of the artifact contents it took), and hold every object the plan deletes with the content it has
    now (C(digests.json), bundle C(format_version) 2; an object created after the export, or deleted and created again
    under the same id, is never deleted unexported; a changed object is refused by id, naming the fields that changed).
    The plan must not delete more than O(max_deletions) objects.
  - With O(delete_workspace), the plan is that of an erasure of everything the workspace holds. The bundle must hold every
    kind; every kind that can be listed (all but the pipeline ones) is listed again and anything absent from the bundle or
    changed since the export is refused; everything the workspace takes with it is counted per kind
    (RV(workspace_delete.counts); pipeline objects, which cannot be listed, as many as the bundle holds) and counted with
    the deletes against O(max_deletions). The delete is permanent unless O(allow_soft_delete) (RV(workspace_delete.permanent)).
    No model or image to delete may be used by an image or a service that the plan does not delete (Azure would refuse
    with HTTP 412). O(audit_log) must be outside the export bundle folder. O(plan_file) must be a plan of this workspace.
  - With O(plan_file), a plan written by an earlier check run, the plan keeps only the objects that plan lists; objects that
    appeared since are reported in RV(appeared_since) and are not deleted (plan, review, apply).
  - B(In check mode the module writes the plan file) C(<export_dir>/purge-plan.json) (mode C(0600), atomically), on purpose.
    It is the one thing a check run of a purge writes, like C(terraform plan -out). It sends no request that changes anything.
  - The plan lists the kinds in the purge's delete order (schedules, deployments, endpoints, services, images, jobs, experiments,
    models, assets, asset versions, asset containers, then connections, datastores, computes), whatever the order of O(kinds).
  - With O(mode=apply), deletes the ids of O(objects) (the RV(plan.objects) of a checked plan), each kind as soon as the
    kinds it must follow are deleted (its holders, the versions of a container, the jobs of an experiment, the schedules that
    create jobs, what may use its objects), each kind as its deleting module does (M(gdpr.azureml.service),
    M(gdpr.azureml.image), M(gdpr.azureml.model), M(gdpr.azureml.asset) - a listing, the check that nothing that stays uses
    an object to delete, one O(audit_log) line per object), then lists each kind again as O(mode=verify) does. The role runs
    it once per workspace, so that the module starts of a purge do not grow with its kinds. A kind that fails stops the start
    of every kind not started yet; the result keeps what was deleted. A kind with 100 or more long-running deletes is listed
    again once their first polls are due;
    what that listing no longer shows is settled without a poll each. It needs O(confirm) naming this workspace (outside check
    mode) and at most O(max_deletions) ids, checked before any request. In check mode it lists, checks the holders as the plan does and deletes nothing.
    The accepted (202) service deletes are waited for together, up to 900 seconds (as the O(gdpr.azureml.service#module:wait_timeout)
    default of M(gdpr.azureml.service)).
  - With O(mode=verify), run after the deletions, lists each kind of O(kinds) again and appends to O(audit_log) one line per
    kind with C(outcome) V(verified) and C(remaining), the number of objects of that kind left (V(0) when the purge is complete).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
options:
  mode:
    description:
      - V(plan) plans the purge and checks it; V(apply) deletes O(objects) and then verifies; V(verify) counts what remains
        after a purge.
    type: str
    choices: [plan, apply, verify]
    default: plan
  objects:
    description:
      - With O(mode=apply) (required then, and only then), the ids to delete per kind, for example the RV(plan.objects) of a
        O(mode=plan) run. Its kinds must be among O(kinds).
    type: dict
  kinds:
    description:
      - The kinds to delete. The plan always orders them schedules, online_deployments, batch_deployments, online_endpoints, batch_endpoints, services,
        images, jobs, experiments, models, assets, data_versions, model_versions, environment_versions, component_versions, code_versions,
        data_containers, model_containers, environment_containers, component_containers, code_containers, connections, datastores, computes.
      - The default is every deletable kind but V(connections), V(datastores) and V(computes), which are deleted only when named
        here (or with O(delete_workspace)). Registries are never deleted.
      - An object of two views is deleted and counted once, under its first kind (a v2 model version under V(models), the v1
        model of the same name and version; a job is the run of the same id). A container is kept while one of its versions
        stays; deleting an endpoint takes its deployments.
    type: list
    elements: str
    choices:
      - schedules
      - online_deployments
      - batch_deployments
      - online_endpoints
      - batch_endpoints
      - services
      - images
      - jobs
      - experiments
      - models
      - assets
      - data_versions
      - model_versions
      - environment_versions
      - component_versions
      - code_versions
      - data_containers
      - model_containers
      - environment_containers
      - component_containers
      - code_containers
      - connections
      - datastores
      - computes
    default:
      - schedules
      - online_deployments
      - batch_deployments
      - online_endpoints
      - batch_endpoints
      - services
      - images
      - jobs
      - experiments
      - models
      - assets
      - data_versions
      - model_versions
      - environment_versions
      - component_versions
      - code_versions
      - data_containers
      - model_containers
      - environment_containers
      - component_containers
      - code_containers
  export_dir:
    description:
      - The export bundle of this workspace (written by the role P(gdpr.azureml.export_workspace_data#role)), and where a check run
        writes C(purge-plan.json). An absolute path.
      - Required when O(require_export=true) and O(mode=plan).
    type: path
  require_export:
    description:
      - Refuse unless the export bundle in O(export_dir) is complete, is of this workspace, matches its checksums and holds every
        object the plan deletes.
    type: bool
    default: true
  max_deletions:
    description:
      - Refuse when the plan deletes more objects than this; with O(delete_workspace), the objects the workspace takes with it
        count too.
    type: int
    default: 10000
  confirm:
    description:
      - The names, C(<resource group>/<name>) or ARM ids of the workspaces the operator confirms to purge, compared
        case-insensitively. A bare name does not confirm a workspace that shares it with another host of the play
        (O(play_workspaces)).
      - Required for a run outside check mode. In check mode it is checked only when it is set.
    type: list
    elements: str
  plan_file:
    description:
      - A plan written by a check run (C(purge-plan.json)), after review, an absolute path. Only the objects it lists are kept in the plan;
        the objects that appeared since are returned in RV(appeared_since) and are not deleted.
      - A plan file of another workspace, or that cannot be read, is a refusal. In check mode, a O(plan_file) at the path the
        plan would be written to is not overwritten.
    type: path
  show_max:
    description:
      - Ids per kind returned in RV(shown) (for display). The plan itself always holds every id.
    type: int
    default: 1000
  audit_log:
    description:
      - The audit log of the purge, an absolute path. With O(mode=plan) it is only checked (it must be outside O(export_dir)).
        With O(mode=apply) the module appends, per object, a C(pending) line before its DELETE and the settling line after
        (as the deleting modules do; see the collection's C(docs/purge.md)), then, as with
        O(mode=verify), one JSON line per kind (not in check mode), with the keys C(time),
        C(workspace_id), C(kind), C(id) (null), C(status) (null), C(request_id) (null), C(outcome) (V(verified)) and C(remaining).
      - The file is created with mode C(0600) (the folders the module creates, C(0700)) and only ever appended to.
    type: path
  delete_workspace:
    description:
      - Plan the erasure of the whole workspace after the deletes (see the description). The module lists every kind, checks
        them against the bundle and counts them; it records in the plan (and in the diff) that the workspace itself is deleted
        afterwards. The module deletes nothing (M(gdpr.azureml.workspace) does).
    type: bool
    default: false
  allow_soft_delete:
    description:
      - With O(delete_workspace), plan a soft delete (RV(workspace_delete.permanent) false); Azure keeps everything the workspace
        held recoverable for its retention period. By default the plan is a permanent delete, as an erasure needs.
    type: bool
    default: false
    version_added: 2.0.0
  play_workspaces:
    description:
      - The workspace names of every host of the play (the role passes those of C(ansible_play_hosts_all)). A bare name in
        O(confirm) confirms this workspace only when no other of these names equals it (compared case-insensitively, as Azure
        compares names); two workspaces called C(ws-dup) in two resource groups must be confirmed as C(<resource group>/ws-dup)
        or by their ARM ids.
    type: list
    elements: str
    default: []
    version_added: 2.0.0
  fail_on_refusal:
    description:
      - Fail when the plan is refused (the message lists every refusal; the result keeps the plan).
      - With V(false) the module succeeds and returns the refusals in RV(refusals), so that a caller can show the plan first
        (the role does, then fails the host).
    type: bool
    default: true
  subjects:
    description:
      - Limit the plan to the objects these people created (O(mode=plan)), and count only theirs as remaining (O(mode=verify)).
      - Each subject is an Azure AD object id, or a dict with C(object_id) and optionally C(tenant_id) (C(upn), C(email) and
        C(name) are accepted, C(name) used by O(subject_match=display_name) only); an object is theirs when its
        C(createdBy.userObjectId) is one of them. Models, images and services name their creator; a job is theirs when the run of
        the same id names them (so a purge by subject deletes a person's jobs, and with them their runs, and no one else's);
        compute instances name their assigned user. Assets do not name a creator, so a purge by subject never deletes them.
      - An object of the subjects that an image or a service which stays still uses is kept and reported (RV(held)), not forced.
      - Cannot be combined with O(delete_workspace).
      - See the collection's C(docs/subjects.md).
    type: list
    elements: raw
    default: []
  subject_match:
    description:
      - With O(subjects), which evidence selects an object. V(precise) (the default) takes only the objects that name a subject's
        object id (or whose run does, for a job). V(display_name) also takes the v2 objects (endpoints, schedules, asset
        containers and versions, ...) whose C(systemData.createdBy), a display name, is the C(name) of a subject (weaker
        evidence, people share names). The plan file says which evidence selected each object (C(evidence)).
    type: str
    choices: [precise, display_name]
    default: precise
  storage:
    description:
      - Also delete the files of the purged runs from the workspace's storage account (Azure Blob Storage) - every blob under
        C(ExperimentRun/<data container>/) in the C(azureml) container of each run in the export bundle's C(runs.json) that the
        O(subjects) created, or of every run with O(delete_workspace). Without either, no run is purged.
      - O(mode=plan) lists those blobs (snapshots included) and refuses unless the export bundle holds each one with the same
        etag and size (C(storage_blobs.json), exported with the export's C(storage)) and verifies; it reads the delete
        retention policy (C(retention) of RV(storage)) and names the other workspaces of the subscription that use the same account
        (C(shared_with) of RV(storage)). Only the prefixes of this workspace's runs are ever touched. On a shared account each
        purged run id is looked up in each sharing workspace; a run id one of them has too is kept (its prefix may hold their
        files, see C(kept) of RV(storage); not deleted, not verified), and when that lookup fails the storage part is refused.
      - O(mode=apply) checks the bundle and the blobs again (a refusal deletes nothing), deletes each blob with its snapshots,
        one C(pending) audit line before each DELETE and its outcome after, then lists the prefixes again (a C(verified)
        line with what remains). Needs O(export_dir).
      - The files of the data and model versions being deleted (the plan's objects of kinds V(data_versions) and
        V(model_versions); every version of the bundle with O(delete_workspace)) go in the same step, as the export resolved
        them, only those the bundle holds with the same etag and size; a file a version or run staying in the workspace
        references is kept and named (C(versions.kept) of RV(storage)), a version whose URI is not reachable is listed
        (C(versions.unreachable)).
      - File shares (notebooks under C(Users/<name>/)) are not read or deleted; see the collection's C(docs/purge.md).
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
      - Lists, runs every check a real run runs, sends no request that changes anything.
      - Writes the plan file C(<export_dir>/purge-plan.json), on purpose (see the description); C(changed) then says whether its
        content changed. Outside check mode it writes nothing (O(mode=verify) appends to O(audit_log)).
  diff_mode:
    support: full
    details:
      - In check mode, C(before) holds the ids of every kind of the plan and C(after) none of them (the workspace too with
        O(delete_workspace)).
  idempotent:
    support: full
notes:
  - Workspace coordinates (O(subscription_id), O(resource_group), O(workspace_name)) are required.
  - A workspace that does not exist gives an empty plan and a warning (a purge run again after the workspace was deleted
    changes nothing). With O(require_export) it is refused unless a complete export bundle of it proves that it existed,
    so that a wrong name does not pass for a purged workspace.
seealso:
  - module: gdpr.azureml.model
  - module: gdpr.azureml.image
  - module: gdpr.azureml.service
  - module: gdpr.azureml.asset
  - module: gdpr.azureml.workspace
"""

EXAMPLES = r"""
- name: Plan the purge of a workspace (writes /srv/gdpr/exports/ml-prod_churn-models/purge-plan.json)
  gdpr.azureml.purge_plan:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    export_dir: /srv/gdpr/exports/ml-prod_churn-models
  check_mode: true
  register: plan

- name: Check a reviewed plan before deleting, collecting the refusals instead of failing
  gdpr.azureml.purge_plan:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    export_dir: /srv/gdpr/exports/ml-prod_churn-models
    plan_file: /srv/gdpr/exports/ml-prod_churn-models/purge-plan.json
    confirm: churn-models
    fail_on_refusal: false
  register: checked

- name: Delete what the checked plan lists, in order, then record what remains (what the role does)
  gdpr.azureml.purge_plan:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    mode: apply
    kinds: "{{ checked.plan.kinds }}"
    objects: "{{ checked.plan.objects }}"
    confirm: churn-models
    audit_log: /srv/gdpr/exports/audit/ml-prod_churn-models.jsonl
  when: checked.refusals | length == 0

- name: After the deletions, record what remains
  gdpr.azureml.purge_plan:
    subscription_id: 00000000-1111-2222-3333-444444444444
    resource_group: ml-prod
    workspace_name: churn-models
    mode: verify
    audit_log: /srv/gdpr/exports/audit/ml-prod_churn-models.jsonl
"""

RETURN = r"""
held:
  description: With O(subjects), the objects of the subjects kept because an image or a service that stays uses them, by kind and
    id, each with its holders (C(image <id>), C(service <id>)); empty otherwise.
  returned: success and O(mode=plan)
  type: dict
  sample: {"models": {"churn:1": ["image img-churn:1"]}}
plan:
  description:
    - The plan (what a check run writes to C(purge-plan.json)); see C(docs/purge.md) for every key.
  returned: O(mode=plan)
  type: dict
  contains:
    format_version:
      description: The plan file format, V(1).
      returned: always
      type: int
      sample: 1
    workspace:
      description: C(id), C(name), C(resource_group), C(subscription_id) of the workspace.
      returned: always
      type: dict
    kinds:
      description: The kinds of the plan, in delete order.
      returned: always
      type: list
      elements: str
      sample: [services, images, models]
    objects:
      description: The ids to delete, per kind (sorted).
      returned: always
      type: dict
      sample: {"services": ["svc-1"], "images": ["img:1"], "models": ["m:1", "m:2"]}
    counts:
      description: The number of ids per kind.
      returned: always
      type: dict
      sample: {"services": 1, "images": 1, "models": 2}
    total:
      description: The number of objects the plan deletes.
      returned: always
      type: int
      sample: 4
    refusals:
      description: Why a real run would refuse this plan.
      returned: always
      type: list
      elements: str
total:
  description: The number of objects the plan deletes one by one (the workspace delete's are in RV(workspace_delete)).
  returned: O(mode=plan)
  type: int
  sample: 4
workspace_delete:
  description:
    - With O(delete_workspace), what the workspace delete takes with it; null otherwise. Also in the plan (RV(plan)).
  returned: O(mode=plan)
  type: dict
  version_added: 2.0.0
  contains:
    permanent:
      description: Whether the delete is permanent (no soft delete; false only with O(allow_soft_delete)).
      returned: always
      type: bool
      sample: true
    counts:
      description:
        - Per kind, the objects that go with the workspace, besides those deleted one by one (listed again; the pipeline
          kinds as many as the bundle holds), and C(workspace) 1.
      returned: always
      type: dict
      sample: {"workspace": 1, "computes": 3, "experiments": 5, "runs": 15, "metrics": 30, "artifacts": 45}
    total:
      description: The sum of RV(workspace_delete.counts); with RV(total), what is counted against O(max_deletions).
      returned: always
      type: int
      sample: 99
    unlisted:
      description: The kinds that cannot be listed (pipeline objects), every one of which goes with the workspace.
      returned: always
      type: list
      elements: str
lines:
  description: The plan as the role prints it (per kind the count and the ids shown, the workspace delete, the notes).
  returned: O(mode=plan)
  type: list
  elements: str
  version_added: 2.0.0
refusals:
  description: Every reason a real run refuses this purge (empty when it may go on).
  returned: O(mode=plan)
  type: list
  elements: str
  sample: ["not confirmed: set confirm (purge_workspace_confirm) to the name churn-models ..."]
notes:
  description: What a real run needs that check mode does not (for example the confirmation).
  returned: O(mode=plan)
  type: list
  elements: str
shown:
  description: Per kind, C(count), the first O(show_max) C(ids) and how many C(more) there are (for display).
  returned: O(mode=plan)
  type: dict
  sample: {"models": {"count": 2, "ids": ["m:1", "m:2"], "more": 0}}
appeared_since:
  description: With O(plan_file), per kind, the ids that exist now but are not in the plan file (not deleted).
  returned: O(mode=plan)
  type: dict
  sample: {"models": ["late:1"]}
gone_since:
  description: With O(plan_file), per kind, the ids of the plan file that no longer exist.
  returned: O(mode=plan)
  type: dict
  sample: {}
plan_dest:
  description: The plan file written (check mode only); null when none was written.
  returned: O(mode=plan)
  type: str
  sample: /srv/gdpr/exports/ml-prod_churn-models/purge-plan.json
workspace_found:
  description: Whether the workspace exists.
  returned: always
  type: bool
  sample: true
deleted:
  description: Per kind, the ids deleted (in check mode, that would be deleted); on failure, what was deleted before it.
  returned: O(mode=apply)
  type: dict
  sample: {"services": ["svc-1"], "images": ["img:1"], "models": ["m:1", "m:2"], "assets": []}
results:
  description:
    - One entry per id sent a delete, kind by kind in delete order, as the deleting modules return them (C(id), C(status),
      C(request_id), C(outcome), C(client_request_id), C(error) for a failure, C(confirmed_by) V(listing) for a long-running
      delete a listing showed done), with its C(kind).
  returned: O(mode=apply), not in check mode
  type: list
  elements: dict
  sample: [{"kind": "models", "id": "m:1", "status": 200, "request_id": "3f1c...", "outcome": "deleted", "client_request_id": "8d2e..."}]
failed_kind:
  description: The kind whose deletes or listing failed (no kind started after it; the kinds running then ended).
  returned: failure of O(mode=apply)
  type: str
  sample: images
remaining:
  description: Per kind, the number of objects left.
  returned: O(mode=verify), or O(mode=apply) outside check mode
  type: dict
  sample: {"services": 0, "images": 0, "models": 0, "assets": 0}
remaining_ids:
  description: Per kind, the ids of the objects left.
  returned: O(mode=verify), or O(mode=apply) outside check mode
  type: dict
  sample: {"models": []}
storage:
  description:
    - With O(storage) and a purge of runs (O(subjects) or O(delete_workspace)) or of data or model versions - C(account), C(container), C(runs), C(prefixes)
      (the first ten), C(blobs), C(snapshots), C(bytes), C(retention) (C(enabled), C(days), C(recoverable_until) - until when
      blobs deleted now stay recoverable - C(error)), C(shared_with) (other workspaces on the account), C(kept) (the run
      prefixes kept because a workspace of C(shared_with) has a run of the same id - C(run_id), C(prefix), C(shared_with),
      C(why)), C(versions) (the data and model versions deleted - C(count), C(blobs) (their files deleted), C(targets),
      C(kept) (C(id), C(referenced_by), C(kept_by), C(why)), C(unreachable)), C(gaps) (what is not covered). O(mode=apply)
      adds C(deleted), C(absent), C(failed), C(remaining), C(remaining_ids) and C(results) (one per DELETE); in check mode
      C(would_delete).
  returned: when O(storage=true) and runs or data or model versions are purged
  type: dict
  sample: {"account": "stmlprod01", "container": "azureml", "runs": 3, "blobs": 12, "snapshots": 2, "bytes": 40960,
           "retention": {"enabled": true, "days": 7, "recoverable_until": "2026-12-13T09:00:00Z"}, "shared_with": [],
           "kept": []}
audit_lines:
  description: The C(verified) lines appended to O(audit_log) (one per kind).
  returned: O(mode=verify), or O(mode=apply) outside check mode
  type: int
  sample: 4
"""

from ansible_collections.gdpr.azureml.plugins.module_utils._module import AzureMLModule
from ansible_collections.gdpr.azureml.plugins.module_utils._purge_plan import plan_argument_spec, run_plan


def main():
    module = AzureMLModule(argument_spec=plan_argument_spec(), supports_check_mode=True)
    run_plan(module)


if __name__ == '__main__':
    main()
