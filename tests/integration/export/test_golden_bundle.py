"""The demo export's bytes do not change: a golden of every bundle file, committed.

``make demo`` exports the emulator's demo fleet (five workspaces) with ``gdpr.azureml.export_workspaces`` and
``demo/inventory.yml``. This test runs that same export against the session emulator (demo scenario, reseeded) and
compares every file it writes (each bundle's data files, ``digests.json``, ``subjects.json``, ``manifest.json``,
``report.md``, ``report.html``, and ``fleet-summary.json``) with ``golden/demo_export.json``: the SHA-256 of each file
after normalisation, and each normalised manifest in full (so that a review sees what moved).

Only what varies from run to run, or with the release, is normalised (found by exporting twice and diffing):

- the manifest's ``started`` and ``finished``, and the same two timestamps in ``report.md`` / ``report.html``;
- the bundle's own path in the reports (the test's temporary folder);
- the emulator's base URL (``http://127.0.0.1:<free port>``), which the service writes into the workspace object
  (``properties.discoveryUrl``). It reaches ``workspace.json``, so also that file's SHA-256 in the manifest, the
  workspace's content digest in ``digests.json`` (SHA-256 of its canonical JSON without its volatile field
  ``properties.provisioningState``, docs/export.md) and ``digests.json``'s SHA-256 in the manifest: each is
  recomputed over the normalised content, after checking that the exported value is the one the raw content gives;
- ``collection_version`` (manifest) and ``gdpr.azureml <version>`` (reports), after checking they are galaxy.yml's
  version: a release changes them and nothing else.

Everything else must be byte for byte what the golden says: one changed byte in one exported object fails the test.

Regenerating the golden (``UPDATE_GOLDEN=1``) is a deliberate act, for a change that is meant to change the bytes of a
bundle; the new golden is reviewed in the diff like code:

    UPDATE_GOLDEN=1 PYTHONPATH=tests/emulator:build/collections \\
        .venv/bin/python -m pytest -q tests/integration/export/test_golden_bundle.py
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).resolve().parent / "golden" / "demo_export.json"
INVENTORY = ROOT / "demo" / "inventory.yml"
VERSION = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"]
EMULATOR = "http://emulator.invalid"
# The only kind whose objects carry the emulator's URL, and the fields its digest leaves out (docs/export.md).
URL_KINDS = {"workspace.json": ("properties.provisioningState",)}
FIXED = ("manifest.json", "digests.json", "report.md", "report.html")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _content_digest(obj: dict, volatile: tuple) -> str:
    """docs/export.md: SHA-256 of the canonical JSON (sorted keys, compact, UTF-8) without the volatile fields."""
    obj = json.loads(json.dumps(obj))
    for path in volatile:
        *parents, last = path.split(".")
        node = obj
        for name in parents:
            node = node.get(name, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(last, None)
    return sha(json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _loose(text: str) -> str:
    """A regex for ``text`` as the reports write it: any character may be escaped (Markdown) or HTML-escaped."""
    import html
    return "".join(r"\\?" + re.escape(html.escape(ch, quote=True)) for ch in text)


def normalise_bundle(bundle: Path, url: str) -> dict:
    """``{file name: normalised bytes}`` of one bundle (see the module docstring)."""
    files = {p.relative_to(bundle).as_posix(): p.read_bytes() for p in sorted(bundle.rglob("*")) if p.is_file()}
    remap = {}  # raw SHA-256 -> SHA-256 of the normalised content
    for name, data in files.items():
        if name in FIXED or url.encode() not in data:
            continue
        assert name in URL_KINDS, "%s/%s holds the emulator's URL: teach this test its digest" % (bundle.name, name)
        new = data.replace(url.encode(), EMULATOR.encode())
        remap[sha(data)] = sha(new)
        for obj in json.loads(data):
            raw, norm = _content_digest(obj, URL_KINDS[name]), _content_digest(json.loads(json.dumps(obj).replace(url, EMULATOR)), URL_KINDS[name])
            assert raw.encode() in files["digests.json"], "%s: the digest of %s is not the one its content gives" % (bundle.name, name)
            remap[raw] = norm
        files[name] = new
    digests = files["digests.json"]
    for raw, norm in remap.items():
        digests = digests.replace(raw.encode(), norm.encode())
    remap[sha(files["digests.json"])] = sha(digests)
    files["digests.json"] = digests

    manifest = json.loads(files["manifest.json"])
    assert manifest["collection_version"] == VERSION, "manifest collection_version %r, galaxy.yml %r" % (manifest["collection_version"], VERSION)
    text = files["manifest.json"].decode("utf-8")
    for key in ("started", "finished", "collection_version"):
        text, n = re.subn(r'("%s": )"%s"' % (key, re.escape(manifest[key])), r'\1"<%s>"' % key, text)
        assert n == 1, "manifest.json: %s not found once" % key
    for raw, norm in remap.items():
        text = text.replace(raw, norm)
    files["manifest.json"] = text.encode("utf-8")

    for name in ("report.md", "report.html"):
        text = files[name].decode("utf-8")
        # started and finished are often the same second: one label for both (the rows say which is which)
        times = "|".join(_loose(manifest[key]) for key in ("started", "finished"))
        for pattern, label, value in ((_loose(str(bundle)), "<bundle>", bundle), (times, "<timestamp>", "started, finished"),
                                      (_loose("gdpr.azureml " + VERSION), "gdpr.azureml <version>", VERSION)):
            text, n = re.subn(pattern, label, text)
            assert n, "%s/%s: %s not found" % (bundle.name, name, value)
        files[name] = text.encode("utf-8")
    return files


def snapshot(dest: Path, url: str) -> dict:
    """The golden's shape: ``{"files": {path: sha256}, "manifests": {host: normalised manifest}}``."""
    found = {"files": {}, "manifests": {}}
    for bundle in sorted(p for p in dest.iterdir() if p.is_dir()):
        files = normalise_bundle(bundle, url)
        manifest = json.loads(files["manifest.json"])
        for entry in list(manifest["kinds"].values()) + [manifest["digests"]]:  # the normalised bundle still adds up
            assert entry["sha256"] == sha(files[entry["file"]]), "%s/%s: normalised wrongly" % (bundle.name, entry["file"])
        for name, data in files.items():
            found["files"]["%s/%s" % (bundle.name, name)] = sha(data)
            if name == "manifest.json":
                found["manifests"][bundle.name] = json.loads(data)
    for path in sorted(p for p in dest.iterdir() if p.is_file()):
        found["files"][path.name] = sha(path.read_bytes())
    return found


def test_demo_export_bundle_bytes_match_the_golden(ansible, tmp_path):
    dest = tmp_path / "exports"
    # As make demo runs it: the demo inventory, every default (the modules' api_profile too).
    run = ansible.playbook("gdpr.azureml.export_workspaces", inventory=INVENTORY, env={"AZUREML_API_PROFILE": None},
                           extra_vars={"export_workspace_data_dest": str(dest)})
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    found = snapshot(dest, ansible.emulator.url)
    assert len(found["manifests"]) == 5

    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))

    changed = sorted(set(golden["files"]) ^ set(found["files"]) |
                     {k for k in golden["files"].keys() & found["files"].keys() if golden["files"][k] != found["files"][k]})
    diff = "".join(difflib.unified_diff(json.dumps(golden["manifests"], indent=1, sort_keys=True).splitlines(True),
                                        json.dumps(found["manifests"], indent=1, sort_keys=True).splitlines(True), "golden", "export"))
    assert not changed and not diff, ("the demo export's bytes changed (UPDATE_GOLDEN=1 regenerates the golden, deliberately; see the "
                                      "docstring)\nfiles: %s\n%s" % (", ".join(changed), diff[:6000]))
