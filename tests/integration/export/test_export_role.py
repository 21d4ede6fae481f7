"""The export end to end: the playbook gdpr.azureml.export_workspaces (role export_workspace_data,
module export_bundle) over every workspace of the emulator, checked against the emulator's state."""
from __future__ import annotations

import base64
import json
import os
import stat
import tarfile
from urllib.parse import quote, quote_plus

import yaml

from export_support import ROOT, _bundle, bundle_ids, host_name, referenced_registries, snapshot, state_ids

from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KIND_NAMES, KINDS

PLAYBOOK = "gdpr.azureml.export_workspaces"
EXPORT_TASK = "gdpr.azureml.export_workspace_data : Export the workspace to its bundle"


def export(ansible, inventory, dest, *args, **kwargs):
    extra = dict(kwargs.pop("extra_vars", {}), export_workspace_data_dest=str(dest))
    return ansible.playbook(PLAYBOOK, *args, inventory=inventory, extra_vars=extra, **kwargs)


def test_every_object_of_every_workspace_is_in_its_bundle_exactly_once(ansible, pipeline_host_vars, tmp_path):
    emu = ansible.emulator
    emu.configure(page_size=3)
    full_state = emu.state()
    state = full_state["workspaces"]
    dest = tmp_path / "exports"
    run = export(ansible, pipeline_host_vars, dest)
    assert run.rc == 0, run.stdout + run.stderr
    hostile_names = {"Försäljning 2020", "customer churn v2", "100% rollout & A+B?", "日本語の実験", "naïve-bayes_baseline"}
    seen_hostile, seen_archived, seen_values = set(), 0, 0
    seen_v2 = dict.fromkeys(("jobs", "archived jobs", "archived versions", "disabled schedules"), 0)
    for ws in state:
        bundle = dest / host_name(ws)
        assert _bundle.verify_bundle(str(bundle), workspace_id=ws["id"]) == [], bundle
        manifest = _bundle.read_manifest(str(bundle))
        assert sorted(manifest["kinds"]) == sorted(KIND_NAMES)
        registries = referenced_registries(full_state, ws, str(bundle))
        for kind in KIND_NAMES:
            in_bundle = bundle_ids(str(bundle), kind)
            assert len(in_bundle) == len(set(in_bundle)), (ws["name"], kind, "duplicates")
            assert sorted(in_bundle) == sorted(state_ids(ws, kind, registries)), (ws["name"], kind)
            assert manifest["kinds"][kind]["count"] == len(in_bundle)
            assert manifest["kinds"][kind]["scope"] == KINDS[kind].scope
        # the v2 objects hidden from the lists' default views are there (listViewType=All): archived jobs and asset
        # versions, disabled schedules
        jobs = {j["name"]: j for j in _bundle.iter_objects(str(bundle / "jobs.json"))}
        seen_v2["jobs"] += len(jobs)
        seen_v2["archived jobs"] += sum(1 for r in ws["objects"]["runs"] if r.get("job_archived") and r["id"] in jobs)
        for kind in ("data_versions", "environment_versions", "component_versions", "model_versions"):
            seen_v2["archived versions"] += sum(1 for v in _bundle.iter_objects(str(bundle / KINDS[kind].file))
                                                if v["properties"].get("isArchived"))
        disabled = {s["id"] for s in ws["objects"]["schedules"] if not s["enabled"]}
        seen_v2["disabled schedules"] += len(disabled & set(bundle_ids(str(bundle), "schedules")))
        names = {e["name"] for e in _bundle.iter_objects(str(bundle / "experiments.json"))}
        seen_hostile |= names & hostile_names
        # archived experiments (hidden from the service's default list) and their runs are there (issue 14)
        archived = {x["name"] for x in ws["objects"]["experiments"] if x["archived"]}
        assert archived <= names
        runs_of_archived = {r["id"] for r in ws["objects"]["runs"] if r["experiment"] in archived}
        assert runs_of_archived <= set(bundle_ids(str(bundle), "runs"))
        seen_archived += len(archived)
        # every value of every v2 metric, each once, in the service's order
        values = {m["id"]: [v["metricId"] for v in m["values"]] for m in _bundle.iter_objects(str(bundle / "metrics_v2.json"))}
        assert values == {m["id"]: m["value_ids"] for m in ws["objects"]["metrics_v2"]}, ws["name"]
        seen_values += sum(len(v) for v in values.values())
        # every artifact of every run, from the run's data container
        artifacts = list(_bundle.iter_objects(str(bundle / "artifacts.json")))
        containers = {r["id"]: r["container"] for r in ws["objects"]["runs"]}
        assert all(a["container"] == containers[x["run_id"]] for a, x in zip(
            sorted(artifacts, key=lambda a: a["artifactId"]), sorted(ws["objects"]["artifacts"], key=lambda x: x["id"])))
        assert manifest["workspace"]["location"] == ws["location"]
    assert seen_hostile == hostile_names
    assert seen_archived >= 4 and seen_values > 100
    assert all(seen_v2.values()), seen_v2
    # many pages were really walked (page size 3), and only reads were sent
    journal = emu.journal()
    ops = [e["op"] for e in journal]
    assert ops.count("runs.list") > ops.count("experiments.list") > len(state)
    n_metrics_v2 = sum(len(ws["objects"]["metrics_v2"]) for ws in state)
    assert ops.count("metrics_v2.full") > n_metrics_v2  # metrics of 4 or 5 values take two pages
    assert all(e["query"].get("viewType") == "All" for e in journal if e["op"] == "experiments.list")
    # every v2 list that has a listViewType asks for every view, and many v2 pages were walked (nextLink as given)
    v2_lists = [e for e in journal if e["op"] and KINDS.get(e["op"].split(".")[0]) and KINDS[e["op"].split(".")[0]].api == "v2"
                and e["op"].endswith(".list")]
    assert {e["op"].split(".")[0] for e in v2_lists} >= {k for k in KIND_NAMES if KINDS[k].api == "v2"} - {"registries"}
    no_view = ("code_", "online_", "batch_", "connections", "registries")  # no listViewType in the spec
    wrong = [(e["op"], e["query"]) for e in v2_lists if e["query"].get("listViewType") != (None if e["op"].startswith(no_view) else "All")]
    assert not wrong, wrong[:5]
    assert all(e["query"].get("api-version") == "2025-12-01" for e in v2_lists)
    assert any("$skipToken" in e["query"] for e in v2_lists)
    assert emu.counters()["mutating"] == 0 and not any(e["mutating"] for e in journal)
    datastore_calls = [e for e in journal if (e["op"] or "").startswith("datastores.")]
    assert datastore_calls and all(e["query"].get("includeSecret") == "false" for e in datastore_calls)
    # the fleet fact reached the fleet summary
    summary = json.loads((dest / "fleet-summary.json").read_text(encoding="utf-8"))
    assert summary["totals"]["ok"] == len(state) and summary["totals"]["failed"] == 0
    by_host = {w["host"]: w for w in summary["workspaces"]}
    for ws in state:
        total = sum(len(state_ids(ws, kind)) for kind in KIND_NAMES)
        assert by_host[host_name(ws)]["exported"] == total


def test_no_credential_reaches_a_bundle_and_modes_are_private(ansible, demo_inventory, tmp_path):
    emu = ansible.emulator
    secrets = emu.secrets()
    assert secrets and all(len(s) > 8 for s in secrets)
    dest = tmp_path / "exports"
    old = os.umask(0o022)
    try:
        options = {"export_workspace_data_archive": True, "export_workspace_data_artifact_content": True}
        run = export(ansible, demo_inventory, dest, extra_vars=options)
    finally:
        os.umask(old)
    assert run.rc == 0, run.stdout + run.stderr
    files = 0
    for top, dirs, names in os.walk(dest):
        for name in dirs:
            assert stat.S_IMODE(os.stat(os.path.join(top, name)).st_mode) == 0o700, os.path.join(top, name)
        for name in names:
            path = os.path.join(top, name)
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
            data = open(path, "rb").read()  # noqa: SIM115
            if path.endswith(".tar.gz"):
                with tarfile.open(path) as tar:
                    data = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())
            leaked = [s for s in secrets if s.encode() in data]
            assert not leaked, (path, leaked)
            files += 1
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o700  # the root too, created by the role
    assert files > 100
    assert all("SAS" not in line for line in run.stdout.splitlines() if "sig=" in line)


def test_registries_are_those_referred_to_and_compute_instances_name_their_user(ansible, demo_inventory, tmp_path):
    """A deployment of a model of the resource group's registry brings that registry (and only it) into registries.json; a
    compute instance (served from api-version 2020-01-01 on: the current profile's computes list) with its assignedUser."""
    emu = ansible.emulator
    ws = next(w for w in emu.state()["workspaces"] if w["resource_group"] == "rg-ml-research")
    user = emu.users()[0]
    emu.create_object(ws["id"], "online_deployments", {"endpoint": next(iter(ws["objects"]["online_endpoints"]))["name"],
                                                       "name": "shared-model",
                                                       "model": "azureml://registries/contoso-shared-registry/models/m/versions/1"})
    emu.create_object(ws["id"], "computes", {"name": "ci-person", "properties": {"computeType": "ComputeInstance"}},
                      user=user["object_id"])
    dest = tmp_path / "exports"
    run = export(ansible, demo_inventory, dest, extra_vars={"target": host_name(ws)})
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    bundle = dest / host_name(ws)
    registries = list(_bundle.iter_objects(str(bundle / "registries.json")))
    assert [r["name"] for r in registries] == ["contoso-shared-registry"]  # not Microsoft's public "azureml" registry
    instance = next(c for c in _bundle.iter_objects(str(bundle / "computes.json")) if c["name"] == "ci-person")
    settings = instance["properties"]["properties"]["personalComputeInstanceSettings"]
    assert settings["assignedUser"]["objectId"] == user["object_id"]


def test_the_report_names_what_is_not_covered_with_the_workspaces_linked_resources(ansible, demo_inventory, tmp_path):
    """What the collection cannot see or erase (_not_covered), in the manifest's not_covered record and in report.html and
    report.md, with the linked resource ids of the demo workspace as the service returns them (its ARM object, read from
    the emulator at api-version 2025-12-01, not from the bundle)."""
    from ansible_collections.gdpr.azureml.plugins.module_utils import _not_covered

    emu = ansible.emulator
    ws = next(w for w in emu.state()["workspaces"] if w["name"] == "ws_hr-people")
    props = emu.get_json(ws["id"] + "?api-version=2025-12-01")["properties"]
    linked = {"application_insights": props["applicationInsights"], "notebooks": props["storageAccount"],
              "key_vault": props["keyVault"], "container_registry": props["containerRegistry"]}
    assert all(v.startswith("/subscriptions/") for v in linked.values())
    dest = tmp_path / "exports"
    run = export(ansible, demo_inventory, dest, extra_vars={"target": host_name(ws)})
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    bundle = dest / host_name(ws)
    recorded = {e["name"]: e["resource_ids"] for e in _bundle.read_manifest(str(bundle))["not_covered"]}
    assert list(recorded) == list(_not_covered.NAMES)
    assert recorded == dict(dict.fromkeys(_not_covered.NAMES, []), **{k: [v] for k, v in linked.items()})
    html_text = (bundle / "report.html").read_text(encoding="utf-8")
    md_text = (bundle / "report.md").read_text(encoding="utf-8")
    for name, resource_id in linked.items():
        row = html_text[html_text.index(f'data-not-covered="{name}"'):]
        assert resource_id in row[:row.index("</tr>")], name
        assert resource_id.replace("_", "\\_") in md_text or resource_id in md_text, name
    assert html_text.count("data-not-covered=") == len(_not_covered.NAMES)
    assert "/purge" in html_text and "code-{guid}" in html_text  # Azure Monitor's purge API; the notebooks' file share


def encodings(secret):
    """A secret as it could leak: raw, base64 (standard and URL-safe) and URL-encoded."""
    raw = secret.encode()
    return {raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw), quote(secret, safe="").encode(),
            quote_plus(secret).encode()}


def test_no_secret_is_requested_nor_shown_in_any_encoding(ansible, demo_inventory, tmp_path):
    """The canary secrets of /_emulator/secrets (datastores, services' private keys, the v2 connections') reach no bundle
    file and no line of a -vvv run, raw, base64 or URL-encoded; no call that returns secrets is sent."""
    emu = ansible.emulator
    secrets = emu.secrets()
    assert any("connection" in s for s in secrets)
    since = emu.journal()[-1]["seq"] if emu.journal() else 0
    dest = tmp_path / "exports"
    run = export(ansible, demo_inventory, dest, "-vvv")
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    needles = {s: encodings(s) for s in secrets}
    output = (run.stdout + run.stderr).encode()
    blobs = [("-vvv output", output)]
    for top, dirs, names in os.walk(dest):
        blobs += [(os.path.join(top, n), open(os.path.join(top, n), "rb").read()) for n in names]  # noqa: SIM115
    leaked = [(where, s) for where, data in blobs for s, forms in needles.items() if any(f in data for f in forms)]
    assert not leaked, leaked[:5]
    journal = [e for e in emu.journal() if e["seq"] > since]
    asked = [e["path"] for e in journal if any(w in e["path"].lower() for w in ("listsecrets", "listkeys", "getblobreferencesas"))]
    assert not asked and any(e["op"] == "connections.list" for e in journal)


def test_artifact_contents_are_stored_inside_the_bundle(ansible, demo_inventory, tmp_path):
    emu = ansible.emulator
    ws = next(w for w in emu.state()["workspaces"] if w["name"] == "ws-sales-analytics")
    dest = tmp_path / "exports"
    options = {"export_workspace_data_artifact_content": True, "target": host_name(ws)}
    run = export(ansible, demo_inventory, dest, extra_vars=options)
    assert run.rc == 0, run.stdout + run.stderr
    bundle = dest / host_name(ws)
    index = list(_bundle.iter_objects(str(bundle / "artifact_contents.json")))
    assert sorted(e["artifactId"] for e in index) == sorted(state_ids(ws, "artifacts"))
    real = os.path.realpath(bundle)
    for entry in index:
        stored = os.path.realpath(os.path.join(bundle, entry["stored_path"]))
        assert stored.startswith(real + os.sep + "artifacts" + os.sep), entry
        content = open(stored, "rb").read()  # noqa: SIM115
        assert content.startswith(("emulated artifact %s\n" % entry["artifactId"]).encode())
        assert entry["size"] == len(content)
    paths = {e["path"] for e in index}
    assert "../../.ssh/authorized_keys" in paths and "/etc/passwd" in paths
    # nothing escaped: no file outside the export root but the ones the export owns
    outside = [p for p in os.listdir(tmp_path) if p not in ("exports", "inventory.yml", "host_vars") and not p.startswith("results-")]
    assert outside == []
    assert _bundle.verify_artifact_contents(str(bundle)) == []
    assert _bundle.read_manifest(str(bundle))["kinds"]["artifact_contents"]["count"] == len(index)


def test_rerun_changes_nothing_then_a_new_object_replaces_its_kind_file(ansible, demo_inventory, tmp_path):
    emu = ansible.emulator
    dest = tmp_path / "exports"
    first = export(ansible, demo_inventory, dest, extra_vars={"export_workspace_data_archive": True})
    assert first.rc == 0, first.stdout
    before = snapshot(dest)
    second = export(ansible, demo_inventory, dest, extra_vars={"export_workspace_data_archive": True})
    assert second.rc == 0
    assert all(counts["changed"] == 0 for counts in second.recap.values()), second.recap
    assert snapshot(dest) == before
    ws = next(w for w in emu.state()["workspaces"] if w["name"] == "ws_hr-people")
    emu.create_object(ws["id"], "models", {"name": "late-model"})
    third = export(ansible, demo_inventory, dest, extra_vars={"export_workspace_data_archive": True})
    assert third.rc == 0
    changed_hosts = {h for h, counts in third.recap.items() if counts["changed"] and h != "localhost"}  # localhost: the fleet summary
    assert changed_hosts == {host_name(ws)}
    after = snapshot(dest)
    host = host_name(ws)
    replaced = {k for k in before if k in after and after[k] != before[k]}
    # the new model's creator now appears in the workspace's subject index too; one store, two views: the v1 model is a v2
    # model version, in a new model container
    assert replaced == {host + "/models.json", host + "/model_containers.json", host + "/model_versions.json",
                        host + "/manifest.json", host + "/digests.json", host + "/subjects.json",
                        host + "/report.html", host + "/report.md", host + ".tar.gz", "fleet-summary.json"}
    now = next(w for w in emu.state()["workspaces"] if w["id"] == ws["id"])
    assert len(state_ids(now, "models")) == len(state_ids(ws, "models")) + 1
    assert sorted(bundle_ids(str(dest / host), "models")) == sorted(state_ids(now, "models"))
    assert _bundle.verify_bundle(str(dest / host)) == []


def test_check_mode_writes_nothing_and_reports_counts(ansible, demo_inventory, tmp_path):
    emu = ansible.emulator
    state = emu.state()["workspaces"]
    dest = tmp_path / "never-created"
    run = export(ansible, demo_inventory, dest, check=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert not dest.exists()
    for result in run.task(EXPORT_TASK):
        ws = next(w for w in state if host_name(w) == result["host"])
        for kind in KIND_NAMES:
            expected = 0 if kind.startswith("pipeline_") else len(state_ids(ws, kind))
            assert result["result"]["kinds"][kind]["count"] == expected, (ws["name"], kind)
        assert result["result"]["changed"] is True
    assert emu.counters()["mutating"] == 0
    journal = emu.journal()
    assert not any(e["mutating"] or e["method"] not in ("GET", "POST") for e in journal)
    assert any(e["op"] == "jobs.list" for e in journal)  # the v2 kinds were listed (the plan is the real listing)
    reports = run.task("gdpr.azureml.export_workspace_data : Report the objects per kind")
    assert len(reports) == len(state) and all("would be exported" in r["result"]["msg"] for r in reports)


def test_a_failing_workspace_does_not_stop_the_others(ansible, demo_inventory, tmp_path):
    inventory = demo_inventory.read_text(encoding="utf-8").replace(
        "  vars:\n",
        "    ghost:\n      azureml_subscription_id: 00000000-0000-4000-8000-000000000001\n"
        "      azureml_resource_group: rg-gdpr-demo\n      azureml_workspace_name: ws-ghost\n  vars:\n")
    path = tmp_path / "with-ghost.yml"
    path.write_text(inventory, encoding="utf-8")
    dest = tmp_path / "exports"
    run = export(ansible, path, dest)
    assert run.rc != 0  # the fleet summary fails the run
    assert run.recap["ghost"]["rescued"] == 1 and run.recap["ghost"]["failed"] == 0  # rescued: the others and the summary go on
    assert [r["host"] for r in run.task("Record the failure for the fleet summary")] == ["ghost"]
    others = {h: c for h, c in run.recap.items() if h not in ("ghost", "localhost")}
    assert len(others) == len(ansible.emulator.state()["workspaces"]) and all(c["failed"] == 0 for c in others.values())
    summary = json.loads((dest / "fleet-summary.json").read_text(encoding="utf-8"))
    ghost = next(w for w in summary["workspaces"] if w["host"] == "ghost")
    assert ghost["status"] == "failed" and "ws-ghost does not exist" in ghost["failures"][0]
    assert not (dest / "ghost").exists()


def test_the_summary_is_written_even_when_every_workspace_fails(ansible, tmp_path):
    path = tmp_path / "ghosts.yml"
    path.write_text("all:\n  hosts:\n    ghost:\n      azureml_subscription_id: 00000000-0000-4000-8000-000000000001\n"
                    "      azureml_resource_group: rg-gdpr-demo\n      azureml_workspace_name: ws-ghost\n"
                    "  vars:\n    ansible_connection: local\n    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n",
                    encoding="utf-8")
    dest = tmp_path / "exports"
    run = export(ansible, path, dest)
    assert run.rc != 0
    summary = json.loads((dest / "fleet-summary.json").read_text(encoding="utf-8"))
    assert [w["status"] for w in summary["workspaces"]] == ["failed"]


def test_host_options_reach_the_module_through_module_defaults(ansible, demo_inventory, tmp_path):
    """azureml_options (host or group variable) configure the module: here the only source of base_url and token."""
    emu = ansible.emulator
    inventory = demo_inventory.read_text(encoding="utf-8").replace(
        "  vars:\n",
        "  vars:\n    azureml_options:\n      auth_source: token\n      base_url: %s\n      access_token: %s\n      concurrency: 2\n"
        % (emu.url, emu.token))
    path = tmp_path / "with-options.yml"
    path.write_text(inventory, encoding="utf-8")
    run = export(ansible, path, tmp_path / "exports", env={"AZUREML_BASE_URL": None, "AZUREML_ACCESS_TOKEN": None,
                                                           "ANSIBLE_AZURE_AUTH_SOURCE": None})
    assert run.rc == 0, run.stdout + run.stderr
    assert emu.token not in run.stdout + run.stderr


def test_host_options_add_to_the_plays_group_defaults(ansible, demo_inventory, tmp_path):
    """A play's module_defaults for group/gdpr.azureml.azureml still apply: the role's per-module defaults
    (from azureml_options) add to them, option by option, instead of replacing them."""
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    assert "export_bundle" in runtime["action_groups"]["azureml"], \
        "meta/runtime.yml: the action group azureml must list export_bundle (and the *_info modules)"
    emu = ansible.emulator
    ws = emu.state()["workspaces"][0]
    play = ansible.write_playbook("group-defaults.yml", """
- name: Export with the connection in the play's group defaults
  hosts: all
  gather_facts: false
  module_defaults:
    group/gdpr.azureml.azureml:
      auth_source: token
      access_token: "%s"
  tasks:
    - name: Export
      ansible.builtin.include_role:
        name: gdpr.azureml.export_workspace_data
""" % emu.token)
    host_vars = demo_inventory.parent / "host_vars"
    host_vars.mkdir(exist_ok=True)
    (host_vars / ("%s.yml" % host_name(ws))).write_text(json.dumps({"azureml_options": {"base_url": emu.url}}), encoding="utf-8")
    run = ansible.playbook(play, "--limit", host_name(ws), inventory=demo_inventory,
                           extra_vars={"export_workspace_data_dest": str(tmp_path / "exports")},
                           env={"AZUREML_BASE_URL": None, "AZUREML_ACCESS_TOKEN": None, "ANSIBLE_AZURE_AUTH_SOURCE": None})
    assert run.rc == 0, run.stdout + run.stderr
    assert _bundle.verify_bundle(str(tmp_path / "exports" / host_name(ws))) == []


def test_bad_input_is_refused_before_any_request(ansible, demo_inventory, tmp_path):
    emu = ansible.emulator
    for extra, message in (
        ({"export_workspace_data_kinds": ["models", "bogus"]}, "export_workspace_data_kinds"),
        ({"export_workspace_data_pipeline_ids": {"graphs": ["a"]}}, "export_workspace_data_pipeline_ids.graphs"),
        ({"export_workspace_data_subjects": {"someone": 1}}, "export_workspace_data_subjects"),
        ({"export_workspace_data_artifact_content": True, "export_workspace_data_kinds": ["runs"]}, "export_workspace_data_artifact_content"),
        ({"export_workspace_data_dest": "relative/path"}, "export_workspace_data_dir"),
    ):
        emu.clear_journal()
        # The fleet summary goes under tmp_path: with a relative export_workspace_data_dest it would otherwise be
        # written relative to the playbook's folder (a local module runs there), i.e. into the collection itself.
        extra = dict({"export_workspace_data_dest": str(tmp_path / "x"),
                      "fleet_summary_file": str(tmp_path / "summary" / "fleet-summary.json")}, **extra)
        run = ansible.playbook(PLAYBOOK, inventory=demo_inventory, extra_vars=dict(extra, target="rg-gdpr-demo_ws-empty-sandbox"))
        assert run.rc != 0
        failure = run.task("Say that this workspace failed (the others go on; the fleet summary fails the run)")[0]["result"]["msg"]
        assert message in failure, failure
        assert emu.journal() == [], extra
        assert json.loads((tmp_path / "summary" / "fleet-summary.json").read_text(encoding="utf-8"))["totals"]["failed"] == 1
    assert not (ROOT / "playbooks" / "relative").exists()


def test_subjects_are_accepted(ansible, demo_inventory, tmp_path):
    run = ansible.playbook(PLAYBOOK, inventory=demo_inventory, extra_vars={
        "export_workspace_data_dest": str(tmp_path / "x"), "target": "rg-gdpr-demo_ws-empty-sandbox",
        "export_workspace_data_subjects": ["anna.svensson@contoso.example", "00000000-0000-4000-8000-000000000123"]})
    assert run.rc == 0, run.stdout


def test_an_empty_workspace_costs_one_request_per_list_and_nothing_more(ansible, demo_inventory, tmp_path):
    """The fixed cost of an empty workspace, in requests (its time is measured by bench/, not by a test)."""
    emu = ansible.emulator
    run = ansible.playbook(PLAYBOOK, inventory=demo_inventory, extra_vars={
        "export_workspace_data_dest": str(tmp_path / "x"), "target": "rg-gdpr-demo_ws-empty-sandbox"})
    assert run.rc == 0, run.stdout
    result = run.task(EXPORT_TASK)[0]["result"]
    assert result["count"] == 1  # the workspace itself; every other kind is empty
    ops = sorted(e["op"] for e in emu.journal())
    # one GET of the workspace and one (empty) page per listed kind: no fan-out, no second page
    assert len(ops) == len(set(ops)) and all(not e["mutating"] for e in emu.journal()), ops


def test_kinds_files_are_named_after_kinds(ansible, demo_inventory, tmp_path):
    run = export(ansible, demo_inventory, tmp_path / "exports", extra_vars={"target": "rg-ml-research_mlresearch01"})
    assert run.rc == 0
    names = set(os.listdir(tmp_path / "exports" / "rg-ml-research_mlresearch01"))
    assert names == {KINDS[k].file for k in KIND_NAMES} | {"manifest.json", "digests.json", "subjects.json", "report.html", "report.md"}
