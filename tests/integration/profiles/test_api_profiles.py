"""api_profile end to end: the same export and purge under ``documented`` and ``current``, checked on the emulator's journal.

- Every demo workspace exported under both profiles gives the same bundles, file for file, byte for byte (the
  manifest's own timestamps aside).
- A ``current`` run uses no route that only the 2020 document has (``/api{ws}`` model management, GET run-history
  lists, ``/artifact/v1.0``); a ``documented`` run no route that only today's specs have (``/modelmanagement/v1.0``,
  ``POST ...:query``, ``/artifact/v2.0``). Routes both tables share are fine under either.
- With ``base_url`` (as against the emulator) no module run reads the workspace or its discovery document to find the
  data-plane hosts, under either profile: ``base_url`` replaces every host. How ``current`` reads the document
  without it (once per module run, without an Authorization header) is asserted on the wire by the unit tests
  ``test_api_profiles.py``, ``test_client.py::test_discovery_is_sent_without_a_token`` and ``test_module.py``.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / "build" / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
PURGE_DIR = str(ROOT / "tests" / "integration" / "purge")
if PURGE_DIR not in sys.path:
    sys.path.insert(0, PURGE_DIR)

from purge_support import SALES, Purge, ws_name  # noqa: E402

from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KINDS  # noqa: E402
from ansible_collections.gdpr.azureml.plugins.module_utils._routes import ROUTES, WS  # noqa: E402

EXPORT_PLAYBOOK = "gdpr.azureml.export_workspaces"
PROFILES = ("documented", "current")
MANIFEST_TIMES = ("started", "finished", "exported_at", "created", "time")
DATED = ("fleet-summary.json",)
# The operations whose route differs between the tables: the only ones a profile can get wrong.
# (the routes that differ in method or path; the computes differ in their api-version only: checked below)
DIFFERING = {op for op in ROUTES["documented"] if ROUTES["documented"][op][1:3] != ROUTES["current"][op][1:3]}
ONLY_DOCUMENTED = ("/api/subscriptions/", "/artifact/v1.0/")
ONLY_CURRENT = ("/modelmanagement/v1.0/", ":query", "/artifact/v2.0/")


def _pattern(template):
    """A regex of a route template as the journal shows it (decoded path; a value may hold anything)."""
    template = template.replace("{ws}", WS)
    parts = re.split(r"(\{[a-z_]+\*?\})", template)
    return re.compile("^" + "".join(".+?" if p.startswith("{") else re.escape(p) for p in parts) + "$", re.IGNORECASE)


PATTERNS = {profile: {op: _pattern(route.path) for op, route in table.items() if not route.path.startswith("{discovery")}
            for profile, table in ROUTES.items()}


def check_routes(entries, profile):
    """Every journal entry is a route of ``profile``'s table; none is a route only the other table has."""
    assert entries, "the run sent nothing"
    other = "current" if profile == "documented" else "documented"
    problems = []
    for e in entries:
        op, path, method = e["op"], e["path"], e["method"]
        if op is None:
            problems.append(("unknown route", method, path))
            continue
        if op in ("discovery.get", "blobs.get") or op not in ROUTES[profile]:
            continue  # discovery and SAS downloads: no table route; workspace LRO polls: ARM, the same in both
        route = ROUTES[profile][op]
        if method != route.method or not PATTERNS[profile][op].match(path):
            problems.append(("not the %s route of %s" % (profile, op), method, path))
        if op in DIFFERING and e["profile"] == other:
            problems.append(("a %s-only route" % other, method, path))
        if op.startswith("computes.") and e["query"].get("api-version") != route.query["api-version"]:
            problems.append(("api-version %r" % e["query"].get("api-version"), method, path))
        if route.family == "modelmanagement":
            api_version = e["query"].get("api-version")
            if (profile == "documented") != (api_version == "2019-11-01"):
                problems.append(("api-version %r" % api_version, method, path))
    forbidden = ONLY_DOCUMENTED if profile == "current" else ONLY_CURRENT
    problems += [("%s-only path" % other, e["method"], e["path"]) for e in entries if any(f in e["path"] for f in forbidden)]
    if profile == "current":
        problems += [("GET list of the document", e["method"], e["path"]) for e in entries
                     if e["op"] in ("experiments.list", "runs.list", "metrics.list") and e["method"] == "GET"]
    assert not problems, problems[:20]


def _ops(entries, op):
    return [e for e in entries if e["op"] == op]


def _pipeline_host_vars(emu, inventory):
    folder = inventory.parent / "host_vars"
    folder.mkdir(exist_ok=True)
    for ws in emu.state()["workspaces"]:
        ids = {k.pipeline_kind: [o["id"] for o in ws["objects"].get(k.name, [])] for k in KINDS.values() if k.pipeline_kind}
        host = "%s_%s" % (ws["resource_group"], ws["name"])
        (folder / ("%s.yml" % host)).write_text(json.dumps({"export_workspace_data_pipeline_ids": ids}), encoding="utf-8")


def _files(folder):
    found = {}
    for top, dummy, files in os.walk(folder):
        for name in files:
            path = os.path.join(top, name)
            found[os.path.relpath(path, folder)] = Path(path).read_bytes()
    return found


# The files that differ between the profiles by design: the computes (api-version 2025-12-01 under current) and what
# derives from them (their digests, the identities of their systemData).
COMPUTES_FILES = {KINDS["computes"].file, "digests.json", "subjects.json"}


def _manifest(data, leave_out=()):
    manifest = json.loads(data)
    out = {k: v for k, v in manifest.items() if k not in MANIFEST_TIMES}
    out["kinds"] = {k: v for k, v in out.get("kinds", {}).items() if v.get("file") not in leave_out}
    if "digests.json" in leave_out:
        out.pop("digests", None)
    return out


def test_export_gives_identical_bundles_under_both_profiles_each_on_its_own_routes(ansible, demo_inventory, tmp_path):
    emu = ansible.emulator
    _pipeline_host_vars(emu, demo_inventory)
    hosts = len(emu.state()["workspaces"])
    bundles, journals = {}, {}
    for profile in PROFILES:
        emu.clear_journal()
        dest = tmp_path / profile
        run = ansible.playbook(EXPORT_PLAYBOOK, inventory=demo_inventory, env={"AZUREML_API_PROFILE": profile},
                               extra_vars={"export_workspace_data_dest": str(dest), "export_workspace_data_artifact_content": True})
        assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
        journals[profile] = emu.journal()
        bundles[profile] = _files(dest)
    for profile in PROFILES:
        entries = journals[profile]
        check_routes(entries, profile)
        assert all(e["status"] is not None and e["status"] < 400 for e in entries), \
            [(e["status"], e["path"]) for e in entries if e["status"] is None or e["status"] >= 400][:10]
        assert not any(e["mutating"] for e in entries)
    # with base_url (the emulator) neither profile reads a discovery document
    assert _ops(journals["current"], "discovery.get") == _ops(journals["documented"], "discovery.get") == []
    # both profiles walked every list and downloaded the contents
    for profile in PROFILES:
        ops = {e["op"] for e in journals[profile]}
        assert {"experiments.list", "runs.list", "metrics.list", "artifacts.list", "artifacts.contentinfo", "models.list",
                "images.list", "services.list", "assets.list", "blobs.get"} <= ops, profile
    current_posts = [e for e in journals["current"] if e["op"] in ("experiments.list", "runs.list", "metrics.list")]
    assert current_posts and all(e["method"] == "POST" and e["profile"] == "current" for e in current_posts)
    # identical bundles: same files, same bytes (the manifest: the same but for its timestamps)
    documented, current = bundles["documented"], bundles["current"]
    assert sorted(documented) == sorted(current)
    assert len([p for p in documented if os.path.basename(p) == KINDS["models"].file]) == hosts
    # (but for the computes, by design: current lists them with api-version 2025-12-01, which adds systemData, whose
    # display names reach subjects.json, and serves compute instances with their assigned user; the same computes)
    differing = []
    for path in sorted(documented):
        name = os.path.basename(path)
        if name == "manifest.json":
            if _manifest(documented[path], COMPUTES_FILES) != _manifest(current[path], COMPUTES_FILES):
                differing.append(path)
        elif name in DATED or name.startswith("report."):
            continue  # the run's own dates: the fleet summary, the human-readable reports
        elif name in COMPUTES_FILES:
            continue
        elif documented[path] != current[path]:
            differing.append(path)
    assert differing == []
    for path in (p for p in documented if os.path.basename(p) == KINDS["computes"].file):
        old, new = json.loads(documented[path]), json.loads(current[path])
        # compute instances exist from api-version 2020-01-01 on: only current (2025-12-01) lists them (ws_hr-people's two)
        instances = [c["id"] for c in new if c["properties"]["computeType"] == "ComputeInstance"]
        assert len(instances) == (2 if "ws_hr-people" in path else 0), (path, instances)
        new = [c for c in new if c["properties"]["computeType"] != "ComputeInstance"]
        assert [c["id"] for c in old] == [c["id"] for c in new] and all("systemData" in c for c in new)
        assert [{k: v for k, v in c.items() if k != "systemData"} for c in new if c["properties"]["computeType"] != "AKS"] == [
            c for c in old if c["properties"]["computeType"] != "AKS"]  # AKS: agentVMSize is spelt agentVmSize from 2020-09-01
    kind_files = {KINDS[k].file for k in KINDS} | {"subjects.json"}
    compared = [p for p in documented if os.path.basename(p) in kind_files]
    assert len(compared) >= hosts * len(KINDS)
    contents = [p for p in documented if p.split(os.sep)[1:2] == ["artifacts"]]  # <host>/artifacts/<run id>/<path>
    assert contents and all(documented[p] == current[p] for p in contents), "no artifact content was downloaded"
    assert any(os.path.basename(p) == "artifact_contents.json" for p in documented)


def test_purge_under_current_deletes_on_the_current_routes(fresh_emulator, ansible, tmp_path):
    emu = fresh_emulator
    purge = Purge(emu, ansible, tmp_path)
    env = {"AZUREML_API_PROFILE": "current"}
    # the export and the purge both under current (the Purge helper's runs take their env from the ansible fixture)
    ansible.env = _with_env(ansible.env, env)
    purge.export([SALES])
    before = {k: len(v) for k, v in purge.objects(SALES).items()}
    assert all(before.values()), before
    emu.clear_journal()
    run = purge.purge([SALES], purge_workspace_confirm=ws_name(SALES))
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert purge.objects(SALES) == {k: [] for k in before}
    entries = emu.journal()
    check_routes(entries, "current")
    deletes = [e for e in entries if e["method"] == "DELETE"]
    assert len(deletes) >= sum(before.values())
    assert all(e["path"].startswith("/modelmanagement/v1.0/") and e["profile"] == "current" for e in deletes)
    # the :query reads were never counted as mutating
    reads = [e for e in entries if e["path"].endswith(":query")]
    assert not any(e["mutating"] for e in reads)


def _with_env(original, extra):
    def env(**more):
        return original(**dict(extra, **more))
    return env


@pytest.mark.parametrize("profile", PROFILES)
def test_no_workspace_or_discovery_lookup_for_the_hosts_when_base_url_replaces_them(ansible, demo_inventory, profile):
    emu = ansible.emulator
    hosts = len(emu.state()["workspaces"])
    playbook = ansible.write_playbook("info.yml", """
- hosts: all
  gather_facts: false
  module_defaults:
    group/gdpr.azureml.azureml:
      subscription_id: "{{ azureml_subscription_id }}"
      resource_group: "{{ azureml_resource_group }}"
      workspace_name: "{{ azureml_workspace_name }}"
  tasks:
    - name: Models
      gdpr.azureml.model_info:
    - name: Experiments
      gdpr.azureml.experiment_info:
    - name: Datastores and models again in one run
      gdpr.azureml.export_bundle:
        dest: "{{ playbook_dir }}/bundles/{{ inventory_hostname }}"
        kinds: [datastores, models]
    - name: The workspace (ARM only)
      gdpr.azureml.workspace_info:
""")
    emu.clear_journal()
    run = ansible.playbook(playbook, inventory=demo_inventory, env={"AZUREML_API_PROFILE": profile})
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
    entries = emu.journal()
    check_routes(entries, profile)
    assert _ops(entries, "discovery.get") == []
    # the workspace GETs of export_bundle (the bundle's workspace.json) and workspace_info only: model_info and
    # experiment_info (data plane only) read no workspace (under current they read it and its discovery document before)
    assert len(_ops(entries, "workspaces.get")) == 2 * hosts
