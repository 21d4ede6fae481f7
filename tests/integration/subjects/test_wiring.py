"""End to end: the export role writes subjects.json; a purge limited to one subject deletes only that subject's objects,
checked against the emulator's state (who created each object), and --check shows exactly those."""
from __future__ import annotations

import json


def test_export_writes_the_index_and_purge_by_subject(ansible, demo_inventory, pipeline_host_vars, tmp_path):
    emu = ansible.emulator
    dmitri = next(u for u in emu.users() if u["name"] == "Dmitri Ivanov")
    dest = tmp_path / "exports"
    ev = {"export_workspace_data_dest": str(dest),
          "export_workspace_data_subjects": [{"object_id": dmitri["object_id"], "email": dmitri["email"], "name": dmitri["name"]}]}
    run = ansible.playbook("gdpr.azureml.export_workspaces", inventory=demo_inventory, extra_vars=ev)
    assert run.rc == 0, run.stdout[-3000:]
    host = "rg-gdpr-demo_ws-sales-analytics"
    index = json.loads((dest / host / "subjects.json").read_text())
    # 19 before issue 14, + the 2 v2 metrics of the run Dmitri created (21), + with issue 20 his job (the run of the same
    # id, precise) and the v2 objects whose systemData names him (display name)
    assert index["subjects"][0]["total"] == 37
    assert index["subjects"][0]["evidence"]["precise"] >= 21 and index["subjects"][0]["evidence"]["display_name"] > 0
    again = ansible.playbook("gdpr.azureml.export_workspaces", inventory=demo_inventory, extra_vars=ev)
    exported = again.task("gdpr.azureml.export_workspace_data : Export the workspace to its bundle")
    assert exported and all(r["result"]["subject_index"]["changed"] is False and r["result"]["changed"] is False for r in exported)
    noone = ansible.playbook("gdpr.azureml.export_workspaces", inventory=demo_inventory, extra_vars={"export_workspace_data_dest": str(dest)})
    assert noone.rc == 0
    assert "identities" in json.loads((dest / host / "subjects.json").read_text())

    ws = next(w for w in emu.state()["workspaces"] if w["name"] == "ws-sales-analytics")
    before = {k: {o["id"]: o for o in ws["objects"][k]} for k in ("models", "images", "services", "assets")}
    pv = {"export_workspace_data_dest": str(dest), "target": host, "purge_workspace_subjects": [dmitri["object_id"]]}
    check = ansible.playbook("gdpr.azureml.purge_workspaces", inventory=demo_inventory, extra_vars=pv, check=True)
    assert check.rc == 0, check.stdout[-4000:]
    plan = check.task("gdpr.azureml.purge_workspace : Plan the purge and run every check", host)[0]["result"]
    v1 = ("services", "images", "models", "assets")
    expected = {"services": ["svc-001-aks", "svc-002-aci"], "images": ["img-sales-forecaster:1"], "models": [], "assets": []}
    assert {k: plan["plan"]["objects"][k] for k in v1} == expected
    # the default kinds take his jobs too (precise: the run of the same id names him)
    his_runs = sorted(r["id"] for r in ws["objects"]["runs"]
                      if (r["created_by"] or {}).get("userObjectId") == dmitri["object_id"] and not r["parent_run_id"])
    assert sorted(j.rsplit("/jobs/", 1)[1] for j in plan["plan"]["objects"]["jobs"]) == his_runs and his_runs
    assert set(plan["plan"]["evidence"]["jobs"].values()) == {"precise"}
    assert emu.counters()["mutating"] == 0
    real = ansible.playbook("gdpr.azureml.purge_workspaces", inventory=demo_inventory, extra_vars=dict(pv, purge_workspace_confirm=ws["name"]))
    assert real.rc == 0, real.stdout[-4000:]
    after = {k: {o["id"] for o in w2["objects"][k]} for w2 in emu.state()["workspaces"] if w2["name"] == "ws-sales-analytics"
             for k in ("models", "images", "services", "assets")}
    gone = {k: sorted(set(before[k]) - after[k]) for k in before}
    assert gone == {"services": ["svc-001-aks", "svc-002-aci"], "images": ["img-sales-forecaster:1"], "models": [], "assets": []}
    for k, ids in gone.items():
        for i in ids:
            assert before[k][i]["created_by"]["userObjectId"] == dmitri["object_id"]
    apply_task = "gdpr.azureml.purge_workspace : Delete the planned objects in dependency order, then list each kind again"
    verify = real.task(apply_task, host)[0]["result"]
    assert verify["remaining"] and set(verify["remaining"].values()) == {0}
    left_runs = {r["id"] for w2 in emu.state()["workspaces"] if w2["name"] == "ws-sales-analytics" for r in w2["objects"]["runs"]}
    assert not left_runs & set(his_runs) and {r["id"] for r in ws["objects"]["runs"]} - set(his_runs) <= left_runs
    refused = ansible.playbook("gdpr.azureml.purge_workspaces", inventory=demo_inventory,
                               extra_vars=dict(pv, purge_workspace_subjects=["dmitri.ivanov@fabrikam.example"]), check=True)
    assert refused.rc != 0 and "needs the Azure AD object id" in refused.stdout
