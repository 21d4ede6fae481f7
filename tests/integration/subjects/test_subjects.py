"""Subject index end to end: the export playbook writes real bundles of the demo scenario (page size 3), the
find_subject playbook indexes them, and every answer is checked against the emulator itself - its state dump names
each object's creator - not against the bundle the index was built from."""
from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT / "build" / "collections") not in sys.path:
    sys.path.insert(0, str(ROOT / "build" / "collections"))

from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import iter_objects  # noqa: E402
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import subject_purge_selection  # noqa: E402

API = "?api-version=2019-11-01"
SHOW = "Show where the subjects appear in this workspace"


def host_name(ws):
    return "%s_%s" % (ws["resource_group"], ws["name"])


def arm_workspace(emulator, ws):
    return emulator.get_json(ws["id"] + API)


# The kinds of the state that only the v2 API has: they name their creator by display name (systemData.createdBy).
V2_ONLY = ("model_containers", "data_containers", "data_versions", "environment_containers", "environment_versions",
           "component_containers", "component_versions", "code_containers", "code_versions", "online_endpoints",
           "online_deployments", "batch_endpoints", "batch_deployments", "schedules", "connections")


def state_jobs(ws_state):
    """``{job ARM id: its run}``: one store, two views (pipeline child jobs are only in run history)."""
    return {f'{ws_state["id"]}/jobs/{r["id"]}': r for r in ws_state["objects"]["runs"] if not r.get("parent_run_id")}


def state_display_names(ws_state, users, principals=False):
    """``{user object id: {kind: set of ARM ids}}`` of the v2 objects whose ``systemData.createdBy`` is the user's display
    name: the v2-only kinds, the model versions (the v1 models) and the jobs (their run's creator). A service principal,
    which systemData names by its application id, is left out unless ``principals``: it may be named by its display name
    where its alias is written (tags, metadata: its alias is its name), so its objects are the most found by name."""
    people = {u["object_id"] for u in users if u["type"] != "service_principal" or principals}
    by_user = {}
    objects = dict((k, ws_state["objects"][k]) for k in V2_ONLY)
    objects["model_versions"] = [dict(m, id="%s/models/%s/versions/%s" % ((ws_state["id"],) + tuple(m["id"].split(":", 1))))
                                 for m in ws_state["objects"]["models"]]
    objects["jobs"] = [dict(r, id=job_id) for job_id, r in state_jobs(ws_state).items()]
    for kind, items in objects.items():
        for o in items:
            oid = (o.get("created_by") or {}).get("userObjectId")
            if oid in people:
                by_user.setdefault(oid, {}).setdefault(kind, set()).add(o["id"])
    return by_user


def principal_named(ws_state, user):
    """``{(kind, id)}``: the v2 objects a service principal created (those its name may be found in)."""
    named = state_display_names(ws_state, [user], principals=True).get(user["object_id"], {})
    return {(kind, i) for kind, ids in named.items() for i in ids}


def computes_by_name(emulator, ws_state, users):
    """``{user object id: {"computes": set of ARM ids}}``: the computes whose ``systemData.createdBy`` (served from
    api-version 2020-09-01 on, what api_profile current asks) is the user's display name (the workspace's creator)."""
    by_name = {u["name"]: u["object_id"] for u in users}
    out, url = {}, ws_state["id"] + "/computes?api-version=2025-12-01"
    while url:
        page = emulator.get_json(url)
        for c in page["value"]:
            oid = by_name.get((c.get("systemData") or {}).get("createdBy"))
            if oid:
                out.setdefault(oid, {}).setdefault("computes", set()).add(c["id"])
        url = page.get("nextLink", "").split(emulator.url, 1)[-1] or None
    return out


def state_identities(ws_state):
    """``{object id: {kind: set of ids}}`` from the state: each object's creator (metrics, artifacts and jobs: their
    run's), plus the images and services that embed a model of that creator (``modelDetails`` / ``models`` hold the
    model's ``createdBy``, and the state names the models each one holds). Precise ties only: not the v2-only kinds."""
    objects = dict((k, v) for k, v in ws_state["objects"].items() if k not in V2_ONLY)
    objects["jobs"] = [dict(r, id=job_id) for job_id, r in state_jobs(ws_state).items()]
    by_user = {}
    for kind, items in objects.items():
        for o in items:
            oid = (o.get("created_by") or {}).get("userObjectId")
            if oid:
                by_user.setdefault(oid, {}).setdefault(kind, set()).add(o["id"])
    for c in ws_state["objects"]["computes"]:  # a compute instance names its user: assignedUser.objectId
        if c.get("assigned_user"):
            by_user.setdefault(c["assigned_user"], {}).setdefault("computes", set()).add(c["id"])
    for kinds in by_user.values():
        models = kinds.get("models", set())
        for kind in ("images", "services"):
            for o in objects[kind]:
                if set(o.get("model_ids") or ()) & models:
                    kinds.setdefault(kind, set()).add(o["id"])
    return by_user


def expected_objects(emulator, ws_state, user):
    """``{(kind, id)}`` that refer to ``user``: what its object id names (state_identities), what its display name names
    (state_display_names: the subject is given with the name), and the workspace when the ARM ``Workspace`` the service
    returns carries the user's address in its ``owner`` tag."""
    kinds = state_identities(ws_state).get(user["object_id"], {})
    out = {(kind, i) for kind, ids in kinds.items() for i in ids}
    named = dict(state_display_names(ws_state, emulator.users()).get(user["object_id"], {}),
                 **computes_by_name(emulator, ws_state, emulator.users()).get(user["object_id"], {}))
    out |= {(kind, i) for kind, ids in named.items() for i in ids}
    owner = (arm_workspace(emulator, ws_state).get("tags") or {}).get("owner") or ""
    if user["email"] and owner.casefold() == user["email"].casefold():
        out.add(("workspace", ws_state["id"]))
    return out


def subject_of(user):
    """The full subject of an emulator user (object id in upper case: GUIDs compare case-insensitively)."""
    subject = {"object_id": user["object_id"].upper(), "name": user["name"], "tenant_id": user["tenant_id"]}
    if user["email"]:
        subject["email"] = user["email"]
    if user["upn"] and user["upn"] != user["email"]:
        subject["upn"] = user["upn"]
    return subject


def find(ansible, inventory, dest, report=None, check=False, **extra):
    extra_vars = {"export_workspace_data_dest": str(dest)}
    if report:
        extra_vars["find_subject_report_dir"] = str(report)
    extra_vars.update(extra)
    return ansible.playbook("gdpr.azureml.find_subject", inventory=inventory, extra_vars=extra_vars, check=check)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def test_subjects_json_names_exactly_the_objects_of_each_user(ansible, export, demo_inventory, tmp_path):
    emu = ansible.emulator
    users = emu.users()
    chloe = next(u for u in users if u["name"].startswith("Chlo"))
    sales = next(w for w in emu.state()["workspaces"] if w["name"] == "ws-sales-analytics")
    # A model Björn registers, naming Chloé in its tags and properties (in other cases): it refers to Chloé too.
    late = emu.create_object(sales["id"], "models", {"name": "reviewed-model", "kvTags": {"reviewer": chloe["email"].upper()},
                                                     "properties": {"contact": chloe["object_id"].upper()}}, user=1)
    assert late["kvTags"]["reviewer"] == chloe["email"].upper()
    dest = export()
    report = tmp_path / "report"
    run = find(ansible, demo_inventory, dest, report, find_subject_subjects=[subject_of(u) for u in users])
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o700

    state = emu.state()
    checked = 0
    for ws in state["workspaces"]:
        index_path = report / ("%s.json" % host_name(ws))
        assert stat.S_IMODE(os.stat(index_path).st_mode) == 0o600
        index = load(index_path)
        assert index["workspace"]["id"] == ws["id"] and index["bundle"]["complete"] is True
        assert "identities" not in index  # a subject's answer does not list the other people
        run_of = {(k, o["id"]): o.get("run_id") for k in ("metrics", "metrics_v2", "artifacts") for o in ws["objects"][k]}
        run_of.update({("jobs", job_id): run["id"] for job_id, run in state_jobs(ws).items()})
        creators = state_identities(ws)
        for user, entry in zip(users, index["subjects"]):
            assert entry["subject"]["object_id"] == user["object_id"]  # lower case
            got = {(o["kind"], o["id"]): o for o in entry["objects"]}
            expected = expected_objects(emu, ws, user)
            late_version = ("model_versions", "%s/models/%s/versions/%s" % (sales["id"], late["name"], late["version"]))
            if user is chloe and ws["id"] == sales["id"]:
                expected |= {("models", late["id"]), late_version}  # the v2 view carries its tags and properties too
                assert got[("models", late["id"])]["fields"] == ["kvTags.reviewer", "properties.contact"]
                assert got[("models", late["id"])]["created_by"] is False
            if user["type"] == "service_principal":
                # systemData names it by its app id: its name appears only where an alias is written (tags, metadata);
                # every object so found is its own (the state), and nothing it created precisely is missing
                assert expected <= set(got) <= expected | principal_named(ws, user), (ws["name"], sorted(set(got) ^ expected))
                expected = set(got)
            assert set(got) == expected, (ws["name"], user["name"], sorted(set(got) ^ expected))
            assert entry["total"] == len(expected) and entry["found"] is bool(expected)
            expected_counts = {}
            for kind, _obj_id in expected:
                expected_counts[kind] = expected_counts.get(kind, 0) + 1
            assert {k: n for k, n in entry["counts"].items() if n} == expected_counts
            own = creators.get(user["object_id"], {})
            named = dict(state_display_names(ws, users).get(user["object_id"], {}),
                         **computes_by_name(emu, ws, users).get(user["object_id"], {}))
            for (kind, obj_id), o in got.items():
                # precise: the object id (the object's own, its run's); else the display name of systemData only
                precise = obj_id in own.get(kind, ()) or (user is chloe and (kind, obj_id) in (("models", late["id"]), late_version))
                if kind != "workspace":  # the workspace: the owner tag's address (or its systemData's name)
                    assert o["evidence"] == ("precise" if precise else "display_name"), (kind, obj_id, o)
                if kind == "jobs":  # the run of the same id, precisely; its systemData names the same person by name
                    assert o["via"] == {"kind": "runs", "id": run_of[(kind, obj_id)]} and "name" in o["fields"]
                    if user["type"] != "service_principal":  # systemData names a service principal by its app id
                        assert "systemData.createdBy" in o["fields"] and o["created_by"] is True
                elif not precise and kind != "workspace" and user["type"] == "service_principal":
                    assert (kind, obj_id) in principal_named(ws, user) and o["evidence"] == "display_name"
                elif not precise and kind != "workspace":
                    assert obj_id in named.get(kind, ()) and "systemData.createdBy" in o["fields"] and o["created_by"] is True
                elif kind in ("metrics", "metrics_v2", "artifacts"):  # through their run (artifacts: its data container)
                    assert o["fields"] == (["container"] if kind == "artifacts" else ["runId"])
                    assert o["via"] == {"kind": "runs", "id": run_of[(kind, obj_id)]}
                    assert o["created_by"] is False
                elif any((o2.get("created_by") or {}).get("userObjectId") == user["object_id"]
                         for o2 in ws["objects"].get(kind, ()) if o2["id"] == obj_id):
                    assert o["created_by"] is True and "createdBy.userObjectId" in o["fields"]
                    assert "createdBy.userName" in o["fields"]
                    if kind == "runs":
                        assert "userId" in o["fields"]
                elif kind in ("images", "services") and obj_id in own.get(kind, ()):
                    embedded = "modelDetails" if kind == "images" else "models"
                    assert any(f.startswith(embedded + "[") and f.endswith("].createdBy.userObjectId") for f in o["fields"])
                checked += 1
        # every run has exactly one creator: the subjects together name every run of the workspace, from every page
        runs_found = sum(1 for entry in index["subjects"] for o in entry["objects"] if o["kind"] == "runs")
        assert runs_found == len(ws["objects"]["runs"])
    assert checked > 300
    ops = [e["op"] for e in emu.journal()]
    models_in = [len(w["objects"]["models"]) for w in state["workspaces"]]
    assert max(models_in) > 3  # some model lists span several pages of 3 (an empty list still takes one request)
    assert ops.count("models.list") == sum((max(n, 1) - 1) // 3 + 1 for n in models_in)


ASSIGNED = "properties.properties.personalComputeInstanceSettings.assignedUser.objectId"


def test_a_compute_instance_credits_its_assigned_user_precisely(ansible, export, demo_inventory, tmp_path):
    """The demo's ws_hr-people has 2 compute instances, each assigned to a person (the state's assigned_user): the
    export's subjects.json credits each to that person by object id, and a subject search finds it as precise evidence."""
    emu = ansible.emulator
    users = {u["object_id"]: u for u in emu.users()}
    hr = next(w for w in emu.state()["workspaces"] if w["name"] == "ws_hr-people")
    instances = [c for c in hr["objects"]["computes"] if c.get("assigned_user")]
    assert len(instances) == 2 and len({c["assigned_user"] for c in instances}) == 2
    dest = export()
    bundle = dest / host_name(hr)
    assert {c["id"] for c in iter_objects(str(bundle / "computes.json"))} >= {c["id"] for c in instances}
    index = load(bundle / "subjects.json")
    by_oid = {i["object_id"]: i for i in index["identities"] if "object_id" in i}
    for c in instances:
        ident = by_oid[c["assigned_user"]]
        assert ident["counts"].get("computes") == sum(1 for o in instances if o["assigned_user"] == c["assigned_user"])
        assert ASSIGNED in ident["fields"], ident["fields"]
    report = tmp_path / "report"
    person = users[instances[0]["assigned_user"]]
    run = find(ansible, demo_inventory, dest, report, find_subject_subjects=[{"object_id": person["object_id"]}])
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-4000:]
    entry = load(report / ("%s.json" % host_name(hr)))["subjects"][0]
    got = {o["id"]: o for o in entry["objects"] if o["kind"] == "computes"}
    assert instances[0]["id"] in got and got[instances[0]["id"]]["evidence"] == "precise"
    assert ASSIGNED in got[instances[0]["id"]]["fields"]
    assert instances[1]["id"] not in got  # the other person's instance
    assert entry["evidence"].get("precise", 0) >= 1


def test_who_appears_matches_the_creators_in_the_state(ansible, export, demo_inventory, tmp_path):
    emu = ansible.emulator
    users = {u["object_id"]: u for u in emu.users()}
    by_address = {u["email"].casefold(): u for u in users.values() if u["email"]}
    dest = export()
    report = tmp_path / "report"
    run = find(ansible, demo_inventory, dest, report)
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-4000:]
    state = emu.state()
    for ws in state["workspaces"]:
        index = load(report / ("%s.json" % host_name(ws)))
        assert "subjects" not in index
        creators = state_identities(ws)
        # (an application's id in systemData.createdBy is a GUID too: the service principal's app id, not a person)
        apps = {u["app_id"] for u in users.values() if u.get("app_id")}
        by_oid = {i["object_id"]: i for i in index["identities"] if "object_id" in i and i["object_id"] not in apps}
        assert set(by_oid) == set(creators), ws["name"]
        for oid, ident in by_oid.items():
            assert ident["counts"] == {k: len(v) for k, v in creators[oid].items()}, (ws["name"], users[oid]["name"])
            assert ident["names"] == [users[oid]["name"]] and ident["tenant_ids"] == [users[oid]["tenant_id"]]
        addresses = {i["address"].casefold(): i for i in index["identities"] if "address" in i}
        assert set(addresses) <= set(by_address)
        owner = (arm_workspace(emu, ws).get("tags") or {}).get("owner") or ""
        for address, ident in addresses.items():
            oid = by_address[address]["object_id"]
            made = creators.get(oid, {})
            counts = ident["counts"]
            assert counts.get("workspace", 0) == (1 if owner.casefold() == address else 0)
            created_services = [o for o in ws["objects"]["services"] if (o["created_by"] or {}).get("userObjectId") == oid]
            assert counts.get("services", 0) == len(created_services)  # kvTags.owner: the creator's address
            assert counts.get("tasks", 0) == len(made.get("tasks", ()))  # a task notifies its creator
            assert counts.get("runs", 0) <= len(made.get("runs", ()))  # owner tags on some of their runs
        # name-only identities: the display names of ARM systemData (the v2 resources, computes), each a known person
        # credited with the v2 objects they created (state) at most
        named = state_display_names(ws, users.values())
        by_name = {u["name"]: u for u in users.values()}
        for ident in (i for i in index["identities"] if "name" in i):
            person = by_name[ident["name"]]
            assert set(ident["fields"]) <= {"systemData.createdBy", "systemData.lastModifiedBy"}, ident
            made = dict(named.get(person["object_id"], {}), computes=set(o["id"] for o in ws["objects"]["computes"]))
            assert all(n <= len(made.get(k, ())) for k, n in ident["counts"].items()), (ident, person["name"])
        if not any(ws["objects"].values()):
            assert by_oid == {}
    shown = run.task(SHOW)
    assert len(shown) == len(state["workspaces"])
    sales = next(r for r in shown if r["host"] == "rg-gdpr-demo_ws-sales-analytics")
    assert any("(Anna Svensson)" in line for line in sales["result"]["msg"])


def test_a_missing_or_incomplete_bundle_does_not_stop_the_others(ansible, export, demo_inventory, tmp_path):
    emu = ansible.emulator
    anna = next(u for u in emu.users() if u["name"] == "Anna Svensson")
    dest = export()
    shutil.rmtree(dest / "rg-ml-research_mlresearch01")
    (dest / "rg-gdpr-demo_ws_hr-people" / "manifest.json").unlink()
    run = find(ansible, demo_inventory, dest, subject=anna["email"])
    assert run.rc != 0  # the summary fails the run: two workspaces were not searched
    assert all(v["failed"] == 0 for h, v in run.recap.items() if h != "localhost"), run.recap
    assert run.recap["localhost"]["failed"] == 1
    searched = {r["host"] for r in run.task(SHOW)}
    assert searched == {"rg-gdpr-demo_ws-empty-sandbox", "rg-gdpr-demo_ws-sales-analytics", "rg-ml-research_Research-Vision-WS"}
    summary = run.task("Print the summary")[0]["result"]["msg"]
    assert summary[0] == "Subject search: 5 workspace(s), 3 searched, 2 not searched"
    assert any(line.startswith("NOT SEARCHED rg-ml-research_mlresearch01: no export bundle at") for line in summary)
    assert any(line.startswith("NOT SEARCHED rg-gdpr-demo_ws_hr-people:") and "incomplete" in line for line in summary)
    assert summary[1].startswith(anna["email"] + ": ")

    allowed = find(ansible, demo_inventory, dest, subject=anna["email"], find_subject_allow_incomplete=True,
                   find_subject_fail_on_errors=False)
    assert allowed.rc == 0, allowed.stdout[-3000:]
    summary = allowed.task("Print the summary")[0]["result"]["msg"]
    assert summary[0] == "Subject search: 5 workspace(s), 4 searched, 1 not searched"
    assert "INCOMPLETE bundle rg-gdpr-demo_ws_hr-people: the answer may miss objects" in summary


def test_the_index_lives_beside_the_bundle_and_is_idempotent(ansible, export, demo_inventory, tmp_path):
    """An index written into the bundle folder, after the manifest: the bundle still verifies, a re-export keeps the file
    (the export never touches files it does not own; its own subjects.json is another file), writes are idempotent."""
    emu = ansible.emulator
    dest = export()
    bundle = dest / "rg-gdpr-demo_ws-sales-analytics"
    oid = next(u for u in emu.users() if u["name"] == "Dmitri Ivanov")["object_id"]
    play = ansible.write_playbook("index.yml", """
- hosts: localhost
  gather_facts: false
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Write the index
      gdpr.azureml.subject_info:
        bundle_dir: %s
        subjects: ["%s"]
        dest: %s/dsr-2024-017.json
""" % (bundle, oid, bundle))
    check = ansible.playbook(play, check=True)
    assert check.rc == 0 and check.task("Write the index")[0]["result"]["changed"] is True
    assert not (bundle / "dsr-2024-017.json").exists()
    first = ansible.playbook(play)
    assert first.rc == 0 and first.task("Write the index")[0]["result"]["changed"] is True
    assert stat.S_IMODE(os.stat(bundle / "dsr-2024-017.json").st_mode) == 0o600
    second = ansible.playbook(play)
    assert second.task("Write the index")[0]["result"]["changed"] is False
    before = (bundle / "dsr-2024-017.json").read_bytes()
    export()  # unchanged service: the export leaves the bundle, and files it does not own, as they are
    assert (bundle / "dsr-2024-017.json").read_bytes() == before
    third = ansible.playbook(play)
    assert third.task("Write the index")[0]["result"]["changed"] is False
    assert emu.counters()["mutating"] == 0
    # a check run of find_subject writes nothing, not even its report folder
    dry = find(ansible, demo_inventory, dest, tmp_path / "dry-report", check=True, subject=oid)
    assert dry.rc == 0, dry.stdout[-3000:]
    assert not (tmp_path / "dry-report").exists()


def test_purge_selection_matches_the_state(ansible, export):
    """subject_purge_selection over the listings (the bundle's, as exported) against the state's creators and references:
    a subject's model or image that another person's image or service holds is kept and reported."""
    emu = ansible.emulator
    dest = export()
    kinds = ["services", "images", "models", "assets"]
    held_somewhere = 0
    for ws in emu.state()["workspaces"]:
        bundle = dest / host_name(ws)
        listed = {k: list(iter_objects(str(bundle / ("%s.json" % k)))) for k in kinds}
        objects = ws["objects"]
        holds = [("images", o["id"], "models", m) for o in objects["images"] for m in o["model_ids"]]
        holds += [("services", o["id"], "models", m) for o in objects["services"] for m in o["model_ids"]]
        holds += [("services", o["id"], "images", o["image_id"]) for o in objects["services"] if o.get("image_id")]
        for user in emu.users():
            oid = user["object_id"]
            mine = {k: {o["id"] for o in objects[k] if (o["created_by"] or {}).get("userObjectId") == oid} for k in kinds}
            keep = {k: set() for k in kinds}
            changed = True
            while changed:
                changed = False
                for hk, hid, rk, rid in holds:
                    deleted = hid in mine[hk] and hid not in keep[hk]
                    if not deleted and rid in mine[rk] and rid not in keep[rk]:
                        keep[rk].add(rid)
                        changed = True
            sel = subject_purge_selection(listed, kinds, [oid])
            assert sel["objects"] == {k: sorted(mine[k] - keep[k]) for k in kinds}, (ws["name"], user["name"])
            assert {k: set(v) for k, v in sel["held"].items()} == {k: v for k, v in keep.items() if v}
            assert sel["unattributed"] == ({"assets": len(objects["assets"])} if objects["assets"] else {})
            held_somewhere += sum(len(v) for v in keep.values())
    assert held_somewhere > 0  # the demo has models of one person used by another person's image or service
