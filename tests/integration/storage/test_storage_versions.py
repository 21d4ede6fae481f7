"""The files of data and model versions against a started Azurite (``--storage azurite``): exported with ``storage``,
and purged with the versions being deleted, in real ansible-playbook runs.

The demo's ws_hr-people has data versions in each form the collection resolves: ``uri_folder`` uploads under
``LocalUpload/<hash>/``, a ``uri_file`` inside another version's folder (one file of two versions), an ``https://`` upload,
and an ``adl://`` one that is not reachable; its model versions are ``custom_model`` folders. What Azurite holds is listed
with the account key (test code only) before and after each step.

The purge steps need data_versions and model_versions to be deletable kinds of ``purge_plan`` (the TEMP(f17) commit until
p20's lands).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent / "export"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from export_support import _bundle  # noqa: E402
from test_storage_export_purge import HR, all_text, full_export_args, hr, secrets_of, step  # noqa: E402

VERSION_KINDS = ("data_versions", "model_versions")


def version_files(ws):
    """``{(account, container, name): the version the emulator seeded it for}`` (its first referrer)."""
    return {(b["account"], b["container"], b["name"]): b["referenced_by"]["id"] for b in ws["storage"]["blobs"]
            if (b.get("referenced_by") or {}).get("kind") in VERSION_KINDS}


def versions_of(ws, kind):
    """The ARM ids of the workspace's versions of ``kind`` (a model version is the v1 model ``name:version``)."""
    if kind == "model_versions":
        return sorted(f"{ws['id']}/models/{m['id'].rsplit(':', 1)[0]}/versions/{m['id'].rsplit(':', 1)[1]}" for m in ws["objects"]["models"])
    return sorted(o["id"] for o in ws["objects"][kind])


def base(blob):
    return (blob["account"], blob["container"], blob["name"])


def shared_pair(ws):
    """``(folder version id, file version id, shared file name)``: the uri_file data version inside another's folder."""
    data = ws["objects"]["data_versions"]
    folder = next(o["id"] for o in data if o["id"].endswith("/data/data-customers-0/versions/1"))
    single = next(o["id"] for o in data if o["id"].endswith("/data/data-customers-0/versions/2"))
    return folder, single


def export(storage_ansible, dest):
    run, result = step(storage_ansible, "export_bundle", full_export_args(dest))
    assert run.rc == 0, run.stdout[-3000:]
    return result


def test_export_holds_the_files_of_every_version_once_and_names_the_unreachable_one(storage_ansible, tmp_path):
    emu = storage_ansible.emulator
    ws = hr(emu)
    files = version_files(ws)
    assert files and {f[0] for f in files} == {ws["storage"]["account"]}
    dest = tmp_path / "bundle"
    result = export(storage_ansible, dest)
    entries = {(e["account"], e["container"], e["name"]): e for e in _bundle.iter_objects(str(dest / "storage_blobs.json"))
               if not e["snapshot"]}
    live = {base(b): b for b in emu.storage_blobs(ws["storage"]["account"], sha256=True) if not b["snapshot"]}
    for key, version in files.items():  # every file of every version, its bytes, the version named
        entry = entries[key]
        assert {"kind": "data_versions" if "/data/" in version else "model_versions", "id": version} in entry["referenced_by"]
        assert (entry["size"], entry["sha256"]) == (live[key]["size"], live[key]["sha256"])
        stored = dest / entry["stored_path"]
        assert stored.is_file() and stored.stat().st_mode & 0o777 == 0o600
    # the shared file: stored once, both versions named
    folder, single = shared_pair(ws)
    shared = [e for e in entries.values() if {r["id"] for r in e["referenced_by"]} >= {folder, single}]
    assert len(shared) == 1 and shared[0]["name"].endswith("/part-000.csv")
    assert len({e["id"] for e in _bundle.iter_objects(str(dest / "storage_blobs.json"))}) == \
        len(list(_bundle.iter_objects(str(dest / "storage_blobs.json"))))
    # the https:// upload (uri_file) is there too
    https = next(o for o in ws["objects"]["data_versions"] if o["id"].endswith("/data/data-churn-1/versions/2"))
    assert any({"kind": "data_versions", "id": https["id"]} in e["referenced_by"] for e in entries.values())
    # the adl:// version: not reachable, said in the manifest and the module's result, never guessed
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    unreachable = manifest["storage"]["unreachable"]
    assert [u["id"] for u in unreachable] == [o["id"] for o in ws["objects"]["data_versions"]
                                              if o["id"].endswith("/data/data-churn-1/versions/1")]
    assert unreachable[0]["uri"].startswith("adl://") and "Gen1" in unreachable[0]["reason"]
    assert result["storage"]["unreachable"] == unreachable and result["storage"]["version_blobs"] >= len(files)
    assert _bundle.verify_bundle(str(dest)) == []
    assert not [s for s in secrets_of(emu, emu.storage_token()) if s in all_text(dest)]
    # the datastores were read through the v2 list, never their secrets
    paths = [e["path"] for e in emu.journal()]
    assert any(p.endswith("/datastores") for p in paths) and not any("listSecrets" in p or "listsecrets" in p for p in paths)
    # a rerun changes nothing and downloads nothing
    run, result = step(storage_ansible, "export_bundle", full_export_args(dest))
    assert run.rc == 0 and result["changed"] is False and result["storage"]["downloaded"] == 0, run.stdout[-3000:]


def plan_args(dest, mode="plan", **extra):
    return dict(HR, mode=mode, export_dir=str(dest), kinds=list(VERSION_KINDS), storage=True, **extra)


def test_purging_the_versions_removes_exactly_their_unshared_files_and_keeps_the_one_a_staying_version_needs(
        storage_ansible, restore_storage, tmp_path):
    emu = storage_ansible.emulator
    ws = hr(emu)
    account = ws["storage"]["account"]
    files = version_files(ws)
    folder, single = shared_pair(ws)
    dest, audit = tmp_path / "bundle", tmp_path / "audit.jsonl"
    export(storage_ansible, dest)
    before = emu.storage_blobs()

    # the plan of every version, in check mode: the real listing, nothing deleted, nothing but reads
    emu.clear_journal()
    run, plan = step(storage_ansible, "purge_plan", plan_args(dest, confirm=["ws_hr-people"]), check=True)
    assert run.rc == 0 and plan["refusals"] == [], run.stdout[-3000:]
    assert sorted(plan["plan"]["objects"]["data_versions"]) == versions_of(ws, "data_versions")
    versions = plan["storage"]["versions"]
    assert versions["count"] == len(versions_of(ws, "data_versions")) + len(versions_of(ws, "model_versions"))
    assert versions["blobs"] == len(files) and versions["kept"] == []
    assert [u["uri"][:6] for u in versions["unreachable"]] == ["adl://"]
    assert any("not reachable: data_versions" in line for line in plan["lines"])
    assert emu.storage_blobs() == before and not any(e["mutating"] for e in emu.journal())

    # a reviewed plan that keeps the uri_file version: the file it shares with the folder version is kept, named
    reviewed = json.loads((dest / "purge-plan.json").read_text(encoding="utf-8"))
    reviewed["objects"]["data_versions"] = [i for i in reviewed["objects"]["data_versions"] if i != single]
    plan_file = tmp_path / "reviewed-plan.json"
    plan_file.write_text(json.dumps(reviewed), encoding="utf-8")
    run, plan = step(storage_ansible, "purge_plan", plan_args(dest, confirm=["ws_hr-people"], plan_file=str(plan_file)),
                     check=True)
    assert run.rc == 0 and plan["refusals"] == [], run.stdout[-3000:]
    kept = plan["storage"]["versions"]["kept"]
    assert len(kept) == 1 and kept[0]["id"].endswith("/part-000.csv") and kept[0]["kept_by"] == [f"data version {single}"]
    assert any(f"kept: {kept[0]['id']}" in line and single in line for line in plan["lines"])
    shared_key = tuple(kept[0]["id"].split("/", 2))
    assert emu.storage_blobs() == before

    # apply the reviewed plan: exactly the unshared files of the deleted versions go, every other blob stays as it was
    objects = plan["plan"]["objects"]
    apply = plan_args(dest, mode="apply", objects=objects, confirm=["ws_hr-people"], audit_log=str(audit))
    run, result = step(storage_ansible, "purge_plan", apply)
    assert run.rc == 0, run.stdout[-3000:]
    gone = {key for key in files if key != shared_key}
    after = emu.storage_blobs()
    assert after == [b for b in before if base(b) not in gone]
    assert any(base(b) == shared_key for b in after)
    assert result["storage"]["deleted"] == len(gone) and result["storage"]["remaining"] == 0
    # the versions themselves are gone, the kept one stays
    state = hr(emu)
    assert versions_of(state, "data_versions") == [single] and versions_of(state, "model_versions") == []
    lines = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines() if line.strip()]
    storage_lines = [line for line in lines if line["kind"] == "storage_blobs"]
    pending = [line for line in storage_lines if line["outcome"] == "pending"]
    assert len(pending) == len(gone) == len([line for line in storage_lines if line["outcome"] == "deleted"])
    assert {line["id"] for line in pending} == {f"{a}/{c}/{n}" for a, c, n in gone}
    assert storage_lines[-1]["outcome"] == "verified" and storage_lines[-1]["remaining"] == 0
    assert all(a == account for a, dummy, dummy2 in gone)

    # rerun: nothing left to delete
    run, result = step(storage_ansible, "purge_plan", apply)
    assert run.rc == 0 and result["changed"] is False, run.stdout[-3000:]
    assert emu.storage_blobs() == after
