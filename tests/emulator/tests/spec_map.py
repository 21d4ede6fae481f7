"""Explicit map: each emulator operation -> the official spec operation and response definition.

Operation names are those of docs/architecture.md ("Operation names"). Spec short names are
those of ``azureml_emulator.spec_validation.SPEC_FILES`` (``arm``: ARM 2019-11-01
machineLearningServices.json; ``mms``, ``history``, ``artifact``, ``datastore``: the data-plane
2019-09-30 modelManagement.json, runHistory.json, artifact.json, datastore.json).

Every operation of the emulator is either in ``MAP`` or in ``UNCOVERED`` with a reason;
test_spec_conformance.py fails when one is in neither, when a map entry disagrees with the spec
(operation id, status codes, response definition, list item definition) or when a response of the
emulator does not validate.

``note`` says where the emulator's route (the 2020 document's) differs from the spec's route.
"""

from dataclasses import dataclass

from azureml_emulator.families import v2 as v2_family
from azureml_emulator.spec_validation import Overlay

WS = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}"
# modelManagement.json names the last two parameters {resourceGroup} and {workspace}
MMS_WS = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"


@dataclass(frozen=True)
class SpecOp:
    op: str  # emulator operation name
    family: str  # the emulator's family name (routing.Route.family): arm | mms | history | artifact | datastore
    route: str  # the emulator's route (docs/architecture.md), {ws} = WS
    spec: str  # spec short name
    operation_id: str  # spec operationId, or None when the spec has no such operation
    spec_route: str  # "METHOD path" in the spec (for the reader; checked against operation_id)
    success: tuple  # status codes the operation answers on success (each must be declared by the spec)
    definition: str = None  # definition of the success body (None: the spec declares no body)
    item_definition: str = None  # lists: definition of each item of ``value``
    note: str = ""


MAP = {
    m.op: m
    for m in (
        # ---------------------------------------------------------------- ARM (same routes as the spec)
        SpecOp(
            "workspaces.list_subscription",
            "arm",
            "GET /subscriptions/{subscriptionId}/providers/Microsoft.MachineLearningServices/workspaces",
            "arm",
            "Workspaces_ListBySubscription",
            "GET /subscriptions/{subscriptionId}/providers/Microsoft.MachineLearningServices/workspaces",
            ("200",),
            "WorkspaceListResult",
            "Workspace",
        ),
        SpecOp(
            "workspaces.list",
            "arm",
            "GET /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces",
            "arm",
            "Workspaces_ListByResourceGroup",
            "GET /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces",
            ("200",),
            "WorkspaceListResult",
            "Workspace",
        ),
        SpecOp("workspaces.get", "arm", "GET {ws}", "arm", "Workspaces_Get", "GET " + WS, ("200",), "Workspace"),
        SpecOp(
            "workspaces.delete",
            "arm",
            "DELETE {ws}",
            "arm",
            "Workspaces_Delete",
            "DELETE " + WS,
            ("200", "202", "204"),
            note="x-ms-long-running-operation without LRO headers in the spec; the emulator adds Location/Azure-AsyncOperation"
            " (ARM RPC). With permanently_delete the emulator also takes api-version 2024-04-01 + forceToPurge=true,"
            " which this 2019-11-01 spec does not have; the status codes are the same.",
        ),
        SpecOp(
            "computes.list",
            "arm",
            "GET {ws}/computes",
            "arm",
            "MachineLearningCompute_ListByWorkspace",
            "GET " + WS + "/computes",
            ("200",),
            "PaginatedComputeResourcesList",
            "ComputeResource",
            note="the 2020 document writes resourceGroup/ (typo); the emulator serves resourceGroups/ as the spec",
        ),
        SpecOp(
            "computes.get",
            "arm",
            "GET {ws}/computes/{computeName}",
            "arm",
            "MachineLearningCompute_Get",
            "GET " + WS + "/computes/{computeName}",
            ("200",),
            "ComputeResource",
            note="properties is polymorphic (Compute, discriminator computeType: AKS, AmlCompute, ...)",
        ),
        # ---------------------------------------------------------------- run history
        SpecOp(
            "experiments.list",
            "history",
            "GET /history/v1.0{ws}/experiments",
            "history",
            "Experiments_GetByQuery",
            "POST /history/v1.0" + WS + "/experiments:query",
            ("200",),
            "PaginatedExperimentList",
            "Experiment",
            note="the document lists with GET; the spec only has POST experiments:query (same page type)",
        ),
        SpecOp(
            "experiments.get",
            "history",
            "GET /history/v1.0{ws}/experiments/{experimentName}",
            "history",
            "Experiments_Get",
            "GET /history/v1.0" + WS + "/experiments/{experimentName}",
            ("200",),
            "Experiment",
            note="not in the 2020 document's list of calls; the emulator serves the spec's route",
        ),
        SpecOp(
            "runs.list",
            "history",
            "GET /history/v1.0{ws}/experiments/{experimentName}/runs",
            "history",
            "Runs_GetByQuery",
            "POST /history/v1.0" + WS + "/experiments/{experimentName}/runs:query",
            ("200",),
            "PaginatedRunList",
            "Run",
            note="the document lists with GET; the spec only has POST runs:query (same page type)",
        ),
        SpecOp(
            "runs.get",
            "history",
            "GET /history/v1.0{ws}/experiments/{experimentName}/runs/{runId}",
            "history",
            "Runs_Get",
            "GET /history/v1.0" + WS + "/experiments/{experimentName}/runs/{runId}",
            ("200",),
            "Run",
        ),
        SpecOp(
            "metrics.list",
            "history",
            "GET /history/v1.0{ws}/experiments/{experimentName}/metrics",
            "history",
            "RunMetrics_GetByQuery",
            "POST /history/v1.0" + WS + "/experiments/{experimentName}/metrics:query",
            ("200",),
            "PaginatedRunMetricList",
            "RunMetric",
            note="the document lists with GET; the spec only has POST metrics:query (same page type)",
        ),
        SpecOp(
            "metrics.get",
            "history",
            "GET /history/v1.0{ws}/experiments/{experimentName}/metrics/{metricId}",
            "history",
            "RunMetrics_Get",
            "GET /history/v1.0" + WS + "/experiments/{experimentName}/metrics/{metricId}",
            ("200",),
            "RunMetric",
        ),
        # ---------------------------------------------------------------- artifacts
        SpecOp(
            "artifacts.list",
            "artifact",
            "GET /artifact/v1.0{ws}/artifacts/origins/ExperimentRun/containers/{runId}",
            "artifact",
            "Artifacts_ListInContainer",
            "GET /artifact/v2.0" + WS + "/artifacts/{origin}/{container}",
            ("200",),
            "PaginatedArtifactList",
            "Artifact",
            note="the document's v1.0 route .../artifacts/origins/ExperimentRun/containers/{runId} is the Workbench-era shape;"
            " the spec's is v2.0 .../artifacts/{origin}/{container} with origin=ExperimentRun, container=runId",
        ),
        SpecOp(
            "artifacts.contentinfo",
            "artifact",
            "GET /artifact/v1.0{ws}/artifacts/origins/ExperimentRun/containers/{runId}/contentinfo?path={path}",
            "artifact",
            "Artifacts_GetContentInformation",
            "GET /artifact/v2.0" + WS + "/artifacts/{origin}/{container}/contentinfo",
            ("200",),
            "ArtifactContentInformation",
            note="v1.0 origins/ExperimentRun/containers/{runId} (document) vs v2.0 {origin}/{container} (spec); path is a query parameter in both",
        ),
        # ---------------------------------------------------------------- datastores (same routes as the spec)
        SpecOp(
            "datastores.list",
            "datastore",
            "GET /datastore/v1.0{ws}/datastores",
            "datastore",
            "DataStores_List",
            "GET /datastore/v1.0" + WS + "/datastores",
            ("200",),
            "PaginatedDataStoreList",
            "DataStore",
        ),
        SpecOp(
            "datastores.get",
            "datastore",
            "GET /datastore/v1.0{ws}/datastores/{name}",
            "datastore",
            "DataStores_Get",
            "GET /datastore/v1.0" + WS + "/datastores/{name}",
            ("200",),
            "DataStore",
        ),
        SpecOp(
            "datastores.get_default",
            "datastore",
            "GET /datastore/v1.0{ws}/default",
            "datastore",
            "DataStores_GetDefault",
            "GET /datastore/v1.0" + WS + "/default",
            ("200",),
            "DataStore",
            note="not in the 2020 document's list of calls; the emulator serves the spec's route",
        ),
        # ---------------------------------------------------------------- model management
        SpecOp(
            "mms_operations.get",
            "mms",
            "GET /api{ws}/operations/{operationId}",
            "mms",
            "Operations_Get",
            "GET /modelmanagement/v1.0" + MMS_WS + "/operations/{id}",
            ("200",),
            "AsyncOperationStatus",
            note="document-style /api{ws} + api-version=2019-11-01 vs spec /modelmanagement/v1.0{ws} without api-version",
        ),
    )
}

_MMS_NOTE = "document /api{ws}/...?api-version=2019-11-01 vs spec /modelmanagement/v1.0{ws}/... (no api-version)"
for _kind, _single, _list_id, _get_id, _del_id, _page, _item, _del in (
    ("models", "Model", "MLModels_ListQuery", "MLModels_QueryById", "MLModels_Delete", "PaginatedModelList", "Model", ("200", "204")),
    ("assets", "Asset", "Assets_ListQuery", "Assets_QueryById", "Assets_Delete", "PaginatedAssetList", "Asset", ("200", "204")),
    (
        "services",
        "ServiceResponseBase",
        "Services_ListQuery",
        "Services_QueryById",
        "Services_Delete",
        "PaginatedServiceList",
        "ServiceResponseBase",
        ("200", "202", "204"),
    ),
):
    _base = "/modelmanagement/v1.0" + MMS_WS + "/" + _kind
    MAP[_kind + ".list"] = SpecOp(_kind + ".list", "mms", "GET /api{ws}/" + _kind, "mms", _list_id, "GET " + _base, ("200",), _page, _item, _MMS_NOTE)
    MAP[_kind + ".get"] = SpecOp(
        _kind + ".get", "mms", "GET /api{ws}/" + _kind + "/{id}", "mms", _get_id, "GET " + _base + "/{id}", ("200",), _single, None, _MMS_NOTE
    )
    MAP[_kind + ".delete"] = SpecOp(
        _kind + ".delete", "mms", "DELETE /api{ws}/" + _kind + "/{id}", "mms", _del_id, "DELETE " + _base + "/{id}", _del, None, None, _MMS_NOTE
    )

# Images are not in the 2019-09-30 MMS swagger (no path), but its definitions have the image
# body: ImageResponseBase (discriminator imageFlavor; referenced by AKSServiceResponse.imageDetails).
# The page type is azureml-core's PaginatedImageList {value, nextLink} (API-NOTES section 2),
# added by the overlay below; the delete status codes are azureml-core's (200, 204).
_IMG_NOTE = "no images path in the 2019-09-30 MMS swagger; " + _MMS_NOTE
MAP["images.list"] = SpecOp(
    "images.list",
    "mms",
    "GET /api{ws}/images",
    "mms",
    None,
    "(none; azureml-core GET /modelmanagement/v1.0{ws}/images)",
    ("200",),
    "PaginatedImageList",
    "ImageResponseBase",
    _IMG_NOTE + "; page = overlay PaginatedImageList (azureml-core), items = spec ImageResponseBase",
)
MAP["images.get"] = SpecOp(
    "images.get",
    "mms",
    "GET /api{ws}/images/{id}",
    "mms",
    None,
    "(none; azureml-core GET /modelmanagement/v1.0{ws}/images/{id})",
    ("200",),
    "ImageResponseBase",
    None,
    _IMG_NOTE + "; body = spec definition ImageResponseBase",
)
MAP["images.delete"] = SpecOp(
    "images.delete",
    "mms",
    "DELETE /api{ws}/images/{id}",
    "mms",
    None,
    "(none; azureml-core DELETE /modelmanagement/v1.0{ws}/images/{id})",
    ("200", "204"),
    None,
    None,
    _IMG_NOTE + "; status codes per azureml-core image delete (200, 204), as the spec's model/asset deletes",
)

# Operations no spec covers. The test requires each to be answered by the emulator all the same
# (other tests check their shapes); only the schema check is skipped.
UNCOVERED = {
    "tasks.list": "notification service: no public swagger or SDK; error bodies are checked against the"
    " run-history convention the emulator follows (see CONVENTION_ERRORS)",
    "tasks.get": "notification service: no public swagger or SDK",
    "pipeline_experiments.get": "pipelines (aether) service: no public swagger or SDK",
    "pipeline_graphs.get": "pipelines (aether) service: no public swagger or SDK",
    "pipeline_modules.get": "pipelines (aether) service: no public swagger or SDK",
    "pipeline_templates.get": "pipelines (aether) service: no public swagger or SDK",
    "pipeline_datasources.get": "pipelines (aether) service: no public swagger or SDK",
    "discovery.get": "workspace discovery document: unauthenticated flat JSON map, in no swagger (azureml-core's service_discovery.py reads it)",
    # routes of the emulator that are not ML REST operations of the document
    "workspaces.operation_status": "ARM's generic Azure-AsyncOperation status {id, name, status, startTime, endTime, error}"
    " (ARM RPC async-api-reference.md); the ML swagger declares no LRO status type",
    "workspaces.operation_result": "ARM's generic Location poll of a long-running operation (202 without body, then 200/204;"
    " ARM RPC async-api-reference.md); no body type in the ML swagger",
    "blobs.get": "the storage blob behind an artifact's SAS contentUri (Azure Storage, not an ML API; no JSON body)",
    # Not in the 2019-09-30 swaggers; checked instead by Microsoft's own client (tests/conformance, azureml-core 1.61).
    "runs.get_by_id": "GET {ws}/runs/{runId}: a run without its experiment, in no 2019 swagger; azureml-core 1.61"
    " RunOperations.get_workspace_run (RunDto), checked by tests/conformance",
    "experiments.delete": "DELETE {ws}/experimentids/{experimentId}: an empty experiment (200, or 202 + Location), in no 2019"
    " swagger; azureml-core 1.61 ExperimentOperations.delete via WorkspaceClient.delete_experiment, checked by tests/conformance",
    "metrics_v2.list": "the v2 metrics service (POST /metric/v2.0{ws}/runs/{runId}/list) has no public swagger; azureml-core 1.61"
    " MetricOperations.list_metrics (PaginatedMetricDefinitionDto), checked by tests/conformance",
    "metrics_v2.full": "the v2 metrics service (POST /metric/v2.0{ws}/runs/{runId}/full) has no public swagger; azureml-core 1.61"
    " MetricOperations.get_full_fidelity (MetricV2Dto), checked by tests/conformance",
    "artifacts.content": "GET /artifact/v2.0{ws}/artifacts/content/{origin}/{container}/{path}: the artifact's bytes (no JSON body),"
    " in no 2019 swagger; azureml-core 1.61 ArtifactOperations.download, checked by tests/conformance",
}

# The v2 resources (api-version 2025-12-01): mfe.json / workspaceRP.json are not copied (790 KB + 260 KB). Checked by the
# ARM client generated from them inside azure-ai-ml 1.35.2 (tests/conformance/v2: every list, body and delete, required
# fields from the generated models) and by test_v2.py (every operation exercised; bodies against the copied examples).
V2 = {r.op: "v2 (2025-12-01): azure-ai-ml 1.35.2's generated ARM client (tests/conformance/v2) and test_v2.py"
      for r in v2_family.ROUTES}


@dataclass(frozen=True)
class ErrorSpec:
    spec: str
    definition: str
    operation_id: str  # an operation whose "default" response declares ``definition`` (checked)
    note: str = ""


# Error bodies per family: what the spec's "default" response declares.
ERRORS = {
    "arm": ErrorSpec("arm", "MachineLearningServiceError", "Workspaces_Get", "{error: ErrorResponse{code, message, details}}"),
    "mms": ErrorSpec("mms", "ModelErrorResponse", "MLModels_QueryById", "flat {code, statusCode, message, details}"),
    "history": ErrorSpec("history", "ErrorResponse", "Runs_Get", "{error: RootError, correlation, environment, location, time}"),
    "artifact": ErrorSpec("artifact", "ErrorResponse", "Artifacts_GetContentInformation", "run-history ErrorResponse (copy in artifact.json)"),
    "datastore": ErrorSpec("datastore", "ErrorResponse", "DataStores_Get", "run-history ErrorResponse (copy in datastore.json)"),
}
# Families without a spec whose errors follow another family's convention (not a spec check).
CONVENTION_ERRORS = {
    "notification": ErrorSpec("history", "ErrorResponse", "Runs_Get", "API-NOTES section 5: the emulator uses the run-history conventions"),
}

# Constraints the swaggers lack, each stated by another source. The specs mark no field of any
# error or page type as required, so without these an empty object would pass as any error
# body or any page.
_RPC = "ARM RPC common-api-details.md: error responses carry error.code and error.message (API-NOTES 1.3)"
_DP_ERR = "issue 2 + API-NOTES section 13: the data-plane error bodies carry error.code and error.message"
_MMS_ERR = "issue 2 + API-NOTES section 2: model management's flat error {code, statusCode, message, details}"
_PAGE = "every list response carries value (azureml-core _call_paginated_api raises without it, API-NOTES section 2; ARM RPC lists)"
OVERLAYS = (
    Overlay("arm", "MachineLearningServiceError", _RPC, required=("error",)),
    Overlay("arm", "ErrorResponse", _RPC, required=("code", "message")),
    Overlay("mms", "ModelErrorResponse", _MMS_ERR, required=("code", "message")),
    Overlay("history", "ErrorResponse", _DP_ERR, required=("error",)),
    Overlay("history", "RootError", _DP_ERR, required=("code", "message")),
    Overlay("artifact", "ErrorResponse", _DP_ERR, required=("error",)),
    Overlay("artifact", "RootError", _DP_ERR, required=("code", "message")),
    Overlay("datastore", "ErrorResponse", _DP_ERR, required=("error",)),
    Overlay("datastore", "RootError", _DP_ERR, required=("code", "message")),
    Overlay("arm", "WorkspaceListResult", _PAGE, required=("value",)),
    Overlay("arm", "PaginatedComputeResourcesList", _PAGE, required=("value",)),
    Overlay("mms", "PaginatedModelList", _PAGE, required=("value",)),
    Overlay("mms", "PaginatedAssetList", _PAGE, required=("value",)),
    Overlay("mms", "PaginatedServiceList", _PAGE, required=("value",)),
    Overlay("history", "PaginatedExperimentList", _PAGE, required=("value",)),
    Overlay("history", "PaginatedRunList", _PAGE, required=("value",)),
    Overlay("history", "PaginatedRunMetricList", _PAGE, required=("value",)),
    Overlay("artifact", "PaginatedArtifactList", _PAGE, required=("value",)),
    Overlay("datastore", "PaginatedDataStoreList", _PAGE, required=("value",)),
    Overlay(
        "mms",
        "PaginatedImageList",
        "azureml-core _restclient models PaginatedImageList {value, nextLink} (API-NOTES section 2); not in the 2019-09-30 swagger",
        schema={
            "description": "A paginated list of Images (not in the swagger; azureml-core's model).",
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": {"type": "array", "items": {"$ref": "#/definitions/ImageResponseBase"}},
                "nextLink": {"type": "string", "description": "A continuation link (absolute URI) to the next page."},
            },
        },
    ),
)

# Properties the emulator sends that the 2019 specs do not declare, each with its source. The
# specs are open (extra properties validate), so a misspelt name ("createdUTC") would pass the
# schema check; test_spec_conformance.py therefore fails on any undeclared property not listed
# here. Keys: "<spec>:<definition>[.<inline path>].<property>".
_SDK_MODEL = "azureml-core 1.50 _restclient/models Model maps createdBy (API-NOTES section 2: '+ SDK: ... createdBy')"
_SDK_SERVICE = (
    "azureml-core 1.50 core/webservice/webservice.py Webservice._initialize reads obj_dict.get('createdBy')"
    " (its TODO: 'Add createdBy back ... upon rollout of' a model-management change)"
)
_SDK_LIMITS = ("azureml-core 1.61 core/webservice/webservice.py ContainerResourceRequirements._expected_payload_keys"
               " (cpu, cpuLimit, memoryInGB, memoryInGBLimit, gpu): the SDK refuses a service payload without them")
_DP_COMPONENT = "azureml-core ErrorResponse DTO adds componentName to the run-history error (API-NOTES section 3)"
UNDOCUMENTED_ALLOWED = {
    "mms:Model.createdBy": _SDK_MODEL,
    "mms:ACIServiceResponse.createdBy": _SDK_SERVICE,
    "mms:AKSServiceResponse.createdBy": _SDK_SERVICE,
    # Weakest source of the list: azureml-core 1.50 Image._initialize does not read createdBy;
    # kept because the service added createdBy to models and services (above) and the GDPR export
    # needs the creator of every object. Remove it if the emulator stops sending it.
    "mms:ContainerResourceRequirements.cpuLimit": _SDK_LIMITS,
    "mms:ContainerResourceRequirements.memoryInGBLimit": _SDK_LIMITS,
    "mms:DockerImageResponse.createdBy": "by analogy with Model/Service createdBy (see those); no direct source for images",
    "mms:ModelErrorResponse.correlation": "azureml-core ModelErrorResponse maps correlation {} (API-NOTES section 2: '+SDK correlation{}')",
    "arm:ErrorResponse.additionalInfo": "ARM RPC common-api-details.md error.additionalInfo [{type, info}] and the real ML RP"
    " capture in API-NOTES 1.3 [PS-TEST]",
    "history:ErrorResponse.componentName": _DP_COMPONENT,
    "artifact:ErrorResponse.componentName": _DP_COMPONENT + "; artifact.json's ErrorResponse is the same type",
    "datastore:ErrorResponse.componentName": _DP_COMPONENT + "; datastore.json's ErrorResponse is the same type",
}
