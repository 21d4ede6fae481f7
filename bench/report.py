"""Render a bench result (default bench/latest.json; bench/storage-latest.json for ``make bench-storage``) as the Markdown
tables of docs/performance.md."""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render(d):
    e, a, b, p, f, rl, tk = (d[k] for k in ("export", "baseline_a", "baseline_b", "purge", "fleet", "rate_limited", "tokens"))
    m = d.get("memory_100k_models")
    lb, pb = e["lower_bound"], p["lower_bound"]
    rows = [
        ("Export of ws-large (export_workspaces playbook)", "%.1f s" % e["wall_s"],
         "%d requests, %d objects, %s module run(s), peak module RSS %.0f MB; load %s before, %s after"
         % (e["requests"], e["objects"], e["module_runs_per_host"].popitem()[1], e["peak_module_rss_mb"], e["load_before"], e["load_after"])),
        ("CPU used by that export", "%.0f CPU-s" % (e["cpu_s"]["ansible_total"] + e["cpu_s"]["emulator"]) if "cpu_s" in e else "-",
         "ansible + modules %.1f s (export_bundle %.1f s), emulator %.1f s" % (e["cpu_s"]["ansible_total"], e["cpu_s"]["module"], e["cpu_s"]["emulator"])
         if "cpu_s" in e else "-"),
        ("Lower bound of the export", "%.1f s" % lb["total_s"],
         "max(%d × %d ms / %d, longest chain %d pages × %d ms) = %.2f s, + fixed cost %.1f s; measured/bound **%.2f×**"
         % (lb["requests"], d["latency_ms"], d["concurrency"], lb["longest_chain"], d["latency_ms"], lb["bound_s"], lb["fixed_s"], e["vs_bound"])),
        ("Fixed cost: export of an empty workspace", "%.1f s" % d["empty_export"]["wall_s"], "%d requests" % d["empty_export"]["requests"]
         + (", %.1f CPU-s (ansible-playbook and its module processes)" % d["empty_export"]["cpu_s"] if "cpu_s" in d["empty_export"] else "")),
        ("Fixed cost: purge of an empty workspace", "%.1f s" % d["empty_purge"]["wall_s"], "%d requests" % d["empty_purge"]["requests"]
         + (", %.1f CPU-s" % d["empty_purge"]["cpu_s"] if "cpu_s" in d["empty_purge"] else "")),
        ("Baseline A: `ansible.builtin.uri` loop", "%.0f s" % a["extrapolated_s"],
         "%.3f s per call (%d-call sample minus a 1-call run), × %d calls; export **%.0f×** faster"
         % (a["per_item_s"], a["sample"], e["requests"], a["export_speedup"])),
        ("Baseline B: sequential `requests` replay", "%.0f s" % b["estimated_s"],
         "the export's %d calls, one session, one after another (%d replayed); export **%.1f×** faster"
         % (e["requests"], b["replayed"], b["export_speedup"])),
        ("Purge of ws-large (purge_workspaces playbook)", "%.1f s" % p["wall_s"],
         "%d requests, %d deletes, %s module run(s); bound %.2f s + fixed %.1f s (empty purge) + %.1f s (the service side of the "
         "AKS deletes) = %.1f s; measured/bound **%.2f×**"
         % (p["requests"], p["deletes"], p["module_runs_per_host"].popitem()[1], pb["bound_s"], pb["fixed_s"], pb.get("operation_s", 0),
            pb["total_s"], p["vs_bound"])),
        ("Fleet: 16 small workspaces, forks 1 / 4 / 8", "%.1f / %.1f / %.1f s" % (f["forks_1"]["wall_s"], f["forks_4"]["wall_s"], f["forks_8"]["wall_s"]),
         "%.1f / %.1f / %.1f workspaces per minute; forks 4 **%.2f×**, forks 8 %.2f× forks 1"
         % (f["forks_1"]["workspaces_per_min"], f["forks_4"]["workspaces_per_min"], f["forks_8"]["workspaces_per_min"],
            f["speedup_4_vs_1"], f["speedup_8_vs_1"])),
        ("Token grants through Azure AD (16 workspaces, forks 4)", "%d" % tk["token_grants"],
         "%.2f per workspace, %d service module runs" % (tk["per_workspace"], tk["service_module_runs"])),
        ("Export under a rate limit of %d req/s" % rl["limit_per_s"], "%.1f s" % rl["wall_s"],
         "%d failed tasks, %s answered 429, %.1f req/s served (**%.2f×** the limit) over the requests' span, %.1f req/s over the playbook"
         % (rl["failed_tasks"], rl["throttled_429"], rl["throughput_per_s"], rl["throughput_vs_limit"], rl["throughput_wall_per_s"])),
    ]
    if m:
        rows.append(("Peak module RSS, 100,000 models (model_info dest)", "%.0f MB" % m["peak_module_rss_mb"],
                     "%s models, %d requests (page size %d), %.1f s" % (m["models"], m["requests"], m["page_size"], m["wall_s"])))
    out = ["| measurement | figure | detail |", "|---|---|---|"]
    out += ["| %s | %s | %s |" % r for r in rows]
    out += ["", "| target | result |", "|---|---|"]
    out += ["| %s | %s |" % (name, "pass" if ok else "**FAIL**") for name, ok in d["targets"].items()]
    out += ["", "Machine: %(nproc)s cores, %(cpu)s, %(memory_gb)s GB, Python %(python)s." % d["machine"],
            "Load average (1, 5, 15 min): %s at the start, %s at the end; bench %s s, started %s."
            % (d["load_start"], d["load_end"], d["bench_wall_s"], d["started"])]
    return "\n".join(out)


def render_storage(d):
    """``make bench-storage``'s result (bench/storage.py): one row per phase, then the CPU per blob of each side."""
    phases = [d[name] for name in ("with_latency", "loopback") if name in d]

    def label(ph):
        return "%g ms per request (proxy)" % ph["latency_ms"] if ph["latency_ms"] is not None else "none (loopback, no proxy)"

    out = ["%d blobs, %s bytes (%d of 40 MiB), concurrency %d, 4 MiB chunks; loopback bandwidth %.0f MB/s (one TCP connection)."
           % (d["blobs"], format(d["bytes"], ","), d["large_blobs"], d["concurrency"], d["loopback_mb_s"])]
    if "version_blobs" in d:  # since issue 17: part of the blobs are the files of data and model versions
        shared = max((ph.get("shared_version_blobs", 0) for ph in phases), default=0)
        out[0] += (" Of them, %d run files (%d run prefixes) and **%d version files** (%s bytes) of %d data and %d model versions, "
                   "%d of them named by two versions (stored once)."
                   % (d["blobs"] - d["version_blobs"], d["runs"], d["version_blobs"], format(d["version_bytes"], ","),
                      d["versions"]["data_versions"], d["versions"]["model_versions"], shared))
    out += ["", "| injected latency | sequential download | export | speed-up | idle-machine ceiling | export peak RSS | rerun (peak RSS) "
                "| load average (1 min) |",
            "|---|---|---|---|---|---|---|---|"]
    for ph in phases:
        rerun = "%.1f s (%.1f MB)" % (ph["rerun_seconds"], ph["rerun_peak_rss_mb"]) if "rerun_seconds" in ph else "-"
        out.append("| %s | %.1f s (%.1f MB/s) | %.1f s (%.1f MB/s) | **%.2f×** | %.2f× | %.1f MB | %s | %s → %s |"
                   % (label(ph), ph["sequential_seconds"], ph["sequential_mb_s"], ph["export_seconds"], ph["export_mb_s"],
                      ph["speedup_vs_sequential"], ph["speedup_ceiling_idle"], ph["export_peak_rss_mb"], rerun,
                      ph["load_start"][0], ph["load_end"][0]))
    out += ["", "| injected latency | phase | wall per blob | Azurite CPU | client CPU | proxy CPU | CPU-s per wall second (2 cores) |",
            "|---|---|---|---|---|---|---|"]
    for ph in phases:
        for name in ("sequential", "export"):
            per = ph["per_blob_ms"][name]
            out.append("| %s | %s | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.2f |"
                       % (label(ph), name, per["wall"], per["azurite_cpu"], per["client_cpu"], per["proxy_cpu"],
                          ph["%s_cpu_seconds_per_wall_second" % name]))
    out += ["", "| target (issue 16) | result |", "|---|---|"]
    out += ["| %s | %s |" % (name, "pass" if ok else "**FAIL**") for name, ok in d["targets"].items()]
    out += ["", "Machine: %(cpus)s cores, Python %(python)s." % d["machine"],
            "Load average (1, 5, 15 min): %s at the start, %s at the end; bench %s s (seeding %s s), started %s; `%s`."
            % (d["load_start"], d["load_end"], d["bench_seconds"], d["seed_seconds"], d["started"], d["command"])]
    return "\n".join(out)


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "latest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    print(render_storage(data) if "with_latency" in data else render(data))
