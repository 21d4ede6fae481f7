"""The answer to the person, end to end: the export playbook writes real bundles of the demo scenario (page size 3, artifact
contents, every pipeline object), the subject_access playbook writes each person's package, and every package is checked
against the emulator itself - its state names each object's creator and its users list every identifier of every person -
not against the bundles the package was built from."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import stat
import unicodedata
import urllib.parse
import zipfile
from pathlib import Path

from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KINDS

# The truth about who created what, as the subject index tests compute it from the state.
_spec = importlib.util.spec_from_file_location("subjects_truth", Path(__file__).with_name("test_subjects.py"))
truth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(truth)

WRITE = "Write the package of the person (one module run for the whole fleet)"
SAY = "Say what the package holds and where it is"
MARKER = "[redacted]"


def export(ansible, inventory, dest, target="all"):
    run = ansible.playbook("gdpr.azureml.export_workspaces", inventory=inventory,
                           extra_vars={"export_workspace_data_dest": str(dest), "export_workspace_data_artifact_content": True,
                                       "target": target})
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return dest


def answer(ansible, inventory, dest, subject, *, check=False, args=(), **extra):
    extra_vars = {"export_workspace_data_dest": str(dest), "subject": subject, "subject_access_archive": True}
    extra_vars.update(extra)
    return ansible.playbook("gdpr.azureml.subject_access", *args, inventory=inventory, extra_vars=extra_vars, check=check)


def forms(value):
    """Every spelling of an identifier the package must not hold (compared lower case): as it is, decomposed,
    JSON-escaped, percent-encoded."""
    out = set()
    for v in dict.fromkeys((value, unicodedata.normalize("NFC", value), unicodedata.normalize("NFD", value))):
        out |= {v, json.dumps(v)[1:-1], json.dumps(v, ensure_ascii=False)[1:-1], urllib.parse.quote(v), urllib.parse.quote(v, safe=""),
                urllib.parse.quote_plus(v)}
    return {f.lower() for f in out if len(f) >= 3}


def package_bytes(folder, zip_path):
    blobs = {}
    for base, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(base, name)
            blobs[os.path.relpath(path, folder)] = Path(path).read_bytes()
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            blobs["zip:" + info.filename] = zf.read(info)  # member names are bytes of the package too
            blobs["zip-name:" + info.filename] = info.filename.encode()
    blobs["zip"] = Path(zip_path).read_bytes()
    return blobs


def listing(root):
    """Every path under root with its mode, size and mtime."""
    out = {}
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            st = os.lstat(os.path.join(base, name))
            out[os.path.relpath(os.path.join(base, name), root)] = (stat.S_IMODE(st.st_mode), st.st_size, st.st_mtime_ns)
    return out


def test_each_person_gets_exactly_their_objects_and_nobody_elses_identifiers(ansible, demo_inventory, pipeline_host_vars, tmp_path):
    emu = ansible.emulator
    users = emu.users()
    chloe = next(u for u in users if u["name"].startswith("Chlo"))
    anna = next(u for u in users if u["name"] == "Anna Svensson")
    dmitri = next(u for u in users if u["name"] == "Dmitri Ivanov")
    sales = next(w for w in emu.state()["workspaces"] if w["name"] == "ws-sales-analytics")
    # Björn's model refers to Chloé (properties) and names two other people in its description and in a tag key.
    late = emu.create_object(sales["id"], "models", {
        "name": "reviewed-model", "properties": {"contact": chloe["object_id"].upper()},
        "description": "Reviewed with %s (%s), see %s" % (anna["name"].upper(), urllib.parse.quote(dmitri["email"], safe=""),
                                                          json.dumps(dmitri["name"])),
        "kvTags": {anna["email"]: "reviewer", "team": "Chloé and " + unicodedata.normalize("NFD", "Björn Ødegård")}}, user=1)
    dest = export(ansible, demo_inventory, tmp_path / "exports")
    emu.clear_journal()
    state = emu.state()
    checked_files = 0
    for user in users:
        emu.clear_journal()
        run = answer(ansible, demo_inventory, dest, truth.subject_of(user))
        assert run.rc == 0, run.stdout[-4000:] + run.stderr[-4000:]
        assert emu.journal() == []  # no service call at all
        result = run.task(WRITE)[0]["result"]
        assert result["changed"] is True and result["complete"] is True
        folder = Path(result["dest"])
        assert folder.parent == dest / "subject-access" and folder.name == user["object_id"]
        entries = json.loads((folder / "objects.json").read_text(encoding="utf-8"))

        # exactly the objects the state attributes to the person, in every workspace and kind
        expected = set()
        for ws in state["workspaces"]:
            expected |= {(truth.host_name(ws), kind, oid) for kind, oid in truth.expected_objects(emu, ws, user)}
        if user is chloe:  # the late model and its v2 view, the model version (its tags and properties name her too)
            expected |= {("rg-gdpr-demo_ws-sales-analytics", "models", late["id"]),
                         ("rg-gdpr-demo_ws-sales-analytics", "model_versions",
                          "%s/models/%s/versions/%s" % (sales["id"], late["name"], late["version"]))}
        got = [(e["workspace"]["bundle"], e["kind"], e["id"]) for e in entries]
        if user["type"] == "service_principal":  # found by name where its alias is written (see test_subjects)
            extra = {(truth.host_name(ws), k, i) for ws in state["workspaces"] for k, i in truth.principal_named(ws, user)}
            assert expected <= set(got) <= expected | extra, (user["name"], sorted(set(got) ^ expected))
            expected = set(got)
        assert len(got) == len(set(got)) and set(got) == expected, (user["name"], sorted(set(got) ^ expected))
        assert result["total"] == len(expected)
        # every demo user is named by object id and address, but in ARM systemData (the v2 resources, computes): a name
        assert {e["match"] for e in entries if KINDS[e["kind"]].api != "v2" and e["kind"] != "computes"} == {"identifier"}
        assert all(e["match"] == "identifier" for e in entries if e["kind"] == "jobs")  # the run of the same id
        v2_matches = {e["match"] for e in entries if KINDS[e["kind"]].api == "v2" and e["kind"] != "jobs"}
        assert v2_matches <= {"display_name", "identifier"}

        # no identifier of anybody else in any byte of the package, the zip and its member names included
        blobs = package_bytes(folder, result["archive"]["path"])
        texts = {name: data.decode("utf-8", "replace").lower() for name, data in blobs.items()}
        for other in users:
            if other is user:
                continue
            for key in ("object_id", "email", "upn", "name", "puid", "alias", "app_id"):
                for spelled in forms(other.get(key) or ""):
                    for name, text in texts.items():
                        assert spelled not in text, (user["name"], other["name"], key, spelled, name)
        if user is chloe:
            model = next(e for e in entries if e["id"] == late["id"])
            assert model["object"]["kvTags"] == {MARKER: "reviewer", "team": f"Chloé and {MARKER}"}
            assert model["object"]["description"] == f"Reviewed with {MARKER} ({MARKER}), see \"{MARKER}\""
            assert model["object"]["createdBy"]["userObjectId"] == MARKER and model["match"] == "identifier"

        # the files of the person's runs: every artifact of every run they created, with the emulator's bytes
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        mine = {(truth.host_name(ws), a["id"]) for ws in state["workspaces"] for a in ws["objects"]["artifacts"]
                if (a["created_by"] or {}).get("userObjectId") == user["object_id"]}
        stored = {(e["workspace"]["bundle"], e["id"]): e["file"] for e in entries if e["kind"] == "artifacts"}
        assert set(stored) == mine and all(f["stored"] for f in stored.values()) and result["withheld"] == []
        for (_bundle, artifact_id), f in stored.items():
            data = (folder / f["path"]).read_bytes()
            assert data.startswith(b"emulated artifact " + artifact_id.encode())
            assert hashlib.sha256(data).hexdigest() == f["sha256"] == manifest["files"][f["path"]]["sha256"]
            checked_files += 1
        for base, dirs, files in os.walk(folder):
            assert all(stat.S_IMODE(os.stat(os.path.join(base, d)).st_mode) == 0o700 for d in dirs)
            assert all(stat.S_IMODE(os.stat(os.path.join(base, n)).st_mode) == 0o600 for n in files)
        assert stat.S_IMODE(os.stat(result["archive"]["path"]).st_mode) == 0o600
        assert set(manifest["files"]) | {"manifest.json"} == {k for k in blobs if not k.startswith("zip")}
    assert checked_files > 20
    assert stat.S_IMODE(os.stat(dest / "subject-access").st_mode) == 0o700


def test_a_rerun_changes_nothing_and_check_mode_writes_nothing(ansible, demo_inventory, pipeline_host_vars, tmp_path):
    emu = ansible.emulator
    dmitri = next(u for u in emu.users() if u["name"] == "Dmitri Ivanov")
    subject = [dmitri["object_id"], dmitri["email"], dmitri["name"]]
    dest = export(ansible, demo_inventory, tmp_path / "exports")
    before = listing(dest)
    dry = answer(ansible, demo_inventory, dest, subject, check=True)
    assert dry.rc == 0, dry.stdout[-3000:]
    assert dry.task(WRITE)[0]["result"]["changed"] is True
    assert listing(dest) == before and not (dest / "subject-access").exists()

    first = answer(ansible, demo_inventory, dest, subject)
    assert first.rc == 0 and first.task(WRITE)[0]["result"]["changed"] is True
    written = listing(dest)
    again = answer(ansible, demo_inventory, dest, subject)
    result = again.task(WRITE)[0]["result"]
    assert again.rc == 0 and result["changed"] is False and result["archive"]["changed"] is False
    assert again.recap[next(iter(again.recap))]["changed"] == 0
    assert listing(dest) == written
    assert answer(ansible, demo_inventory, dest, subject, check=True).task(WRITE)[0]["result"]["changed"] is False
    lines = again.task(SAY)[0]["result"]["msg"]
    assert lines[0].startswith(f"Subject access package for Dmitri Ivanov <{dmitri['email']}> (object id {dmitri['object_id']}): ")

    # Dmitri registers a model; after a new export, --check says the package would change, and writes nothing
    sales = next(w for w in emu.state()["workspaces"] if w["name"] == "ws-sales-analytics")
    late = emu.create_object(sales["id"], "models", {"name": "dmitri-late"}, user=dmitri["object_id"])
    export(ansible, demo_inventory, dest, target="rg-gdpr-demo_ws-sales-analytics")
    exported = listing(dest)
    dry = answer(ansible, demo_inventory, dest, subject, check=True)
    assert dry.task(WRITE)[0]["result"]["changed"] is True and listing(dest) == exported
    real = answer(ansible, demo_inventory, dest, subject)
    folder = Path(real.task(WRITE)[0]["result"]["dest"])
    assert any(e["id"] == late["id"] for e in json.loads((folder / "objects.json").read_text(encoding="utf-8")))

    # --limit: only the workspaces of the play
    limited = answer(ansible, demo_inventory, dest, subject, args=("--limit", "rg-gdpr-demo_ws-sales-analytics"),
                     subject_access_dest=str(tmp_path / "limited"))
    assert limited.rc == 0, limited.stdout[-3000:]
    assert [b["bundle"] for b in limited.task(WRITE)[0]["result"]["bundles"]] == ["rg-gdpr-demo_ws-sales-analytics"]


def test_missing_and_unverifiable_bundles_fail_the_run_unless_allowed(ansible, demo_inventory, pipeline_host_vars, tmp_path):
    emu = ansible.emulator
    anna = next(u for u in emu.users() if u["name"] == "Anna Svensson")
    dest = export(ansible, demo_inventory, tmp_path / "exports")
    for ws in ("rg-ml-research_mlresearch01",):
        for path in sorted((dest / ws).rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        (dest / ws).rmdir()
    with open(dest / "rg-gdpr-demo_ws_hr-people" / "runs.json", "ab") as f:
        f.write(b" ")
    run = answer(ansible, demo_inventory, dest, anna["object_id"])
    assert run.rc != 0
    written = run.task(WRITE)[0]
    result = written["result"]
    assert written["status"] == "failed" and result["complete"] is False
    assert "rg-ml-research_mlresearch01: no export bundle at rg-ml-research_mlresearch01" in result["msg"]
    assert "rg-gdpr-demo_ws_hr-people: rg-gdpr-demo_ws_hr-people/runs.json does not match its checksum" in result["msg"]
    folder = Path(result["dest"])
    summary = (folder / "summary.html").read_text(encoding="utf-8")
    assert "INCOMPLETE" in summary and "rg-ml-research_mlresearch01" in summary and "rg-gdpr-demo_ws_hr-people" in summary
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] is False
    assert {b["bundle"]: b["status"] for b in manifest["bundles"]} == {
        "rg-gdpr-demo_ws-empty-sandbox": "complete", "rg-gdpr-demo_ws-sales-analytics": "complete",
        "rg-gdpr-demo_ws_hr-people": "not searched", "rg-ml-research_Research-Vision-WS": "complete",
        "rg-ml-research_mlresearch01": "not searched"}
    assert str(tmp_path) not in (folder / "manifest.json").read_text(encoding="utf-8")

    allowed = answer(ansible, demo_inventory, dest, anna["object_id"], find_subject_allow_incomplete=True)
    assert allowed.rc == 0, allowed.stdout[-3000:]
    result = allowed.task(WRITE)[0]["result"]
    assert {b["bundle"]: b["status"] for b in result["bundles"]}["rg-gdpr-demo_ws_hr-people"] == "incomplete"
    lines = allowed.task(SAY)[0]["result"]["msg"]
    assert "NOT SEARCHED rg-ml-research_mlresearch01: no export bundle at rg-ml-research_mlresearch01" in lines
    assert "INCOMPLETE bundle rg-gdpr-demo_ws_hr-people: the answer may miss objects" in lines

    missing = ansible.playbook("gdpr.azureml.subject_access", inventory=demo_inventory, extra_vars={"export_workspace_data_dest": str(dest)})
    assert missing.rc != 0 and "Set subject" in missing.stdout
