"""Benchmark of the storage export (issue 16): about 10,000 blobs and 1 GB from Azurite (``make bench-storage``; a script,
not a test).

Starts Azurite (``make azurite``) with one account and fills it with 9,990 small blobs (16-112 KiB) and 10 large ones
(40 MiB each) (``--blobs N``: N blobs, one 40 MiB blob in 1,000): the files of 100 runs (``ExperimentRun/dcid.run-NNN/``
in the ``azureml`` container) and, since issue 17, 1,000 of them (every 10th small blob and one 40 MiB blob) the files
of 16 data and model versions under ``LocalUpload/<hash>/`` in the blob store's container (``blobstore``): 10
``uri_folder`` versions, 5 ``uri_file`` ones (two of them files another version names too: the engine stores them
once), a ``custom_model`` folder (see :func:`layout`). The engine gets the run prefixes and the versions' targets,
resolved from their URIs through the datastores by ``_storage_uris.version_targets`` as ``export_bundle`` does; the
sequential download lists and downloads the same blobs. Then measures, in the same run:

- the loopback bandwidth of this machine (one TCP connection over 127.0.0.1, for reference);
- **with latency** (the target's setting): both clients talk to Azurite through a proxy
  (``azureml_emulator.storage_proxy``, a process of its own, plain HTTP in front, Shared Key) that adds ``--latency-ms``
  (default 20) once to every request before forwarding it: a model of the network between an operations machine and a
  storage account, which Azurite on 127.0.0.1 does not have;
  - baseline: a sequential download of every blob (``azure-storage-blob``, one at a time, one connection);
  - the collection: the storage export engine (``_storage_export.StorageExport`` on ``_storage.StorageClient``, the code
    ``export_bundle`` runs with ``storage: true``) in a process of its own, at concurrency 8, with its peak RSS polled
    every 20 ms; then its rerun (nothing downloaded: (etag, size) and the local SHA-256 match);
- **loopback** (``--no-loopback`` skips it): the same two straight to Azurite's HTTPS, where nothing waits but for a CPU;
- in each phase, the CPU time of Azurite (one Node.js thread), the engine, the sequential client and the proxy, per blob;
  the load average at the start and end of each phase.

Targets (issue 16): at least 3x the sequential download, peak memory at most 150 MB whatever the blob sizes.
Writes ``bench/storage-latest.json`` (``--output``); ``bench/report.py bench/storage-latest.json`` renders it for
docs/performance.md.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "stbench01"
RUNS = 100
SMALL = 9990
LARGE = 10
LARGE_SIZE = 40 * 1024 * 1024
CONCURRENCY = 8
FOLDERS = 10  # uri_folder data versions
UPLOADS = "blobstore"  # the container of the workspace's blob store (datastore workspaceblobstore)
WORKSPACE = ("00000000-0000-0000-0000-000000000000", "rg-bench", "ws-bench")
WS_ID = "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}".format(*WORKSPACE)
# The workspace's datastores as the v2 list returns them (names only: the resolver never reads a credential).
DATASTORES = [{"name": name, "properties": {"datastoreType": "AzureBlob", "accountName": ACCOUNT, "containerName": container}}
              for name, container in (("workspaceblobstore", UPLOADS), ("workspaceartifactstore", "azureml"))]


def sizes(count=SMALL + LARGE):
    """``[size]``: deterministic sizes, about 1 GB for 10,000 blobs (one 40 MiB blob in 1,000, the rest 16-112 KiB)."""
    large = max(1, count // 1000) if count >= 100 else 0
    return [16 * 1024 + (n * 7919) % (96 * 1024) for n in range(count - large)] + [LARGE_SIZE] * large


def upload(what):
    """``LocalUpload/<32 hex>``: the folder an upload of the SDK or studio creates on the workspace's blob store."""
    return "LocalUpload/" + hashlib.md5(what.encode()).hexdigest()


def version(kind, name, number, uri, type_):
    """``(kind, id, object)`` of a data or model version, as ``export_bundle`` collects them."""
    data = kind == "data_versions"
    obj_id = f"{WS_ID}/{'data' if data else 'models'}/{name}/versions/{number}"
    props = {"dataUri": uri, "dataType": type_} if data else {"modelUri": uri, "modelType": type_}
    return kind, obj_id, {"id": obj_id, "name": str(number), "properties": props}


def layout(count=SMALL + LARGE):
    """``(blobs, versions)``: ``blobs`` ``[(container, name, size)]`` with the sizes of :func:`sizes`, ``versions`` the
    ``(kind, id, object)`` of the data and model versions whose files some of them are.

    Every 10th small blob and the first 40 MiB one are version files in the blob store's container (``blobstore``, the
    datastore ``workspaceblobstore``), under ``LocalUpload/<hash>/``: 3 files of a ``uri_file`` version each (URI forms:
    a bare upload path, ``azureml://datastores/...``, ``https://<account>.blob...``; the first also named by a second
    version through ``wasbs://``), then one in 11 in a model version's folder (``custom_model``, the long ``azureml://``
    form, no final ``/``) with the 40 MiB blob, the rest in 10 ``uri_folder`` versions (one per folder), the first file
    of the first folder also a ``uri_file`` version of its own. The other blobs are run files, spread over the 100 run
    prefixes (``ExperimentRun/dcid.run-NNN/outputs/``) of the ``azureml`` container."""
    host = f"{ACCOUNT}.blob.core.windows.net"
    long_form = "azureml://subscriptions/{}/resourcegroups/{}/workspaces/{}/datastores/workspaceblobstore/paths/".format(*WORKSPACE)
    forms = [lambda p: p, lambda p: "azureml://datastores/workspaceblobstore/paths/" + p, lambda p: f"https://{host}/{UPLOADS}/{p}"]
    folders = [f"{upload(f'people-{f:02d}')}/people-{f:02d}/" for f in range(FOLDERS)]
    model = f"{upload('model')}/model"
    blobs, versions, first_in_folder = [], [], {}
    runs = version_files = 0
    for n, size in enumerate(sizes(count)):
        if size == LARGE_SIZE:
            if not any(name.startswith(model + "/") and s == LARGE_SIZE for dummy, name, s in blobs):
                blobs.append((UPLOADS, f"{model}/weights-{n:05d}.bin", size))
                continue
        elif n % 10 == 9:
            k, version_files = version_files, version_files + 1
            if k < len(forms):
                path = f"{upload(f'survey-{k}')}/survey-{k}.csv"
                blobs.append((UPLOADS, path, size))
                versions.append(version("data_versions", f"survey-{k}", 1, forms[k](path), "uri_file"))
                if k == 0:
                    versions.append(version("data_versions", "survey-0", 2, f"wasbs://{UPLOADS}@{host}/{path}", "uri_file"))
                continue
            f = (k - len(forms)) % (FOLDERS + 1)
            path = f"{model}/shard-{n:05d}.bin" if f == FOLDERS else f"{folders[f]}part-{n:05d}.bin"
            first_in_folder.setdefault(f, path)
            blobs.append((UPLOADS, path, size))
            continue
        blobs.append(("azureml", f"ExperimentRun/dcid.run-{runs % RUNS:03d}/outputs/{'model' if size == LARGE_SIZE else 'part'}-{n:05d}.bin", size))
        runs += 1
    versions += [version("data_versions", f"people-{f:02d}", 1, forms[1](folders[f]), "uri_folder") for f in range(FOLDERS)]
    if 0 in first_in_folder:
        versions.append(version("data_versions", "people-00", 2, forms[1](first_in_folder[0]), "uri_file"))
    versions.append(version("model_versions", "bench-model", 1, long_form + model, "custom_model"))
    return blobs, versions


def loopback_mb_s(total=512 * 1024 * 1024):
    """MB/s of one TCP connection over 127.0.0.1 (send ``total`` bytes, receive them)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    received = []

    def sink():
        conn, dummy = server.accept()
        got = 0
        while True:
            data = conn.recv(1 << 20)
            if not data:
                break
            got += len(data)
        received.append(got)
        conn.close()

    thread = threading.Thread(target=sink)
    thread.start()
    buf = b"\0" * (1 << 20)
    began = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as client:
        sent = 0
        while sent < total:
            client.sendall(buf)
            sent += len(buf)
    thread.join()
    server.close()
    return received[0] / (time.monotonic() - began) / 1e6


def seed(service, blobs):
    containers = {name: service.get_container_client(name) for name in sorted({c for c, dummy, dummy2 in blobs})}
    for container in containers.values():
        container.create_container()
    pattern = os.urandom(1 << 20)

    def put(item):
        container, name, size = item
        data = (pattern * (size // len(pattern) + 1))[:size]
        containers[container].upload_blob(name, data, overwrite=True, max_concurrency=1)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(put, blobs))


def sequential(service, folder):
    """Seconds to download every blob one after the other into files (the plain SDK, one connection): the run files
    (``azureml``, ``ExperimentRun/``), then the version files (``blobstore``, ``LocalUpload/``); the bytes and the number of
    blobs; the CPU seconds of this thread (the client's side: one thread)."""
    began = time.monotonic()
    cpu = time.thread_time()
    total = n = 0
    for name, prefix in (("azureml", "ExperimentRun/"), (UPLOADS, "LocalUpload/")):
        container = service.get_container_client(name)
        for blob in container.list_blobs(name_starts_with=prefix):
            stream = container.get_blob_client(blob.name).download_blob(max_concurrency=1)
            with open(os.path.join(folder, str(n)), "wb") as f:
                for chunk in stream.chunks():
                    f.write(chunk)
                    total += len(chunk)
            n += 1
    return time.monotonic() - began, total, n, time.thread_time() - cpu


def driver(url, key, ca, dest, *, concurrency, blobs):
    """The collection's engine in this process (``--driver``): the run prefixes and the version targets of
    :func:`layout` (``blobs`` blobs), the targets resolved from the versions' URIs through the datastores by
    ``_storage_uris.version_targets``, as ``export_bundle`` does; prints the summary as JSON."""
    sys.path.insert(0, str(ROOT / "build" / "collections"))
    from ansible_collections.gdpr.azureml.plugins.module_utils import _bundle, _clouds, _storage, _storage_export, _storage_uris

    storage = _storage.StorageClient(None, _clouds.get_cloud("AzureCloud"), account_key=key, storage_base_url=url, ca_path=ca or None,
                                     concurrency=concurrency)
    os.makedirs(dest, exist_ok=True)
    staging = _bundle.new_staging_dir(dest)
    runs = [(f"run-{n:03d}", f"dcid.run-{n:03d}") for n in range(RUNS)]
    export = _storage_export.StorageExport(storage, ACCOUNT, dest, staging, concurrency=concurrency, where="bench")
    versions = layout(blobs)[1]
    began, cpu = time.monotonic(), time.process_time()
    targets, unreachable = _storage_uris.version_targets(versions, DATASTORES, suffix=storage.cloud.storage_suffix,
                                                         workspace=WORKSPACE)
    if unreachable:
        raise SystemExit(f"versions not resolved: {unreachable}")
    result = export.run(runs, os.path.join(staging, _bundle.STORAGE_BLOBS_FILE), versions=targets)
    seconds, cpu = time.monotonic() - began, time.process_time() - cpu
    index = os.path.join(dest, _bundle.STORAGE_BLOBS_FILE)
    os.replace(os.path.join(staging, _bundle.STORAGE_BLOBS_FILE), index)
    _storage_export.remove_progress(dest)
    _bundle.remove_tree(staging)
    shared = sum(1 for e in _bundle.iter_objects(index) if sum(r["kind"] in _storage_uris.URI_FIELDS for r in e["referenced_by"]) > 1)
    print(json.dumps(dict(export.summary(), seconds=seconds, run_cpu_seconds=cpu, count=result["count"], version_targets=len(targets),
                          shared_version_blobs=shared)))


def engine(url, key, ca, dest, blobs):
    """Run the driver in a process of its own; ``(summary with cpu_seconds, peak RSS in MB)``."""
    cmd = [sys.executable, __file__, "--driver", url, key, ca, str(dest), str(CONCURRENCY), str(blobs)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak, cpu = 0, 0.0
    watched = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
            times = watched.cpu_times()
            cpu = times.user + times.system
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    out = proc.stdout.read()
    if proc.returncode != 0:
        raise SystemExit(f"the engine failed ({proc.returncode}): {out[-2000:]}")
    return dict(json.loads(out.strip().splitlines()[-1]), cpu_seconds=cpu), peak / 1e6


class ProxyProcess:
    """``azureml_emulator.storage_proxy`` in a process of its own (its CPU apart from both clients'), one per phase:
    ``latency_ms`` added once to every request before it is forwarded to Azurite."""

    def __init__(self, azurite, latency_ms):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "tests" / "emulator"), os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen([sys.executable, "-m", "azureml_emulator.storage_proxy", "--upstream", azurite.url,
                                      "--ca", azurite.ca_path, "--latency-ms", str(latency_ms)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            raise SystemExit(f"the storage proxy did not start: {self.url!r}")
        self.watched = psutil.Process(self.proc.pid)

    def cpu(self):
        times = self.watched.cpu_times()
        return times.user + times.system

    def close(self):
        """Stop it; ``(CPU seconds, requests forwarded)``."""
        cpu = self.cpu()
        self.proc.stdin.close()
        out = self.proc.stdout.read()
        self.proc.wait(timeout=30)
        return cpu, json.loads(out.strip().splitlines()[-1])["requests"]


def key_client(url, key):
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient(f"{url}/{ACCOUNT}", credential={"account_name": ACCOUNT, "account_key": key})


def phase(out, name, azurite, key, work, *, blobs, versions, latency_ms, rerun=False):
    """The sequential download, then the engine's export (and its rerun), both through a new proxy adding ``latency_ms``
    (None: straight to Azurite, a loopback with nothing to wait for but CPUs). Fills ``out[name]``."""
    server = psutil.Process(azurite.proc.pid)
    n, total = len(blobs), sum(size for dummy, dummy2, size in blobs)
    in_versions = sum(1 for container, dummy, dummy2 in blobs if container == UPLOADS)
    res = out[name] = {"latency_ms": latency_ms, "load_start": load()}

    def azurite_cpu():
        times = server.cpu_times()
        return times.user + times.system

    proxy = ProxyProcess(azurite, latency_ms) if latency_ms is not None else None
    try:
        url, ca = (proxy.url, "") if proxy else (azurite.url, azurite.ca_path)
        service = key_client(url, key) if proxy else azurite.service_client(ACCOUNT)
        before, proxy_before = azurite_cpu(), proxy.cpu() if proxy else 0.0
        (work / "sequential").mkdir()
        seconds, got, count, client_cpu = sequential(service, str(work / "sequential"))
        shutil.rmtree(work / "sequential")
        assert (got, count) == (total, n), (got, count, total, n)
        azurite_seq, proxy_seq = azurite_cpu() - before, (proxy.cpu() if proxy else 0.0) - proxy_before
        before, proxy_before = azurite_cpu(), proxy.cpu() if proxy else 0.0
        first, peak = engine(url, key, ca, work / f"bundle-{name}", n)
        azurite_export, proxy_export = azurite_cpu() - before, (proxy.cpu() if proxy else 0.0) - proxy_before
        assert first["count"] == n and first["bytes_downloaded"] == total and first["version_blobs"] == in_versions, first
        assert first["version_targets"] == len(versions) and first["shared_version_blobs"] >= 2, first
        if rerun:
            again, peak_again = engine(url, key, ca, work / f"bundle-{name}", n)
            assert again["downloaded"] == 0 and again["reused"] == n, again
            res.update(rerun_seconds=round(again["seconds"], 2), rerun_peak_rss_mb=round(peak_again, 1))
    finally:
        if proxy:
            proxy_cpu, requests_forwarded = proxy.close()
            res.update(proxy_cpu_seconds=round(proxy_cpu, 1), proxy_requests=requests_forwarded)
        shutil.rmtree(work / f"bundle-{name}", ignore_errors=True)
    res.update(sequential_seconds=round(seconds, 2), sequential_mb_s=round(total / seconds / 1e6, 1),
               export_seconds=round(first["seconds"], 2), export_mb_s=round(total / first["seconds"] / 1e6, 1),
               speedup_vs_sequential=round(seconds / first["seconds"], 2), export_peak_rss_mb=round(peak, 1),
               engine_cpu_share_export=round(first["run_cpu_seconds"] / first["seconds"], 2),
               engine_process_cpu_seconds=round(first["cpu_seconds"], 1), export_requests=export_requests(blobs, versions),
               version_blobs=first["version_blobs"], shared_version_blobs=first["shared_version_blobs"],
               azurite_cpu_share_sequential=round(azurite_seq / seconds, 2),
               azurite_cpu_share_export=round(azurite_export / first["seconds"], 2))
    # Per blob: wall and CPU milliseconds of each side (the proxy's too: it is CPU of this machine, not of a network).
    per = {"sequential": (seconds, azurite_seq, client_cpu, proxy_seq),
           "export": (first["seconds"], azurite_export, first["run_cpu_seconds"], proxy_export)}
    res["per_blob_ms"] = {p: {"wall": round(w * 1000 / n, 2), "azurite_cpu": round(a * 1000 / n, 2), "client_cpu": round(c * 1000 / n, 2),
                              "proxy_cpu": round(x * 1000 / n, 2)} for p, (w, a, c, x) in per.items()}
    # The export cannot take less per blob than the largest of: Azurite's CPU (one Node.js thread), the engine's (its
    # Python mostly holds the GIL), the proxy's, all of them over the cores, and the latency of its requests over the
    # transfers in flight. The sequential download takes at least its requests' latency plus every side's CPU, one after
    # the other. Their ratio is the speed-up an idle machine would show (here other processes share the cores: the wall
    # times include the waits for a CPU, which the CPU-bound export suffers more than the latency-bound sequential).
    cores = os.cpu_count() or 1
    a_ms, c_ms, x_ms = (v * 1000 / n for v in per["export"][1:])
    lat = latency_ms or 0
    bound = max(a_ms, c_ms, x_ms, (a_ms + c_ms + x_ms) / cores, lat * export_requests(blobs, versions) / n / CONCURRENCY)
    sequential_idle = lat * sequential_requests(blobs) / n + sum(v * 1000 / n for v in per["sequential"][1:])
    res.update(export_bound_per_blob_ms=round(bound, 2), sequential_idle_per_blob_ms=round(sequential_idle, 2),
               speedup_ceiling_idle=round(sequential_idle / bound, 2),
               export_cpu_seconds_per_wall_second=round((azurite_export + first["run_cpu_seconds"] + proxy_export) / first["seconds"], 2),
               sequential_cpu_seconds_per_wall_second=round((azurite_seq + client_cpu + proxy_seq) / seconds, 2))
    res["load_end"] = load()


def export_requests(blobs, versions):
    """The requests of the engine's export: one listing per run prefix and per version (one page: up to 5,000 blobs), one
    GET per 4 MiB chunk of each blob (a blob of several versions once)."""
    chunk = 4 * 1024 * 1024
    return RUNS + len(versions) + sum(-(-size // chunk) for dummy, dummy2, size in blobs)


def sequential_requests(blobs):
    """The requests of the sequential download: one listing page per 5,000 blobs of each container, one GET per blob up to
    32 MiB (the SDK's ``max_single_get_size``) and one per 4 MiB above it."""
    first, chunk = 32 * 1024 * 1024, 4 * 1024 * 1024
    per_container = Counter(blob[0] for blob in blobs)
    return sum(-(-count // 5000) for count in per_container.values()) + sum(1 + max(0, -(-(size - first) // chunk)) for dummy, dummy2, size in blobs)


def load():
    return [round(x, 2) for x in os.getloadavg()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--driver", nargs=6, metavar=("URL", "KEY", "CA", "DEST", "CONCURRENCY", "BLOBS"))
    parser.add_argument("--latency-ms", type=float, default=20.0,
                        help="network latency modelled by the proxy, added once to every request (default 20)")
    parser.add_argument("--blobs", type=int, default=SMALL + LARGE,
                        help="number of blobs (default 10,000: one 40 MiB blob in 1,000, the rest 16-112 KiB)")
    parser.add_argument("--no-loopback", action="store_true",
                        help="skip the phase straight to Azurite (no proxy, no latency: the loopback ceiling)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "storage-latest.json"))
    args = parser.parse_args()
    if args.driver:
        url, key, ca, dest, concurrency, blobs = args.driver
        driver(url, key, ca, dest, concurrency=int(concurrency), blobs=int(blobs))
        return
    sys.path.insert(0, str(ROOT / "tests" / "emulator"))
    from azureml_emulator.azurite import Azurite

    blobs, versions = layout(args.blobs)
    total = sum(size for dummy, dummy2, size in blobs)
    key = base64.b64encode(os.urandom(64)).decode()
    work = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    command = "make bench-storage" if args.blobs == SMALL + LARGE and args.latency_ms == 20 and not args.no_loopback else \
        "python bench/storage.py " + " ".join(sys.argv[1:])
    out = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "command": command, "load_start": load(),
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
           "blobs": len(blobs), "bytes": total, "large_blobs": sum(1 for b in blobs if b[2] == LARGE_SIZE),
           "version_blobs": sum(1 for b in blobs if b[0] == UPLOADS), "version_bytes": sum(b[2] for b in blobs if b[0] == UPLOADS),
           "versions": {kind: sum(1 for v in versions if v[0] == kind) for kind in ("data_versions", "model_versions")},
           "runs": RUNS,
           "concurrency": CONCURRENCY, "chunk_bytes": 4 * 1024 * 1024}
    output = Path(args.output)

    def save():
        output.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    began_all = time.monotonic()
    try:
        with Azurite({ACCOUNT: key}, location=str(work / "azurite")) as azurite:
            began = time.monotonic()
            seed(azurite.service_client(ACCOUNT), blobs)
            out["seed_seconds"] = round(time.monotonic() - began, 1)
            out["loopback_mb_s"] = round(loopback_mb_s(), 1)
            save()
            # With latency first: the target's setting (a network between the clients and the storage account).
            phase(out, "with_latency", azurite, key, work, blobs=blobs, versions=versions, latency_ms=args.latency_ms, rerun=True)
            save()
            if not args.no_loopback:
                phase(out, "loopback", azurite, key, work, blobs=blobs, versions=versions, latency_ms=None)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out["load_end"] = load()
    out["bench_seconds"] = round(time.monotonic() - began_all, 1)
    lat = out["with_latency"]
    out["targets"] = {"speedup_at_least_3x_with_latency": lat["speedup_vs_sequential"] >= 3,
                      "peak_rss_at_most_150_mb": max(lat["export_peak_rss_mb"], lat.get("rerun_peak_rss_mb", 0),
                                                     out.get("loopback", {}).get("export_peak_rss_mb", 0)) <= 150}
    save()
    print(json.dumps(out, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
