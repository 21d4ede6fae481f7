"""``python -m azureml_emulator``: start the Azure API server and the fake Azure AD.

Prints, flushed, once both listen::

    STORAGE https://127.0.0.1:<port>     (only with --storage azurite: Azurite's blob endpoint, path style)
    LISTENING http://127.0.0.1:<port>
    AAD https://127.0.0.1:<port> CA <path of the CA's PEM file>
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import signal
import socket
import sys

from aiohttp import web

from . import storage
from .aad import TestCA, make_aad_app
from .app import Emulator
from .azurite import Azurite, AzuriteError
from .config import DEFAULT_STATIC_TOKEN, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT, PAGING_FAULTS, RuntimeConfig, StartupOptions


def parse_args(argv: list[str] | None = None) -> tuple[StartupOptions, RuntimeConfig, str]:
    defaults = RuntimeConfig()
    p = argparse.ArgumentParser(prog="python -m azureml_emulator",
                                description="Local emulator of the Azure ML REST APIs (see docs/emulator.md).")
    g = p.add_argument_group("server")
    g.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    g.add_argument("--port", type=int, default=0, help="Azure API port (0: a free one)")
    g.add_argument("--aad-port", type=int, default=0, help="fake Azure AD port, HTTPS (0: a free one)")
    g.add_argument("--tls", action="store_true", help="serve the Azure APIs over HTTPS too (same test CA)")
    g.add_argument("--ca-dir", help="directory for the test CA's PEM file (default: a new temporary directory)")
    g.add_argument("--journal-max", type=int, default=200_000, help="journal entries kept (oldest dropped first)")
    g.add_argument("--log-level", default="WARNING")
    g = p.add_argument_group("data")
    g.add_argument("--scenario", default="demo", help="empty | demo | large | path of a JSON/YAML scenario file")
    g.add_argument("--scenario-seed", type=int, help="override the scenario's seed")
    g.add_argument("--page-size", type=int, default=defaults.page_size, help="items per list page, every family")
    g.add_argument("--storage", choices=["azurite"], help="start Azurite (make azurite) as the workspaces' storage "
                   "accounts, over HTTPS with the test CA, and fill it with the scenario's files")
    g = p.add_argument_group("auth")
    g.add_argument("--token", default=DEFAULT_STATIC_TOKEN, help="a static bearer token always accepted")
    g.add_argument("--tenant", default=DEMO_TENANT, help="the fake Azure AD's tenant id")
    g.add_argument("--client", action="append", default=[], metavar="ID:SECRET",
                   help="an extra service principal the fake Azure AD knows (repeatable)")
    g.add_argument("--token-lifetime", type=int, default=defaults.token_lifetime, help="seconds a token is valid")
    g = p.add_argument_group("long-running operations")
    g.add_argument("--lro-polls", type=int, default=defaults.lro_polls, help="polls answered 'in progress' first")
    g.add_argument("--lro-seconds", type=float, default=defaults.lro_seconds,
                   help="an operation also completes after this many seconds (0: only polls count)")
    g.add_argument("--retry-after", type=int, default=defaults.retry_after, help="Retry-After on 202s and 503s")
    g.add_argument("--no-soft-delete", action="store_true", help="workspace DELETE purges even without forceToPurge")
    g = p.add_argument_group("faults")
    g.add_argument("--latency-ms", type=float, default=0.0)
    g.add_argument("--spike-rate", type=float, default=0.0, help="fraction of requests delayed by --spike-ms more")
    g.add_argument("--spike-ms", type=float, default=0.0)
    g.add_argument("--fault-rate", type=float, default=0.0, help="fraction answered 500/503")
    g.add_argument("--rate-limit", type=float, default=0.0, help="requests per second (token bucket; 0: off)")
    g.add_argument("--rate-burst", type=int, default=defaults.rate_burst, help="token bucket size")
    g.add_argument("--drop-rate", type=float, default=0.0, help="fraction of connections closed without a response")
    g.add_argument("--paging-fault", choices=[f for f in PAGING_FAULTS if f], help="a misbehaving list: a nextLink to another "
                   "host (foreign_link), or pages after the first repeating their token (repeat_token)")
    g.add_argument("--seed", type=int, default=0, help="seed of the fault/latency random generator")
    g = p.add_argument_group("switches", "each restores one old, wrong behaviour of the emulator (docs/emulator.md)")
    g.add_argument("--no-artifact-data-container", action="store_true",
                   help="serve artifacts under the run id, not under the run's dataContainerId")
    g.add_argument("--no-experiment-view-type", action="store_true", help="ignore viewType: list archived experiments always")
    g.add_argument("--no-metrics-v2", action="store_true", help="no v2 metrics service (its routes answer 404)")
    g.add_argument("--no-contentinfo-path-form", action="store_true",
                   help="content info only with ?path= (the path-in-URL form answers 404)")
    g.add_argument("--no-v2-list-view-type", action="store_true",
                   help="v2 lists ignore listViewType: every list answers its default view (ActiveOnly, EnabledOnly)")
    a = p.parse_args(argv)

    clients = {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET}
    for spec in a.client:
        cid, sep, secret = spec.partition(":")
        if not sep or not cid or not secret:
            p.error(f"--client wants ID:SECRET, got {spec!r}")
        clients[cid] = secret
    options = StartupOptions(host=a.host, port=a.port, aad_port=a.aad_port, scenario=a.scenario,
                             scenario_seed=a.scenario_seed, static_token=a.token, tenant=a.tenant, clients=clients,
                             ca_dir=a.ca_dir, tls=a.tls, journal_max=a.journal_max, storage=a.storage or "")
    config = RuntimeConfig()
    try:
        config.update({"page_size": a.page_size, "latency_ms": a.latency_ms, "spike_rate": a.spike_rate,
                       "spike_ms": a.spike_ms, "fault_rate": a.fault_rate, "rate_limit": a.rate_limit,
                       "rate_burst": a.rate_burst, "drop_rate": a.drop_rate, "token_lifetime": a.token_lifetime,
                       "lro_polls": a.lro_polls, "lro_seconds": a.lro_seconds, "retry_after": a.retry_after,
                       "soft_delete": not a.no_soft_delete, "seed": a.seed, "paging_fault": a.paging_fault or "",
                       "artifact_data_container": not a.no_artifact_data_container,
                       "experiment_view_type": not a.no_experiment_view_type, "metrics_v2": not a.no_metrics_v2,
                       "contentinfo_path_form": not a.no_contentinfo_path_form,
                       "v2_list_view_type": not a.no_v2_list_view_type})
    except ValueError as exc:
        p.error(str(exc))
    return options, config, a.log_level


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


def _url(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


async def serve(options: StartupOptions, config: RuntimeConfig) -> None:
    emu = Emulator(options, config)
    ca = TestCA(options.ca_dir, [options.host])
    emu.ca_path = ca.ca_path

    loop = asyncio.get_running_loop()
    if options.storage == "azurite":
        emu.azurite = Azurite(storage.accounts(emu.store), ca=ca.ca, host=options.host)
        try:
            emu.azurite.start()  # in this thread: Azurite is told to stop when the thread that started it ends
            await loop.run_in_executor(None, emu.seed_storage)
        except Exception:
            emu.azurite.stop()
            raise

    api_sock = _bind(options.host, options.port)
    aad_sock = _bind(options.host, options.aad_port)
    api_url = _url("https" if options.tls else "http", options.host, api_sock.getsockname()[1])
    aad_url = _url("https", options.host, aad_sock.getsockname()[1])
    emu.aad_url = aad_url
    emu.auth.aad_url = aad_url

    api_runner = web.AppRunner(emu.make_app(), access_log=None, handle_signals=False)
    aad_runner = web.AppRunner(make_aad_app(emu), access_log=None, handle_signals=False)
    await api_runner.setup()
    await aad_runner.setup()
    await web.SockSite(api_runner, api_sock, ssl_context=ca.server_context() if options.tls else None).start()
    await web.SockSite(aad_runner, aad_sock, ssl_context=ca.server_context()).start()

    if emu.azurite is not None:
        print(f"STORAGE {emu.azurite.url}", flush=True)
    print(f"LISTENING {api_url}", flush=True)
    print(f"AAD {aad_url} CA {ca.ca_path}", flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # pragma: no cover - not on POSIX
            pass
    await stop.wait()
    await api_runner.cleanup()
    await aad_runner.cleanup()
    if emu.azurite is not None:
        await loop.run_in_executor(None, emu.azurite.stop)
    if options.ca_dir is None:  # a temporary directory of our own
        shutil.rmtree(ca.dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    options, config, level = parse_args(argv)
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        asyncio.run(serve(options, config))
    except ValueError as exc:  # a bad scenario
        print(f"azureml_emulator: {exc}", file=sys.stderr)
        return 2
    except (OSError, AzuriteError) as exc:  # a port in use, Azurite missing or failing, ...
        print(f"azureml_emulator: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
