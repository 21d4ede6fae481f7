"""Builders of the v2 (ARM, api-version 2025-12-01) bodies: the kinds only the v2 API has, and the v2 views of
objects the v1 tables hold (a run is a job, a v1 model ``name:version`` a model version, a v1 datastore a v2 datastore).

Field names follow the 2025-12-01 spec (``mfe.json``: ``JobBase``/``CommandJob``/``PipelineJob``, ``*ContainerProperties``,
``*VersionProperties``, ``OnlineEndpoint``, ``OnlineDeployment``, ``BatchEndpoint``, ``BatchDeployment``, ``Schedule``,
``Datastore``; ``workspaceRP.json``: ``WorkspaceConnectionPropertiesV2``, ``ComputeInstance``, ``Registry``) and its
examples copied in tests/emulator/specs/. Every body carries ARM ``systemData``: for a user ``createdBy`` is the display
name (not unique), for an application its app id.
"""

from __future__ import annotations

from . import objects as ob
from .store import PROVIDER, Workspace

# v2 asset kinds: (state kind prefix, ARM path segment)
ASSET_KINDS = (("model", "models"), ("data", "data"), ("environment", "environments"), ("component", "components"),
               ("code", "codes"))
CONNECTION_SECRET_MARK = "EMULATOR-SECRET-connection-"


def system_data(user: dict | None, created: str, modified: str | None = None) -> dict:
    """ARM ``systemData``: a user by display name, an application (service principal) by app id."""
    if user is None:
        who, kind = "00000000-0000-0000-0000-000000000000", "Application"
    elif user.get("type") == "service_principal":
        who, kind = user.get("app_id") or user["object_id"], "Application"
    else:
        who, kind = user["name"], "User"
    return {"createdBy": who, "createdByType": kind, "createdAt": created,
            "lastModifiedBy": who, "lastModifiedByType": kind, "lastModifiedAt": modified or created}


def user_by_object_id(users: list[dict], object_id: str | None) -> dict | None:
    return next((u for u in users if u["object_id"] == object_id), None)


def _resource(ws: Workspace, path: str, name: str, arm_type: str, props: dict, *, sd: dict, **extra) -> dict:
    return {"id": f"{ws.arm_id}/{path}", "name": name, "type": f"{PROVIDER}/workspaces/{arm_type}",
            "properties": props, "systemData": sd, **extra}


# -- views of v1 objects ---------------------------------------------------------------------

def job(ws: Workspace, run: dict, users: list[dict], experiment_name: str, archived: bool) -> dict:
    """The v2 ``JobBase`` of a run (same name: its run id). ``pipeline`` runs are ``PipelineJob``s, others ``CommandJob``s."""
    user = user_by_object_id(users, (run.get("createdBy") or {}).get("userObjectId"))
    sd = system_data(user, run["createdUtc"], run.get("endTimeUtc") or run["createdUtc"])
    props: dict = {
        "displayName": run.get("name") or run["runId"],
        "description": run.get("description", ""),
        "tags": dict(run.get("tags") or {}),
        "properties": {k: str(v) for k, v in (run.get("properties") or {}).items()},
        "experimentName": experiment_name,
        "status": run.get("status", "Unknown"),
        "isArchived": archived,
        "computeId": f"{ws.arm_id}/computes/{run.get('target') or 'cpu-cluster'}",
        "services": {"Studio": {"jobServiceType": "Studio", "endpoint": f"https://ml.azure.com/runs/{run['runId']}"}},
    }
    if run.get("runType") == "azureml.PipelineRun":
        props["jobType"] = "Pipeline"
        props["jobs"] = {}
        props["settings"] = {"default_compute": props["computeId"]}
    else:
        props["jobType"] = "Command"
        props["command"] = "python " + (run.get("scriptName") or "train.py")
        env = (run.get("runDefinition") or {}).get("environment") or {}
        props["environmentId"] = (f"azureml://registries/azureml/environments/{env.get('name', 'sklearn')}/versions/"
                                  f"{env.get('version', '1')}")
    if run.get("parentRunId"):
        props["properties"]["azureml.parentRunId"] = run["parentRunId"]
    return _resource(ws, f"jobs/{run['runId']}", run["runId"], "jobs", props, sd=sd)


def model_version(ws: Workspace, model: dict, users: list[dict], archived: bool) -> dict:
    """The v2 ``ModelVersion`` of a v1 model ``name:version``."""
    user = user_by_object_id(users, (model.get("createdBy") or {}).get("userObjectId"))
    props = {"description": model.get("description", ""), "tags": dict(model.get("kvTags") or {}),
             "properties": {k: str(v) for k, v in (model.get("properties") or {}).items()},
             "isAnonymous": False, "isArchived": archived, "modelType": "custom_model",
             "modelUri": f"azureml://subscriptions/{ws.subscription_id}/resourcegroups/{ws.resource_group}/workspaces/"
                         f"{ws.name}/datastores/workspaceblobstore/paths/LocalUpload/{ob.det_hex(16, model['id'])}/",
             "flavors": {}, "provisioningState": "Succeeded", "stage": "Development"}
    if model.get("runId"):
        props["jobName"] = model["runId"]
    return _resource(ws, f"models/{model['name']}/versions/{model['version']}", str(model["version"]), "models/versions",
                     props, sd=system_data(user, model["createdTime"], model.get("modifiedTime")))


_V2_DATASTORE_TYPE = {"AzureBlob": "AzureBlob", "AzureFile": "AzureFile", "AzureDataLake": "AzureDataLakeGen1"}


def datastore(ws: Workspace, ds: dict, created_by: dict | None) -> dict | None:
    """The v2 ``Datastore`` of a v1 datastore, credentials without any secret (as GET serves them); None for the v1-only
    types (SQL Database, PostgreSQL: the 2025-12-01 ``DatastoreType`` has no value for them)."""
    v2_type = _V2_DATASTORE_TYPE.get(ds.get("dataStoreType", ""))
    if v2_type is None:
        return None
    props: dict = {"datastoreType": v2_type, "description": f"Datastore {ds['name']}", "tags": dict(ds.get("tags") or {}),
                   "properties": {}, "isDefault": ds["name"] == "workspaceblobstore"}
    storage = ds.get("azureStorageSection") or {}
    lake = ds.get("azureDataLakeSection") or {}
    if v2_type == "AzureDataLakeGen1":
        props["storeName"] = lake.get("storeName", "")
        props["credentials"] = {"credentialsType": "ServicePrincipal", "clientId": lake.get("clientId", ""),
                                "tenantId": lake.get("tenantId", ""), "authorityUrl": lake.get("authorityUrl", ""),
                                "resourceUrl": lake.get("resourceUri", ""), "secrets": {"secretsType": "ServicePrincipal"}}
    else:
        props.update({"accountName": storage.get("accountName", ""), "endpoint": storage.get("endpoint", "core.windows.net"),
                      "protocol": storage.get("protocol", "https")})
        props["containerName" if v2_type == "AzureBlob" else "fileShareName"] = storage.get("containerName", "")
        ctype = storage.get("credentialType")
        if ctype == "Sas":
            props["credentials"] = {"credentialsType": "Sas", "secrets": {"secretsType": "Sas"}}
        elif ctype == "ClientCredentials":
            cc = storage.get("clientCredentials") or {}
            props["credentials"] = {"credentialsType": "ServicePrincipal", "clientId": cc.get("clientId", ""),
                                    "tenantId": cc.get("tenantId", ""), "authorityUrl": cc.get("authorityUrl", ""),
                                    "resourceUrl": cc.get("resourceUri", ""), "secrets": {"secretsType": "ServicePrincipal"}}
        else:
            props["credentials"] = {"credentialsType": "AccountKey", "secrets": {"secretsType": "AccountKey"}}
    return _resource(ws, f"datastores/{ds['name']}", ds["name"], "datastores", props,
                     sd=system_data(created_by, ws.creation_time))


def compute_v2(ws: Workspace, compute: dict, users: list[dict]) -> dict:
    """A compute with ``systemData`` (api-versions from 2020-09-01): a compute instance's creator, else the workspace's."""
    inner = (compute.get("properties") or {}).get("properties") or {}
    creator = user_by_object_id(users, (inner.get("createdBy") or {}).get("userId")) or ws.created_by
    props = compute.get("properties") or {}
    created = props.get("createdOn", ws.creation_time)
    body = {**compute, "systemData": system_data(creator, created, props.get("modifiedOn"))}
    if "agentVMSize" in inner:  # AKS: the 2019-11-01 name; later api-versions spell it agentVmSize
        body["properties"] = {**props, "properties": {("agentVmSize" if k == "agentVMSize" else k): v for k, v in inner.items()}}
    return body


def compute_instance(ws: Workspace, name: str, user: dict, t: float) -> dict:
    """ARM ``ComputeResource`` of type ``ComputeInstance`` assigned to ``user`` (example ``Compute/get/ComputeInstance.json``)."""
    return {
        "id": f"{ws.arm_id}/computes/{name}",
        "name": name,
        "type": f"{PROVIDER}/workspaces/computes",
        "location": ws.location,
        "properties": {
            "computeType": "ComputeInstance",
            "computeLocation": ws.location,
            "provisioningState": "Succeeded",
            "description": f"Compute instance of {user['name']}",
            "createdOn": ob.iso(t),
            "modifiedOn": ob.iso(t + 30),
            "isAttachedCompute": False,
            "properties": {
                "vmSize": "STANDARD_DS3_V2",
                "applicationSharingPolicy": "Personal",
                "sshSettings": {"sshPublicAccess": "Disabled", "adminUserName": "azureuser", "sshPort": 4001},
                "state": "Running",
                "computeInstanceAuthorizationType": "personal",
                "personalComputeInstanceSettings": {"assignedUser": {"objectId": user["object_id"],
                                                                     "tenantId": user["tenant_id"]}},
                "createdBy": {"userName": user["upn"] or user["name"], "userOrgId": user["tenant_id"],
                              "userId": user["object_id"]},
                "connectivityEndpoints": {"publicIpAddress": f"20.{int(ob.det_hex(2, ws.key, name), 16)}.1.4",
                                          "privateIpAddress": "10.0.0.4"},
            },
        },
    }


# -- v2-only kinds ---------------------------------------------------------------------------

def asset_container(ws: Workspace, prefix: str, path: str, name: str, *, user: dict, t: float, archived: bool,
                    latest: int) -> dict:
    props = {"description": f"{prefix} {name}", "tags": {"team": "analytics"}, "properties": {},
             "isArchived": archived, "latestVersion": str(latest), "nextVersion": str(latest + 1)}
    if prefix == "data":  # DataContainerProperties: dataType, no provisioningState
        props["dataType"] = "uri_folder"
    else:
        props["provisioningState"] = "Succeeded"
    return _resource(ws, f"{path}/{name}", name, path, props, sd=system_data(user, ob.iso(t), ob.iso(t + 1)))


def data_location(ws: Workspace, c: int, version: int, *, user: dict, first_user: dict) -> tuple[str, str] | None:
    """``(dataType, dataUri)`` of the data versions whose files take another form than a ``uri_folder`` upload of their own
    (None for those), so that a scenario has each form the collection resolves (docs/emulator.md "Storage"):

    - container 0, version 2: a ``uri_file`` in version 1's folder (short ``azureml://datastores/...`` form): one file of
      two versions;
    - container 1, version 1: ADLS Gen1 (``adl://``), which the collection reports as not reachable;
    - container 1, version 2: a ``uri_file`` upload named by its ``https://<account>.blob.core.windows.net/...`` URL.
    """
    if c == 0 and version == 2:
        first = upload_path(ws, "data", f"data-customers-{c}", 1)
        return "uri_file", f"azureml://datastores/workspaceblobstore/paths/{first}customers/{first_user['alias']}/part-000.csv"
    if c == 1 and version == 1:
        return "uri_folder", f"adl://{ws.storage_account_name}lake.azuredatalakestore.net/people/{user['alias']}/"
    if c == 1 and version == 2:
        return ("uri_file", f"https://{ws.storage_account_name}.blob.core.windows.net/azureml-blobstore-{ws.workspace_id}/"
                            f"{upload_path(ws, 'data', f'data-churn-{c}', version)}churn-{user['alias']}.csv")
    return None


def upload_path(ws: Workspace, path: str, name: str, version: int) -> str:
    """``LocalUpload/<hash>/``: where the upload of an asset version lives on the workspace blob store."""
    return f"LocalUpload/{ob.det_hex(16, ws.key, path, name, version)}/"


def asset_version(ws: Workspace, prefix: str, path: str, name: str, version: int, *, user: dict, t: float,
                  archived: bool, data: tuple[str, str] | None = None) -> dict:
    """``DataVersionBase`` (``uri_folder``, or ``data``'s ``(dataType, dataUri)``), ``EnvironmentVersion``,
    ``ComponentVersion`` or ``CodeVersion``."""
    blob = (f"azureml://subscriptions/{ws.subscription_id}/resourcegroups/{ws.resource_group}/workspaces/{ws.name}"
            f"/datastores/workspaceblobstore/paths/{upload_path(ws, path, name, version)}")
    props: dict = {"description": f"{name} version {version} by {user['name']}", "tags": {"owner": user["alias"]},
                   "properties": {}, "isAnonymous": False, "isArchived": archived}
    if prefix != "data":  # UriFolderDataVersion has no provisioningState
        props["provisioningState"] = "Succeeded"
    if prefix == "data":
        data_type, data_uri = data or ("uri_folder", blob + f"customers/{user['alias']}/")
        props.update({"dataType": data_type, "dataUri": data_uri})
    elif prefix == "environment":
        props.update({"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest", "osType": "Linux",
                      "environmentType": "UserCreated", "autoRebuild": "OnBaseImageUpdate",
                      "condaFile": "name: env\ndependencies:\n  - python=3.10\n  - pip:\n    - scikit-learn\n",
                      "stage": "Development"})
    elif prefix == "component":
        props.update({"componentSpec": {"name": name, "version": str(version), "type": "command",
                                        "command": "python train.py", "display_name": f"{name} {version}"}})
    else:  # code
        props["codeUri"] = blob + "src/"
    return _resource(ws, f"{path}/{name}/versions/{version}", str(version), f"{path}/versions", props,
                     sd=system_data(user, ob.iso(t), ob.iso(t + 1)))


def model_container(ws: Workspace, name: str, *, user: dict, created: str, archived: bool, latest: int) -> dict:
    props = {"description": f"model {name}", "tags": {}, "properties": {}, "isArchived": archived,
             "latestVersion": str(latest), "nextVersion": str(latest + 1), "provisioningState": "Succeeded"}
    return _resource(ws, f"models/{name}", name, "models", props, sd=system_data(user, created))


def online_endpoint(ws: Workspace, name: str, *, user: dict, t: float, deployments: list[str]) -> dict:
    host = f"{name}.{ws.location}.inference.ml.azure.com"
    props = {"authMode": "Key", "description": f"Online endpoint {name}", "properties": {},
             "scoringUri": f"https://{host}/score", "swaggerUri": f"https://{host}/swagger.json",
             "publicNetworkAccess": "Enabled", "provisioningState": "Succeeded",
             "traffic": {d: (100 if i == 0 else 0) for i, d in enumerate(deployments)}}
    return _resource(ws, f"onlineEndpoints/{name}", name, "onlineEndpoints", props,
                     sd=system_data(user, ob.iso(t), ob.iso(t + 2)), location=ws.location, tags={"owner": user["alias"]},
                     identity={"type": "SystemAssigned", "principalId": ob.det_uuid("oe-msi", ws.key, name),
                               "tenantId": user["tenant_id"]}, kind="Managed")


def online_deployment(ws: Workspace, endpoint: str, name: str, *, user: dict, t: float, model_id: str | None) -> dict:
    props = {"endpointComputeType": "Managed", "description": f"Deployment {name} of {endpoint}", "properties": {},
             "environmentId": "azureml://registries/azureml/environments/sklearn-1.5/versions/1",
             "instanceType": "Standard_DS3_v2", "appInsightsEnabled": True, "egressPublicNetworkAccess": "Enabled",
             "scaleSettings": {"scaleType": "Default"},
             "requestSettings": {"maxConcurrentRequestsPerInstance": 1, "requestTimeout": "PT5S"},
             "livenessProbe": {"initialDelay": "PT10M", "period": "PT10S", "timeout": "PT2S", "failureThreshold": 30,
                               "successThreshold": 1},
             "environmentVariables": {"LOG_OWNER": user["alias"]},
             "provisioningState": "Succeeded"}
    if model_id:
        props["model"] = model_id
    return _resource(ws, f"onlineEndpoints/{endpoint}/deployments/{name}", name, "onlineEndpoints/deployments", props,
                     sd=system_data(user, ob.iso(t), ob.iso(t + 2)), location=ws.location, tags={},
                     sku={"name": "Default", "capacity": 1})


def batch_endpoint(ws: Workspace, name: str, *, user: dict, t: float, default_deployment: str | None) -> dict:
    host = f"{name}.{ws.location}.inference.ml.azure.com"
    props: dict = {"authMode": "AADToken", "description": f"Batch endpoint {name}", "properties": {},
                   "scoringUri": f"https://{host}/jobs", "swaggerUri": f"https://{host}/swagger.json",
                   "provisioningState": "Succeeded"}
    if default_deployment:
        props["defaults"] = {"deploymentName": default_deployment}
    return _resource(ws, f"batchEndpoints/{name}", name, "batchEndpoints", props, sd=system_data(user, ob.iso(t), ob.iso(t + 2)),
                     location=ws.location, tags={"owner": user["alias"]})


def batch_deployment(ws: Workspace, endpoint: str, name: str, *, user: dict, t: float, model_id: str | None) -> dict:
    props: dict = {"description": f"Batch deployment {name}", "properties": {},
                   "compute": f"{ws.arm_id}/computes/cpu-cluster", "outputAction": "AppendRow",
                   "outputFileName": "predictions.csv", "loggingLevel": "Info", "maxConcurrencyPerInstance": 2,
                   "miniBatchSize": 10, "errorThreshold": -1, "retrySettings": {"maxRetries": 3, "timeout": "PT30S"},
                   "resources": {"instanceCount": 1}, "provisioningState": "Succeeded",
                   "environmentId": "azureml://registries/azureml/environments/sklearn-1.5/versions/1"}
    if model_id:
        props["model"] = {"referenceType": "Id", "assetId": model_id}
    return _resource(ws, f"batchEndpoints/{endpoint}/deployments/{name}", name, "batchEndpoints/deployments", props,
                     sd=system_data(user, ob.iso(t), ob.iso(t + 2)), location=ws.location, tags={})


def schedule(ws: Workspace, name: str, *, user: dict, t: float, enabled: bool, experiment: str) -> dict:
    props = {"displayName": f"Nightly {experiment}", "description": f"Retrain {experiment} every night",
             "tags": {"owner": user["alias"]}, "properties": {}, "isEnabled": enabled, "provisioningState": "Succeeded",
             "trigger": {"triggerType": "Cron", "expression": "0 2 * * *", "timeZone": "UTC"},
             "action": {"actionType": "CreateJob",
                        "jobDefinition": {"jobType": "Command", "experimentName": experiment, "command": "python train.py",
                                          "environmentId": "azureml://registries/azureml/environments/sklearn-1.5/versions/1",
                                          "computeId": f"{ws.arm_id}/computes/cpu-cluster"}}}
    return _resource(ws, f"schedules/{name}", name, "schedules", props, sd=system_data(user, ob.iso(t), ob.iso(t + 2)))


CONNECTION_TYPES = (("AzureOpenAI", "ApiKey", "https://contoso-openai.openai.azure.com/"),
                    ("AzureBlob", "AccountKey", "https://stcontosodata.blob.core.windows.net/"),
                    ("ContainerRegistry", "UsernamePassword", "contosoacr.azurecr.io"),
                    ("Git", "PAT", "https://github.com/contoso/ml-project"))


def connection_secret(ws: Workspace, name: str) -> str:
    return f"{CONNECTION_SECRET_MARK}{ob.det_hex(24, ws.key, name)}"


def connection(ws: Workspace, name: str, index: int, *, user: dict, t: float) -> tuple[dict, dict]:
    """``WorkspaceConnectionPropertiesV2BasicResource`` without secrets, and the ``credentials`` only ``listsecrets``
    returns (a canary secret of ``/_emulator/secrets``)."""
    category, auth, target = CONNECTION_TYPES[index % len(CONNECTION_TYPES)]
    value = connection_secret(ws, name)
    creds = {"ApiKey": {"key": value}, "AccountKey": {"key": value},
             "UsernamePassword": {"username": user["alias"], "password": value}, "PAT": {"pat": value}}[auth]
    props = {"category": category, "authType": auth, "target": target, "isSharedToAll": index % 2 == 0,
             "metadata": {"createdFor": user["alias"]}, "createdByWorkspaceArmId": ws.arm_id}
    return _resource(ws, f"connections/{name}", name, "connections", props, sd=system_data(user, ob.iso(t))), creds


def registry(subscription_id: str, resource_group: str, name: str, location: str, *, user: dict, t: float) -> dict:
    """ARM ``Registry`` (resource-group level, shared by workspaces; read-only here)."""
    rid = f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/{PROVIDER}/registries/{name}"
    return {
        "id": rid, "name": name, "type": f"{PROVIDER}/registries", "location": location, "tags": {}, "kind": "Registry",
        "sku": {"name": "P3", "tier": "Basic"},
        "identity": {"type": "SystemAssigned", "principalId": ob.det_uuid("reg-msi", rid), "tenantId": user["tenant_id"]},
        "properties": {"discoveryUrl": f"https://{location}.api.azureml.ms/registrymanagement/v1.0/registries/{name}/discovery",
                       "intellectualPropertyPublisher": "contoso", "mlFlowRegistryUri": f"azureml://{location}.api.azureml.ms/mlflow/v1.0{rid}",
                       "publicNetworkAccess": "Enabled",
                       "regionDetails": [{"location": location, "acrDetails": [], "storageAccountDetails": []}],
                       "managedResourceGroup": {"resourceId": f"/subscriptions/{subscription_id}/resourceGroups/azureml-rg-{name}"}},
        "systemData": system_data(user, ob.iso(t)),
    }
