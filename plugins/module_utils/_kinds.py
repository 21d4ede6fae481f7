# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to the gdpr.azureml collection: it can change at any time without notice.
"""The kinds of objects a workspace holds: one table, data not code.

Each kind names its bundle file, the field that identifies (and sorts) its objects, the
operations that list / get / delete it (names of ``_routes``), and what it depends on. The
export, the purge and the subject index all read this table; nothing else hard-codes kinds.
"""


class Kind:
    """One kind of object (``models``, ``runs``, ...)."""

    __slots__ = ("name", "file", "id_field", "list_op", "get_op", "delete_op", "parent", "scope", "pipeline_kind", "run_field",
                 "volatile", "source")

    def __init__(self, name, id_field, *, list_op=None, get_op=None, delete_op=None, parent=None, scope="all", pipeline_kind=None,
                 run_field=None, volatile=(), source="api"):
        self.name = name
        self.file = name + ".json"
        self.id_field = id_field
        self.list_op = list_op
        self.get_op = get_op
        self.delete_op = delete_op
        self.parent = parent  # the kind whose objects this kind is listed under (one call per parent)
        self.scope = scope  # "all": every object is listed; "requested": only the ids asked for
        self.pipeline_kind = pipeline_kind  # the pipeline_info `kind` value, for pipeline objects
        # Objects that name no user but belong to a run: the field naming the run (artifacts: the run's data container)
        self.run_field = run_field
        # Dotted paths of fields that change without the object's data changing (a state the service moves on its own):
        # left out of the object's content digest (``_digests``), so that they never make an exported object look new.
        self.volatile = tuple(volatile)
        # "api": objects of the Azure Machine Learning APIs; "storage": files of the workspace's storage account
        # (``_storage_export``), exported only on request and never listed through a route.
        self.source = source

    def object_id(self, obj):
        """The identifying value of ``obj`` (the sort key of bundle files)."""
        value = obj.get(self.id_field) if isinstance(obj, dict) else None
        return "" if value is None else str(value)

    def __repr__(self):
        return "Kind(%r)" % self.name


_TABLE = (
    Kind("workspace", "id", get_op="workspaces.get", delete_op="workspaces.delete", volatile=("properties.provisioningState",)),
    Kind("computes", "id", list_op="computes.list", get_op="computes.get",
         volatile=("properties.provisioningState", "properties.properties.allocationState",
                   "properties.properties.allocationStateTransitionTime", "properties.properties.currentNodeCount",
                   "properties.properties.targetNodeCount", "properties.properties.nodeStateCounts")),
    Kind("experiments", "experimentId", list_op="experiments.list"),
    Kind("runs", "runId", list_op="runs.list", get_op="runs.get", parent="experiments"),
    Kind("metrics", "metricId", list_op="metrics.list", get_op="metrics.get", parent="experiments", run_field="runId"),
    # The v2 metrics service (what today's SDKs log): one object per (run, metric), its definition and every value.
    Kind("metrics_v2", "id", list_op="metrics_v2.list", parent="runs", run_field="runId"),
    Kind("artifacts", "artifactId", list_op="artifacts.list", parent="runs", run_field="container"),
    Kind("tasks", "id", list_op="tasks.list", get_op="tasks.get"),
    Kind("datastores", "name", list_op="datastores.list", get_op="datastores.get"),
    Kind("models", "id", list_op="models.list", get_op="models.get", delete_op="models.delete"),
    Kind("assets", "id", list_op="assets.list", get_op="assets.get", delete_op="assets.delete"),
    Kind("images", "id", list_op="images.list", get_op="images.get", delete_op="images.delete"),
    Kind("services", "id", list_op="services.list", get_op="services.get", delete_op="services.delete", volatile=("state",)),
    Kind("pipeline_experiments", "id", get_op="pipeline_experiments.get", scope="requested", pipeline_kind="experiment"),
    Kind("pipeline_graphs", "id", get_op="pipeline_graphs.get", scope="requested", pipeline_kind="graph"),
    Kind("pipeline_modules", "id", get_op="pipeline_modules.get", scope="requested", pipeline_kind="module"),
    Kind("pipeline_templates", "id", get_op="pipeline_templates.get", scope="requested", pipeline_kind="template"),
    Kind("pipeline_datasources", "id", get_op="pipeline_datasources.get", scope="requested", pipeline_kind="datasource"),
)

# Files of the workspace's storage account (opt-in: export_bundle's ``storage``). One object per blob (and per snapshot):
# account, container, name, snapshot, etag, size, sha256, stored_path, referenced_by. Its content digest (``_digests``)
# is what a listing of the account can see again (name, snapshot, etag, size): what the purge compares before a DELETE.
_STORAGE_TABLE = (
    Kind("storage_blobs", "id", source="storage", volatile=("sha256", "stored_path", "referenced_by")),
)

KINDS = dict((k.name, k) for k in _TABLE + _STORAGE_TABLE)
# The kinds of the storage account (not in KIND_NAMES: the API kinds, which every export and erasure covers).
STORAGE_KINDS = tuple(k.name for k in _STORAGE_TABLE)
# Kinds whose objects belong to a run: {kind name: the field naming the run}.
RUN_CHILDREN = dict((k.name, k.run_field) for k in _TABLE if k.run_field)
# Bundle order of the API kinds (also the export order of the role).
KIND_NAMES = tuple(k.name for k in _TABLE)
PIPELINE_KINDS = dict((k.pipeline_kind, k) for k in _TABLE if k.pipeline_kind)
# The kinds the documented API can delete one by one, in the only safe order: a service holds
# images and models, an image holds models (the service answers 412 otherwise).
DELETABLE_KINDS = ("services", "images", "models", "assets")
# What the documented API cannot delete per object (deleting the workspace is the remedy).
UNDELETABLE_KINDS = ("experiments", "runs", "metrics", "metrics_v2", "artifacts", "datastores", "computes", "tasks") + tuple(
    k.name for k in _TABLE if k.pipeline_kind
)


def kind(name):
    """The ``Kind`` called ``name``; ``KeyError`` names the known kinds."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError("unknown kind %r; known kinds: %s" % (name, ", ".join(KIND_NAMES))) from None


def references(kind_name, obj):
    """``[(kind, id), ...]`` the object holds: an image its models, a service its image and models.

    These are the references the service enforces on delete (HTTP 412 ``DeletionRequired``).
    """
    if not isinstance(obj, dict):
        return []
    refs = []
    if kind_name == 'images':
        refs += [('models', str(m)) for m in obj.get('modelIds') or [] if m]
    elif kind_name == 'services':
        if obj.get('imageId'):
            refs.append(('images', str(obj['imageId'])))
        for model in obj.get('models') or []:
            model_id = model.get('id') if isinstance(model, dict) else model
            if model_id:
                refs.append(('models', str(model_id)))
    return refs
