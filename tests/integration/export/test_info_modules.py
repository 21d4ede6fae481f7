"""Every *_info module against the emulator in one playbook: lists (many pages), gets, misses, dest, check mode."""
from __future__ import annotations

import json
import os
import stat

from export_support import KINDS

MODULES = {  # module -> (kind, result key, get option(s) from a state object)
    "compute_info": ("computes", "computes", lambda o: {"name": o["name"]}),
    "notification_info": ("tasks", "tasks", lambda o: {"task_id": o["id"]}),
    "datastore_info": ("datastores", "datastores", lambda o: {"name": o["name"]}),
    "model_info": ("models", "models", lambda o: {"id": o["id"]}),
    "asset_info": ("assets", "assets", lambda o: {"id": o["id"]}),
    "image_info": ("images", "images", lambda o: {"id": o["id"]}),
    "service_info": ("services", "services", lambda o: {"id": o["id"]}),
    "run_info": ("runs", "runs", lambda o: {"experiment": o["experiment"], "run_id": o["id"]}),
    "metric_info": ("metrics", "metrics", lambda o: {"experiment": o["experiment"], "metric_id": o["id"]}),
}
PIPELINES = {"experiment": "pipeline_experiments", "graph": "pipeline_graphs", "module": "pipeline_modules",
             "template": "pipeline_templates", "datasource": "pipeline_datasources"}


def task(name, module, args):
    return {"name": name, "gdpr.azureml.%s" % module: args, "register": "r"}


def playbook(ansible, ws, tmp_path):
    coords = {"subscription_id": ws["subscription_id"], "resource_group": ws["resource_group"], "workspace_name": ws["name"]}
    objects = ws["objects"]
    tasks = [task("experiment_info list", "experiment_info", coords)]
    for module, (kind, dummy, get) in MODULES.items():
        tasks.append(task("%s list" % module, module, coords))
        tasks.append(task("%s get" % module, module, dict(coords, **get(objects[kind][-1]))))
        if module not in ("run_info", "metric_info"):
            missing = {k: "no-such-object" for k in get(objects[kind][0])}
            tasks.append(task("%s missing" % module, module, dict(coords, **missing)))
    hostile = ["Försäljning 2020", "100% rollout & A+B?"]
    tasks.append(task("run_info named", "run_info", dict(coords, experiments=hostile)))
    tasks.append(task("metric_info named", "metric_info", dict(coords, experiments=hostile)))
    tasks.append(task("artifact_info list", "artifact_info", coords))
    one_run = objects["runs"][0]["id"]
    tasks.append(task("artifact_info named", "artifact_info", dict(coords, run_ids=[one_run])))
    for option, kind in PIPELINES.items():
        ids = [o["id"] for o in objects[kind]] + ["00000000-0000-0000-0000-00000000dead"]
        tasks.append(task("pipeline_info %s" % option, "pipeline_info", dict(coords, kind=option, ids=ids)))
    tasks.append(task("run_info dest", "run_info", dict(coords, dest=str(tmp_path / "out" / "runs.json"))))
    tasks.append(task("datastore_info dest", "datastore_info", dict(coords, dest=str(tmp_path / "out" / "datastores.json"))))
    play = [{"name": "Every info module", "hosts": "localhost", "gather_facts": False,
             "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}, "tasks": tasks}]
    return ansible.write_playbook("info.yml", json.dumps(play, ensure_ascii=False))


def result(run, name):
    return run.task(name)[0]["result"]


def ids_of(items, kind):
    return sorted(KINDS[kind].object_id(o) for o in items)


def test_every_info_module_against_the_emulator(ansible, tmp_path):
    emu = ansible.emulator
    emu.configure(page_size=3)
    ws = next(w for w in emu.state()["workspaces"] if w["name"] == "ws-sales-analytics")
    objects = ws["objects"]
    (tmp_path / "out").mkdir()
    path = playbook(ansible, ws, tmp_path)
    run = ansible.playbook(path)
    assert run.rc == 0, run.stdout + run.stderr
    assert ids_of(result(run, "experiment_info list")["experiments"], "experiments") == sorted(o["id"] for o in objects["experiments"])
    for module, (kind, key, dummy) in MODULES.items():
        listed = result(run, "%s list" % module)
        assert ids_of(listed[key], kind) == sorted(o["id"] for o in objects[kind]), module
        assert listed["count"] == len(objects[kind]) and listed["changed"] is False
        got = result(run, "%s get" % module)[key]
        assert [KINDS[kind].object_id(o) for o in got] == [objects[kind][-1]["id"]], module
        if module not in ("run_info", "metric_info"):
            assert result(run, "%s missing" % module)[key] == [], module
    named = result(run, "run_info named")["runs"]
    expected_names = {"Försäljning 2020", "100% rollout & A+B?"}
    assert ids_of(named, "runs") == sorted(o["id"] for o in objects["runs"] if o["experiment"] in expected_names)
    assert result(run, "metric_info named")["count"] == len([o for o in objects["metrics"] if o["experiment"] in expected_names])
    assert ids_of(result(run, "artifact_info list")["artifacts"], "artifacts") == sorted(o["id"] for o in objects["artifacts"])
    one_run = objects["runs"][0]["id"]
    assert ids_of(result(run, "artifact_info named")["artifacts"], "artifacts") == sorted(
        o["id"] for o in objects["artifacts"] if o["run_id"] == one_run)
    for option, kind in PIPELINES.items():
        found = result(run, "pipeline_info %s" % option)
        assert ids_of(found["pipelines"], kind) == sorted(o["id"] for o in objects[kind])
        assert found["missing"] == ["00000000-0000-0000-0000-00000000dead"]
    dest = result(run, "run_info dest")
    assert dest["changed"] is True and dest["count"] == len(objects["runs"]) and "runs" not in dest
    assert stat.S_IMODE(os.stat(tmp_path / "out" / "runs.json").st_mode) == 0o600
    # no credential anywhere: results, output, file; datastores always asked without secrets
    blob = run.stdout + json.dumps(run.results) + (tmp_path / "out" / "datastores.json").read_text(encoding="utf-8")
    assert not [s for s in emu.secrets() if s in blob]
    journal = emu.journal()
    assert not any(e["mutating"] for e in journal)
    stores = [e for e in journal if (e["op"] or "").startswith("datastores.")]
    assert len(stores) >= 4 and all(e["query"].get("includeSecret") == "false" for e in stores)
    assert [e for e in journal if e["op"] == "runs.list" and e["path"].endswith(("/100% rollout & A+B?/runs", "/100% rollout & A+B?/runs:query"))]

    # the same playbook again: the dest files do not change; in check mode nothing is written
    os.unlink(tmp_path / "out" / "datastores.json")
    again = ansible.playbook(path, check=True)
    assert again.rc == 0
    assert result(again, "run_info dest")["changed"] is False
    assert result(again, "datastore_info dest")["changed"] is True and not (tmp_path / "out" / "datastores.json").exists()
    assert again.recap["localhost"]["changed"] == 1
