"""Hostile data from the service (names and paths with .., /, NUL, very long or non-ASCII text; huge pages) and
secrets (tokens, client secrets, datastore credentials, SAS signatures) kept out of results, -vvv output, bundles,
audit logs and error messages."""
from __future__ import annotations

import os
import re

from export_support import _bundle
from reliability_support import SANDBOX, VISION, deletable, files_of, leaks
from test_auth_and_input import env_auth

HOSTILE = [
    "../../../../etc/passwd",
    "a/b/../../c",
    "nul\x00byte",
    "x" * 3000,
    "Ødegård 日本語 ✓ \u202e🙂 \"quoted\" \\back\\slash\t",
    "%2e%2e%2f%00",
    "?query=1#fragment&more",
]
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def test_hostile_names_and_paths_are_exported_exactly_and_purged(runner, tmp_path):
    """In the empty workspace, so that the purge deletes only these objects."""
    emu = runner.emu
    ws = runner.workspace(SANDBOX)
    models = [emu.create_object(ws["id"], "models", {"name": name, "description": name}) for name in HOSTILE]
    hostile_ids = ["../x:1", "a/b:1", "50%off:1", "日本語:1", "  spaced  :1"]
    models += [emu.create_object(ws["id"], "models", {"id": obj_id, "name": "id-test"}) for obj_id in hostile_ids]
    run_obj = emu.create_object(ws["id"], "runs", {"experimentName": "../../exp/with?#%&slashes 日本"})
    emu.create_object(ws["id"], "artifacts", {"runId": run_obj["runId"], "path": "a\x00b/../../../../../../tmp/evil-" + "y" * 300})
    run = runner.export((SANDBOX,), export_workspace_data_artifact_content=True)
    assert run.rc == 0, run.stdout[-3000:]
    bundle = runner.dest / SANDBOX
    assert _bundle.verify_bundle(str(bundle)) == []
    assert _bundle.verify_artifact_contents(str(bundle)) == []
    exported = {m["id"]: m for m in _bundle.iter_objects(str(bundle / "models.json"))}
    for model in models:
        assert exported[model["id"]] == model  # exactly as the service returned it, every character kept
    runs = {r["runId"]: r for r in _bundle.iter_objects(str(bundle / "runs.json"))}
    assert runs[run_obj["runId"]] == run_obj  # listed through the experiment's percent-encoded name
    experiments = {e["name"] for e in _bundle.iter_objects(str(bundle / "experiments.json"))}
    assert "../../exp/with?#%&slashes 日本" in experiments
    # nothing escaped: every file is inside the bundle, nothing was written next to it or in /tmp
    real = os.path.realpath(bundle)
    for top, _dirs, names in os.walk(bundle):
        for name in names:
            assert os.path.realpath(os.path.join(top, name)).startswith(real + os.sep)
    assert sorted(os.listdir(runner.dest)) == ["fleet-summary.json", SANDBOX]
    assert not [p for p in os.listdir("/tmp") if p.startswith("evil-")]
    # the purge sends each hostile id as one encoded path segment and deletes exactly those objects
    out = runner.purge((SANDBOX,))
    assert out.rc == 0, out.stdout[-4000:]
    assert deletable(runner.workspace(SANDBOX))["models"] == []
    deleted = {line["id"] for line in runner.audit(SANDBOX) if line["outcome"] == "deleted"}
    assert {m["id"] for m in models} <= deleted
    paths = {e["path"] for e in emu.journal() if e["method"] == "DELETE"}
    for obj_id in hostile_ids:
        assert any(p.endswith("/models/" + obj_id) for p in paths), obj_id


def test_no_secret_reaches_output_bundles_or_audit_logs(runner):
    emu = runner.emu
    markers = list(emu.secrets()) + [emu.client_secret, "emulator-static-token"]
    env = env_auth(emu)
    export = runner.export((VISION,), args=("-vvv",), env=env, export_workspace_data_artifact_content=True,
                           export_workspace_data_archive=True)
    assert export.rc == 0, export.stdout[-3000:]
    purge = runner.purge((VISION,), args=("-vvv",), env=env, purge_workspace_kinds=["assets"])
    assert purge.rc == 0, purge.stdout[-3000:]
    assert emu.counters()["token_grants"] >= 1
    for run in (export, purge):
        text = run.stdout + run.stderr + repr(run.results)
        assert leaks(text, markers) == []
        assert not JWT.search(text)  # no bearer token the fake Azure AD issued
        assert "sig=" not in text  # no SAS signature of an artifact's content URI
    assert len(export.stdout) > 10000  # -vvv really was verbose
    for path, data in files_of(runner.dest).items():
        if path.endswith(".tar.gz"):
            continue  # its members are the bundle files checked here (tests/integration/export checks them too)
        assert leaks(data, markers) == [], path
        assert not JWT.search(data.decode("utf-8", "replace")), path
        assert b"sig=" not in data, path
    assert runner.audit(VISION)
    # an error message: a wrong client secret is refused by Azure AD, the message never shows it
    wrong = "wrong-secret-MARKER-5a7d1e"
    failed = runner.export((VISION,), args=("-vvv",), env=dict(env, AZURE_SECRET=wrong))
    assert failed.rc != 0
    assert leaks(failed.stdout + failed.stderr + repr(failed.results), [wrong]) == []
    assert "AADSTS7000215" in failed.stdout + failed.stderr or "client" in failed.stdout.lower()
