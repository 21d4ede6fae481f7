"""summary.html of a subject access package as a browser shows it: export a workspace of the emulator, answer Dmitri Ivanov,
render the summary in headless Chromium (``--dump-dom``) and check that the page shows the count of every kind of
objects.json, the workspace, the files, the object that carries his name without being his (a namesake's run, under a
hostile name that must stay text), and what was redacted.

The screenshot in the docs (``docs/images/subject-access.png``) is taken the same way: set
``GDPR_AZUREML_UPDATE_SCREENSHOT=1`` to refresh it.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

_spec = importlib.util.spec_from_file_location("report_render", Path(__file__).with_name("test_report_render.py"))
render = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render)

ROOT = Path(__file__).resolve().parents[3]
SALES_HOST = "rg-gdpr-demo_ws-sales-analytics"
EVIL = render.EVIL
NAMESAKE_OID = "0badc0de-0000-4000-8000-000000000777"


def test_summary_renders_the_package(ansible, demo_inventory, tmp_path):
    emu = ansible.emulator
    dmitri = next(u for u in emu.users() if u["name"] == "Dmitri Ivanov")
    ws = next(w for w in emu.state()["workspaces"] if w["name"] == "ws-sales-analytics")
    # another Dmitri Ivanov (another object id) ran something with a hostile name
    emu.create_object(ws["id"], "runs", {"name": EVIL, "userId": NAMESAKE_OID,
                                         "createdBy": {"userObjectId": NAMESAKE_OID, "userTenantId": dmitri["tenant_id"],
                                                       "userName": dmitri["name"]}})
    dest = tmp_path / "exports"
    export = ansible.playbook("gdpr.azureml.export_workspaces", inventory=demo_inventory,
                              extra_vars={"target": SALES_HOST, "export_workspace_data_dest": str(dest),
                                          "export_workspace_data_artifact_content": True})
    assert export.rc == 0, export.stdout[-3000:] + export.stderr[-3000:]
    run = ansible.playbook("gdpr.azureml.subject_access", inventory=demo_inventory,
                           extra_vars={"target": SALES_HOST, "export_workspace_data_dest": str(dest),
                                       "subject": [dmitri["object_id"], dmitri["email"], dmitri["name"]]})
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    folder = Path(run.task("Write the package of the person (one module run for the whole fleet)")[0]["result"]["dest"])
    entries = json.loads((folder / "objects.json").read_text(encoding="utf-8"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))

    dom = render.Dom()
    html = render.chromium("--dump-dom", (folder / "summary.html").as_uri())
    dom.feed(html)
    counts = {}
    for e in entries:
        counts[e["kind"]] = counts.get(e["kind"], 0) + 1
    shown = {row["kind"]: int(row["objects"]) for row in dom.rows("kinds") if row["kind"] != "total"}
    assert {k: n for k, n in shown.items() if n} == counts
    assert set(shown) == set(json.loads((dest / SALES_HOST / "manifest.json").read_text())["kinds"]) - {"artifact_contents"}
    assert int(next(r for r in dom.rows("kinds") if r["kind"] == "total")["objects"]) == len(entries)
    (workspace,) = dom.rows("workspaces")
    assert workspace["workspace"].startswith("ws-sales-analytics") and int(workspace["objects"]) == len(entries)
    assert [r["file"] for r in dom.rows("files")] == sorted(e["file"]["path"] for e in entries if e.get("file", {}).get("stored"))
    name_only = dom.rows("name-only")
    (namesake,) = [r for r in name_only if r["kind"] == "runs"]
    assert namesake["name"] == EVIL  # the hostile name is text
    # the other rows: v2 objects whose systemData names the person by display name only (weaker evidence, shown apart)
    assert all(r["kind"] not in ("runs", "metrics", "artifacts", "models", "images", "services") for r in name_only if r is not namesake), \
        name_only
    assert "script" not in dom.tags and "img" not in dom.tags and "pwned" not in dom.title
    redacted = {r["field (in objects.json)"]: int(r["objects"]) for r in dom.rows("redactions")}
    assert redacted == manifest["redactions"]["fields"] and redacted["object.createdBy.userObjectId"] >= 1
    assert 'id="coverage"' in html and "Azure Privacy portal" in html
    for path in folder.rglob("*"):
        if path.is_file():
            assert NAMESAKE_OID not in path.read_text(encoding="utf-8", errors="replace")  # the namesake's id is redacted
    text = (folder / "summary.html").read_text(encoding="utf-8")
    assert "<link" not in text and "<script" not in text and "src=" not in text.replace("src=x", "")

    png = render.screenshot(folder / "summary.html", tmp_path / "summary.png")
    assert png.stat().st_size > 10000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("GDPR_AZUREML_UPDATE_SCREENSHOT"):
        shutil.copyfile(png, ROOT / "docs" / "images" / "subject-access.png")


def test_docs_show_the_summary_screenshot():
    assert (ROOT / "docs" / "images" / "subject-access.png").is_file()
    assert "images/subject-access.png" in (ROOT / "docs" / "subjects.md").read_text(encoding="utf-8")
