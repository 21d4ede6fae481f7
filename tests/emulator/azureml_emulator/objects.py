"""Builders of the objects the emulator serves, one per kind.

Shapes follow the swagger definitions in tests/emulator/specs/ (field names verbatim):
ARM ``Workspace``/``ComputeResource`` (2019-11-01), model management ``Model``, ``Asset``,
``ImageResponseBase`` (``DockerImageResponse``), ``ServiceResponseBase`` (``ACIServiceResponse`` /
``AKSServiceResponse``), run history ``Experiment``/``Run``/``RunMetric``, artifact ``Artifact``,
datastore ``DataStore``. Notification tasks and pipeline ("aether") objects have no public spec:
their shapes are invented (documented as such in docs/emulator.md).

No builder emits ``null`` inside an object: the specs type those fields as plain strings/objects.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone

from .store import PROVIDER, Workspace

BASE_TIME = datetime(2020, 3, 2, 8, 0, 0, tzinfo=timezone.utc)


def det_uuid(*parts: object) -> str:
    """A deterministic UUID (version 4 layout) from its parts."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def det_hex(n: int, *parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:n]


def iso(minutes: float) -> str:
    """ISO 8601 UTC time ``minutes`` after the scenarios' base time."""
    t = BASE_TIME + timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- identities ------------------------------------------------------------------------------

def created_by(user: dict) -> dict:
    """Run history ``CreatedBy`` (runHistory.json)."""
    return {"userObjectId": user["object_id"], "userTenantId": user["tenant_id"], "userName": user["name"]}


def mms_user(user: dict) -> dict:
    """Model management SDK ``User`` shape (azureml-core ``_restclient/models/user.py``)."""
    return {
        "userObjectId": user["object_id"],
        "userPuId": user["puid"],
        "userIdp": user.get("idp", ""),
        "userAltSecId": user.get("alt_sec_id", ""),
        "userIss": f"https://sts.windows.net/{user['tenant_id']}/",
        "userTenantId": user["tenant_id"],
        "userName": user["name"],
    }


def state_identity(obj_created_by: dict | None) -> dict | None:
    """The ``created_by`` of /_emulator/state: ``{userObjectId, userTenantId, userName}`` or None."""
    if not obj_created_by:
        return None
    return {k: obj_created_by.get(k) for k in ("userObjectId", "userTenantId", "userName")}


# -- text ------------------------------------------------------------------------------------

_LONG_PIECES = [
    "Modell för prognoser av försäljning per region (Q1–Q4), tränad på kunddata — innehåller personuppgifter.",
    "Données clients pseudonymisées ; ne pas partager hors de l'équipe « Analyse ».",
    "Trainingsdaten enthalten E-Mail-Adressen und Telefonnummern (DSGVO Art. 17).",
    "顧客データを含む実験です。削除依頼に対応する必要があります。",
    "Модель оттока клиентов; владелец — отдел аналитики.",
    "نموذج تجريبي يحتوي على بيانات شخصية",
    "Emoji check 🔒🧪📈 and a tab\tand a quote \" and a backslash \\ inside.",
]


def long_description(n_chars: int, *seed: object) -> str:
    start = int(det_hex(4, *seed), 16) % len(_LONG_PIECES)
    out: list[str] = []
    total = 0
    i = start
    while total < n_chars:
        piece = _LONG_PIECES[i % len(_LONG_PIECES)]
        out.append(piece)
        total += len(piece) + 1
        i += 1
    return " ".join(out)[:n_chars]


# -- ARM -------------------------------------------------------------------------------------

def workspace_arm(ws: Workspace, base_url: str, api_version: str) -> dict:
    """ARM ``Workspace`` (2019-11-01 fields; ``systemData`` for api-versions that have it)."""
    sub_rg = f"/subscriptions/{ws.subscription_id}/resourceGroups/{ws.resource_group}/providers"
    props = {
        "workspaceId": ws.workspace_id,
        "description": ws.description,
        "friendlyName": ws.friendly_name,
        "creationTime": ws.creation_time,
        "keyVault": f"{sub_rg}/Microsoft.KeyVault/vaults/kv{ws.workspace_id[:8]}",
        "applicationInsights": f"{sub_rg}/microsoft.insights/components/ai{ws.workspace_id[:8]}",
        "containerRegistry": f"{sub_rg}/Microsoft.ContainerRegistry/registries/cr{ws.workspace_id[:8]}",
        "storageAccount": (f"/subscriptions/{ws.subscription_id}/resourceGroups/{ws.storage_resource_group or ws.resource_group}"
                           f"/providers/Microsoft.Storage/storageAccounts/{ws.storage_account_name}"),
        "discoveryUrl": f"{base_url}/discovery",
        "provisioningState": ws.provisioning_state,
    }
    body = {
        "id": ws.arm_id,
        "name": ws.name,
        "type": f"{PROVIDER}/workspaces",
        "location": ws.location,
        "tags": dict(ws.tags),
        "identity": {"principalId": ws.principal_id, "tenantId": ws.tenant_id, "type": "SystemAssigned"},
        "sku": {"name": ws.sku, "tier": ws.sku},
        "properties": props,
    }
    if api_version >= "2020-09-01" and ws.created_by:
        props["hbiWorkspace"] = False
        body["systemData"] = {
            "createdBy": ws.created_by["upn"] or ws.created_by["name"],
            "createdByType": "Application" if ws.created_by["type"] == "service_principal" else "User",
            "createdAt": ws.creation_time,
            "lastModifiedBy": ws.created_by["upn"] or ws.created_by["name"],
            "lastModifiedByType": "Application" if ws.created_by["type"] == "service_principal" else "User",
            "lastModifiedAt": ws.creation_time,
        }
    return body


def compute(ws: Workspace, name: str, compute_type: str, t: float, description: str) -> dict:
    """ARM ``ComputeResource`` with a ``Compute`` subtype (``AmlCompute``, ``AKS``, ``VirtualMachine``)."""
    sub_rg = f"/subscriptions/{ws.subscription_id}/resourceGroups/{ws.resource_group}/providers"
    props: dict = {
        "computeType": compute_type,
        "computeLocation": ws.location,
        "provisioningState": "Succeeded",
        "description": description,
        "createdOn": iso(t),
        "modifiedOn": iso(t + 30),
        "isAttachedCompute": compute_type != "AmlCompute",
    }
    if compute_type == "AmlCompute":
        props["properties"] = {
            "vmSize": "STANDARD_DS3_V2",
            "vmPriority": "Dedicated",
            "scaleSettings": {"maxNodeCount": 4, "minNodeCount": 0, "nodeIdleTimeBeforeScaleDown": "PT5M"},
            "remoteLoginPortPublicAccess": "Disabled",
            "allocationState": "Steady",
            "allocationStateTransitionTime": iso(t + 60),
            "currentNodeCount": 0,
            "targetNodeCount": 0,
            "nodeStateCounts": {"idleNodeCount": 0, "runningNodeCount": 0, "preparingNodeCount": 0,
                                "unusableNodeCount": 0, "leavingNodeCount": 0, "preemptedNodeCount": 0},
        }
    elif compute_type == "AKS":
        props["resourceId"] = f"{sub_rg}/Microsoft.ContainerService/managedClusters/{name}-{det_hex(5, ws.key, name)}"
        props["properties"] = {"agentCount": 3, "agentVMSize": "Standard_D3_v2",
                               "clusterFqdn": f"{name}-{det_hex(6, ws.key, name)}.hcp.{ws.location}.azmk8s.io"}
    else:  # VirtualMachine; the admin password is a secret the API never returns
        props["resourceId"] = f"{sub_rg}/Microsoft.Compute/virtualMachines/{name}"
        props["properties"] = {"virtualMachineSize": "Standard_DS3_v2", "sshPort": 22,
                               "address": f"10.0.{int(det_hex(2, ws.key, name), 16) % 250}.4",
                               "administratorAccount": {"username": "azureuser"}}
    return {
        "id": f"{ws.arm_id}/computes/{name}",
        "name": name,
        "type": f"{PROVIDER}/workspaces/computes",
        "location": ws.location,
        "properties": props,
    }


# -- run history -----------------------------------------------------------------------------

def experiment(ws: Workspace, name: str, t: float, description: str, *, archived_at: float | None = None) -> dict:
    """``Experiment``; an archived one carries ``archivedTime`` (lists leave it out unless ``viewType`` asks)."""
    body = {
        "experimentId": det_uuid("experiment", ws.key, name),
        "name": name,
        "description": description,
        "createdUtc": iso(t),
        "tags": {},
    }
    if archived_at is not None:
        body["archivedTime"] = iso(archived_at)
    return body


def is_archived(exp: dict) -> bool:
    return bool(exp.get("archivedTime"))


def run(ws: Workspace, exp: dict, number: int, *, user: dict, t: float, status: str, slug: str,
        description: str, tags: dict) -> dict:
    run_id = f"{slug}_{1583136000 + int(t * 60)}_{det_hex(8, ws.key, exp['name'], number)}"
    body = {
        "runNumber": number,
        "rootRunId": run_id,
        "experimentId": exp["experimentId"],
        "createdUtc": iso(t),
        "createdBy": created_by(user),
        "userId": user["object_id"],
        "revision": 3,
        "runId": run_id,
        "status": status,
        "startTimeUtc": iso(t + 1),
        "heartbeatEnabled": False,
        "options": {"generateDataContainerIdIfNotSpecified": True},
        "name": f"{exp['name']} #{number}",
        "dataContainerId": f"dcid.{run_id}",
        "description": description,
        "hidden": False,
        "runType": "azureml.scriptrun",
        "properties": {"_azureml.ComputeTargetType": "amlcompute", "ContentSnapshotId": det_uuid("snap", run_id)},
        "scriptName": "train.py",
        "target": "cpu-cluster",
        "tags": tags,
        "runDefinition": {"script": "train.py", "arguments": ["--epochs", "10"], "target": "cpu-cluster",
                          "environment": {"name": "AzureML-sklearn-0.24", "version": "1"}},
    }
    if status in ("Completed", "Failed", "Canceled"):
        body["endTimeUtc"] = iso(t + 12)
    if status == "Failed":
        body["error"] = {"error": {"code": "UserError", "message": "Script train.py exited with code 1",
                                   "details": []}}
    return body


def metric(run_obj: dict, name: str, index: int, t: float) -> dict:
    value = round(0.5 + (int(det_hex(4, run_obj["runId"], name), 16) % 5000) / 10000.0, 4)
    return {
        "runId": run_obj["runId"],
        "metricId": det_uuid("metric", run_obj["runId"], name, index),
        "dataContainerId": run_obj["dataContainerId"],
        "metricType": "azureml.v1.scalar",
        "createdUtc": iso(t),
        "name": name,
        "description": "",
        "label": "",
        "numCells": 1,
        "cells": [{name: value}],
        "schema": {"numProperties": 1, "properties": [{"propertyId": name, "name": name, "type": "float"}]},
    }


def data_container(run_obj: dict) -> str:
    """The container a run's artifacts live in: its ``dataContainerId`` (``dcid.<runId>``), else the run id."""
    return run_obj.get("dataContainerId") or run_obj["runId"]


def artifact(run_obj: dict, path: str, t: float) -> dict:
    """``Artifact`` of a run, in the run's data container (azureml-core ``core/run.py``: ``_container``)."""
    run_id = run_obj["runId"]
    container = data_container(run_obj)
    return {
        "artifactId": f"ExperimentRun/{container}/{path}",
        "origin": "ExperimentRun",
        "container": container,
        "path": path,
        "etag": f'"0x8D7{det_hex(12, run_id, path).upper()}"',
        "createdTime": iso(t),
        "dataPath": {"dataStoreName": "workspaceartifactstore", "relativePath": f"ExperimentRun/{container}/{path}"},
    }


def metric_v2(run_obj: dict, name: str, n_values: int, t: float, namespace: str = "") -> dict:
    """A metric of the v2 metrics service (azureml-core ``MetricDefinitionDto`` + ``MetricV2Dto``), as the emulator
    stores it: ``id`` (``<runId>/<namespace>/<name>``), the definition and every value; the routes serve parts of it."""
    run_id = run_obj["runId"]
    values = []
    for step in range(n_values):
        number = round(0.4 + (int(det_hex(4, run_id, namespace, name, step), 16) % 6000) / 10000.0, 4)
        values.append({"metricId": det_uuid("metric-v2", run_id, namespace, name, step), "createdUtc": iso(t + step / 10),
                       "step": step, "data": {name: number}})
    return {
        "id": f"{run_id}/{namespace}/{name}",
        "runId": run_id,
        "dataContainerId": data_container(run_obj),
        "namespace": namespace,
        "name": name,
        "columns": {name: "Double"},
        "properties": {"uxMetricType": "azureml.v1.scalar"},
        "values": values,
    }


def artifact_content(art: dict) -> bytes:
    """The bytes behind an artifact (deterministic)."""
    head = f"emulated artifact {art['artifactId']}\n".encode()
    return head + (det_hex(64, art["artifactId"]) + "\n").encode() * 4


# -- notification tasks (invented shape) -----------------------------------------------------

def task(ws: Workspace, index: int, *, user: dict, run_obj: dict | None, exp_name: str, t: float) -> dict:
    body = {
        "id": det_uuid("task", ws.key, index),
        "name": f"Notify on completion: {exp_name}",
        "taskType": "RunStatusNotification",
        "status": "Active" if index % 3 else "Completed",
        "experimentName": exp_name,
        "createdBy": created_by(user),
        "createdTime": iso(t),
        "recipients": [{"displayName": user["name"], "emailAddress": user["email"]}] if user["email"] else [],
        "triggers": ["Completed", "Failed"],
    }
    if run_obj is not None:
        body["runId"] = run_obj["runId"]
    return body


# -- datastores ------------------------------------------------------------------------------

def secret(ws: Workspace, store_name: str, what: str) -> str:
    return f"EMULATOR-SECRET-{what}-{det_hex(16, ws.key, store_name, what)}"


def datastore(ws: Workspace, name: str, store_type: str, sp_tenant: str) -> dict:
    """``DataStore`` as the service returns it with ``includeSecret=true`` (its default)."""
    account = f"st{det_hex(10, ws.key, name)}"
    common = {"subscriptionId": ws.subscription_id, "resourceGroup": ws.resource_group}
    body: dict = {"name": name, "hasBeenValidated": True, "tags": {}}
    client_id = det_uuid("datastore-sp", ws.key, name)
    if store_type in ("AzureBlob-key", "AzureFile-key"):
        key = secret(ws, name, "accountKey")
        body["dataStoreType"] = "AzureBlob" if store_type == "AzureBlob-key" else "AzureFile"
        body["azureStorageSection"] = {
            "accountName": account, "containerName": f"azureml-{det_hex(8, ws.key, name)}",
            "endpoint": "core.windows.net", "protocol": "https", "credentialType": "AccountKey",
            "credential": key, "isSas": False, "accountKey": key, "blobCacheTimeout": 0,
            "areWorkspaceManagedIdentitiesAllowed": False, **common}
    elif store_type == "AzureBlob-sas":
        sas = "sv=2019-02-02&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&sig=" + secret(ws, name, "sasToken")
        body["dataStoreType"] = "AzureBlob"
        body["azureStorageSection"] = {
            "accountName": account, "containerName": "shared-data", "endpoint": "core.windows.net",
            "protocol": "https", "credentialType": "Sas", "credential": sas, "isSas": True, "sasToken": sas,
            "areWorkspaceManagedIdentitiesAllowed": False, **common}
    elif store_type == "AzureBlob-sp":
        body["dataStoreType"] = "AzureBlob"
        body["azureStorageSection"] = {
            "accountName": account, "containerName": "curated", "endpoint": "core.windows.net", "protocol": "https",
            "credentialType": "ClientCredentials",
            "clientCredentials": {"clientId": client_id, "tenantId": sp_tenant, "isCertAuth": False,
                                  "clientSecret": secret(ws, name, "clientSecret"),
                                  "authorityUrl": "https://login.microsoftonline.com",
                                  "resourceUri": "https://storage.azure.com/", **common},
            "areWorkspaceManagedIdentitiesAllowed": False, **common}
    elif store_type == "AzureDataLake":
        body["dataStoreType"] = "AzureDataLake"
        body["azureDataLakeSection"] = {
            "storeName": f"adls{det_hex(8, ws.key, name)}", "clientId": client_id, "tenantId": sp_tenant,
            "isCertAuth": False, "clientSecret": secret(ws, name, "clientSecret"),
            "authorityUrl": "https://login.microsoftonline.com", "resourceUri": "https://datalake.azure.net/", **common}
    elif store_type == "AzureSqlDatabase":
        body["dataStoreType"] = "AzureSqlDatabase"
        body["azureSqlDatabaseSection"] = {
            "serverName": f"sql{det_hex(8, ws.key, name)}", "databaseName": "finance", "endpoint": "database.windows.net",
            "clientId": client_id, "tenantId": sp_tenant, "isCertAuth": False,
            "clientSecret": secret(ws, name, "clientSecret"), "authorityUrl": "https://login.microsoftonline.com",
            "resourceUri": "https://database.windows.net/", **common}
    elif store_type == "AzurePostgreSql":
        body["dataStoreType"] = "AzurePostgreSql"
        body["azurePostgreSqlSection"] = {
            "serverName": f"pg{det_hex(8, ws.key, name)}", "databaseName": "hr", "userId": "mladmin",
            "userPassword": secret(ws, name, "userPassword"), "portNumber": "5432",
            "endpoint": "postgres.database.azure.com", **common}
    else:
        raise ValueError(f"unknown datastore type {store_type}")
    return body


# Fields holding credentials, by datastore section (what includeSecret=false removes).
SECRET_FIELDS = {
    "azureStorageSection": ("credential", "accountKey", "sasToken"),
    "azureDataLakeSection": ("clientSecret", "certificate"),
    "azureSqlDatabaseSection": ("clientSecret", "certificate"),
    "azurePostgreSqlSection": ("userPassword",),
}


def datastore_without_secrets(ds: dict) -> dict:
    out = dict(ds)
    for section, names in SECRET_FIELDS.items():
        if section in out:
            sec = {k: v for k, v in out[section].items() if k not in names}
            if "clientCredentials" in sec:
                sec["clientCredentials"] = {k: v for k, v in sec["clientCredentials"].items()
                                            if k not in ("clientSecret", "certificate")}
            out[section] = sec
    return out


def datastore_secrets(ds: dict) -> list[str]:
    found: list[str] = []
    for section, names in SECRET_FIELDS.items():
        sec = ds.get(section) or {}
        found.extend(sec[n] for n in names if sec.get(n))
        cc = sec.get("clientCredentials") or {}
        found.extend(cc[n] for n in ("clientSecret", "certificate") if cc.get(n))
    return sorted(set(found))


# -- model management ------------------------------------------------------------------------

def model(ws: Workspace, name: str, version: int, *, user: dict, run_obj: dict | None, exp_name: str | None,
          t: float, description: str) -> dict:
    model_id = f"{name}:{version}"
    body = {
        "id": model_id,
        "name": name,
        "framework": "ScikitLearn",
        "frameworkVersion": "0.24.2",
        "version": version,
        "datasets": [],
        "url": f"aml://asset/{det_hex(32, ws.key, model_id)}",
        "mimeType": "application/x-python-pickle",
        "description": description,
        "createdTime": iso(t),
        "modifiedTime": iso(t + 5),
        "unpack": False,
        "kvTags": {"team": "analytics"},
        "properties": {},
        "createdBy": mms_user(user),
    }
    if run_obj is not None:
        body["runId"] = run_obj["runId"]
        body["experimentName"] = exp_name
    return body


def asset(ws: Workspace, index: int, name: str, run_obj: dict | None, t: float) -> dict:
    asset_id = det_hex(32, "asset", ws.key, index)
    prefix = f"ExperimentRun/dcid.{run_obj['runId']}/outputs/" if run_obj else f"LocalUpload/{asset_id}/"
    body = {
        "id": asset_id,
        "name": name,
        "description": f"Asset {name}",
        "artifacts": [{"id": f"{prefix}model.pkl", "prefix": prefix}],
        "kvTags": {},
        "properties": {},
        "meta": {"datasetId": det_uuid("dataset", ws.key, index)},
        "createdTime": iso(t),
    }
    if run_obj is not None:
        body["runid"] = run_obj["runId"]  # sic: lower-case in the spec's Asset definition
    return body


def image(ws: Workspace, name: str, version: int, *, models: list[dict], user: dict, t: float) -> dict:
    image_id = f"{name}:{version}"
    return {
        "id": image_id,
        "name": name,
        "version": version,
        "description": f"Scoring image for {', '.join(m['id'] for m in models) or 'no model'}",
        "kvTags": {},
        "properties": {},
        "createdTime": iso(t),
        "modifiedTime": iso(t + 2),
        "autoDelete": True,
        "imageType": "Docker",
        "imageFlavor": "WebApiContainer",
        "creationState": "Succeeded",
        "modelIds": [m["id"] for m in models],
        "modelDetails": [dict(m) for m in models],
        "imageLocation": f"cr{ws.workspace_id[:8]}.azurecr.io/{name}:{version}",
        "imageBuildLogUri": f"https://st{ws.workspace_id[:8]}.blob.core.windows.net/logs/{name}-{version}.txt",
        "operationId": det_uuid("image-op", ws.key, image_id),
        "createdBy": mms_user(user),
        "driverProgram": "score.py",
        "targetRuntime": {"runtimeType": "Python", "properties": {"pipRequirements": "requirements.txt"}},
        # DockerImageResponse.assets (EnvironmentImageAsset): what azureml-core's ContainerImage requires
        "assets": [{"id": f"score-{det_hex(8, ws.key, image_id)}", "mimeType": "application/x-python",
                    "url": f"aml://artifact/LocalUpload/{det_hex(16, ws.key, image_id)}/score.py", "unpack": False}],
    }


def service(ws: Workspace, name: str, compute_type: str, *, img: dict | None, models: list[dict], user: dict,
            t: float, description: str, ssl: bool = False) -> dict:
    body = {
        "id": name,
        "name": name,
        "description": description,
        "kvTags": {"owner": user["email"]},
        "properties": {"hasInferenceSchema": "True"},
        "operationId": det_uuid("svc-op", ws.key, name),
        "state": "Healthy",
        "createdTime": iso(t),
        "updatedTime": iso(t + 3),
        "computeType": compute_type,
        "deploymentType": "HttpRealtimeEndpoint",
        "scoringUri": f"http://{det_hex(8, ws.key, name)}.{ws.location}.azurecontainer.io/score",
        "authEnabled": compute_type == "AKS",
        "appInsightsEnabled": False,
        "models": [dict(m) for m in models],
        "createdBy": mms_user(user),
    }
    if img is not None:
        body["imageId"] = img["id"]
    ip = ".".join(str(int(det_hex(2, ws.key, name, i), 16)) for i in range(3))
    if compute_type == "AKS":
        # AKSServiceResponse: every field azureml-core's AksWebservice requires (core/webservice/aks.py)
        body["scoringUri"] = f"http://20.{ip}:80/api/v1/service/{name}/score"
        body.update({"computeName": "aks-prod", "numReplicas": 1, "namespace": "azureml-" + ws.name.lower()[:20],
                     "containerResourceRequirements": {"cpu": 0.1, "cpuLimit": 0.5, "memoryInGB": 0.5, "memoryInGBLimit": 1.0,
                                                       "gpu": 0},
                     "autoScaler": {"autoscaleEnabled": True, "maxReplicas": 10, "minReplicas": 1, "refreshPeriodInSeconds": 1,
                                    "targetUtilization": 70},
                     "dataCollection": {"eventHubEnabled": False, "storageEnabled": False},
                     "maxConcurrentRequestsPerContainer": 1, "maxQueueWaitMs": 500, "scoringTimeoutMs": 60000,
                     "livenessProbeRequirements": {"periodSeconds": 10, "initialDelaySeconds": 310, "timeoutSeconds": 2,
                                                   "failureThreshold": 3, "successThreshold": 1},
                     "aadAuthEnabled": False})
    else:
        # ACIServiceResponse: every field azureml-core's AciWebservice requires (core/webservice/aci.py); with SSL the
        # service returns the certificate AND its private key (sslKey: a secret the export must remove)
        fqdn = f"{name}.{ws.location}.cloudapp.contoso.example"
        body.update({"location": ws.location, "sslEnabled": ssl,
                     "containerResourceRequirements": {"cpu": 1.0, "cpuLimit": 2.0, "memoryInGB": 1.0, "memoryInGBLimit": 2.0,
                                                       "gpu": 0},
                     "cname": fqdn if ssl else "", "publicIp": f"20.{ip}",
                     "sslCertificate": ssl_certificate(ws, name) if ssl else "",
                     "sslKey": ssl_key(ws, name) if ssl else ""})
        if ssl:
            body["scoringUri"] = f"https://{fqdn}/score"
    return body


def ssl_certificate(ws: Workspace, name: str) -> str:
    return f"-----BEGIN CERTIFICATE-----\nMIIEMULATOR{det_hex(48, ws.key, name, 'cert')}\n-----END CERTIFICATE-----\n"


def ssl_key(ws: Workspace, name: str) -> str:
    return f"-----BEGIN PRIVATE KEY-----\n{SSL_KEY_MARK}{det_hex(32, ws.key, name, 'key')}\n-----END PRIVATE KEY-----\n"


SSL_KEY_MARK = "EMULATOR-SECRET-sslKey-"


def service_secrets(svc: dict) -> list[str]:
    """The secrets a service object holds: the body line of its TLS private key (a single line, so that it can be
    searched for in JSON files, where the key's line breaks are escaped)."""
    key = svc.get("sslKey")
    if not isinstance(key, str):
        return []
    return [line for line in key.splitlines() if line.startswith(SSL_KEY_MARK)] or ([key] if key else [])


# -- pipelines (invented shapes: no public spec) ---------------------------------------------

def pipeline_object(ws: Workspace, kind: str, index: int, user: dict, t: float) -> dict:
    oid = det_uuid(kind, ws.key, index)
    common = {"id": oid, "createdBy": created_by(user), "createdDate": iso(t), "lastModifiedDate": iso(t + 9)}
    if kind == "pipeline_experiments":
        return {**common, "name": f"pipeline-run-{index}", "experimentName": "designer-pipelines",
                "description": "Designer pipeline run", "graphId": det_uuid("pipeline_graphs", ws.key, index),
                "status": {"statusCode": "Finished", "runStatus": "Completed"}, "tags": {}}
    if kind == "pipeline_graphs":
        return {**common, "name": f"graph-{index}",
                "modules": [{"id": "node-1", "moduleId": det_uuid("pipeline_modules", ws.key, index)}],
                "datasetNodes": [{"id": "node-0", "dataSourceId": det_uuid("pipeline_datasources", ws.key, index)}],
                "edges": [{"sourceNodeId": "node-0", "destinationNodeId": "node-1"}]}
    if kind == "pipeline_modules":
        return {**common, "name": f"Train Model {index}", "displayName": f"Train Model {index}",
                "moduleType": "Python", "version": "0.0.1", "description": "Custom training module"}
    if kind == "pipeline_templates":
        return {**common, "name": f"template-{index}", "description": "Pipeline draft template",
                "graphId": det_uuid("pipeline_graphs", ws.key, index)}
    if kind == "pipeline_datasources":
        return {**common, "name": f"customers-{index}", "dataSourceType": "AzureBlob",
                "dataStoreName": "workspaceblobstore", "pathOnDataStore": f"customers/{user['alias']}/export-{index}.csv"}
    raise ValueError(kind)
