"""Unit tests of azureml_emulator.spec_validation (no emulator needed).

They show the validator accepts the official examples and REJECTS wrong types, missing required
fields, unknown discriminator values, bad formats: the specs are lenient, so a conformance test
is only worth something if the same validator can fail.
"""

import json
from pathlib import Path

import pytest
from azureml_emulator import spec_validation as sv
from azureml_emulator.spec_validation import Overlay, SpecError, SpecSet, SpecValidationError

EXAMPLES = sv.default_specs_dir() / Path(sv.SPEC_FILES["arm"]).parent / "examples"

ERROR_OVERLAYS = (
    Overlay("arm", "MachineLearningServiceError", "test", required=("error",)),
    Overlay("arm", "ErrorResponse", "test", required=("code", "message")),
    Overlay("mms", "ModelErrorResponse", "test", required=("code", "message")),
    Overlay("history", "ErrorResponse", "test", required=("error",)),
    Overlay("history", "RootError", "test", required=("code", "message")),
    Overlay("mms", "PaginatedModelList", "test", required=("value",)),
)


@pytest.fixture(scope="module")
def specs():
    return SpecSet()


@pytest.fixture(scope="module")
def strict():
    return SpecSet(overlays=ERROR_OVERLAYS)


MODEL = {"id": "m:1", "name": "m", "version": 1, "url": "aml://artifact/x", "mimeType": "application/json", "createdTime": "2020-01-02T03:04:05.1234567Z"}


# ------------------------------------------------------------------------------- loading
def test_default_specs_dir_is_inside_the_repository(monkeypatch):
    monkeypatch.delenv(sv.ENV_SPECS_DIR, raising=False)
    repo = Path(sv.__file__).resolve().parents[3]
    assert sv.default_specs_dir() == repo / "tests" / "emulator" / "specs" / "specification" / "machinelearningservices"
    monkeypatch.setenv(sv.ENV_SPECS_DIR, "/somewhere/else")
    assert sv.default_specs_dir() == Path("/somewhere/else")


def test_every_spec_file_loads(specs):
    for name in sv.SPEC_FILES:
        doc = specs.document(name)
        assert doc.raw["swagger"] == "2.0"
        assert doc.operation_ids and doc.definitions


def test_missing_folder_and_unknown_names_are_errors(tmp_path, specs):
    with pytest.raises(SpecError):
        SpecSet(tmp_path / "nope")
    with pytest.raises(SpecError):
        specs.document("no/such/file.json")
    with pytest.raises(SpecError):
        specs.errors({}, "mms", "NoSuchDefinition")
    with pytest.raises(SpecError):
        specs.response("mms", "NoSuchOperation")
    with pytest.raises(SpecError):
        SpecSet(overlays=[Overlay("mms", "NoSuchDefinition", "x", required=("a",))]).document("mms")
    with pytest.raises(SpecError):
        SpecSet(overlays=[Overlay("mms", "Model", "x", schema={"type": "object"})]).document("mms")


# ------------------------------------------------------------------------------- positive controls
@pytest.mark.parametrize(
    "example, operation_id",
    [
        ("getWorkspace.json", "Workspaces_Get"),
        ("getWorkspacesByResourceGroup.json", "Workspaces_ListByResourceGroup"),
        ("getComputes.json", "MachineLearningCompute_ListByWorkspace"),
        ("getAKSCompute.json", "MachineLearningCompute_Get"),
    ],
)
def test_official_examples_validate(specs, example, operation_id):
    data = json.loads((EXAMPLES / example).read_text())
    for status, resp in data["responses"].items():
        r = specs.validate_response(resp.get("body"), "arm", operation_id, status)
        assert r.declared
        if resp.get("body") is not None:
            assert specs.undocumented(resp["body"], "arm", r.definition) == []


def test_official_aml_compute_example_is_caught_by_the_validator(specs):
    # getAmlCompute.json gives "subnet": "test-subnet-resource-id" where the spec says
    # ResourceId {id}: a real inconsistency of the upstream example, found by type checking.
    data = json.loads((EXAMPLES / "getAmlCompute.json").read_text())
    with pytest.raises(SpecValidationError) as err:
        specs.validate_response(data["responses"]["200"]["body"], "arm", "MachineLearningCompute_Get", "200")
    assert err.value.errors == ["$.properties.properties.subnet: 'test-subnet-resource-id' is not of type 'object'"]


def test_a_conforming_model_validates(specs):
    specs.validate(MODEL, "mms", "Model")
    specs.validate({"value": [MODEL], "nextLink": "https://h/api/x?$skipToken=abc"}, "mms", "PaginatedModelList")


# ------------------------------------------------------------------------------- wrong types
@pytest.mark.parametrize(
    "spec, definition, body, expected",
    [
        ("history", "Experiment", {"name": "e", "createdUtc": 12}, "$.createdUtc: 12 is not of type 'string', 'null'"),
        ("mms", "PaginatedModelList", {"value": {}}, "$.value: {} is not of type 'array', 'null'"),
        ("mms", "Model", dict(MODEL, version="x"), "$.version: 'x' is not of type 'integer', 'null'"),
        ("mms", "Model", dict(MODEL, version=True), "$.version: True is not of type 'integer', 'null'"),
        ("mms", "Model", dict(MODEL, kvTags={"a": 1}), "$.kvTags.a: 1 is not of type 'string', 'null'"),
        ("history", "Run", {"runId": "r", "createdBy": "alice"}, "$.createdBy: 'alice' is not of type 'object'"),
        ("history", "Run", {"runId": "r", "runNumber": 1.5}, "$.runNumber: 1.5 is not of type 'integer', 'null'"),
        (
            "artifact",
            "PaginatedArtifactList",
            {"value": [{"origin": "ExperimentRun", "container": "c", "path": 3}]},
            "$.value[0].path: 3 is not of type 'string'",
        ),
        ("datastore", "DataStore", {"name": "d", "dataStoreType": "S3"}, "$.dataStoreType: 'S3' is not one of"),
        ("arm", "Workspace", {"properties": {"provisioningState": "Done"}}, "$.properties.provisioningState: 'Done' is not one of"),
        ("arm", "WorkspaceListResult", [], "$: [] is not of type 'object'"),
    ],
)
def test_wrong_types_are_rejected(specs, spec, definition, body, expected):
    errors = specs.errors(body, spec, definition)
    assert any(e.startswith(expected) for e in errors), errors


# ------------------------------------------------------------------------------- missing required fields
@pytest.mark.parametrize("missing", ["name", "url", "mimeType"])
def test_model_without_a_required_field_is_rejected(specs, missing):
    body = {k: v for k, v in MODEL.items() if k != missing}
    assert specs.errors(body, "mms", "Model") == [f"$: {missing!r} is a required property"]


def test_required_fields_may_not_be_null_optional_ones_may(specs):
    assert specs.errors(dict(MODEL, name=None), "mms", "Model") == ["$.name: None is not of type 'string'"]
    specs.validate(dict(MODEL, description=None, kvTags=None, createdTime=None), "mms", "Model")
    specs.validate({"value": [], "continuationToken": None, "nextLink": None}, "history", "PaginatedRunList")


def test_required_field_inside_list_items_is_checked(specs):
    errors = specs.errors({"value": [MODEL, {"name": "no-url"}]}, "mms", "PaginatedModelList")
    assert errors == ["$.value[1]: 'url' is a required property", "$.value[1]: 'mimeType' is a required property"]
    assert specs.errors({"value": [{"origin": "ExperimentRun", "path": "p"}]}, "artifact", "PaginatedArtifactList") == [
        "$.value[0]: 'container' is a required property"
    ]


def test_error_without_code_passes_the_spec_as_written_but_not_the_overlay(specs, strict):
    # The swaggers mark nothing required in their error types: the overlays (spec_map.OVERLAYS,
    # each with its source) are what make an error body without code fail.
    assert specs.is_valid({"error": {"message": "m"}}, "arm", "MachineLearningServiceError")
    assert specs.is_valid({}, "arm", "MachineLearningServiceError")
    assert strict.errors({"error": {"message": "m"}}, "arm", "MachineLearningServiceError") == ["$.error: 'code' is a required property"]
    assert strict.errors({}, "arm", "MachineLearningServiceError") == ["$: 'error' is a required property"]
    assert strict.errors({"message": "m", "statusCode": 404}, "mms", "ModelErrorResponse") == ["$: 'code' is a required property"]
    assert strict.errors({"error": {"code": "UserError"}}, "history", "ErrorResponse") == ["$.error: 'message' is a required property"]
    assert strict.errors({"code": "NotFound", "message": "m", "statusCode": "404"}, "mms", "ModelErrorResponse") == [
        "$.statusCode: '404' is not of type 'integer', 'null'"
    ]
    strict.validate({"error": {"code": "ResourceNotFound", "message": "m", "details": []}}, "arm", "MachineLearningServiceError")
    assert strict.errors({"nextLink": None}, "mms", "PaginatedModelList") == ["$: 'value' is a required property"]
    assert strict.errors({"value": None}, "mms", "PaginatedModelList") == ["$.value: None is not of type 'array'"]


def test_error_detail_items_require_code_and_message_in_the_arm_spec(specs):
    errors = specs.errors({"error": {"code": "X", "message": "m", "details": [{"message": "no code"}]}}, "arm", "MachineLearningServiceError")
    assert errors == ["$.error.details[0]: 'code' is a required property"]


# ------------------------------------------------------------------------------- polymorphism
def test_compute_properties_dispatch_on_compute_type(specs):
    aml = {"properties": {"computeType": "AmlCompute", "properties": {"vmPriority": "Dedicated", "scaleSettings": {"maxNodeCount": 4}}}}
    specs.validate(aml, "arm", "ComputeResource")
    bad = {"properties": {"computeType": "AmlCompute", "properties": {"vmPriority": "Cheap", "scaleSettings": {"maxNodeCount": "4"}}}}
    assert specs.errors(bad, "arm", "ComputeResource") == [
        "$.properties.properties.scaleSettings.maxNodeCount: '4' is not of type 'integer'",
        "$.properties.properties.vmPriority: 'Cheap' is not one of ['Dedicated', 'LowPriority', None]",
    ]
    # the same inner properties under AKS are checked against AKS (agentCount minimum 1)
    aks = {"properties": {"computeType": "AKS", "properties": {"agentCount": 0}}}
    assert specs.errors(aks, "arm", "ComputeResource") == ["$.properties.properties.agentCount: 0 is less than the minimum of 1"]


def test_unknown_or_missing_discriminator_is_rejected(specs):
    errors = specs.errors({"properties": {"computeType": "ComputeInstance"}}, "arm", "ComputeResource")
    assert any("'ComputeInstance' is not one of" in e for e in errors)
    assert any("not a known computeType of Compute" in e for e in errors)
    assert specs.errors({"properties": {"description": "no type"}}, "arm", "ComputeResource") == ["$.properties: 'computeType' is a required property"]
    assert specs.errors({"name": "s"}, "mms", "ServiceResponseBase") == ["$: 'computeType' is a required property"]
    assert specs.errors({"computeType": {"ACI": 1}}, "mms", "ServiceResponseBase") == [
        "$.computeType: {'ACI': 1} is not one of ['ACI', 'AKS', 'AMLCOMPUTE', 'IOT', 'AKSENDPOINT', 'UNKNOWN']",
        "$.computeType: {'ACI': 1} is not of type 'string'",
    ]


def test_service_subtypes_are_checked(specs):
    aci = {"computeType": "ACI", "id": "s", "name": "s", "imageId": "i:1", "models": [MODEL], "authEnabled": False}
    specs.validate(aci, "mms", "ServiceResponseBase")
    assert specs.errors(dict(aci, authEnabled="no"), "mms", "ServiceResponseBase") == ["$.authEnabled: 'no' is not of type 'boolean', 'null'"]
    assert specs.errors(dict(aci, models=[{"name": "m"}]), "mms", "ServiceResponseBase") == [
        "$.models[0]: 'url' is a required property",
        "$.models[0]: 'mimeType' is a required property",
    ]
    aks = {"computeType": "AKS", "name": "s", "numReplicas": "3"}
    assert specs.errors(aks, "mms", "ServiceResponseBase") == ["$.numReplicas: '3' is not of type 'integer', 'null'"]


def test_discriminator_value_matches_case_insensitively(specs):
    # modelManagement.json: DockerImageResponse x-ms-discriminator-value WEBAPICONTAINER, enum WebApiContainer
    image = {"id": "i:1", "name": "i", "imageFlavor": "WebApiContainer", "modelIds": ["m:1"], "driverProgram": 5}
    assert specs.errors(image, "mms", "ImageResponseBase") == ["$.driverProgram: 5 is not of type 'string', 'null'"]
    assert specs.errors({"imageFlavor": "Container"}, "mms", "ImageResponseBase")


# ------------------------------------------------------------------------------- formats
@pytest.mark.parametrize(
    "value, ok",
    [
        ("2020-01-03T19:56:09.7588299+00:00", True),
        ("2020-01-03T19:56:09Z", True),
        ("2020-02-29T00:00:00.1z", True),
        ("2020-01-03 19:56:09Z", False),
        ("2020-01-03T19:56:09", False),  # no offset: RFC 3339 requires one
        ("2019-02-29T00:00:00Z", False),
        ("2020-13-01T00:00:00Z", False),
        ("2020-01-01T24:00:00Z", False),
        ("yesterday", False),
    ],
)
def test_date_time_format(specs, value, ok):
    assert specs.is_valid({"name": "e", "createdUtc": value}, "history", "Experiment") is ok


def test_uuid_int32_and_duration_formats(specs):
    good = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    specs.validate({"metricId": good}, "history", "RunMetric")
    assert specs.errors({"metricId": "metric-1"}, "history", "RunMetric") == ["$.metricId: 'metric-1' is not a 'uuid'"]
    assert specs.errors({"metricId": good, "numCells": 2**31}, "history", "RunMetric") == ["$.numCells: 2147483648 is not a 'int32'"]
    scale = {"properties": {"computeType": "AmlCompute", "properties": {"scaleSettings": {"maxNodeCount": 1, "nodeIdleTimeBeforeScaleDown": "5 minutes"}}}}
    assert specs.errors(scale, "arm", "ComputeResource") == [
        "$.properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown: '5 minutes' is not a 'duration'"
    ]
    scale["properties"]["properties"]["scaleSettings"]["nodeIdleTimeBeforeScaleDown"] = "PT5M"
    specs.validate(scale, "arm", "ComputeResource")


def test_object_typed_any_fields_accept_any_json(specs):
    # RunMetric.cells items are {"type": "object", additionalProperties: {"type": "object"}} in the
    # swagger (C# object): oav reads a property-less object type as "any"; cells hold numbers.
    specs.validate({"cells": [{"accuracy": 0.93, "epoch": 1, "label": "x", "nested": None}], "runId": "r"}, "history", "RunMetric")
    assert specs.errors({"cells": {"accuracy": 0.9}}, "history", "RunMetric") == ["$.cells: {'accuracy': 0.9} is not of type 'array', 'null'"]


# ------------------------------------------------------------------------------- responses
def test_response_lookup(specs):
    r = specs.response("mms", "MLModels_Delete", 204)
    assert r.declared and r.schema_uri is None
    r = specs.response("mms", "MLModels_Delete", 412)
    assert not r.declared and r.status == "default" and r.definition == "ModelErrorResponse"
    assert specs.document("arm").statuses("Workspaces_Delete") == ["200", "202", "204", "default"]
    r = specs.response("artifact", "Artifacts_Download", 200)
    assert r.binary
    specs.validate_response(b"\x00raw", "artifact", "Artifacts_Download", 200)
    r = specs.response(
        "mms",
        path="/modelmanagement/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/"
        "Microsoft.MachineLearningServices/workspaces/{workspace}/models/{id}",
        method="GET",
        status=200,
    )
    assert r.operation_id == "MLModels_QueryById" and r.definition == "Model"
    with pytest.raises(SpecValidationError) as err:
        specs.validate_response({"name": "m"}, "mms", "MLModels_QueryById", 200)
    assert "MLModels_QueryById response 200" in str(err.value)


def test_response_schema_inline(specs):
    specs.validate_response("https://sas", "history", "RunArtifacts_GetSasUri", 200)
    with pytest.raises(SpecValidationError):
        specs.validate_response({"uri": "x"}, "history", "RunArtifacts_GetSasUri", 200)


# ------------------------------------------------------------------------------- undocumented properties
def test_undocumented_properties_are_listed_with_their_owner(specs):
    body = {
        "value": [{"name": "e", "createdUTC": "2020-01-01T00:00:00Z", "tags": {"free": "form"}}],
        "continuationToken": None,
        "total": 1,
    }
    assert specs.undocumented(body, "history", "PaginatedExperimentList") == [
        ("Experiment", "$.value[0].createdUTC", "createdUTC"),
        ("PaginatedExperimentList", "$.total", "total"),
    ]
    compute = {"id": "c", "etag": None, "properties": {"computeType": "AmlCompute", "state": 1, "properties": {"vmSize": "x", "gpu": True}}}
    assert specs.undocumented(compute, "arm", "ComputeResource") == [
        ("ComputeResource", "$.etag", "etag"),
        ("AmlCompute", "$.properties.state", "state"),
        ("AmlCompute.properties", "$.properties.properties.gpu", "gpu"),
    ]
    assert specs.undocumented({"computeType": "ACI", "models": [dict(MODEL, createdBy={})]}, "mms", "ServiceResponseBase") == [
        ("Model", "$.models[0].createdBy", "createdBy")
    ]


# ------------------------------------------------------------------------------- swagger features on a synthetic spec
SYNTHETIC = {
    "swagger": "2.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things/{id}": {
            "get": {
                "operationId": "Things_Get",
                "responses": {
                    "200": {"description": "ok", "schema": {"$ref": "#/definitions/Thing"}},
                    "default": {"description": "err", "schema": {"$ref": "other.json#/definitions/Err"}},
                },
            }
        },
        "/things/{id}/raw": {"get": {"operationId": "Things_Raw", "responses": {"200": {"description": "raw", "schema": {"type": "file"}}}}},
    },
    "definitions": {
        "Thing": {
            "type": "object",
            "required": ["name", "size", "label"],
            "properties": {
                "name": {"type": "string"},
                "size": {"type": "integer", "x-nullable": True},
                "label": {"$ref": "#/definitions/Label"},
                "note": {"type": "string", "x-nullable": False},
                "shape": {"$ref": "#/definitions/Shape"},
                "owner": {"$ref": "other.json#/definitions/Owner"},
            },
        },
        "Label": {"type": "string", "enum": ["a", "b"], "x-nullable": True},
        "Shape": {"type": "object", "discriminator": "kind", "required": ["kind"], "properties": {"kind": {"type": "string"}}},
        "Circle": {"allOf": [{"$ref": "#/definitions/Shape"}, {"properties": {"r": {"type": "number"}}}]},
        "Square": {"x-ms-discriminator-value": "sq", "allOf": [{"$ref": "#/definitions/Shape"}], "properties": {"side": {"type": "integer"}}},
    },
}
OTHER = {
    "swagger": "2.0",
    "info": {"title": "o", "version": "1"},
    "paths": {},
    "definitions": {
        "Owner": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "format": "uuid"}}},
        "Err": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}},
    },
}


@pytest.fixture
def synthetic(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "main.json").write_text(json.dumps(SYNTHETIC))
    (tmp_path / "sub" / "other.json").write_text(json.dumps(OTHER))
    monkeypatch.setenv(sv.ENV_SPECS_DIR, str(tmp_path))
    return SpecSet()


def test_x_nullable(synthetic):
    ok = {"name": "n", "size": None, "label": None}
    synthetic.validate(ok, "sub/main.json", "Thing")
    assert synthetic.errors(dict(ok, note=None), "sub/main.json", "Thing") == ["$.note: None is not of type 'string'"]
    assert synthetic.errors(dict(ok, name=None), "sub/main.json", "Thing") == ["$.name: None is not of type 'string'"]
    assert synthetic.errors(dict(ok, label="c"), "sub/main.json", "Thing") == ["$.label: 'c' is not one of ['a', 'b']"]


def test_refs_into_other_files(synthetic):
    ok = {"name": "n", "size": 1, "label": "a"}
    synthetic.validate(dict(ok, owner={"id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}), "sub/main.json", "Thing")
    assert synthetic.errors(dict(ok, owner={"id": "x"}), "sub/main.json", "Thing") == ["$.owner.id: 'x' is not a 'uuid'"]
    assert synthetic.errors(dict(ok, owner={}), "sub/main.json", "Thing") == ["$.owner: 'id' is a required property"]
    r = synthetic.response("sub/main.json", "Things_Get", 500)
    assert r.status == "default" and not r.declared
    with pytest.raises(SpecValidationError):
        synthetic.validate_response({"message": "no code"}, "sub/main.json", "Things_Get", 500)
    synthetic.validate_response({"code": "E"}, "sub/main.json", "Things_Get", 500)


def test_discriminator_by_definition_name_and_by_x_ms_value(synthetic):
    ok = {"name": "n", "size": 1, "label": "a"}
    synthetic.validate(dict(ok, shape={"kind": "Circle", "r": 1.5}), "sub/main.json", "Thing")
    synthetic.validate(dict(ok, shape={"kind": "Shape"}), "sub/main.json", "Thing")
    assert synthetic.errors(dict(ok, shape={"kind": "Circle", "r": "big"}), "sub/main.json", "Thing") == ["$.shape.r: 'big' is not of type 'number', 'null'"]
    assert synthetic.errors(dict(ok, shape={"kind": "sq", "side": 1.5}), "sub/main.json", "Thing") == ["$.shape.side: 1.5 is not of type 'integer', 'null'"]
    assert synthetic.errors(dict(ok, shape={"kind": "Square"}), "sub/main.json", "Thing") == [
        "$.shape: 'Square' is not a known kind of Shape (known: Circle, Shape, sq)"
    ]
    # a subtype used directly is not polymorphic (no recursion through its base)
    synthetic.validate({"kind": "Circle", "r": 2}, "sub/main.json", "Circle")


def test_file_response_is_not_json(synthetic):
    r = synthetic.validate_response(b"\x89PNG", "sub/main.json", "Things_Raw", 200)
    assert r.binary


def test_overlay_adds_a_definition_that_refers_to_the_spec(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "main.json").write_text(json.dumps(SYNTHETIC))
    (tmp_path / "sub" / "other.json").write_text(json.dumps(OTHER))
    monkeypatch.setenv(sv.ENV_SPECS_DIR, str(tmp_path))
    page = {"type": "object", "required": ["value"], "properties": {"value": {"type": "array", "items": {"$ref": "#/definitions/Thing"}}}}
    specs = SpecSet(overlays=[Overlay("sub/main.json", "ThingList", "test", schema=page)])
    specs.validate({"value": [{"name": "n", "size": 1, "label": "a"}]}, "sub/main.json", "ThingList")
    assert specs.errors({"value": [{"name": "n"}]}, "sub/main.json", "ThingList") == [
        "$.value[0]: 'size' is a required property",
        "$.value[0]: 'label' is a required property",
    ]
