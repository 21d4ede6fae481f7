"""What azureml-core 1.61 expects of the service (issue 14), and the switch of each difference that restores the old behaviour.

tests/conformance runs Microsoft's own client against the emulator; these are the emulator's own, quicker checks of
the same four differences: artifacts in the run's data container, archived experiments behind ``viewType``, the v2
metrics service (reads, paged by a body token), content information with the path in the URL.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from emuhelpers import WS_NAME, collect, collect_metrics_v2, enc, ws_path, ws_state

WS = ws_path()
ARTIFACTS = f"/artifact/v1.0{WS}/artifacts/origins/ExperimentRun/containers"


def _experiment_ids(emulator, view_type=None, body=False):
    path = f"/history/v1.0{WS}/experiments"
    if body:
        r = emulator.request("POST", path + ":query", json={"viewType": view_type} if view_type else {})
    else:
        r = emulator.request("GET", path, params={"viewType": view_type} if view_type else {})
    assert r.status_code == 200, r.text
    return {e["experimentId"] for e in r.json()["value"]}


@pytest.mark.parametrize("body", [False, True], ids=["query", "body"])
def test_archived_experiments_are_listed_only_when_view_type_asks(emulator, body):
    st = ws_state(emulator)
    archived = {e["id"] for e in st["objects"]["experiments"] if e["archived"]}
    active = {e["id"] for e in st["objects"]["experiments"]} - archived
    assert archived and active
    assert _experiment_ids(emulator, None, body) == active == _experiment_ids(emulator, "ActiveOnly", body)
    assert _experiment_ids(emulator, "Default", body) == active
    assert _experiment_ids(emulator, "ArchivedOnly", body) == archived
    assert _experiment_ids(emulator, "All", body) == active | archived
    # the runs of an archived experiment are still listed by experiment
    name = next(e["name"] for e in st["objects"]["experiments"] if e["archived"])
    runs = emulator.get_json(f"/history/v1.0{WS}/experiments/{enc(name)}/runs")["value"]
    assert runs and {r["runId"] for r in runs} == {r["id"] for r in st["objects"]["runs"] if r["experiment"] == name}
    assert emulator.request("GET", f"/history/v1.0{WS}/experiments", params={"viewType": "Some"}).status_code == 400
    emulator.configure(experiment_view_type=False)  # the switch: viewType ignored, as the old emulator did
    assert _experiment_ids(emulator, "ActiveOnly", body) == active | archived


def test_artifacts_live_in_the_runs_data_container(emulator):
    st = ws_state(emulator)
    run = st["objects"]["runs"][0]
    mine = sorted(a["id"] for a in st["objects"]["artifacts"] if a["run_id"] == run["id"])
    assert run["container"] == "dcid." + run["id"] and mine
    assert sorted(a["artifactId"] for a in emulator.get_json(f"{ARTIFACTS}/{enc(run['container'])}")["value"]) == mine
    assert emulator.get_json(f"{ARTIFACTS}/{enc(run['id'])}")["value"] == []  # no container is named after the run id
    one = emulator.get_json(f"/history/v1.0{WS}/runs/{enc(run['id'])}")  # a run by id alone: its data container
    assert one["dataContainerId"] == run["container"]
    assert emulator.request("GET", f"/history/v1.0{WS}/runs/no-such-run").status_code == 404
    emulator.configure(artifact_data_container=False)  # the switch: served under the run id again
    old = emulator.get_json(f"{ARTIFACTS}/{enc(run['id'])}")["value"]
    assert sorted(a["artifactId"] for a in old) == sorted(i.replace("/dcid.", "/", 1) for i in mine)
    assert {a["container"] for a in old} == {run["id"]}
    assert emulator.get_json(f"{ARTIFACTS}/{enc(run['container'])}")["value"] == []


def test_content_info_with_the_path_in_the_url(emulator):
    st = ws_state(emulator)
    art = next(a for a in st["objects"]["artifacts"] if a["path"] == "outputs/model with spaces.pkl")
    path = "/".join(quote(seg, safe="") for seg in art["path"].split("/"))
    url = f"/artifact/v2.0{WS}/artifacts/contentinfo/ExperimentRun/{enc(art['container'])}/{path}"
    info = emulator.get_json(url)
    assert (info["container"], info["path"]) == (art["container"], art["path"])
    content = emulator.request("GET", url.replace("/contentinfo/", "/content/", 1))
    assert content.status_code == 200 and content.content == emulator.request("GET", info["contentUri"], token=False).content
    # dot segments, encoded by the client, reach the handler as they are
    dotted = next(a for a in st["objects"]["artifacts"] if a["path"] == "../../.ssh/authorized_keys")
    encoded = "%2E%2E/%2E%2E/.ssh/authorized_keys"
    got = emulator.get_json(f"/artifact/v2.0{WS}/artifacts/contentinfo/ExperimentRun/{enc(dotted['container'])}/{encoded}")
    assert got["path"] == dotted["path"]
    emulator.configure(contentinfo_path_form=False)  # the switch: only ?path=, as the 2019 swagger (and the old emulator)
    assert emulator.request("GET", url).status_code == 404


@pytest.mark.parametrize("page_size", [1, 2, 50])
def test_v2_metrics_every_value_once_and_reads_not_mutations(emulator, page_size):
    emulator.configure(page_size=page_size)
    st = ws_state(emulator)
    expected = {(m["run_id"], m["name"]): m["value_ids"] for m in st["objects"]["metrics_v2"]}
    assert len(expected) == 2 * len(st["objects"]["runs"]) and any(len(v) > 3 for v in expected.values())
    got = {}
    for run in st["objects"]["runs"]:
        for metric in collect_metrics_v2(emulator, WS, run["id"]):
            assert metric["dataContainerId"] == run["container"] and metric["columns"] and metric["properties"]
            got[(run["id"], metric["name"])] = [v["metricId"] for v in metric["value"]]
            assert all({"metricId", "createdUtc", "step", "data"} <= set(v) for v in metric["value"])
    assert got == expected
    entries = [e for e in emulator.journal() if (e["op"] or "").startswith("metrics_v2.")]
    assert entries and not any(e["mutating"] for e in entries) and emulator.counters()["mutating"] == 0


def test_v2_metrics_errors_and_switch(emulator):
    st = ws_state(emulator)
    base = f"/metric/v2.0{WS}/runs/{enc(st['objects']['runs'][0]['id'])}"
    r = emulator.request("POST", base + "/full", json={"metricName": "no_such_metric"})
    assert r.status_code == 404 and r.json()["error"]["code"]
    assert emulator.request("POST", base + "/full", json={}).status_code == 400
    assert emulator.request("POST", base + "/list", json={"continuationToken": "garbage"}).status_code == 400
    assert emulator.request("POST", f"/metric/v2.0{WS}/runs/no-such-run/list", json={}).json()["value"] == []
    emulator.configure(metrics_v2=False)  # the switch: no v2 metrics service
    assert emulator.request("POST", base + "/list", json={}).status_code == 404


def test_services_carry_what_the_sdk_requires_and_the_key_is_a_known_secret(emulator):
    services = collect(emulator, f"/modelmanagement/v1.0{WS}/services", "mms")[0]
    aci = [s for s in services if s["computeType"] == "ACI"]
    aks = [s for s in services if s["computeType"] == "AKS"]
    assert aci and aks
    for s in aci:
        assert {"cname", "publicIp", "sslCertificate", "sslKey", "sslEnabled", "location"} <= set(s)
    for s in aks:
        assert {"autoScaler", "dataCollection", "maxConcurrentRequestsPerContainer", "maxQueueWaitMs", "scoringTimeoutMs",
                "livenessProbeRequirements", "aadAuthEnabled", "computeName", "numReplicas"} <= set(s)
    keyed = [s for s in aci if s["sslEnabled"]]
    assert keyed and all(s["sslKey"] for s in keyed)
    secrets = emulator.secrets()
    assert all(any(secret in s["sslKey"] for secret in secrets) for s in keyed)
    images = collect(emulator, f"/modelmanagement/v1.0{WS}/images", "mms")[0]
    assert all(i["assets"] and {"id", "mimeType", "url", "unpack"} <= set(i["assets"][0]) for i in images)


def test_switches_are_startup_flags_and_config_keys(emulator):
    cfg = emulator.config()
    assert {k: cfg[k] for k in ("artifact_data_container", "experiment_view_type", "metrics_v2", "contentinfo_path_form")} == dict.fromkeys(
        ("artifact_data_container", "experiment_view_type", "metrics_v2", "contentinfo_path_form"), True)
    from azureml_emulator.__main__ import parse_args  # noqa: PLC0415

    dummy, config, dummy2 = parse_args(["--no-artifact-data-container", "--no-experiment-view-type", "--no-metrics-v2",
                                        "--no-contentinfo-path-form"])
    assert not (config.artifact_data_container or config.experiment_view_type or config.metrics_v2 or config.contentinfo_path_form)
    assert WS_NAME in WS
