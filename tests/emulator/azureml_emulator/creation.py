"""Objects created at run time through ``POST /_emulator/objects`` (e.g. "a model created after the export").

The caller gives a partial object; missing fields are filled as the scenario generator would fill them
(ids, times, identities, references). The public APIs of the emulator have no creation calls: this is
the only way to add an object without a reset.
"""

from __future__ import annotations

from . import objects as ob
from . import objects_v2 as v2
from .store import KINDS, PIPELINE_KINDS, Store, Workspace


def _user(store: Store, spec: object) -> dict:
    """A scenario user chosen by index, e-mail, name or object id (default: the first)."""
    if isinstance(spec, int) and 0 <= spec < len(store.users):
        return store.users[spec]
    if isinstance(spec, str):
        for u in store.users:
            if spec in (u["email"], u["name"], u["object_id"], u["upn"]):
                return u
        raise ValueError(f"no scenario user {spec!r}")
    return store.users[0]


def _run_for(ws: Workspace, run_id: str | None) -> dict:
    runs = ws.table("runs")
    if run_id:
        run = runs.get(run_id)
        if run is None:
            raise ValueError(f"no run {run_id!r} in {ws.name}")
        return run
    if not len(runs):
        raise ValueError(f"workspace {ws.name} has no run; give one first")
    return runs.items[runs.sorted_keys()[0]]


def create_object(store: Store, ws: Workspace, kind: str, obj: dict, user_spec: object = None) -> dict:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {sorted(KINDS)}")
    if not isinstance(obj, dict):
        raise ValueError("'object' must be a JSON object")
    store.serial += 1
    n = store.serial
    t = 100_000.0 + n  # minutes after the base time: later than anything a scenario made
    user = _user(store, user_spec)
    table = ws.table(kind)
    group = None

    if kind == "experiments":
        name = obj.get("name") or f"created-later-{n}"
        if ws.experiment(name):
            raise ValueError(f"experiment {name!r} exists")
        made = {**ob.experiment(ws, name, t, f"Experiment {name}"), **obj}
        ws.experiment_by_name[name] = made["experimentId"]
    elif kind == "runs":
        archived = bool(obj.pop("isArchived", False))  # the v2 view: an archived job
        exp_name = obj.pop("experimentName", None) or obj.pop("experiment", None)
        exp = ws.experiment(exp_name) if exp_name else None
        if exp is None:
            exp_name = exp_name or "created-later"
            exp = ws.experiment(exp_name) or create_object(store, ws, "experiments", {"name": exp_name})
        number = 1 + sum(1 for g in table.group_of.values() if g == exp["experimentId"])
        made = {**ob.run(ws, exp, number, user=user, t=t, status="Completed", slug="created_later",
                          description="Created after the export", tags={}), **obj}
        if made.get("parentRunId"):  # a child job of a pipeline: same root
            made.setdefault("rootRunId", made["parentRunId"])
            made["rootRunId"] = obj.get("rootRunId", made["parentRunId"])
        if archived:
            ws.archived.add(("runs", made["runId"]))
        group = exp["experimentId"]
    elif kind == "metrics":
        run = _run_for(ws, obj.get("runId"))
        made = {**ob.metric(run, obj.get("name", "accuracy"), n, t), **obj}
        group = _experiment_of_run(ws, run)
    elif kind == "artifacts":
        run = _run_for(ws, obj.get("runId") or _run_of_container(ws, obj.get("container")))
        made = {**ob.artifact(run, obj.get("path") or f"outputs/created-later-{n}.txt", t),
                **{k: v for k, v in obj.items() if k != "runId"}}
        made["artifactId"] = f"{made['origin']}/{made['container']}/{made['path']}"
        group = made["container"]
    elif kind == "metrics_v2":
        run = _run_for(ws, obj.get("runId"))
        made = ob.metric_v2(run, obj.get("name") or f"created_later_{n}", int(obj.get("value_count", 2)), t,
                            obj.get("namespace", ""))
        made.update({k: v for k, v in obj.items() if k not in ("value_count", "id")})
        made["id"] = f"{made['runId']}/{made['namespace']}/{made['name']}"
        group = run["runId"]
    elif kind == "tasks":
        made = {**ob.task(ws, 10_000 + n, user=user, run_obj=None, exp_name=obj.get("experimentName", "created-later"), t=t), **obj}
    elif kind == "datastores":
        name = obj.get("name") or f"created_later_{n}"
        made = {**ob.datastore(ws, name, obj.pop("type", "AzureBlob-key"), store.tenant), **obj}
    elif kind == "computes":
        name = obj.get("name") or f"created-later-{n}"
        ctype = (obj.get("properties") or {}).get("computeType", "AmlCompute")
        made = (v2.compute_instance(ws, name, user, t) if ctype == "ComputeInstance"  # assigned to ``user``
                else ob.compute(ws, name, ctype, t, f"{ctype} compute {name}"))
        made.update({k: v for k, v in obj.items() if k != "properties"})
    elif kind == "models":
        name = obj.get("name") or "created-later-model"
        version = ws.versions.get(name, 0) + 1
        ws.versions[name] = version
        made = {**ob.model(ws, name, version, user=user, run_obj=None, exp_name=None, t=t,
                            description=obj.get("description", f"{name} version {version}")),
                **obj}
        made["id"] = obj.get("id") or f"{name}:{version}"
        made["version"] = obj.get("version", version)
        made.pop("isArchived", None)
        if obj.get("isArchived"):
            ws.archived.add(("models", made["id"]))
        containers = ws.table("model_containers")
        if containers.get(f"{ws.arm_id}/models/{name}") is None:  # a v1 model registers its v2 container
            containers.add(v2.model_container(ws, name, user=user, created=made["createdTime"], archived=False,
                                              latest=made["version"] if isinstance(made["version"], int) else 0))
    elif kind == "assets":
        made = {**ob.asset(ws, 10_000 + n, obj.get("name") or f"asset-later-{n}", None, t), **obj}
    elif kind == "images":
        name = obj.get("name") or "img-created-later"
        version = ws.versions.get("image:" + name, 0) + 1
        ws.versions["image:" + name] = version
        models = [ws.table("models").get(m) or {"id": m} for m in obj.get("modelIds", [])]
        made = {**ob.image(ws, name, version, models=models, user=user, t=t), **obj}
        made["id"] = obj.get("id") or f"{name}:{version}"
        made["modelDetails"] = [m for m in models if "name" in m]
    elif kind == "services":
        name = obj.get("name") or f"svc-later-{n}"
        img = ws.table("images").get(obj["imageId"]) if obj.get("imageId") else None
        model_ids = [m["id"] if isinstance(m, dict) else m for m in obj.get("models", [])]
        if not model_ids and img:
            model_ids = list(img["modelIds"])
        # Only models that exist can be embedded: the spec's Model requires name, url, mimeType.
        models = [m for m in (ws.table("models").get(mid) for mid in model_ids) if m]
        ctype = obj.get("computeType", "ACI")
        made = {**ob.service(ws, name, ctype, img=img, models=models, user=user, t=t, description=f"Web service {name}",
                             ssl=bool(obj.get("sslEnabled"))),
                **{k: v for k, v in obj.items() if k != "models"}}
        made["id"] = obj.get("id") or name
        if obj.get("imageId"):
            made["imageId"] = obj["imageId"]
    elif kind in PIPELINE_KINDS:
        made = {**ob.pipeline_object(ws, kind, 10_000 + n, user, t), **obj}
    elif kind in V2_BUILDERS:
        made, group = V2_BUILDERS[kind](ws, obj, user, t, n)
    else:  # pragma: no cover - KINDS and the branches above agree
        raise ValueError(kind)
    table.add(made, group=group)
    return made


def _run_of_container(ws: Workspace, container: str | None) -> str | None:
    """The run whose data container (or run id) is ``container``."""
    if not container:
        return None
    for run in ws.table("runs").items.values():
        if container in (run["runId"], ob.data_container(run)):
            return run["runId"]
    return container


def _experiment_of_run(ws: Workspace, run: dict) -> str | None:
    return ws.table("runs").group_of.get(run["runId"])


def _v2_asset(prefix: str, path: str, versions: bool):
    def make(ws: Workspace, obj: dict, user: dict, t: float, n: int) -> tuple[dict, str | None]:
        archived = bool(obj.get("isArchived"))
        if not versions:
            return v2.asset_container(ws, prefix, path, obj.get("name") or f"{prefix}-later-{n}", user=user, t=t,
                                      archived=archived, latest=int(obj.get("latestVersion", 1))), None
        container = obj.get("container") or ""
        parent = ws.table(f"{prefix}_containers").get(f"{ws.arm_id}/{path}/{container}")
        if parent is None:
            raise ValueError(f"no {prefix} container {container!r} in {ws.name} (give 'container')")
        version = int(obj.get("version", 1))
        return v2.asset_version(ws, prefix, path, container, version, user=user, t=t, archived=archived), parent["id"]
    return make


def _v2_deployment(kind: str):
    def make(ws: Workspace, obj: dict, user: dict, t: float, n: int) -> tuple[dict, str | None]:
        endpoint = ws.table(f"{kind}_endpoints").get(f"{ws.arm_id}/{kind}Endpoints/{obj.get('endpoint', '')}")
        if endpoint is None:
            raise ValueError(f"no {kind} endpoint {obj.get('endpoint')!r} in {ws.name} (give 'endpoint')")
        build = v2.online_deployment if kind == "online" else v2.batch_deployment
        return build(ws, endpoint["name"], obj.get("name") or f"dep{n}", user=user, t=t, model_id=obj.get("model")), endpoint["id"]
    return make


def _v2_connection(ws: Workspace, obj: dict, user: dict, t: float, n: int) -> tuple[dict, str | None]:
    body, creds = v2.connection(ws, obj.get("name") or f"conn-later-{n}", int(obj.get("index", n)), user=user, t=t)
    ws.connection_secrets[body["id"]] = creds
    return body, None


V2_BUILDERS = {
    **{f"{p}_containers": _v2_asset(p, path, False) for p, path in v2.ASSET_KINDS[1:]},
    **{f"{p}_versions": _v2_asset(p, path, True) for p, path in v2.ASSET_KINDS[1:]},
    "model_containers": lambda ws, obj, user, t, n: (v2.model_container(ws, obj.get("name") or f"model-later-{n}", user=user,
                                                                       created=ob.iso(t), archived=bool(obj.get("isArchived")),
                                                                       latest=0), None),
    "online_endpoints": lambda ws, obj, user, t, n: (v2.online_endpoint(ws, obj.get("name") or f"online-later-{n}", user=user,
                                                                       t=t, deployments=[]), None),
    "batch_endpoints": lambda ws, obj, user, t, n: (v2.batch_endpoint(ws, obj.get("name") or f"batch-later-{n}", user=user,
                                                                     t=t, default_deployment=None), None),
    "online_deployments": _v2_deployment("online"),
    "batch_deployments": _v2_deployment("batch"),
    "schedules": lambda ws, obj, user, t, n: (v2.schedule(ws, obj.get("name") or f"schedule-later-{n}", user=user, t=t,
                                                          enabled=bool(obj.get("isEnabled", True)),
                                                          experiment=obj.get("experimentName", "created-later")), None),
    "connections": _v2_connection,
}
