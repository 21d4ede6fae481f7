"""report.html as a browser shows it: export and purge a workspace of the emulator, render the report in headless
Chromium (``--dump-dom``), and check that the rendered page shows the bundle's count of every kind (from its
manifest), the deletions with the request ids of the audit log, and that a hostile name stays text.

Chromium is Debian's ``chromium`` (``make test`` installs it when missing). The screenshot in the docs
(``docs/images/report.png``) is taken the same way: set ``GDPR_AZUREML_UPDATE_SCREENSHOT=1`` to refresh it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SALES = "ws-sales-analytics"
SALES_HOST = "rg-gdpr-demo_" + SALES
EVIL = '<img src=x onerror="alert(1)"><script>document.title="pwned"</script> & | *x*'
EVIL_OID = "0badc0de-0000-4000-8000-000000000666"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(*args, timeout=120):
    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium not found on PATH: install Debian's chromium (make test does: apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        proc = subprocess.run([binary, *FLAGS, "--user-data-dir=" + profile, *args], capture_output=True, text=True,
                              timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def screenshot(html_path, png_path, width=1100, height=2000):
    chromium("--window-size=%d,%d" % (width, height), "--screenshot=%s" % png_path, Path(html_path).as_uri())
    return png_path


class Dom(HTMLParser):
    """The parts of the rendered report the test reads: rows (cells' text) of each table by id, elements seen."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.tables = {}
        self.title = ""
        self._table = None
        self._row = None
        self._cell = None
        self._in_title = False
        self.kind_counts = {}
        self._row_kind = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id") or "", [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._row_kind = attrs.get("data-kind")
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_title:
            self.title += data

    def rows(self, table_id):
        return [dict(zip(self.tables[table_id][0], row)) for row in self.tables[table_id][1:]]


def test_report_renders_the_bundle_counts_and_the_purge(ansible, demo_inventory, tmp_path):
    emu = ansible.emulator
    ws = next(w for w in emu.state()["workspaces"] if w["name"] == SALES)
    emu.create_object(ws["id"], "models", {"name": EVIL})
    emu.create_object(ws["id"], "runs", {"createdBy": {"userObjectId": EVIL_OID, "userTenantId": EVIL_OID, "userName": EVIL}})
    dest = tmp_path / "exports"
    export = ansible.playbook("gdpr.azureml.export_workspaces", inventory=demo_inventory,
                              extra_vars={"target": SALES_HOST, "export_workspace_data_dest": str(dest)})
    assert export.rc == 0, export.stdout[-3000:] + export.stderr[-3000:]
    bundle = dest / SALES_HOST
    report = bundle / "report.html"
    assert report.is_file() and (bundle / "report.md").is_file()
    exported = export.task("gdpr.azureml.export_workspace_data : Export the workspace to its bundle")[0]["result"]
    assert exported["report"]["changed"] is True and exported["report"]["files"] == {"html": str(report), "md": str(bundle / "report.md")}

    purge = ansible.playbook("gdpr.azureml.purge_workspaces", inventory=demo_inventory,
                             extra_vars={"target": SALES_HOST, "export_workspace_data_dest": str(dest), "purge_workspace_confirm": SALES,
                                         "purge_workspace_kinds": ["services", "images", "models", "assets"]})  # the rows checked
    assert purge.rc == 0, purge.stdout[-3000:] + purge.stderr[-3000:]
    written = purge.task("gdpr.azureml.purge_workspace : Add the purge to the report of the bundle (report.html, report.md)")[0]["result"]
    assert written["changed"] is True and written["purge"]["deleted"] > 0

    dom = Dom()
    dom.feed(chromium("--dump-dom", report.as_uri()))
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    shown = {row["kind"]: int(row["count"]) for row in dom.rows("kinds") if row["kind"] != "total"}
    assert shown == {kind: entry["count"] for kind, entry in manifest["kinds"].items()}
    assert shown["models"] == len(ws["objects"]["models"]) + 1  # the hostile model included
    assert int(next(r for r in dom.rows("kinds") if r["kind"] == "total")["count"]) == sum(shown.values())

    audit = [json.loads(line) for line in (dest / "audit" / (SALES_HOST + ".jsonl")).read_text(encoding="utf-8").splitlines()]
    deleted = [line for line in audit if line["outcome"] not in ("verified", "pending")]  # pending lines are settled: not shown
    rendered = dom.rows("deletions")
    assert [(r["kind"], r["id"], r["request id"]) for r in rendered] == [(d["kind"], d["id"], d["request_id"]) for d in deleted]
    assert {r["kind"]: r["remaining (verified)"] for r in dom.rows("purge-summary")} == {
        "models": "0", "assets": "0", "images": "0", "services": "0"}
    people = dom.rows("people")
    assert people and all(int(p["runs created"]) > 0 for p in people)

    # The hostile name is text: no element came from it and the script did not run.
    assert "script" not in dom.tags and "img" not in dom.tags
    assert "pwned" not in dom.title
    assert next(p for p in people if p["identity (object id or address)"] == EVIL_OID)["name"] == EVIL
    # Self-contained: no external asset is referenced at all.
    text = report.read_text(encoding="utf-8")
    assert "<link" not in text and "<script" not in text and "src=" not in text.replace("src=x", "")

    png = screenshot(report, tmp_path / "report.png")
    assert png.stat().st_size > 10000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("GDPR_AZUREML_UPDATE_SCREENSHOT"):
        shutil.copyfile(png, ROOT / "docs" / "images" / "report.png")


def test_docs_show_the_screenshot():
    assert (ROOT / "docs" / "images" / "report.png").is_file()
    assert "images/report.png" in (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
