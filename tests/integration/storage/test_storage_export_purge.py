"""The files behind the runs against a started Azurite (``--storage azurite``): ``export_bundle`` with ``storage`` and
``purge_plan`` with ``storage``, in real ansible-playbook runs.

What Azurite holds is listed with the account key (test code only) before and after each step: the export must hold
every blob under each run's prefix (bytes compared by SHA-256), the purge must leave no blob under a purged run's prefix
and every other blob as it was. No account key, storage token or SAS signature may appear in a bundle, an audit log or an
output.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
for folder in (HERE.parent / "export", HERE.parent / "reliability", HERE.parent / "purge"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from azureml_emulator.storage_proxy import StorageProxy  # noqa: E402
from export_support import _bundle  # noqa: E402
from reliability_support import kill_tree  # noqa: E402

SUB = "00000000-0000-4000-8000-000000000001"
HR = {"subscription_id": SUB, "resource_group": "rg-gdpr-demo", "workspace_name": "ws_hr-people"}
KINDS = ["experiments", "runs", "artifacts"]

PLAY = """
- name: Storage export and purge
  hosts: localhost
  gather_facts: false
  tasks:
    - name: step
      gdpr.azureml.{module}: {args}
"""


def step(ansible, module, args, *cli, check=False, env=None):
    path = ansible.write_playbook(f"{module}.yml", PLAY.format(module=module, args=json.dumps(args)))
    run = ansible.playbook(path, *cli, check=check, env=env)
    return run, run.task("step")[0]["result"]


def hr(emu):
    return next(w for w in emu.state()["workspaces"] if w["name"] == "ws_hr-people")


def run_prefixes(ws):
    return {r["id"]: f"ExperimentRun/dcid.{r['id']}/" for r in ws["objects"]["runs"]}


def under(blobs, prefixes):
    return [b for b in blobs if b["container"] == "azureml" and any(b["name"].startswith(p) for p in prefixes)]


def key(blob):
    return (blob["account"], blob["container"], blob["name"], blob["snapshot"] or "")


def secrets_of(emu, token):
    return emu.secrets() + list(emu.storage_account_keys().values()) + [token, emu.token, emu.client_secret, "sig="]


def all_text(folder):
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in Path(folder).rglob("*") if p.is_file())


def export_args(dest, **extra):
    return dict(HR, dest=str(dest), kinds=KINDS, artifact_content=True, storage=True, **extra)


def full_export_args(dest):
    """Every kind (what a purge checks), the artifact contents and the storage files."""
    return dict(HR, dest=str(dest), artifact_content=True, storage=True)


def test_export_holds_every_blob_of_every_run_deduplicated_and_a_rerun_changes_nothing(storage_ansible, tmp_path):
    emu = storage_ansible.emulator
    ws = hr(emu)
    account = ws["storage"]["account"]
    live = under(emu.storage_blobs(account, sha256=True), run_prefixes(ws).values())
    assert live and any(b["snapshot"] for b in live)
    dest = tmp_path / "bundle"

    run, result = step(storage_ansible, "export_bundle", export_args(dest), "-vvv", check=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert not [s for s in secrets_of(emu, emu.storage_token()) if s in run.stdout + run.stderr]
    assert result["changed"] is True and not dest.exists()
    assert result["kinds"]["storage_blobs"]["count"] == len(live)

    run, result = step(storage_ansible, "export_bundle", export_args(dest))
    assert run.rc == 0, run.stdout[-3000:]
    assert result["changed"] is True
    entries = list(_bundle.iter_objects(str(dest / "storage_blobs.json")))
    assert sorted(key(e) for e in entries) == [key(b) for b in live]
    by_key = {key(b): b for b in live}
    deduplicated = 0
    for entry in entries:
        blob = by_key[key(entry)]
        assert (entry["size"], entry["sha256"], entry["etag"]) == (blob["size"], blob["sha256"], blob["etag"])
        path = dest / entry["stored_path"]
        assert path.is_file() and path.stat().st_mode & 0o777 == 0o600
        assert {"kind": "runs", "id": entry["name"].split("/")[1][len("dcid."):]} in entry["referenced_by"]
        if entry["stored_path"].startswith("artifacts/"):
            deduplicated += 1
            assert any(r["kind"] == "artifacts" for r in entry["referenced_by"])
        else:
            assert entry["stored_path"].startswith(f"storage/{account}/azureml/ExperimentRun/")
    assert deduplicated > 0 and result["storage"]["deduplicated"] == deduplicated
    assert result["storage"]["downloaded"] == len(live) - deduplicated
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kinds"]["storage_blobs"]["count"] == len(live)
    digests = json.loads((dest / "digests.json").read_text(encoding="utf-8"))
    assert sorted(digests["storage_blobs"]) == sorted(e["id"] for e in entries)
    assert _bundle.verify_bundle(str(dest)) == []
    assert not (dest / ".storage-progress.jsonl").exists()
    assert not [s for s in secrets_of(emu, emu.storage_token()) if s in all_text(dest) + run.stdout]
    # the emulator saw reads only, and Azurite still holds what it held
    assert not any(e["mutating"] for e in emu.journal())
    assert under(emu.storage_blobs(account, sha256=True), run_prefixes(ws).values()) == live

    # not changed: same etags and sizes, stored files intact
    run, result = step(storage_ansible, "export_bundle", export_args(dest))
    assert run.rc == 0 and result["changed"] is False, run.stdout[-3000:]
    assert result["storage"]["downloaded"] == 0 and result["storage"]["reused"] == len(live) - deduplicated

    # a stored file altered in the bundle: the verifier says so, and the rerun downloads that one blob again
    victim = next(e for e in entries if e["stored_path"].startswith("storage/"))
    (dest / victim["stored_path"]).write_bytes(b"altered")
    assert any("storage_blobs.json" in p for p in _bundle.verify_bundle(str(dest)))
    run, result = step(storage_ansible, "export_bundle", export_args(dest))
    assert run.rc == 0 and result["changed"] is True and result["storage"]["downloaded"] == 1
    assert _bundle.verify_bundle(str(dest)) == []


def test_a_blob_rewritten_after_its_artifact_download_is_downloaded_again(storage_ansible, restore_storage, tmp_path, request):
    """Every artifact's blob is rewritten (same size, other bytes) right after its SAS download: the storage listing then
    gives another etag than the one the artifact's bytes had, so nothing is de-duplicated, and every entry holds the bytes
    of the etag it records (a purge deletes on that etag: only what the bundle holds)."""
    emu = storage_ansible.emulator
    ws = hr(emu)
    emu.configure(rewrite_blob_after_sas=True)
    request.addfinalizer(lambda: emu.configure(reset=True))
    dest = tmp_path / "bundle"
    run, result = step(storage_ansible, "export_bundle", export_args(dest))
    assert run.rc == 0, run.stdout[-3000:]
    live = {key(b): b for b in under(emu.storage_blobs(ws["storage"]["account"], sha256=True), run_prefixes(ws).values())}
    artifacts = list(_bundle.iter_objects(str(dest / "artifact_contents.json")))
    assert [a for a in artifacts if a.get("stored_path")]
    assert result["storage"]["deduplicated"] == 0
    entries = list(_bundle.iter_objects(str(dest / "storage_blobs.json")))
    assert sorted(key(e) for e in entries) == sorted(live)
    for entry in entries:
        assert (entry["etag"], entry["sha256"]) == (live[key(entry)]["etag"], live[key(entry)]["sha256"]), entry["id"]
        assert entry["stored_path"].startswith("storage/")
    assert _bundle.verify_bundle(str(dest)) == []


def test_an_interrupted_storage_export_resumes(storage_ansible, tmp_path):
    emu = storage_ansible.emulator
    ws = hr(emu)
    live = under(emu.storage_blobs(ws["storage"]["account"]), run_prefixes(ws).values())
    dest = tmp_path / "bundle"
    import subprocess

    args = dict(HR, dest=str(dest), kinds=["experiments", "runs"], storage=True, concurrency=1)
    path = storage_ansible.write_playbook("kill.yml", PLAY.format(module="export_bundle", args=json.dumps(args)))
    cmd = [str(Path(sys.executable).with_name("ansible-playbook")), str(path)]
    proc = subprocess.Popen(cmd, cwd=str(tmp_path), env=storage_ansible.env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    journal = dest / ".storage-progress.jsonl"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (journal.exists() and journal.read_text(encoding="utf-8").count("\n") >= 3):
            assert proc.poll() is None, "the export ended before it could be interrupted"
            time.sleep(0.01)
    finally:
        kill_tree(proc)
    assert journal.exists() and not (dest / "manifest.json").exists()  # incomplete, and it says so
    done = journal.read_text(encoding="utf-8").count("\n")
    run, result = step(storage_ansible, "export_bundle", dict(args, concurrency=4))
    assert run.rc == 0, run.stdout[-3000:]
    assert result["storage"]["reused"] >= done >= 3
    assert result["storage"]["reused"] + result["storage"]["downloaded"] == len(live)
    assert _bundle.verify_bundle(str(dest)) == []
    assert not journal.exists()
    assert [p.name for p in dest.iterdir() if p.name.startswith(".")] == []


# -- purge ----------------------------------------------------------------------------------------------------------------

def subject_runs(ws, oid):
    return {r["id"]: f"ExperimentRun/{r['container']}/" for r in ws["objects"]["runs"] if (r.get("created_by") or {}).get("userObjectId") == oid}


def purge_args(dest, oid, mode="plan", **extra):
    args = dict(HR, mode=mode, export_dir=str(dest), subjects=[oid], storage=True, **extra)
    return args


def audit_lines(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_purge_of_a_subject_deletes_the_files_of_their_runs_and_nothing_else(storage_ansible, restore_storage, tmp_path):
    emu = storage_ansible.emulator
    ws = hr(emu)
    oid = ws["objects"]["runs"][0]["created_by"]["userObjectId"]
    theirs = subject_runs(ws, oid)
    assert theirs and len(theirs) < len(ws["objects"]["runs"])
    dest, audit = tmp_path / "bundle", tmp_path / "audit.jsonl"
    run, result = step(storage_ansible, "export_bundle", full_export_args(dest))
    assert run.rc == 0, run.stdout[-3000:]
    before = emu.storage_blobs()
    targets = under(before, theirs.values())
    assert targets and any(b["snapshot"] for b in targets)
    emu.clear_journal()

    # check mode: the real plan, nothing deleted, nothing but reads
    run, plan = step(storage_ansible, "purge_plan", purge_args(dest, oid), check=True)
    assert run.rc == 0 and plan["refusals"] == [], run.stdout[-3000:]
    storage = plan["storage"]
    assert (storage["runs"], storage["blobs"] + storage["snapshots"]) == (len(theirs), len(targets))
    assert storage["bytes"] == sum(b["size"] for b in targets)
    assert storage["retention"] == {"enabled": False, "days": None, "recoverable_until": None, "error": None}
    assert storage["shared_with"] == [] and any("Users/<name>/" in gap for gap in storage["gaps"])
    assert any("no delete retention policy" in line for line in plan["lines"])
    assert emu.storage_blobs() == before
    assert not any(e["mutating"] for e in emu.journal())

    # an interrupted purge: its pending line for a blob whose DELETE went through is settled by listing again
    gone = next(b for b in targets if not b["snapshot"] and not any(t["name"] == b["name"] and t["snapshot"] for t in targets))
    gone_id = f"{gone['account']}/azureml/{gone['name']}"
    audit.write_text(json.dumps({"time": "2026-12-06T00:00:00.000000Z", "workspace_id": ws["id"], "kind": "storage_blobs",
                                 "id": gone_id, "status": None, "request_id": None, "outcome": "pending",
                                 "client_request_id": "interrupted-1"}) + "\n", encoding="utf-8")
    emu.storage_service(gone["account"]).get_blob_client("azureml", gone["name"]).delete_blob()
    before = [b for b in before if b is not gone]
    targets = [b for b in targets if b is not gone]

    # apply over max_deletions: refused before any blob DELETE, naming the limit
    capped = purge_args(dest, oid, mode="apply", kinds=["models"], objects={"models": []},
                        confirm=["ws_hr-people"], audit_log=str(tmp_path / "capped.jsonl"), max_deletions=1)
    run, result = step(storage_ansible, "purge_plan", capped)
    assert run.rc != 0 and "more than max_deletions" in result["msg"] and "nothing deleted" in result["msg"], run.stdout[-3000:]
    assert emu.storage_blobs() == before

    # apply: the blobs of their runs go (snapshots with them), every other blob of every account stays as it was
    apply = purge_args(dest, oid, mode="apply", kinds=plan["plan"]["kinds"], objects=plan["plan"]["objects"],
                       confirm=["ws_hr-people"], audit_log=str(audit))
    run, result = step(storage_ansible, "purge_plan", apply, "-vvv")
    assert run.rc == 0, run.stdout[-3000:]
    assert result["changed"] is True
    after = emu.storage_blobs()
    assert under(after, theirs.values()) == []
    assert after == [b for b in before if b not in targets]
    assert result["storage"]["deleted"] == len(targets) and result["storage"]["remaining"] == 0
    lines = [line for line in audit_lines(audit) if line["kind"] == "storage_blobs"]
    assert lines[1]["client_request_id"] == "interrupted-1" and lines[1]["outcome"] == "deleted" and lines[1]["settled_by"] == "relist"
    lines = lines[2:]
    pending = [line for line in lines if line["outcome"] == "pending"]
    settled = {line["client_request_id"]: line for line in lines if line["outcome"] == "deleted"}
    assert pending and len(pending) == len(settled) == len([b for b in targets if not b["snapshot"]])
    assert all(line["client_request_id"] in settled for line in pending)
    assert lines.index(pending[0]) < lines.index(settled[pending[0]["client_request_id"]])
    assert lines[-1]["outcome"] == "verified" and lines[-1]["remaining"] == 0
    assert not [s for s in secrets_of(emu, emu.storage_token()) if s in audit.read_text(encoding="utf-8") + run.stdout + run.stderr]

    # rerun: nothing left to delete
    run, result = step(storage_ansible, "purge_plan", apply)
    assert run.rc == 0 and result["changed"] is False, run.stdout[-3000:]
    assert result["storage"]["deleted"] == 0 and emu.storage_blobs() == after


def test_a_blob_written_after_the_export_refuses_the_plan_and_the_apply_deletes_nothing(storage_ansible, restore_storage, tmp_path):
    emu = storage_ansible.emulator
    ws = hr(emu)
    oid = ws["objects"]["runs"][0]["created_by"]["userObjectId"]
    dest = tmp_path / "bundle"
    assert step(storage_ansible, "export_bundle", full_export_args(dest))[0].rc == 0
    prefix = next(iter(subject_runs(ws, oid).values()))
    service = emu.storage_service(ws["storage"]["account"])
    service.get_blob_client("azureml", prefix + "outputs/late.txt").upload_blob(b"written after the export")
    before = emu.storage_blobs()
    run, plan = step(storage_ansible, "purge_plan", purge_args(dest, oid, fail_on_refusal=False), check=True)
    assert run.rc == 0
    assert any("not in the export bundle" in r and prefix + "outputs/late.txt" in r for r in plan["refusals"])
    apply = purge_args(dest, oid, mode="apply", kinds=["models"], objects={"models": []}, confirm=["ws_hr-people"],
                       audit_log=str(tmp_path / "audit.jsonl"))
    run, result = step(storage_ansible, "purge_plan", apply)
    assert run.rc != 0 and "nothing deleted" in result["msg"]
    assert emu.storage_blobs() == before


def test_the_roles_export_then_delete_the_workspace_with_the_files_of_every_run(storage_ansible, restore_storage, tmp_path, request):
    """export_workspace_data with export_workspace_data_storage, then purge_workspace with purge_workspace_delete_workspace and
    purge_workspace_storage: --check first (reads only), then the real run. No blob under any run prefix of the workspace,
    and no file of its data and model versions, is left; every other blob (the rest of its blob store, its other files,
    every other workspace's account) is as it was."""
    from reliability_support import EXPORT_PLAYBOOK, Runner

    emu = storage_ansible.emulator
    emu.configure(retry_after=0, lro_polls=1, lro_seconds=0)
    request.addfinalizer(lambda: emu.configure(reset=True))
    ws = hr(emu)
    runner = Runner(emu, storage_ansible, tmp_path)
    host = "rg-gdpr-demo_ws_hr-people"
    run = runner.export((host,), export_workspace_data_storage=True, export_workspace_data_artifact_content=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert EXPORT_PLAYBOOK
    bundle = runner.dest / host
    assert _bundle.verify_bundle(str(bundle)) == []
    before = emu.storage_blobs()
    targets = under(before, run_prefixes(ws).values())
    assert targets
    emu.clear_journal()
    purge_vars = {"purge_workspace_delete_workspace": True, "purge_workspace_storage": True}
    check = runner.purge((host,), args=("--check",), **purge_vars)
    assert check.rc == 0, check.stdout[-3000:]
    assert "no delete retention policy" in check.stdout and "Users/<name>/" in check.stdout
    assert emu.storage_blobs() == before and not any(e["mutating"] for e in emu.journal())
    run = runner.purge((host,), **purge_vars)
    assert run.rc == 0, run.stdout[-3000:]
    after = emu.storage_blobs()
    assert under(after, run_prefixes(ws).values()) == []
    # the workspace takes its data and model versions with it, and their files go too (those the export reached)
    versions = {(b["account"], b["container"], b["name"]) for b in ws["storage"]["blobs"]
                if (b.get("referenced_by") or {}).get("kind") in ("data_versions", "model_versions")}
    assert versions and not [b for b in after if (b["account"], b["container"], b["name"]) in versions]
    assert after == [b for b in before if b not in targets and (b["account"], b["container"], b["name"]) not in versions]
    assert not [w for w in emu.state()["workspaces"] if w["name"] == "ws_hr-people"]
    audit = runner.dest / "audit" / f"{host}.jsonl"
    lines = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines() if line.strip()]
    storage_lines = [line for line in lines if line["kind"] == "storage_blobs"]
    ws_delete = next(n for n, line in enumerate(lines) if line["kind"] == "workspace")
    assert storage_lines and all(lines.index(line) < ws_delete for line in storage_lines)  # the files go before the workspace
    # the fleet summary counts the files apart from the objects: the check run's would-delete, then the real run's deletes
    row = next(r for r in json.loads((runner.dest / "fleet-summary.json").read_text(encoding="utf-8"))["workspaces"] if r["host"] == host)
    assert row["kinds"]["storage_blobs"] == len(targets) + len(versions) and row["kinds"]["workspace"] == 1
    assert "Users/&lt;name&gt;/" in (bundle / "report.html").read_text(encoding="utf-8")
    assert "Users/&lt;name&gt;/ of the workspace file share" in (bundle / "report.md").read_text(encoding="utf-8")
    text = audit.read_text(encoding="utf-8") + all_text(bundle) + run.stdout + check.stdout
    assert not [s for s in secrets_of(emu, emu.storage_token()) if s in text]


def test_a_run_id_that_another_workspace_of_the_account_has_too_keeps_its_files(storage_ansible, restore_storage, tmp_path):
    """Two more workspaces of the subscription are put on the HR workspace's storage account (the scenario's
    ``storage_account``: both write ``ExperimentRun/dcid.<run id>/`` in its ``azureml`` container) and one of them has a run
    of the same id as one of the subject's runs (a v2 job name is chosen by the user). The plan asks each sharing
    workspace for each purged run id, names that prefix as kept with why, and the apply deletes every other file of the
    subject's runs and none under it; the verification does not count it."""
    from azureml_emulator import scenarios

    emu = storage_ansible.emulator
    account = hr(emu)["storage"]["account"]
    config = scenarios.builtin("demo")
    for group in config["subscriptions"][0]["resource_groups"]:
        for spec in group["workspaces"]:
            if spec["name"] in ("ws-empty-sandbox", "Research-Vision-WS"):
                spec.update(storage_account=account, storage_resource_group="rg-gdpr-demo")
    scenario = tmp_path / "shared-account.json"
    scenario.write_text(json.dumps(config), encoding="utf-8")
    emu.reset(scenario=str(scenario))  # the files too: every account emptied, then seeded again
    ws = hr(emu)
    sandbox = next(w for w in emu.state()["workspaces"] if w["name"] == "ws-empty-sandbox")
    assert ws["storage"]["account"] == sandbox["storage"]["account"] == account
    oid = ws["objects"]["runs"][0]["created_by"]["userObjectId"]
    theirs = subject_runs(ws, oid)
    assert len(theirs) >= 2
    same_id = sorted(theirs)[0]
    emu.create_object(sandbox["id"], "runs", {"runId": same_id, "dataContainerId": f"dcid.{same_id}"})
    dest, audit = tmp_path / "bundle", tmp_path / "audit.jsonl"
    assert step(storage_ansible, "export_bundle", full_export_args(dest))[0].rc == 0
    before = emu.storage_blobs()
    kept = under(before, [theirs[same_id]])
    targets = under(before, [p for r, p in theirs.items() if r != same_id])
    assert kept and targets
    emu.clear_journal()

    run, plan = step(storage_ansible, "purge_plan", purge_args(dest, oid), check=True)
    assert run.rc == 0 and plan["refusals"] == [], run.stdout[-3000:]
    storage = plan["storage"]
    assert storage["shared_with"] == ["Research-Vision-WS", "ws-empty-sandbox"]
    assert [(k["run_id"], k["prefix"], k["shared_with"]) for k in storage["kept"]] == [(same_id, theirs[same_id], ["ws-empty-sandbox"])]
    assert "may be theirs" in storage["kept"][0]["why"]
    assert (storage["runs"], storage["blobs"] + storage["snapshots"]) == (len(theirs) - 1, len(targets))
    assert any(line.strip().startswith(f"kept: {theirs[same_id]}") for line in plan["lines"])
    asked = {(e["path"].split("/workspaces/")[1].split("/")[0], e["path"].rsplit("/", 1)[1], e["status"])
             for e in emu.journal() if e["op"] == "runs.get_by_id"}
    assert asked == {(name, run_id, 200 if (name, run_id) == ("ws-empty-sandbox", same_id) else 404)
                     for name in ("ws-empty-sandbox", "Research-Vision-WS") for run_id in theirs}
    assert not any(e["mutating"] for e in emu.journal()) and emu.storage_blobs() == before

    apply = purge_args(dest, oid, mode="apply", kinds=plan["plan"]["kinds"], objects=plan["plan"]["objects"],
                       confirm=["ws_hr-people"], audit_log=str(audit))
    run, result = step(storage_ansible, "purge_plan", apply)
    assert run.rc == 0, run.stdout[-3000:]
    after = emu.storage_blobs()
    assert after == [b for b in before if b not in targets]  # the kept prefix and everything else as they were
    assert under(after, [theirs[same_id]]) == kept
    assert result["storage"]["deleted"] == len(targets) and result["storage"]["remaining"] == 0
    assert [k["run_id"] for k in result["storage"]["kept"]] == [same_id]
    lines = [line for line in audit_lines(audit) if line["kind"] == "storage_blobs"]
    assert not [line for line in lines if line.get("id") and theirs[same_id] in line["id"]]
    assert lines[-1]["outcome"] == "verified" and lines[-1]["remaining"] == 0


def test_a_storage_purge_killed_mid_delete_is_settled_and_completed_by_a_rerun(storage_ansible, restore_storage, tmp_path):
    """``purge_plan`` apply killed while its storage DELETEs run (concurrency 1; the 4th DELETE is held by a proxy, so
    3 blobs are gone and 4 pending lines are on disk when it dies), then run again: every pending line is settled, every
    target blob is gone, and nothing else of any account was touched."""
    import subprocess

    emu = storage_ansible.emulator
    ws = hr(emu)
    account = ws["storage"]["account"]
    oid = ws["objects"]["runs"][0]["created_by"]["userObjectId"]
    theirs = subject_runs(ws, oid)
    dest, audit = tmp_path / "bundle", tmp_path / "audit.jsonl"
    assert step(storage_ansible, "export_bundle", full_export_args(dest))[0].rc == 0
    before = emu.storage_blobs()
    targets = under(before, theirs.values())
    assert len([b for b in targets if not b["snapshot"]]) >= 5
    apply = purge_args(dest, oid, mode="apply", kinds=["models"], objects={"models": []}, confirm=["ws_hr-people"],
                       audit_log=str(audit))

    # Plain HTTP in front of Azurite, holding the 4th DELETE: Shared Key signatures do not cover the host, so the module
    # talks to it with storage_account_key (a token is only sent over HTTPS).
    proxy = StorageProxy(emu.storage_url, emu.ca_path, hold_deletes_after=3)
    try:
        killed = dict(apply, concurrency=1, storage_account_key=emu.storage_account_keys()[account])
        path = storage_ansible.write_playbook("kill.yml", PLAY.format(module="purge_plan", args=json.dumps(killed)))
        cmd = [str(Path(sys.executable).with_name("ansible-playbook")), str(path)]
        proc = subprocess.Popen(cmd, cwd=str(tmp_path), env=storage_ansible.env(AZUREML_STORAGE_BASE_URL=proxy.url),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not proxy.held.is_set():
                assert proc.poll() is None, "the purge ended before its 4th blob DELETE"
                time.sleep(0.05)
            assert proxy.held.is_set()
        finally:
            kill_tree(proc)
        lines = [line for line in audit_lines(audit) if line["kind"] == "storage_blobs"]
        pending = [line for line in lines if line["outcome"] == "pending"]
        assert len(pending) == 4 and len([line for line in lines if line["outcome"] == "deleted"]) == 3
        settled_ids = {x["client_request_id"] for x in lines if x["outcome"] != "pending"}
        held_id = next(line["id"] for line in pending if line["client_request_id"] not in settled_ids)
    finally:
        proxy.close()
    middle = emu.storage_blobs()
    assert len(middle) == len(before) - sum(1 + sum(1 for t in targets if t["snapshot"] and t["name"] == line["id"].split("/", 2)[2])
                                            for line in lines if line["outcome"] == "deleted")
    assert any(f"{b['account']}/azureml/{b['name']}" == held_id for b in middle)  # the held DELETE never reached Azurite

    run, result = step(storage_ansible, "purge_plan", apply)
    assert run.rc == 0, run.stdout[-3000:]
    after = emu.storage_blobs()
    assert under(after, theirs.values()) == []
    assert after == [b for b in before if b not in targets]  # nothing outside the exported targets touched
    lines = [line for line in audit_lines(audit) if line["kind"] == "storage_blobs"]
    settled = {line["client_request_id"] for line in lines if line["outcome"] != "pending" and line.get("client_request_id")}
    assert all(line["client_request_id"] in settled for line in lines if line["outcome"] == "pending")
    relisted = [line for line in lines if line.get("settled_by") == "relist"]
    assert [(line["id"], line["outcome"]) for line in relisted] == [(held_id, "failed")]  # still there when the rerun began
    assert result["storage"]["remaining"] == 0 and lines[-1]["outcome"] == "verified" and lines[-1]["remaining"] == 0
    assert result["storage"]["deleted"] == len(middle) - len(after)  # the rest, the held blob among them
