# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to the gdpr.azureml collection: it can change at any time without notice.
"""The kinds of objects a workspace holds: one table, data not code.

A kind is one declaration (:class:`Kind`): its bundle file, the field that identifies (and sorts) its objects, the
operations that list / get / delete it (names of ``_routes``), its parent and how it is listed under it, what it
refers to (and so which kinds hold it), which fields name its creator, whether and in which order it can be deleted,
its labels, and whether the export and the purge take it by default. Everything else derives from the table:

- the export's traversal (``_export.Collector``): roots are listed, children are listed under each parent object;
- the holder checks of the purge (:data:`HOLDER_KINDS`, :func:`references`) and its delete order (:data:`DELETABLE_KINDS`);
- the subject index (``_subjects``: creator fields, the purge by subject's :data:`CREATOR_KINDS`);
- the labels of messages and reports (:data:`SINGULAR`, :data:`NOT_DELETABLE`);
- the module defaults and choices (``export_bundle``, ``purge_plan``). What cannot import Python (role defaults and
  argument specs, module documentation, the docs' kind tables) is checked against this table by
  ``tests/unit/plugins/module_utils/test_kinds.py``.

``docs/contributing.md`` ("Adding a kind") shows a new kind end to end.
"""

from ansible_collections.gdpr.azureml.plugins.module_utils._routes import path_params


class Kind:
    """One kind of object (``models``, ``runs``, ...).

    :param name: the kind's name (option values, bundle keys, audit lines): plural, snake case.
    :param id_field: the field identifying an object (and the sort key of its bundle file).
    :param singular: the label of one object in messages (``model``); ``plural`` the label of several (both default to
        ``name``).
    :param list_op, get_op, delete_op: the ``_routes`` operations (None: the API has no such call).
    :param query: query parameters of its list and get calls (datastores: never ask for credentials).
    :param parent: the kind whose objects this kind is listed under (one list call per parent object).
    :param under: ``{route parameter: field of the parent object}``: how the list call of one parent is built.
    :param lister: a listing that is not one list call per parent (a ``_export.Collector`` behaviour by name).
    :param refs: ``((kind, path), ...)``: the objects of other kinds this kind's objects hold (the service refuses their
        delete with HTTP 412 while held); ``path`` is dotted, ``[]`` walks a list, a field of a value that is not an
        object is the value itself (``models[].id``: a model given by its id or as an object).
    :param creator_fields: dotted prefixes of the fields naming the person who created an object (the subject index's
        ``created_by``); ``creator_ids``: dotted paths of the creator's Azure AD object id, in order of preference
        (precise evidence, what a purge by subject may act on; the ``userTenantId`` beside it narrows it to a tenant).
    :param delete_order: the place of the kind in the purge's delete order (holders first); None: the documented API
        cannot delete its objects one by one.
    :param group: a label shared with kinds named together in reports (``pipeline objects``).
    :param export, purge: whether the export (its default ``kinds``) and the purge (a deletable kind) take it by default.
    :param scope: ``all`` (every object is listed), ``requested`` (only the ids asked for: pipeline objects), ``referenced``
        (only the objects other exported objects refer to: registries).
    :param api: ``v2`` for the v2 resources (ARM 2025-12-01), whose objects may refer to a registry; ``v1`` otherwise.
    :param same_as: ``(kind, template)``: each object of this kind is an object of that other kind, seen through another API
        (one store, two views: a job is the run of the same id, a v2 model version the v1 model ``name:version``); the
        template builds the other view's id from the parameters of this kind's delete route, read off the object's ARM id.
        A purge deletes and counts such an object once (under the other kind when both are in scope).
    :param takes_children: whether deleting an object takes the objects listed under it (an endpoint its deployments);
        otherwise the service refuses the delete while any is left (a container with versions: HTTP 409), and a purge keeps
        a container whose versions it does not all delete.
    :param empty_of: ``(kind, field)``: an object is deleted only once no object of that kind whose ``field`` names it
        stays (an experiment once every run of it goes: its jobs are deleted in the same purge).
    :param creates: the kinds whose objects this kind's objects keep creating (a schedule its jobs): a purge deletes them
        only once this kind's deletes are done.
    :param after: the kinds a purge deletes before this one though no known answer of the service requires it: objects
        that may use this kind's objects (a deployment, a job or a schedule an asset version; an image the v1 assets it
        packages), kept in the documented order until the service is known not to refuse (unlike ``refs``: no holder
        check, nobody else's object keeps one of these).
    """

    __slots__ = ("name", "file", "id_field", "singular", "plural", "list_op", "get_op", "delete_op", "query", "parent", "under",
                 "lister", "refs", "creator_fields", "creator_ids", "delete_order", "group", "export", "purge", "scope",
                 "pipeline_kind", "run_field", "volatile", "source", "api", "same_as", "takes_children", "empty_of", "creates",
                 "after")

    def __init__(self, name, id_field, *, singular=None, plural=None, list_op=None, get_op=None, delete_op=None, query=None, parent=None,
                 under=None, lister=None, refs=(), creator_fields=(), creator_ids=(), delete_order=None, group=None, export=True,
                 purge=True, scope="all", pipeline_kind=None, run_field=None, volatile=(), source="api", api="v1", same_as=None,
                 takes_children=False, empty_of=None, creates=(), after=()):
        self.name = name
        self.file = name + ".json"
        self.id_field = id_field
        self.singular = singular or name
        self.plural = plural or name
        self.list_op = list_op
        self.get_op = get_op
        self.delete_op = delete_op
        self.query = dict(query) if query else None
        self.parent = parent  # the kind whose objects this kind is listed under (one call per parent)
        self.under = dict(under or {})
        self.lister = lister
        self.refs = tuple(refs)
        self.creator_fields = tuple(creator_fields)
        self.creator_ids = tuple(creator_ids)
        self.delete_order = delete_order
        self.group = group
        self.export = export
        self.purge = purge
        self.scope = scope  # "all": every object is listed; "requested": only the ids asked for
        self.pipeline_kind = pipeline_kind  # the pipeline_info `kind` value, for pipeline objects
        # Objects that belong to a run: the field naming the run (artifacts: the run's data container; a job: its name, the
        # run of the same id, whose creator the subject index credits precisely)
        self.run_field = run_field
        # Dotted paths of fields that change without the object's data changing (a state the service moves on its own):
        # left out of the object's content digest (``_digests``), so that they never make an exported object look new.
        self.volatile = tuple(volatile)
        # "api": objects of the Azure Machine Learning APIs; "storage": files of the workspace's storage account
        # (``_storage_export``), exported only on request and never listed through a route.
        self.source = source
        # "v2": a resource of the ARM API of the v2 resources (api-version 2025-12-01; jobs, assets, endpoints, ...).
        self.api = api
        self.same_as = tuple(same_as) if same_as else None
        self.takes_children = takes_children
        self.empty_of = tuple(empty_of) if empty_of else None
        self.creates = tuple(creates)
        self.after = tuple(after)

    def object_id(self, obj):
        """The identifying value of ``obj`` (the sort key of bundle files)."""
        value = obj.get(self.id_field) if isinstance(obj, dict) else None
        return "" if value is None else str(value)

    def __repr__(self):
        return "Kind(%r)" % self.name


# Run history, SDK ``User`` and pipeline objects name their creator in ``createdBy`` (a user record: userObjectId,
# userTenantId, userName); the run history also in ``userId``; ARM resources in ``systemData.createdBy`` (a name or UPN).
_CREATED_BY = dict(creator_fields=("createdBy",), creator_ids=("createdBy.userObjectId",))
_PIPELINE = dict(scope="requested", group="pipeline objects", **_CREATED_BY)
# ARM resources name their creator in ``systemData.createdBy``: a display name for a user (not an id).
_V2 = dict(api="v2", creator_fields=("systemData.createdBy",))
_PROVISIONING = ("properties.provisioningState",)
# A compute instance names the person it is assigned to by object id (precise), and its creator.
_INSTANCE = "properties.properties.personalComputeInstanceSettings.assignedUser"
# The purge's delete order (``delete_order``), holders first: schedules (they keep creating jobs), deployments, endpoints,
# services, images (hold models), jobs, models, assets, asset versions, asset containers (refused while a version is
# left); then what only a purge naming it deletes (``purge=False``): connections, datastores, computes.
_ORDER = dict((name, place) for place, name in enumerate((
    "schedules", "online_deployments", "batch_deployments", "online_endpoints", "batch_endpoints", "services", "images", "jobs",
    "experiments", "models", "assets", "data_versions", "model_versions", "environment_versions", "component_versions", "code_versions",
    "data_containers", "model_containers", "environment_containers", "component_containers", "code_containers",
    "connections", "datastores", "computes"), start=1))
# What may use an asset version (a deployment its model, environment and code; a job its inputs and component; a schedule
# the component of the jobs it creates): deleted before the versions, as they always were, until the service is known not
# to refuse.
_USERS_OF_VERSIONS = ("schedules", "online_deployments", "batch_deployments", "jobs")
_TABLE = (
    Kind("workspace", "id", singular="workspace", get_op="workspaces.get", delete_op="workspaces.delete",
         creator_fields=("systemData.createdBy",), volatile=("properties.provisioningState",)),
    # Deleted only when a purge names them (or with the workspace): a compute is shared infrastructure, not personal data.
    Kind("computes", "id", singular="compute", list_op="computes.list", get_op="computes.get", delete_op="computes.delete",
         delete_order=_ORDER["computes"], purge=False,
         creator_fields=(_INSTANCE, "properties.properties.createdBy", "systemData.createdBy"), creator_ids=(_INSTANCE + ".objectId",),
         volatile=("properties.provisioningState", "properties.properties.allocationState",
                   "properties.properties.allocationStateTransitionTime", "properties.properties.currentNodeCount",
                   "properties.properties.targetNodeCount", "properties.properties.nodeStateCounts")),
    # Deleted (azureml-core's delete of an empty experiment) once every run under it goes: its names are often personal.
    Kind("experiments", "experimentId", singular="experiment", list_op="experiments.list", delete_op="experiments.delete",
         delete_order=_ORDER["experiments"], empty_of=("runs", "experimentId")),
    Kind("runs", "runId", singular="run", list_op="runs.list", get_op="runs.get", parent="experiments",
         under={"experiment_name": "name"}, creator_fields=("createdBy", "userId"), creator_ids=("createdBy.userObjectId", "userId")),
    Kind("metrics", "metricId", singular="metric", list_op="metrics.list", get_op="metrics.get", parent="experiments",
         under={"experiment_name": "name"}, run_field="runId"),
    # The v2 metrics service (what today's SDKs log): one object per (run, metric), its definition and every value.
    Kind("metrics_v2", "id", singular="v2 metric", plural="v2 metrics", list_op="metrics_v2.list", parent="runs",
         under={"run_id": "runId"}, lister="metric_values", run_field="runId"),
    # Listed in the run's data container(s), not by run id; with export_bundle's artifact_content, their bytes too.
    Kind("artifacts", "artifactId", singular="artifact", list_op="artifacts.list", parent="runs", under={"run_id": "runId"},
         lister="run_artifacts", run_field="container"),
    Kind("tasks", "id", singular="notification task", plural="notification tasks", list_op="tasks.list", get_op="tasks.get",
         **_CREATED_BY),
    # Deleted (the registration only, ARM's v2 route; the storage stays) only when a purge names them.
    Kind("datastores", "name", singular="datastore", list_op="datastores.list", get_op="datastores.get", delete_op="datastores.delete",
         delete_order=_ORDER["datastores"], purge=False,
         query={"includeSecret": "false"}),  # the API's default is includeSecret=true: never ask for credentials
    Kind("models", "id", singular="model", list_op="models.list", get_op="models.get", delete_op="models.delete", delete_order=_ORDER["models"],
         **_CREATED_BY),
    Kind("assets", "id", singular="asset", list_op="assets.list", get_op="assets.get", delete_op="assets.delete",
         delete_order=_ORDER["assets"], after=("images",)),
    Kind("images", "id", singular="image", list_op="images.list", get_op="images.get", delete_op="images.delete", delete_order=_ORDER["images"],
         refs=(("models", "modelIds[]"),), **_CREATED_BY),
    Kind("services", "id", singular="service", list_op="services.list", get_op="services.get", delete_op="services.delete",
         delete_order=_ORDER["services"], refs=(("images", "imageId"), ("models", "models[].id")), volatile=("state",), **_CREATED_BY),
    # The v2 resources (ARM, api-version 2025-12-01): ARM ids, and ``systemData.createdBy``, the creator's display name (not
    # unique: weaker evidence, ``_subjects``). A job is the run of the same id (``run_field``: the job's ``name``), which
    # names its creator by object id. Versions are listed under their container, deployments under their endpoint.
    # Registries are never deleted (no delete route); connections only when a purge names them.
    Kind("jobs", "id", singular="job", list_op="jobs.list", get_op="jobs.get", delete_op="jobs.delete", run_field="name",
         delete_order=_ORDER["jobs"], same_as=("runs", "{name}"), volatile=("properties.status",), **_V2),
    *(kind for prefix, label in (("data", "data"), ("model", "model"), ("environment", "environment"),
                                 ("component", "component"), ("code", "code"))
      for kind in (
          Kind(prefix + "_containers", "id", singular=label + " container", plural=label + " containers",
               list_op=prefix + "_containers.list", get_op=prefix + "_containers.get", delete_op=prefix + "_containers.delete",
               delete_order=_ORDER[prefix + "_containers"], **_V2),
          Kind(prefix + "_versions", "id", singular=label + " version", plural=label + " versions",
               list_op=prefix + "_versions.list", get_op=prefix + "_versions.get", delete_op=prefix + "_versions.delete",
               delete_order=_ORDER[prefix + "_versions"], parent=prefix + "_containers", under={"name": "name"},
               after=_USERS_OF_VERSIONS,
               # a v2 model version is the v1 model name:version
               same_as=("models", "{name}:{version}") if prefix == "model" else None, **_V2))),
    Kind("online_endpoints", "id", singular="online endpoint", plural="online endpoints", list_op="online_endpoints.list",
         get_op="online_endpoints.get", delete_op="online_endpoints.delete", delete_order=_ORDER["online_endpoints"],
         takes_children=True, volatile=_PROVISIONING, **_V2),
    Kind("online_deployments", "id", singular="online deployment", plural="online deployments",
         list_op="online_deployments.list", get_op="online_deployments.get", delete_op="online_deployments.delete",
         delete_order=_ORDER["online_deployments"],
         parent="online_endpoints", under={"endpoint_name": "name"}, volatile=_PROVISIONING, **_V2),
    Kind("batch_endpoints", "id", singular="batch endpoint", plural="batch endpoints", list_op="batch_endpoints.list",
         get_op="batch_endpoints.get", delete_op="batch_endpoints.delete", delete_order=_ORDER["batch_endpoints"],
         takes_children=True, volatile=_PROVISIONING, **_V2),
    Kind("batch_deployments", "id", singular="batch deployment", plural="batch deployments",
         list_op="batch_deployments.list", get_op="batch_deployments.get", delete_op="batch_deployments.delete",
         delete_order=_ORDER["batch_deployments"],
         parent="batch_endpoints", under={"endpoint_name": "name"}, volatile=_PROVISIONING, **_V2),
    Kind("schedules", "id", singular="schedule", list_op="schedules.list", get_op="schedules.get", delete_op="schedules.delete",
         delete_order=_ORDER["schedules"], creates=("jobs",), volatile=_PROVISIONING, **_V2),
    # Credentials only through POST .../listsecrets, never sent; scrubbed if a body holds any (``_scrub``).
    Kind("connections", "id", singular="connection", list_op="connections.list", get_op="connections.get",
         delete_op="connections.delete", delete_order=_ORDER["connections"], purge=False, **_V2),
    # Resource-group level and shared by workspaces: only the registries of the workspace's resource group that an exported
    # object refers to (``azureml://registries/<name>/...``), listed once the other kinds are (``_export.Collector``).
    Kind("registries", "id", singular="registry", list_op="registries.list", get_op="registries.get", lister="used_registries",
         scope="referenced", **_V2),
    Kind("pipeline_experiments", "id", singular="pipeline experiment", get_op="pipeline_experiments.get", pipeline_kind="experiment",
         **_PIPELINE),
    Kind("pipeline_graphs", "id", singular="pipeline graph", get_op="pipeline_graphs.get", pipeline_kind="graph", **_PIPELINE),
    Kind("pipeline_modules", "id", singular="pipeline module", get_op="pipeline_modules.get", pipeline_kind="module", **_PIPELINE),
    Kind("pipeline_templates", "id", singular="pipeline template", get_op="pipeline_templates.get", pipeline_kind="template",
         **_PIPELINE),
    Kind("pipeline_datasources", "id", singular="pipeline data source", get_op="pipeline_datasources.get",
         pipeline_kind="datasource", **_PIPELINE),
)

# Files of the workspace's storage account (opt-in: export_bundle's ``storage``). One object per blob (and per snapshot):
# account, container, name, snapshot, etag, size, sha256, stored_path, referenced_by. Its content digest (``_digests``)
# is what a listing of the account can see again (name, snapshot, etag, size): what the purge compares before a DELETE.
_STORAGE_TABLE = (
    Kind("storage_blobs", "id", singular="blob", source="storage", export=False, volatile=("sha256", "stored_path", "referenced_by")),
)


def _delete_after(table, deletable):
    """``{kind: the deletable kinds whose deletes must be done before its deletes start}``, directly or through others: its
    holders (``refs``: the service answers 412), the kinds listed under it that it does not take (``parent``: a container
    with versions answers 409; an endpoint's deployments go first all the same), the kinds it must be left empty of
    (``empty_of``, through their other view: an experiment's jobs), the other view of its objects (``same_as``: a v2 model
    version is deleted as the v1 model when both are in scope), the kinds that create its objects (``creates``: schedules
    before jobs), the kinds it is kept after (``after``: what may use it); and every kind the purge takes by default
    before the shared infrastructure (``purge=False``: connections, datastores, computes)."""
    kinds = dict((k.name, k) for k in table)
    direct = dict((name, set()) for name in deletable)
    for k in table:
        for ref in (r for r, dummy in k.refs):
            if ref in direct and k.name in direct:
                direct[ref].add(k.name)
        if k.parent in direct and k.name in direct:
            direct[k.parent].add(k.name)
        for named in k.creates + k.after:
            if named not in direct:
                raise ValueError(f"kind {k.name} names {named} in creates or after, which is not a deletable kind")
        for created in k.creates:
            direct[created].add(k.name)
        if k.name not in direct:
            continue
        direct[k.name].update(k.after)
        if k.empty_of:
            emptied = k.empty_of[0]  # its kind, or the kinds that are views of it (the jobs of runs)
            direct[k.name].update(o.name for o in table if o.name in direct and emptied in (o.name, (o.same_as or ("",))[0]))
        if k.same_as and k.same_as[0] in direct:
            direct[k.name].add(k.same_as[0])
        if not k.purge:
            direct[k.name].update(name for name in deletable if kinds[name].purge)
    closed = {}
    for name in deletable:  # the delete order lists every kind after the kinds it must follow (checked here)
        late = sorted(p for p in direct[name] if p not in closed)
        if late:
            raise ValueError(f"kind {name} must be deleted after {', '.join(late)}: its delete_order is too early")
        closed[name] = tuple(p for p in deletable if p in direct[name] or any(p in closed[d] for d in direct[name]))
    return closed


def derive(table, storage_table=()):
    """Everything the rest of the collection reads of the tables, ``{constant name: value}`` (the constants below); a unit
    test derives it again from a table with one more kind, as a new declaration would."""
    kinds = dict((k.name, k) for k in table + storage_table)
    deletable = tuple(k.name for k in sorted((k for k in table if k.delete_order is not None), key=lambda k: k.delete_order))
    undeletable = tuple(k.name for k in table if k.delete_order is None and k.name != "workspace")
    held = tuple(name for name in deletable if any(ref == name for k in table for ref, path in k.refs))
    return {
        # {deletable kind: the deletable kinds whose deletes must be done before its own start}, in delete order
        # (``_purge_apply``: each kind starts once these are deleted).
        "DELETE_AFTER": _delete_after(table, deletable),
        "KINDS": kinds,
        # The kinds of the storage account (not in KIND_NAMES: the API kinds, which every export and erasure covers).
        "STORAGE_KINDS": tuple(k.name for k in storage_table),
        # Kinds whose objects belong to a run: {kind name: the field naming the run}.
        "RUN_CHILDREN": dict((k.name, k.run_field) for k in table if k.run_field),
        # Bundle order of the API kinds (also the export order of the role).
        "KIND_NAMES": tuple(k.name for k in table),
        # What the export takes by default (export_bundle's and the export role's ``kinds``).
        "EXPORT_DEFAULT": tuple(k.name for k in table if k.export),
        "PIPELINE_KINDS": dict((k.pipeline_kind, k) for k in table if k.pipeline_kind),
        # The kinds the documented API can delete one by one, in the only safe order: a service holds
        # images and models, an image holds models (the service answers 412 otherwise).
        "DELETABLE_KINDS": deletable,
        # What the purge deletes by default (purge_plan's and the purge role's ``kinds``).
        "PURGE_DEFAULT": tuple(name for name in deletable if kinds[name].purge),
        # What the documented API cannot delete per object (deleting the workspace is the remedy) ...
        "UNDELETABLE_KINDS": undeletable,
        # ... as reports name it: the kinds of a group under the group's label.
        # (not named: the kinds whose API has a delete, which this collection's purge does not use yet, the v2 kinds; and the
        # registries, which are the resource group's, not the workspace's).
        "NOT_DELETABLE": tuple(dict.fromkeys(kinds[name].group or name for name in undeletable
                                             if not kinds[name].delete_op and kinds[name].scope != "referenced")),
        # {kind: its label for one object} ("delete model m:1").
        "SINGULAR": dict((k.name, k.singular) for k in kinds.values()),
        # {kind: the kinds whose objects can hold its objects}, in delete order: what a delete of the kind must check first.
        "HOLDER_KINDS": dict((name, tuple(k.name for k in table if any(ref == name for ref, path in k.refs))) for name in held),
        # The kinds whose objects hold others (images, services).
        "HOLDING_KINDS": tuple(k.name for k in table if k.refs),
        # The deletable kinds whose objects name their creator by object id (or are the object of another view that does,
        # a job the run of the same id): what a purge by subject can select.
        "CREATOR_KINDS": tuple(k.name for k in table if k.delete_order is not None
                               and (k.creator_ids or (k.same_as and kinds[k.same_as[0]].creator_ids))),
        # {kind: the other kind each of its objects also is} (one store, two views: jobs are runs, v2 model versions v1 models).
        "SAME_AS": dict((k.name, k.same_as[0]) for k in table if k.same_as),
        # Every field prefix that names an object's creator in some kind (for objects read without their kind).
        "CREATOR_FIELDS": tuple(dict.fromkeys(f for k in table for f in k.creator_fields)),
        # {kind: the kinds listed under each of its objects}, in table order.
        "CHILDREN": dict((k.name, tuple(c.name for c in table if c.parent == k.name)) for k in table),
    }


_DERIVED = derive(_TABLE, _STORAGE_TABLE)
KINDS = _DERIVED["KINDS"]
STORAGE_KINDS = _DERIVED["STORAGE_KINDS"]
RUN_CHILDREN = _DERIVED["RUN_CHILDREN"]
KIND_NAMES = _DERIVED["KIND_NAMES"]
EXPORT_DEFAULT = _DERIVED["EXPORT_DEFAULT"]
PIPELINE_KINDS = _DERIVED["PIPELINE_KINDS"]
DELETABLE_KINDS = _DERIVED["DELETABLE_KINDS"]
PURGE_DEFAULT = _DERIVED["PURGE_DEFAULT"]
UNDELETABLE_KINDS = _DERIVED["UNDELETABLE_KINDS"]
NOT_DELETABLE = _DERIVED["NOT_DELETABLE"]
SINGULAR = _DERIVED["SINGULAR"]
HOLDER_KINDS = _DERIVED["HOLDER_KINDS"]
HOLDING_KINDS = _DERIVED["HOLDING_KINDS"]
CREATOR_KINDS = _DERIVED["CREATOR_KINDS"]
CREATOR_FIELDS = _DERIVED["CREATOR_FIELDS"]
CHILDREN = _DERIVED["CHILDREN"]
SAME_AS = _DERIVED["SAME_AS"]
DELETE_AFTER = _DERIVED["DELETE_AFTER"]


def depth(name):
    """How many parents kind ``name`` has (0 for kinds listed once per workspace)."""
    parent = KINDS[name].parent
    return 0 if parent is None else 1 + depth(parent)


def descendants(name):
    """The kinds listed under kind ``name``'s objects, at any depth."""
    found = []
    for child in CHILDREN.get(name, ()):
        found += [child] + descendants(child)
    return found


def kind(name):
    """The ``Kind`` called ``name``; ``KeyError`` names the known kinds."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError("unknown kind %r; known kinds: %s" % (name, ", ".join(KIND_NAMES))) from None


def _walk(value, steps, strict):
    """The values at ``steps`` (a dotted path split) under ``value``: ``[]`` walks a list; unless ``strict``, a field of
    a value that is not an object is the value itself (an object given by its id)."""
    if not steps:
        yield value
    elif steps[0] == "[]":
        for item in value if isinstance(value, list) else ():
            yield from _walk(item, steps[1:], strict)
    elif isinstance(value, dict):
        yield from _walk(value.get(steps[0]), steps[1:], strict)
    elif not strict:
        yield value


def field_values(obj, path, strict=True):
    """The values of the dotted ``path`` (``models[].id``) in ``obj``."""
    return list(_walk(obj, path.replace("[]", ".[]").split("."), strict))


def references(kind_name, obj):
    """``[(kind, id), ...]`` the object holds: an image its models, a service its image and models (``Kind.refs``).

    These are the references the service enforces on delete (HTTP 412 ``DeletionRequired``).
    """
    kind_ = KINDS.get(kind_name)
    if not isinstance(obj, dict) or kind_ is None:
        return []
    return [(ref, str(value)) for ref, path in kind_.refs for value in field_values(obj, path, strict=False) if value]


def route_params(kind_name, obj_id):
    """The parameters of the delete (else get) route of kind ``kind_name`` that the object id ``obj_id`` fills: an ARM id
    read against the route's path (``{name}``, ``{version}``, ``{endpoint_name}`` and the workspace's coordinates), else
    None (an id that is no path of the kind: a v1 id, passed as is)."""
    kind_ = KINDS[kind_name]
    op = kind_.delete_op or kind_.get_op
    if not op or not str(obj_id).startswith("/"):
        return None
    return path_params(op, obj_id)


def other_view(kind_name, obj_id):
    """``(kind, id)`` of the same object seen as the kind of ``Kind.same_as`` (a job ``.../jobs/r1``: ``("runs", "r1")``; a
    model version ``.../models/m/versions/2``: ``("models", "m:2")``); None when the kind has no other view."""
    kind_ = KINDS.get(kind_name)
    if kind_ is None or not kind_.same_as:
        return None
    params = route_params(kind_name, obj_id)
    if params is None:
        return None
    other, template = kind_.same_as
    return other, template.format(**params)
