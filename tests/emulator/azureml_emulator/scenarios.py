"""Deterministic, seeded scenarios: ``empty``, ``demo``, ``large`` or a JSON/YAML file.

A scenario is a generator config (format in docs/emulator.md, "Scenario files")::

    seed: 7
    tenant: 00000000-0000-4000-8000-0000000000aa      # optional
    users: [{name, email, type: user|guest|service_principal}, ...]   # optional, default: demo users
    defaults: {location: westeurope, counts: {...}, hostile: false}   # optional
    subscriptions:
      - id: 00000000-0000-4000-8000-000000000001
        resource_groups:
          - name: rg-gdpr-demo
            workspaces:
              - {name: ws-sales-analytics, location: westeurope, hostile: true, counts: {models: 8}}

Same config and seed → byte-identical state (ids, names, times, secrets), on every machine.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from . import objects as ob
from . import objects_v2 as v2
from .config import DEMO_TENANT
from .store import PIPELINE_KINDS, Store, Workspace

DEMO_SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"

COUNT_KEYS = ("experiments", "runs_per_experiment", "metrics_per_run", "artifacts_per_run", "tasks", "datastores",
              "computes", "models", "assets", "images", "services", "pipeline_objects", "archived_experiments",
              "metrics_v2_per_run", "metric_v2_values",
              # v2 (ARM 2025-12-01) objects, seeded after the v1 ones with a random generator of their own (the v1 objects
              # of a scenario do not change when these do); docs/emulator.md "Data: scenarios"
              "archived_jobs", "pipeline_jobs", "pipeline_children", "archived_model_versions", "asset_containers",
              "versions_per_container", "online_endpoints", "batch_endpoints", "deployments_per_endpoint", "schedules",
              "connections", "compute_instances")

# archived_experiments: how many of the experiments (the last ones) are archived; metrics_v2_per_run: metrics of the v2
# metrics service per run; metric_v2_values: at most this many values per v2 metric (1 to it, varying per metric)
DEMO_COUNTS = {"experiments": 3, "runs_per_experiment": 3, "metrics_per_run": 2, "artifacts_per_run": 3, "tasks": 3,
               "datastores": 7, "computes": 3, "models": 6, "assets": 3, "images": 3, "services": 2,
               "pipeline_objects": 2, "archived_experiments": 1, "metrics_v2_per_run": 2, "metric_v2_values": 5,
               # v2: none of these adds to a v1 list (jobs are the runs above, model versions the models above) except
               # pipeline_jobs (runs: a parent and pipeline_children child runs each) and compute_instances (computes)
               "archived_jobs": 1, "pipeline_jobs": 0, "pipeline_children": 2, "archived_model_versions": 1,
               "asset_containers": 2, "versions_per_container": 2, "online_endpoints": 1, "batch_endpoints": 1,
               "deployments_per_endpoint": 2, "schedules": 2, "connections": 2, "compute_instances": 0}
ZERO_COUNTS = dict.fromkeys(COUNT_KEYS, 0)

DEFAULT_USERS = [
    {"name": "Anna Svensson", "email": "anna.svensson@contoso.example", "type": "user"},
    {"name": "Björn Ødegård", "email": "bjorn.odegard@contoso.example", "type": "user"},
    {"name": "Chloé Dubois-Martín", "email": "chloe.dubois@contoso.example", "type": "user"},
    {"name": "Dmitri Ivanov", "email": "dmitri.ivanov@fabrikam.example", "type": "guest"},
    {"name": "gdpr-automation-sp", "email": "", "type": "service_principal"},
]

# Names real customers use: spaces, non-ASCII, characters that need percent-encoding.
HOSTILE_EXPERIMENT_NAMES = ["Försäljning 2020", "customer churn v2", "100% rollout & A+B?", "日本語の実験",
                            "naïve-bayes_baseline", "exp #7 (retry)"]
PLAIN_EXPERIMENT_NAMES = ["churn-prediction", "sales-forecast", "image-classifier", "text-sentiment", "fraud-detection",
                          "demand-planning"]
PLAIN_ARTIFACTS = ["outputs/model.pkl", "logs/azureml/70_driver_log.txt", "outputs/metrics.json",
                   "outputs/confusion_matrix.png", "azureml-logs/55_azureml-execution.txt", "outputs/scoring.py"]
# Artifact paths that must never be trusted as file names.
HOSTILE_ARTIFACTS = ["../../.ssh/authorized_keys", "outputs/../../x", "outputs/model with spaces.pkl",
                     "outputs/Försäljning/resultat ✓.csv", "/etc/passwd", "logs\\..\\..\\windows.ini",
                     "outputs/.hidden", "outputs/" + "long-" * 40 + "name.txt", "outputs/%2e%2e/encoded.txt",
                     "outputs/ leading-and-trailing-space .txt"]
DATASTORE_TYPES = [("workspaceblobstore", "AzureBlob-key"), ("workspacefilestore", "AzureFile-key"),
                   ("shared_sas", "AzureBlob-sas"), ("curated_sp", "AzureBlob-sp"), ("adls_gen1", "AzureDataLake"),
                   ("sqldb_finance", "AzureSqlDatabase"), ("postgres_hr", "AzurePostgreSql")]
COMPUTE_TYPES = [("cpu-cluster", "AmlCompute"), ("aks-prod", "AKS"), ("dsvm-anna", "VirtualMachine"),
                 ("gpu-cluster", "AmlCompute")]
MODEL_NAMES = ["churn-classifier", "lead-scoring", "sales-forecaster", "face-blur", "résumé-ranker"]
ARM_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$")
STORAGE_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")


def builtin(name: str) -> dict:
    if name == "demo":
        return {
            "seed": 20200424,
            "subscriptions": [{"id": DEMO_SUBSCRIPTION, "resource_groups": [
                {"name": "rg-gdpr-demo", "workspaces": [
                    {"name": "ws-sales-analytics", "location": "westeurope", "hostile": True,
                     "counts": {"experiments": 5, "models": 8, "images": 4, "services": 3}},
                    {"name": "ws_hr-people", "location": "northeurope", "counts": {"compute_instances": 2}},
                    {"name": "ws-empty-sandbox", "location": "westeurope", "counts": ZERO_COUNTS},
                ]},
                {"name": "rg-ml-research", "registries": [{"name": "contoso-shared-registry", "location": "westeurope"}],
                 "workspaces": [
                    {"name": "mlresearch01", "location": "eastus", "hostile": True},
                    {"name": "Research-Vision-WS", "location": "swedencentral",
                     "counts": {"experiments": 2, "models": 3, "images": 1, "services": 1}},
                ]},
            ]}],
        }
    if name == "empty":
        return {
            "seed": 1,
            "defaults": {"counts": ZERO_COUNTS},
            "subscriptions": [{"id": DEMO_SUBSCRIPTION, "resource_groups": [
                {"name": "rg-gdpr-demo", "workspaces": [{"name": "ws-empty-1"}, {"name": "ws-empty-2"}]},
                {"name": "rg-ml-research", "workspaces": [{"name": "ws-empty-3"}]},
            ]}],
        }
    if name == "large":
        return {
            "seed": 4242,
            "subscriptions": [{"id": DEMO_SUBSCRIPTION, "resource_groups": [
                {"name": "rg-large", "workspaces": [
                    {"name": "ws-large", "location": "westeurope", "hostile": True, "counts": {
                        "experiments": 50, "runs_per_experiment": 100, "metrics_per_run": 1, "artifacts_per_run": 2,
                        "tasks": 200, "datastores": 7, "computes": 4, "models": 2000, "assets": 500, "images": 200,
                        "services": 100, "pipeline_objects": 20, "archived_experiments": 5, "metrics_v2_per_run": 1,
                        "metric_v2_values": 3,
                        # v2: the 5000 runs and 20 pipeline jobs are the 5020 jobs of the jobs list (250 archived; the 60
                        # pipeline steps are runs and child jobs, not listed at the top); the 2000 models
                        # are 2000 model versions (100 archived) in 5 containers; 4 asset kinds (data, environment,
                        # component, code) x 20 containers (1 archived) x 50 versions (the first archived) = 4000 versions;
                        # 10 online and 10 batch endpoints x 3 deployments; 40 schedules (20 disabled); 20 connections;
                        # 4 compute instances (with the 4 computes above, 8 computes)
                        "archived_jobs": 250, "pipeline_jobs": 20, "pipeline_children": 3, "archived_model_versions": 100,
                        "asset_containers": 20, "versions_per_container": 50, "online_endpoints": 10, "batch_endpoints": 10,
                        "deployments_per_endpoint": 3, "schedules": 40, "connections": 20, "compute_instances": 4}},
                ]},
                {"name": "rg-gdpr-demo", "workspaces": [{"name": "ws-small", "location": "westeurope"}]},
            ]}],
        }
    raise ValueError(f"unknown scenario {name!r} (empty, demo, large or a .json/.yaml file)")


def load(scenario: str) -> dict:
    """A builtin scenario name or a JSON/YAML file path → the config dict."""
    if scenario in ("demo", "empty", "large"):
        return builtin(scenario)
    path = Path(scenario)
    if not path.is_file():
        raise ValueError(f"unknown scenario {scenario!r} (empty, demo, large or a .json/.yaml file)")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        return yaml.safe_load(text) or {}
    return json.loads(text)


def build(config: dict, seed: int | None = None, tenant: str = DEMO_TENANT) -> Store:
    """Generate the store a scenario config describes."""
    seed = int(config.get("seed", 0) if seed is None else seed)
    tenant = config.get("tenant", tenant)
    store = Store(seed)
    store.tenant = tenant
    store.users = _users(config.get("users") or DEFAULT_USERS, seed, tenant)
    defaults = config.get("defaults") or {}
    subs = config.get("subscriptions")
    if not isinstance(subs, list) or not subs:
        raise ValueError("a scenario needs a non-empty 'subscriptions' list")
    ws_index = 0
    for sub in subs:
        sub_id = str(sub["id"])
        for rg in sub.get("resource_groups") or []:
            store.add_resource_group(sub_id, rg["name"])
            for i, reg in enumerate(rg.get("registries") or []):
                store.registries.setdefault(f"{sub_id.lower()}/{rg['name'].lower()}", {})[reg["name"]] = v2.registry(
                    sub_id, rg["name"], reg["name"], reg.get("location") or "westeurope", user=store.users[i % len(store.users)],
                    t=float(i))
            for wsc in rg.get("workspaces") or []:
                name = wsc["name"]
                if not ARM_NAME.match(name):
                    raise ValueError(f"invalid workspace name {name!r} (3-33 chars, [a-zA-Z0-9][a-zA-Z0-9_-]*)")
                counts = {**DEMO_COUNTS, **(defaults.get("counts") or {}), **(wsc.get("counts") or {})}
                unknown = set(counts) - set(COUNT_KEYS)
                if unknown:
                    raise ValueError(f"unknown counts {sorted(unknown)} in workspace {name}")
                if wsc.get("storage_account") and not STORAGE_ACCOUNT_NAME.match(str(wsc["storage_account"])):
                    raise ValueError(f"invalid storage_account {wsc['storage_account']!r} in workspace {name} "
                                     "(3-24 lower-case letters and digits)")
                hostile = bool(wsc.get("hostile", defaults.get("hostile", False)))
                location = wsc.get("location") or defaults.get("location") or "westeurope"
                rng = random.Random(f"{seed}/{sub_id}/{rg['name']}/{name}")
                ws = Workspace(
                    subscription_id=sub_id, resource_group=rg["name"], name=name, location=location,
                    workspace_id=ob.det_uuid("workspace", seed, sub_id, rg["name"], name),
                    creation_time=ob.iso(ws_index * 60),
                    description=wsc.get("description", ob.long_description(300, seed, name) if hostile else f"Workspace {name}"),
                    friendly_name=wsc.get("friendly_name", name),
                    tags=dict(wsc.get("tags") or {"costCenter": "4711", "owner": store.users[ws_index % len(store.users)]["email"] or "sp"}),
                    principal_id=ob.det_uuid("msi", seed, name), tenant_id=tenant,
                    created_by=store.users[ws_index % len(store.users)],
                    storage_account=str(wsc.get("storage_account") or ""),
                    storage_resource_group=str(wsc.get("storage_resource_group") or ""),
                )
                store.add_workspace(ws)
                populate(store, ws, counts, hostile=hostile, rng=rng, seed=seed)
                populate_v2(store, ws, counts, rng=random.Random(f"{seed}/v2/{sub_id}/{rg['name']}/{name}"))
                ws_index += 1
    return store


def _users(specs: list[dict], seed: int, tenant: str) -> list[dict]:
    users = []
    for i, spec in enumerate(specs):
        name = spec["name"]
        kind = spec.get("type", "user")
        email = spec.get("email", "")
        user = {
            "name": name,
            "type": kind,
            "email": email,
            # guests' UPN in the home tenant of the workspace: the #EXT# form Azure AD gives them
            "upn": (email.replace("@", "_") + "#EXT#@contoso.example") if kind == "guest" and email else email,
            "object_id": spec.get("object_id") or ob.det_uuid("user", seed, i, name),
            "tenant_id": spec.get("tenant_id") or tenant,
            "puid": ob.det_hex(16, "puid", seed, i).upper(),
            "alias": (email.split("@")[0] if email else name).lower(),
        }
        if kind == "service_principal":
            user["app_id"] = spec.get("app_id") or ob.det_uuid("app", seed, i, name)
            user["idp"] = f"https://sts.windows.net/{user['tenant_id']}/"
        elif kind == "guest":
            user["idp"] = "live.com"
        users.append(user)
    return users


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")
    return s or "exp"


def populate(store: Store, ws: Workspace, counts: dict, *, hostile: bool, rng: random.Random, seed: int) -> None:
    """Fill one workspace with ``counts`` objects of every kind; references go model → image → service."""
    users = store.users
    t = 100.0  # minutes after the base time; grows as objects are "created"

    def pick_user() -> dict:
        return users[rng.randrange(len(users))]

    names = HOSTILE_EXPERIMENT_NAMES + PLAIN_EXPERIMENT_NAMES if hostile else PLAIN_EXPERIMENT_NAMES
    all_runs: list[tuple[dict, dict]] = []
    for e in range(counts["experiments"]):
        base = names[e % len(names)]
        exp_name = base if e < len(names) else f"{base}-{e // len(names)}"
        desc = ob.long_description(1200, seed, ws.name, exp_name) if hostile and e == 0 else f"Experiment {exp_name}"
        archived = e >= counts["experiments"] - counts["archived_experiments"]
        exp = ob.experiment(ws, exp_name, t, desc, archived_at=t + 50_000 if archived else None)
        ws.table("experiments").add(exp)
        ws.experiment_by_name[exp_name] = exp["experimentId"]
        slug = _slug(exp_name)
        for r in range(counts["runs_per_experiment"]):
            t += 7
            user = pick_user()
            status = rng.choice(["Completed", "Completed", "Completed", "Failed", "Canceled", "Running"])
            tags = {"owner": user["email"]} if user["email"] and r % 2 == 0 else {}
            run_obj = ob.run(ws, exp, r + 1, user=user, t=t, status=status, slug=slug,
                             description=f"Run {r + 1} of {exp_name}", tags=tags)
            ws.table("runs").add(run_obj, group=exp["experimentId"])
            all_runs.append((exp, run_obj))
            exp["latestCreatedRunCreatedUtc"] = run_obj["createdUtc"]
            exp["latestCreatedRunId"] = run_obj["runId"]
            for m in range(counts["metrics_per_run"]):
                name = ["accuracy", "loss", "AUC_weighted", "f1_score"][m % 4] + ("" if m < 4 else f"_{m}")
                ws.table("metrics").add(ob.metric(run_obj, name, m, t + 2), group=exp["experimentId"])
            for m in range(counts["metrics_v2_per_run"]):
                name = ["train_loss", "val_accuracy", "learning_rate", "epoch_time"][m % 4] + ("" if m < 4 else f"_{m}")
                n_values = 1 + (r + m) % counts["metric_v2_values"] if counts["metric_v2_values"] else 0
                ws.table("metrics_v2").add(ob.metric_v2(run_obj, name, n_values, t + 2.5), group=run_obj["runId"])
            paths: list[str] = []
            n_art = counts["artifacts_per_run"]
            if hostile and n_art and (len(all_runs) - 1) * n_art < len(HOSTILE_ARTIFACTS):
                # the first runs of a hostile workspace carry every hostile path once
                start = (len(all_runs) - 1) * n_art
                paths.extend(HOSTILE_ARTIFACTS[start:start + n_art])
            for p in PLAIN_ARTIFACTS:
                if len(paths) >= n_art:
                    break
                paths.append(p)
            i = 0
            while len(paths) < n_art:
                paths.append(f"outputs/extra_{i}.txt")
                i += 1
            for p in paths:
                ws.table("artifacts").add(ob.artifact(run_obj, p, t + 3), group=ob.data_container(run_obj))

    for k in range(counts["tasks"]):
        t += 3
        exp, run_obj = all_runs[k % len(all_runs)] if all_runs else ({"name": "no-experiment"}, None)
        ws.table("tasks").add(ob.task(ws, k, user=pick_user(), run_obj=run_obj, exp_name=exp["name"], t=t))

    for k in range(counts["datastores"]):
        base, store_type = DATASTORE_TYPES[k % len(DATASTORE_TYPES)]
        name = base if k < len(DATASTORE_TYPES) else f"{base}_{k}"
        ws.table("datastores").add(ob.datastore(ws, name, store_type, store.tenant))

    for k in range(counts["computes"]):
        base, ctype = COMPUTE_TYPES[k % len(COMPUTE_TYPES)]
        name = base if k < len(COMPUTE_TYPES) else f"{base}-{k}"
        t += 1
        ws.table("computes").add(ob.compute(ws, name, ctype, t, f"{ctype} compute {name}"))

    models: list[dict] = []
    for k in range(counts["models"]):
        t += 1
        name = MODEL_NAMES[k % len(MODEL_NAMES)]
        version = ws.versions.get(name, 0) + 1
        ws.versions[name] = version
        exp, run_obj = all_runs[k % len(all_runs)] if all_runs else ({"name": None}, None)
        desc = ob.long_description(800, seed, ws.name, name) if hostile and k == 0 else f"{name} version {version}"
        m = ob.model(ws, name, version, user=pick_user(), run_obj=run_obj, exp_name=exp["name"], t=t, description=desc)
        ws.table("models").add(m)
        models.append(m)

    for k in range(counts["assets"]):
        t += 1
        run_obj = all_runs[k % len(all_runs)][1] if all_runs else None
        ws.table("assets").add(ob.asset(ws, k, f"asset-{k}", run_obj, t))

    images: list[dict] = []
    for k in range(counts["images"]):
        t += 1
        name = f"img-{MODEL_NAMES[k % len(MODEL_NAMES)]}"
        version = ws.versions.get("image:" + name, 0) + 1
        ws.versions["image:" + name] = version
        # image k uses model 2k, and model 2k+1 when k is even: some models stay free to delete
        refs = [models[(2 * k) % len(models)]] if models else []
        if models and k % 2 == 0 and (2 * k + 1) % len(models) != (2 * k) % len(models):
            refs.append(models[(2 * k + 1) % len(models)])
        img = ob.image(ws, name, version, models=refs, user=pick_user(), t=t)
        ws.table("images").add(img)
        images.append(img)

    for k in range(counts["services"]):
        t += 1
        img = images[k % len(images)] if images else None
        refs = [m for m in models if img and m["id"] in img["modelIds"]]
        if not img and models:
            refs = [models[k % len(models)]]
        ctype = "AKS" if k % 2 else "ACI"
        name = f"svc-{k:03d}-{ctype.lower()}"
        desc = ob.long_description(500, seed, ws.name, name) if hostile and k == 0 else f"Web service {name}"
        ws.table("services").add(ob.service(ws, name, ctype, img=img, models=refs, user=pick_user(), t=t, description=desc,
                                            ssl=ctype == "ACI" and k % 4 == 0))

    for kind in PIPELINE_KINDS:
        for k in range(counts["pipeline_objects"]):
            t += 1
            ws.table(kind).add(ob.pipeline_object(ws, kind, k, pick_user(), t))


def populate_v2(store: Store, ws: Workspace, counts: dict, *, rng: random.Random) -> None:
    """The v2 objects of one workspace. Jobs and model versions are the runs and models ``populate`` made (the last
    ``archived_jobs`` runs and the first ``archived_model_versions`` models are archived); the rest has tables of its
    own. Creators alternate among the scenario users (every kind has at least two when it has two objects)."""
    users = store.users
    t = 200_000.0  # minutes after the base time: later than the v1 objects
    start = rng.randrange(len(users))

    def user_for(k: int) -> dict:
        return users[(start + k) % len(users)]

    runs = ws.table("runs")
    top = [runs.items[k] for k in sorted(runs.items, key=lambda k: runs.items[k]["createdUtc"])]
    for run_obj in top[len(top) - counts["archived_jobs"]:] if counts["archived_jobs"] else []:
        ws.archived.add(("runs", run_obj["runId"]))
    exps = [e for e in ws.table("experiments").items.values() if not ob.is_archived(e)]
    for k in range(counts["pipeline_jobs"] if exps else 0):
        t += 5
        exp = exps[k % len(exps)]
        parent = ob.run(ws, exp, 1000 + k, user=user_for(k), t=t, status="Completed", slug="pipeline",
                        description=f"Pipeline job {k}", tags={})
        parent.update(runType="azureml.PipelineRun", name=f"pipeline {k}")
        runs.add(parent, group=exp["experimentId"])
        for c in range(counts["pipeline_children"]):
            child = ob.run(ws, exp, 2000 + k * 100 + c, user=user_for(k), t=t + c + 1, status="Completed",
                           slug=f"step{c}", description=f"Step {c} of pipeline job {k}", tags={})
            child.update(runType="azureml.StepRun", parentRunId=parent["runId"], rootRunId=parent["runId"],
                         name=f"step {c}")
            runs.add(child, group=exp["experimentId"])

    models = ws.table("models")
    by_name: dict[str, list[dict]] = {}
    for key in models.sorted_keys():
        by_name.setdefault(models.items[key]["name"], []).append(models.items[key])
    for key in models.sorted_keys()[:counts["archived_model_versions"]]:
        ws.archived.add(("models", key))
    for name, versions in by_name.items():
        first = min(versions, key=lambda m: m["createdTime"])
        user = v2.user_by_object_id(users, (first.get("createdBy") or {}).get("userObjectId")) or users[0]
        ws.table("model_containers").add(v2.model_container(ws, name, user=user, created=first["createdTime"],
                                                            archived=False, latest=max(m["version"] for m in versions)))

    n_cont, n_ver = counts["asset_containers"], counts["versions_per_container"]
    for prefix, path in v2.ASSET_KINDS[1:]:  # models: above
        for c in range(n_cont):
            t += 1
            name = f"{prefix}-{['customers', 'churn', 'invoices', 'faces', 'hr'][c % 5]}-{c}"
            container = v2.asset_container(ws, prefix, path, name, user=user_for(c), t=t, archived=n_cont > 1 and c == n_cont - 1,
                                           latest=n_ver)
            ws.table(f"{prefix}_containers").add(container)
            for version in range(1, n_ver + 1):
                t += 0.5
                data = v2.data_location(ws, c, version, user=user_for(c + version), first_user=user_for(c + 1)) \
                    if prefix == "data" else None
                ws.table(f"{prefix}_versions").add(
                    v2.asset_version(ws, prefix, path, name, version, user=user_for(c + version), t=t,
                                     archived=n_ver > 1 and version == 1, data=data), group=container["id"])

    model_ids = [f"{ws.arm_id}/models/{m['name']}/versions/{m['version']}" for m in models.items.values()]
    for kind, builder in (("online", v2.online_endpoint), ("batch", v2.batch_endpoint)):
        for e in range(counts[f"{kind}_endpoints"]):
            t += 3
            name = f"{kind}-{['churn', 'scoring', 'faces'][e % 3]}-{e}"
            deployments = [f"{['blue', 'green', 'red'][d % 3]}{'' if d < 3 else d}" for d in range(counts["deployments_per_endpoint"])]
            if kind == "online":
                endpoint = builder(ws, name, user=user_for(e), t=t, deployments=deployments)
            else:
                endpoint = builder(ws, name, user=user_for(e), t=t, default_deployment=deployments[0] if deployments else None)
            ws.table(f"{kind}_endpoints").add(endpoint)
            make = v2.online_deployment if kind == "online" else v2.batch_deployment
            for d, dname in enumerate(deployments):
                model_id = model_ids[(e + d) % len(model_ids)] if model_ids else None
                ws.table(f"{kind}_deployments").add(make(ws, name, dname, user=user_for(e + d + 1), t=t + d, model_id=model_id),
                                                    group=endpoint["id"])

    exp_names = [e["name"] for e in exps] or ["scheduled"]
    for k in range(counts["schedules"]):
        t += 1
        ws.table("schedules").add(v2.schedule(ws, f"nightly-{k}", user=user_for(k), t=t, enabled=k % 2 == 0,
                                              experiment=exp_names[k % len(exp_names)]))
    for k in range(counts["connections"]):
        t += 1
        body, creds = v2.connection(ws, f"conn-{v2.CONNECTION_TYPES[k % len(v2.CONNECTION_TYPES)][0].lower()}-{k}", k,
                                    user=user_for(k), t=t)
        ws.table("connections").add(body)
        ws.connection_secrets[body["id"]] = creds
    people = [u for u in users if u["type"] != "service_principal"] or users
    for k in range(counts["compute_instances"]):
        t += 1
        user = people[(start + k) % len(people)]
        ws.table("computes").add(v2.compute_instance(ws, f"ci-{user['alias'].replace('.', '-')[:16]}-{k}", user, t))
