"""Benchmark of gdpr.azureml against the emulator (``make bench``; a script, not a test).

Starts the emulator with the ``large`` scenario and 20 ms latency per request, then measures side by
side: the export role (playbook) of ws-large, its lower bound, baseline A (``ansible.builtin.uri`` in a
loop, sampled and extrapolated), baseline B (a sequential ``requests`` replay of the export's calls),
the purge of the same workspace, a fleet of 16 small workspaces with forks 1/4/8, token grants per
workspace through the emulator's Azure AD, the peak memory of a module exporting 100,000 models, and
an export under a rate limit. Prints one table and writes it as JSON to ``bench/results/<timestamp>.json``
and ``bench/latest.json`` (the copy docs/performance.md cites).

Options: ``--quick`` skips baseline B's full replay (replays a sample and extrapolates) and the 100k run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from azureml_emulator.testing import EmulatorProcess  # noqa: E402

COLLECTIONS = ROOT / "build" / "collections"
CALLBACKS = ROOT / "tests" / "integration" / "callback_plugins"
LATENCY_MS = 20
# A long-running delete (an AKS service) takes this long on the service side, however often it is polled (the emulator's
# default, 2 polls, would make the purge's polling pace the measure). It is a serial step of any purge: the images wait
# for their services to be gone. The purge's lower bound includes it once.
LRO_SECONDS = 2.0
CONCURRENCY = 8  # the modules' default
# The purge of ws-large deletes every object of the deletable kinds: about 2,800 v1 objects, and some 11,000 more once the
# v2 kinds (jobs, asset versions and containers, endpoints, deployments, schedules) are in the purge's default kinds.
PURGE_MAX_DELETIONS = 100000
SUB = "00000000-0000-4000-8000-000000000001"
LIST_OPS_SUFFIX = (".list", ".list_subscription")
# The collection's action plugins that run in the controller's process (no module process): not module runs.
CONTROLLER_ACTIONS = {p.stem for p in (ROOT / "plugins" / "action").glob("*.py")}


# -- helpers -------------------------------------------------------------------------------------
class RssPoller:
    """Peak RSS of the module processes (AnsiballZ) below a process tree, polled every 50 ms."""

    def __init__(self, pid):
        self.root = psutil.Process(pid)
        self.peak = 0
        self.modules = set()
        self.cpu = {}  # pid -> last seen user+system seconds of each module process
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                children = self.root.children(recursive=True)
            except psutil.Error:
                break
            for child in children:
                try:
                    cmd = " ".join(child.cmdline())
                    if "AnsiballZ" in cmd:
                        self.modules.add(child.pid)
                        self.peak = max(self.peak, child.memory_info().rss)
                        times = child.cpu_times()
                        self.cpu[child.pid] = times.user + times.system
                except psutil.Error:
                    continue
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _children_cpu():
    """CPU seconds of this process's waited-for children (ansible-playbook and everything it ran)."""
    times = os.times()
    return times.children_user + times.children_system


def emulator_cpu(emu):
    times = psutil.Process(emu.proc.pid).cpu_times()
    return times.user + times.system


def ansible_env(emu, **extra):
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
        ANSIBLE_CALLBACKS_ENABLED="result_dump",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        AZUREML_BASE_URL=emu.url,
        AZUREML_ACCESS_TOKEN=emu.token,
        ANSIBLE_AZURE_AUTH_SOURCE="token",
    )
    for name in ("AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_CLIENT_SECRET", "AZURE_TENANT", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"):
        env.pop(name, None)
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


def run_playbook(emu, work, playbook, inventory=None, extra_vars=None, *, forks=None, env=None):
    """Run ansible-playbook; wall time, rc, peak module RSS, module runs and failed tasks (from the result dump)."""
    dump = Path(tempfile.mkstemp(prefix="results-", suffix=".jsonl", dir=work)[1])
    cmd = [str(Path(sys.executable).with_name("ansible-playbook")), str(playbook)]
    if inventory:
        cmd += ["-i", str(inventory)]
    if forks:
        cmd += ["-f", str(forks)]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    cpu0 = _children_cpu()
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=str(work), env=ansible_env(emu, GDPR_AZUREML_RESULT_DUMP=dump, **(env or {})),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with RssPoller(proc.pid) as poller:
        out, _ = proc.communicate()
    wall = time.monotonic() - t0
    results = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines() if line.strip()]
    module_runs = Counter(r["host"] for r in results if r["action"].startswith("gdpr.azureml.") and r["status"] != "skipped"
                          and r["action"].split(".")[-1] not in CONTROLLER_ACTIONS)
    failed = [r for r in results if r["status"] == "failed"]
    if proc.returncode != 0:
        print(out[-3000:], file=sys.stderr)
    return {"wall_s": round(wall, 2), "rc": proc.returncode, "peak_module_rss_mb": round(poller.peak / 2**20, 1),
            "module_cpu_s": round(sum(poller.cpu.values()), 1), "ansible_cpu_s": round(_children_cpu() - cpu0, 1),
            "module_processes": len(poller.modules), "module_runs_per_host": dict(module_runs), "failed_tasks": len(failed),
            "results": results}


def inventory(work, name, workspaces, sub=SUB):
    lines = ["all:", "  hosts:"]
    for rg, ws in workspaces:
        lines += ["    %s_%s:" % (rg, ws), "      azureml_subscription_id: %s" % sub,
                  "      azureml_resource_group: %s" % rg, "      azureml_workspace_name: %s" % ws]
    lines += ["  vars:", "    ansible_connection: local", '    ansible_python_interpreter: "{{ ansible_playbook_python }}"']
    path = work / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def journal(emu):
    entries, since = [], 0
    while True:
        page = emu.get_json("/_emulator/journal?since=%d&limit=10000" % since)
        entries += page["entries"]
        if not page["entries"] or page["next"] == since:
            return entries
        since = page["next"]


def list_parents():
    """``{list operation: the list operation of its parent kind}`` from the collection's kinds table (runs under
    experiments, versions under their container, deployments under their endpoint, ...)."""
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))  # main() has linked the collection there
    from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KINDS

    return {k.list_op: KINDS[k.parent].list_op for k in KINDS.values() if k.list_op and k.parent and KINDS[k.parent].list_op}


def longest_chain(entries, parents=None):
    """The longest chain of requests that must go one after another, in pages, and its operations (outermost first).

    The pages of one list (same operation and path in the journal: a nextLink or a continuation token keeps the path) follow
    one another. A list under a parent object (the versions of one container, the deployments of one endpoint, the runs of
    one experiment) starts at the earliest after the first page of its parent's list, and so on up: each ancestor list that
    the journal holds adds one page (the parent may have been on its first page: the bound stays a lower bound).
    """
    parents = list_parents() if parents is None else parents
    pages = Counter((e["op"], e["path"]) for e in entries if (e["op"] or "").endswith(LIST_OPS_SUFFIX))
    longest = {}
    for (op, _path), n in pages.items():
        longest[op] = max(longest.get(op, 0), n)

    def chain(op):
        parent = parents.get(op)
        up = chain(parent) if parent in longest else []
        return [(p, 1) for p, dummy in up] + [(op, longest[op])]

    best = max((chain(op) for op in longest), key=lambda c: sum(n for dummy, n in c), default=[])
    return sum(n for dummy, n in best) or 1, ["%s x%d" % (op, n) for op, n in best], len(pages)


def lower_bound(entries, latency_s=LATENCY_MS / 1000, concurrency=CONCURRENCY, parents=None):
    """max(requests x latency / concurrency, longest chain of pages x latency) (:func:`longest_chain`)."""
    longest, ops, lists = longest_chain(entries, parents)
    n = len(entries)
    return {"requests": n, "list_chains": lists, "longest_chain": longest, "longest_chain_ops": ops,
            "bound_s": round(max(n * latency_s / concurrency, longest * latency_s), 2)}


def spans(entries):
    """Per operation: requests and seconds from its first to its last request (where the time went)."""
    by_op = {}
    for e in entries:
        t = datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
        first, last, n = by_op.get(e["op"], (t, t, 0))
        by_op[e["op"]] = (min(first, t), max(last, t), n + 1)
    return {op: {"requests": n, "span_s": round(last - first, 2)} for op, (first, last, n) in sorted(by_op.items(), key=lambda kv: kv[1][0])}


def url_of(emu, entry):
    url = emu.url + quote(entry["path"], safe="/:@!$'()*+,;=-._~")
    if entry.get("query"):
        url += "?" + urlencode(entry["query"])
    return url


def machine():
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def load():
    return [round(x, 2) for x in os.getloadavg()]


def scenario_file(work, name, workspaces, counts):
    data = {"seed": 11, "defaults": {"hostile": False, "counts": counts},
            "subscriptions": [{"id": SUB, "resource_groups": [{"name": "rg-bench", "workspaces": [{"name": w} for w in workspaces]}]}]}
    path = work / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


SMALL = {"experiments": 2, "runs_per_experiment": 5, "metrics_per_run": 1, "artifacts_per_run": 2, "tasks": 3, "datastores": 7,
         "computes": 3, "models": 10, "assets": 5, "images": 3, "services": 2, "pipeline_objects": 2}


# -- the measurements ------------------------------------------------------------------------------
def bench_export_and_purge(work, out, quick):
    export_pb = ROOT / "playbooks" / "export_workspaces.yml"
    purge_pb = ROOT / "playbooks" / "purge_workspaces.yml"
    lat = ["--latency-ms", str(LATENCY_MS)]

    # Fixed cost: an empty workspace, exported and purged (same latency).
    with EmulatorProcess("empty", args=lat) as emu:
        ws = emu.state()["workspaces"][0]
        inv = inventory(work, "inv-empty.yml", [(ws["resource_group"], ws["name"])])
        dest = work / "exp-empty"
        emu.clear_journal()
        r = run_playbook(emu, work, export_pb, inv, {"export_workspace_data_dest": str(dest)})
        out["empty_export"] = {"wall_s": r["wall_s"], "rc": r["rc"], "requests": len(journal(emu)), "cpu_s": r["ansible_cpu_s"],
                               "module_runs_per_host": r["module_runs_per_host"]}
        emu.clear_journal()
        r = run_playbook(emu, work, purge_pb, inv, {"export_workspace_data_dest": str(dest), "purge_workspace_confirm": [ws["name"]]})
        out["empty_purge"] = {"wall_s": r["wall_s"], "rc": r["rc"], "requests": len(journal(emu)), "cpu_s": r["ansible_cpu_s"],
                              "module_runs_per_host": r["module_runs_per_host"]}
    print("empty workspace: export %.2f s, purge %.2f s" % (out["empty_export"]["wall_s"], out["empty_purge"]["wall_s"]), flush=True)

    with EmulatorProcess("large", args=lat + ["--lro-polls", "1000", "--lro-seconds", str(LRO_SECONDS)]) as emu:
        inv = inventory(work, "inv-large.yml", [("rg-large", "ws-large")])
        dest = work / "exp-large"

        # (1) the export role, (2) its lower bound
        emu.clear_journal()
        load_before = load()
        emu_cpu0 = emulator_cpu(emu)
        r = run_playbook(emu, work, export_pb, inv, {"export_workspace_data_dest": str(dest)})
        emu_cpu = round(emulator_cpu(emu) - emu_cpu0, 1)
        entries = journal(emu)
        counters = emu.counters()
        bound = lower_bound(entries)
        bound["fixed_s"] = out["empty_export"]["wall_s"]
        bound["total_s"] = round(bound["bound_s"] + bound["fixed_s"], 2)
        objects = sum(len(v) for v in emu.get_json("/_emulator/state?workspace=ws-large")["workspaces"][0]["objects"].values())
        # the bundle holds more: a job is also a run and a model version also a model (one store, two views)
        bundle_objects = next((x["result"].get("count") for x in r["results"] if x["action"] == "gdpr.azureml.export_bundle"
                               and isinstance(x.get("result"), dict)), None)
        out["export"] = {"wall_s": r["wall_s"], "rc": r["rc"], "failed_tasks": r["failed_tasks"], "requests": len(entries),
                         "requests_by_counters": counters["requests"], "peak_module_rss_mb": r["peak_module_rss_mb"],
                         "module_runs_per_host": r["module_runs_per_host"], "objects": objects, "bundle_objects": bundle_objects,
                         "by_op": spans(entries), "lower_bound": bound,
                         "vs_bound": round(r["wall_s"] / bound["total_s"], 2), "load_before": load_before, "load_after": load(),
                         "cpu_s": {"module": r["module_cpu_s"], "ansible_total": r["ansible_cpu_s"], "emulator": emu_cpu}}
        print("export: %(wall_s).2f s, %(requests)d requests, peak module RSS %(peak_module_rss_mb).1f MB" % out["export"],
              "bound %.2f s" % bound["total_s"], flush=True)
        gets = [e for e in entries if e["method"] == "GET"]

        # (3) baseline A: ansible.builtin.uri in a loop over a sample of the same calls
        sample = [url_of(emu, e) for e in gets[:: max(1, len(gets) // 100)][:100]]
        pb = work / "baseline_a.yml"
        pb.write_text(
            "- hosts: localhost\n  gather_facts: false\n  connection: local\n  tasks:\n"
            "    - name: GET one object per item\n      ansible.builtin.uri:\n        url: '{{ item }}'\n"
            "        headers: {Authorization: 'Bearer %s'}\n        return_content: false\n"
            "      loop: '{{ urls }}'\n" % emu.token, encoding="utf-8")
        one = run_playbook(emu, work, pb, extra_vars={"urls": sample[:1]})
        many = run_playbook(emu, work, pb, extra_vars={"urls": sample})
        per_item = (many["wall_s"] - one["wall_s"]) / (len(sample) - 1)
        extrapolated = one["wall_s"] + per_item * (len(entries) - 1)
        out["baseline_a"] = {"sample": len(sample), "sample_wall_s": many["wall_s"], "one_item_wall_s": one["wall_s"],
                             "per_item_s": round(per_item, 3), "extrapolated_s": round(extrapolated, 1),
                             "failed_tasks": many["failed_tasks"], "export_speedup": round(extrapolated / r["wall_s"], 1)}
        print("baseline A: %.3f s per item, %.0f s extrapolated" % (per_item, extrapolated), flush=True)

        # (4) baseline B: the export's calls, one after another, one session
        replay = entries if not quick else entries[:500]
        session = requests.Session()
        session.headers["Authorization"] = "Bearer " + emu.token
        t0 = time.monotonic()
        bad = 0
        for e in replay:
            resp = session.request(e["method"], url_of(emu, e), timeout=60)
            bad += resp.status_code >= 400
        b_wall = time.monotonic() - t0
        b_total = b_wall * len(entries) / len(replay)
        session.close()
        out["baseline_b"] = {"replayed": len(replay), "replay_wall_s": round(b_wall, 1), "estimated_s": round(b_total, 1),
                             "errors": bad, "export_speedup": round(b_total / r["wall_s"], 1)}
        print("baseline B: %.1f s for %d requests" % (b_total, len(entries)), flush=True)

        # (5) the purge of the same workspace, against the same kind of bound
        emu.clear_journal()
        emu_cpu0 = emulator_cpu(emu)
        # Every deletable kind of ws-large: with the v2 kinds in the purge's defaults, more than the role's default
        # purge_workspace_max_deletions (10000), a guard against a purge larger than meant, not this one.
        p = run_playbook(emu, work, purge_pb, inv, {"export_workspace_data_dest": str(dest), "purge_workspace_confirm": ["ws-large"],
                                                    "purge_workspace_max_deletions": PURGE_MAX_DELETIONS})
        pentries = journal(emu)
        pbound = lower_bound(pentries)
        pbound["fixed_s"] = out["empty_purge"]["wall_s"]
        pbound["operation_s"] = LRO_SECONDS
        pbound["total_s"] = round(pbound["bound_s"] + pbound["fixed_s"] + LRO_SECONDS, 2)
        deletes = sum(1 for e in pentries if e["method"] == "DELETE")
        out["purge"] = {"wall_s": p["wall_s"], "rc": p["rc"], "failed_tasks": p["failed_tasks"], "requests": len(pentries),
                        "deletes": deletes, "by_op": spans(pentries), "peak_module_rss_mb": p["peak_module_rss_mb"],
                        "module_runs_per_host": p["module_runs_per_host"], "lower_bound": pbound,
                        "vs_bound": round(p["wall_s"] / pbound["total_s"], 2), "load_after": load(),
                        "cpu_s": {"module": p["module_cpu_s"], "ansible_total": p["ansible_cpu_s"], "emulator": round(emulator_cpu(emu) - emu_cpu0, 1)}}
        print("purge: %.2f s, %d requests (%d deletes), bound %.2f s" % (p["wall_s"], len(pentries), deletes, pbound["total_s"]), flush=True)

        # Rate limit: the same export, reseeded, under a token bucket
        limit = 100
        emu.reset()
        emu.configure(rate_limit=limit, rate_burst=10)
        emu.clear_journal()
        shutil.rmtree(dest, ignore_errors=True)
        rl = run_playbook(emu, work, export_pb, inv, {"export_workspace_data_dest": str(dest)})
        rentries = journal(emu)
        served = [e for e in rentries if e["status"] != 429]
        times = sorted(e["time"] for e in rentries)
        span = (datetime.fromisoformat(times[-1].replace("Z", "+00:00")) - datetime.fromisoformat(times[0].replace("Z", "+00:00"))).total_seconds()
        c = emu.counters()
        out["rate_limited"] = {"limit_per_s": limit, "wall_s": rl["wall_s"], "rc": rl["rc"], "failed_tasks": rl["failed_tasks"],
                               "requests": len(rentries), "throttled_429": c.get("throttled"), "served": len(served),
                               "throughput_per_s": round(len(served) / span, 1), "throughput_vs_limit": round(len(served) / span / limit, 2),
                               "throughput_wall_per_s": round(len(served) / rl["wall_s"], 1)}
        emu.configure(reset=True)
        print("rate limited: %(wall_s).1f s, %(throughput_per_s).1f req/s, %(throttled_429)s throttled, %(failed_tasks)d failed" % out["rate_limited"],
              flush=True)


def bench_fleet(work, out):
    names = ["ws-fleet-%02d" % i for i in range(16)]
    scen = scenario_file(work, "fleet.json", names, SMALL)
    export_pb = ROOT / "playbooks" / "export_workspaces.yml"
    with EmulatorProcess(str(scen), args=["--latency-ms", str(LATENCY_MS)]) as emu:
        inv = inventory(work, "inv-fleet.yml", [("rg-bench", n) for n in names])
        fleet = {}
        for forks in (1, 4, 8):
            dest = work / ("fleet-%d" % forks)
            emu.clear_journal()
            r = run_playbook(emu, work, export_pb, inv, {"export_workspace_data_dest": str(dest)}, forks=forks)
            fleet["forks_%d" % forks] = {"wall_s": r["wall_s"], "rc": r["rc"], "failed_tasks": r["failed_tasks"],
                                         "requests": emu.counters()["requests"], "workspaces_per_min": round(16 * 60 / r["wall_s"], 1),
                                         "module_runs_per_host": sorted(set(r["module_runs_per_host"].values())), "load_after": load()}
            print("fleet forks %d: %.1f s" % (forks, r["wall_s"]), flush=True)
        fleet["speedup_4_vs_1"] = round(fleet["forks_1"]["wall_s"] / fleet["forks_4"]["wall_s"], 2)
        fleet["speedup_8_vs_1"] = round(fleet["forks_1"]["wall_s"] / fleet["forks_8"]["wall_s"], 2)
        out["fleet"] = fleet

        # (7) tokens through the emulator's Azure AD (auth_source env)
        emu.clear_journal()
        before = emu.counters()["token_grants"]
        r = run_playbook(emu, work, export_pb, inv, {"export_workspace_data_dest": str(work / "fleet-aad")}, forks=4, env={
            "ANSIBLE_AZURE_AUTH_SOURCE": "env", "AZUREML_ACCESS_TOKEN": None, "AZURE_AUTHORITY_HOST": emu.aad_url,
            "REQUESTS_CA_BUNDLE": emu.ca_path, "AZURE_TENANT": emu.tenant, "AZURE_CLIENT_ID": emu.client_id,
            "AZURE_SECRET": emu.client_secret})
        grants = emu.counters()["token_grants"] - before
        service_runs = sum(1 for x in r["results"] if x["action"] == "gdpr.azureml.export_bundle" and x["status"] == "ok")
        out["tokens"] = {"workspaces": 16, "rc": r["rc"], "failed_tasks": r["failed_tasks"], "token_grants": grants,
                         "per_workspace": round(grants / 16, 2), "service_module_runs": service_runs, "wall_s": r["wall_s"]}
        print("tokens: %d grants for 16 workspaces (%d module runs)" % (grants, service_runs), flush=True)


def bench_memory(work, out):
    scen = scenario_file(work, "models100k.json", ["ws-models"], {**{k: 0 for k in SMALL}, "models": 100000})
    with EmulatorProcess(str(scen), args=["--page-size", "100"]) as emu:
        pb = work / "models.yml"
        pb.write_text(
            "- hosts: localhost\n  gather_facts: false\n  connection: local\n  tasks:\n"
            "    - name: Export every model\n      gdpr.azureml.model_info:\n        subscription_id: %s\n"
            "        resource_group: rg-bench\n        workspace_name: ws-models\n        dest: %s\n" % (SUB, work / "models.json"),
            encoding="utf-8")
        emu.clear_journal()
        r = run_playbook(emu, work, pb)
        count = r["results"][-1]["result"].get("count") if r["results"] else None
        out["memory_100k_models"] = {"wall_s": r["wall_s"], "rc": r["rc"], "models": count, "requests": emu.counters()["requests"],
                                     "peak_module_rss_mb": r["peak_module_rss_mb"], "page_size": 100}
        print("100k models: %.1f s, peak module RSS %.1f MB" % (r["wall_s"], r["peak_module_rss_mb"]), flush=True)


def targets(out):
    t = {}
    e = out["export"]
    t["export >= 50x baseline A"] = out["baseline_a"]["export_speedup"] >= 50
    t["export >= 5x baseline B"] = out["baseline_b"]["export_speedup"] >= 5
    t["export <= 1.5x lower bound"] = e["vs_bound"] <= 1.5
    t["purge <= 1.5x lower bound"] = out["purge"]["vs_bound"] <= 1.5
    t["empty workspace fixed cost < 10 s"] = out["empty_export"]["wall_s"] < 10
    if "memory_100k_models" in out:
        t["peak module RSS < 200 MB at 100k models"] = out["memory_100k_models"]["peak_module_rss_mb"] < 200
    t["fleet forks 4 >= 1.7x forks 1"] = out["fleet"]["speedup_4_vs_1"] >= 1.7
    rl = out["rate_limited"]
    t["rate limited: 0 failed, >= 0.7x limit"] = rl["failed_tasks"] == 0 and rl["rc"] == 0 and rl["throughput_vs_limit"] >= 0.7
    t["token grants <= 1 per module run"] = out["tokens"]["token_grants"] <= out["tokens"]["service_module_runs"]
    return t


def table(out):
    e, a, b, p, f, rl, tk = (out[k] for k in ("export", "baseline_a", "baseline_b", "purge", "fleet", "rate_limited", "tokens"))
    rows = [
        ("export ws-large (playbook)", "%.1f s" % e["wall_s"], "%d requests, %d objects (%s in the bundle), peak module RSS %.0f MB, %s module runs"
         % (e["requests"], e["objects"] or 0, e.get("bundle_objects"), e["peak_module_rss_mb"], e["module_runs_per_host"])),
        ("  CPU used", "%.0f s" % (e["cpu_s"]["ansible_total"] + e["cpu_s"]["emulator"]),
         "ansible+modules %.1f s (export_bundle %.1f s), emulator %.1f s, in %.1f s on %s cores"
         % (e["cpu_s"]["ansible_total"], e["cpu_s"]["module"], e["cpu_s"]["emulator"], e["wall_s"], out["machine"]["nproc"])),
        ("  lower bound", "%.1f s" % e["lower_bound"]["total_s"], "%.1f s (%d x %d ms / %d; longest chain %d pages) + fixed %.1f s; ratio %.2fx"
         % (e["lower_bound"]["bound_s"], e["requests"], LATENCY_MS, CONCURRENCY, e["lower_bound"]["longest_chain"],
            e["lower_bound"]["fixed_s"], e["vs_bound"])),
        ("empty workspace export", "%.1f s" % out["empty_export"]["wall_s"], "%d requests" % out["empty_export"]["requests"]),
        ("baseline A (uri loop)", "%.0f s" % a["extrapolated_s"], "%.3f s/item over %d items, extrapolated; export %.1fx faster"
         % (a["per_item_s"], a["sample"], a["export_speedup"])),
        ("baseline B (sequential requests)", "%.0f s" % b["estimated_s"], "%d calls replayed; export %.1fx faster" % (b["replayed"], b["export_speedup"])),
        ("purge ws-large (playbook)", "%.1f s" % p["wall_s"], "%d requests (%d deletes); bound %.1f s (+ fixed %.1f s); ratio %.2fx"
         % (p["requests"], p["deletes"], p["lower_bound"]["total_s"], p["lower_bound"]["fixed_s"], p["vs_bound"])),
        ("fleet 16 ws, forks 1/4/8", "%.1f / %.1f / %.1f s" % (f["forks_1"]["wall_s"], f["forks_4"]["wall_s"], f["forks_8"]["wall_s"]),
         "forks 4: %.2fx, forks 8: %.2fx of forks 1" % (f["speedup_4_vs_1"], f["speedup_8_vs_1"])),
        ("token grants (AAD, 16 ws)", "%d" % tk["token_grants"], "%.2f per workspace, %d module runs" % (tk["per_workspace"], tk["service_module_runs"])),
        ("rate limit %d req/s" % rl["limit_per_s"], "%.1f s" % rl["wall_s"], "%.1f req/s served (%.2fx), %s throttled, %d failed tasks"
         % (rl["throughput_per_s"], rl["throughput_vs_limit"], rl["throttled_429"], rl["failed_tasks"])),
    ]
    if "memory_100k_models" in out:
        m = out["memory_100k_models"]
        rows.append(("100k models (model_info dest)", "%.1f MB" % m["peak_module_rss_mb"], "peak module RSS, %s models, %.1f s" % (m["models"], m["wall_s"])))
    width = max(len(r[0]) for r in rows)
    lines = ["%-*s  %14s  %s" % (width, *r) for r in rows]
    lines.append("")
    lines += ["%-4s %s" % ("PASS" if ok else "FAIL", name) for name, ok in out["targets"].items()]
    lines.append("machine: %(nproc)s x %(cpu)s, %(memory_gb)s GB" % out["machine"])
    lines.append("load average: start %s, end %s" % (out["load_start"], out["load_end"]))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["export", "fleet", "memory"], action="append")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONPATH", str(ROOT / "tests" / "emulator"))
    link = COLLECTIONS / "ansible_collections" / "gdpr" / "azureml"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT)
    out = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(), "load_start": load(),
           "latency_ms": LATENCY_MS, "concurrency": CONCURRENCY, "command": "make bench"}
    t0 = time.monotonic()
    only = set(args.only or ["export", "fleet", "memory"])
    with tempfile.TemporaryDirectory(prefix="gdpr-bench-") as tmp:
        work = Path(tmp)
        if "export" in only:
            bench_export_and_purge(work, out, args.quick)
        if "fleet" in only:
            bench_fleet(work, out)
        if "memory" in only and not args.quick:
            bench_memory(work, out)
    out["load_end"] = load()
    out["bench_wall_s"] = round(time.monotonic() - t0, 1)
    if only == {"export", "fleet", "memory"}:
        out["targets"] = targets(out)
        print(table(out))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    text = json.dumps(out, indent=2, sort_keys=True, default=str) + "\n"
    (results / (time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + ".json")).write_text(text, encoding="utf-8")
    if only == {"export", "fleet", "memory"} and not args.quick:
        (ROOT / "bench" / "latest.json").write_text(text, encoding="utf-8")
    print("bench: %.0f s; results in bench/results/ and bench/latest.json" % out["bench_wall_s"])


if __name__ == "__main__":
    main()
