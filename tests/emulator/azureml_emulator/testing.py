"""Test harness: start the emulator in a subprocess and talk to it.

    with EmulatorProcess("demo", args=["--page-size", "3"]) as emu:
        r = emu.request("GET", "/subscriptions/.../workspaces?api-version=2019-11-01")
        emu.journal(); emu.state(); emu.configure(fault_rate=0.5); emu.reset()

    with EmulatorProcess("demo", storage="azurite") as emu:    # the workspaces' storage on Azurite
        emu.storage_url; emu.storage_token(); emu.storage_blobs(); emu.storage_service("<account>")
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from .config import DEFAULT_STATIC_TOKEN, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT

EMULATOR_ROOT = str(Path(__file__).resolve().parents[1])  # tests/emulator: what PYTHONPATH needs


class EmulatorError(RuntimeError):
    pass


class EmulatorProcess:
    def __init__(self, scenario: str = "demo", args: tuple | list = (), env: dict | None = None, storage: str | None = None,
                 python: str | None = None):
        self.scenario = scenario
        self.python = python or sys.executable  # another interpreter (with aiohttp) when the caller's has none
        self.args = [str(a) for a in args] + (["--storage", storage] if storage else [])
        self.storage = storage or self._arg("--storage", "")
        self.storage_url = ""  # Azurite's https://127.0.0.1:<port> (accounts are path segments)
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.aad_url = ""
        self.ca_path = ""
        self.token = self._arg("--token", DEFAULT_STATIC_TOKEN)
        self.tenant = self._arg("--tenant", DEMO_TENANT)
        self.client_id = DEMO_CLIENT_ID
        self.client_secret = DEMO_CLIENT_SECRET
        self.session = requests.Session()
        self._log = None
        self.log_path = ""

    def _arg(self, name: str, default: str) -> str:
        if name in self.args:
            i = self.args.index(name)
            if i + 1 < len(self.args):
                return self.args[i + 1]
        return default

    # -- life cycle ------------------------------------------------------------------------------
    def start(self, timeout: float | None = None) -> EmulatorProcess:
        timeout = timeout or (120 if self.storage else 20)  # with storage, Azurite starts and is filled first
        env = dict(os.environ if self.env is None else self.env)
        env["PYTHONPATH"] = EMULATOR_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.setdefault("PYTHONUNBUFFERED", "1")
        cmd = [self.python, "-m", "azureml_emulator", "--port", "0", "--aad-port", "0",
               "--scenario", self.scenario, *self.args]
        self._log = tempfile.NamedTemporaryFile(prefix="azureml-emulator-", suffix=".log", delete=False)  # noqa: SIM115
        self.log_path = self._log.name
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, env=env, text=True, bufsize=1)
        lines: queue.Queue = queue.Queue()

        def pump() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:  # keep draining so the pipe never fills
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True, name="emulator-stdout").start()
        deadline = time.monotonic() + timeout
        while not (self.url and self.aad_url):
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                tail = self._tail()
                self.stop()
                raise EmulatorError(f"emulator not ready after {timeout}s; log: {tail}") from None
            if line is None:
                code = self.proc.wait()
                tail = self._tail()
                self.stop()
                raise EmulatorError(f"emulator exited with {code}; log: {tail}")
            if line.startswith("STORAGE "):
                self.storage_url = line.split(" ", 1)[1].strip()
            elif line.startswith("LISTENING "):
                self.url = line.split(" ", 1)[1].strip()
            elif line.startswith("AAD "):
                parts = line.split()
                self.aad_url, self.ca_path = parts[1], parts[3]
        return self

    def _verify(self, url: str) -> dict:
        # An explicit verify= beats REQUESTS_CA_BUNDLE from the environment (a Session attribute does not).
        return {"verify": self.ca_path} if url.startswith("https://") else {}

    def _tail(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
            with contextlib.suppress(OSError):
                os.unlink(self.log_path)
        self.session.close()

    def __enter__(self) -> EmulatorProcess:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- Azure API calls -------------------------------------------------------------------------
    def full_url(self, path_or_url: str) -> str:
        return path_or_url if path_or_url.startswith(("http://", "https://")) else self.url + path_or_url

    def request(self, method: str, path_or_url: str, token: str | bool | None = None, **kw) -> requests.Response:
        """Send a request with ``Authorization: Bearer <static token>`` (``token=`` another one, or False for none)."""
        headers = dict(kw.pop("headers", None) or {})
        if token is not False and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token if token in (None, True) else token}"
        kw.setdefault("timeout", 30)
        url = self.full_url(path_or_url)
        for k, v in self._verify(url).items():
            kw.setdefault(k, v)
        return self.session.request(method, url, headers=headers, **kw)

    def get_json(self, path: str, **kw) -> dict:
        r = self.request("GET", path, **kw)
        if r.status_code != 200:
            raise EmulatorError(f"GET {path} -> {r.status_code}: {r.text[:500]}")
        return r.json()

    # -- introspection ---------------------------------------------------------------------------
    def _emu(self, method: str, path: str, **kw) -> dict:
        url = f"{self.url}/_emulator/{path}"
        r = self.session.request(method, url, timeout=30, **self._verify(url), **kw)
        if r.status_code >= 400:
            raise EmulatorError(f"{method} /_emulator/{path} -> {r.status_code}: {r.text[:500]}")
        return r.json()

    def journal(self, since: int = 0) -> list[dict]:
        return self._emu("GET", f"journal?since={since}")["entries"]

    def clear_journal(self) -> None:
        self._emu("DELETE", "journal")

    def counters(self) -> dict:
        return self._emu("GET", "counters")

    def state(self) -> dict:
        return self._emu("GET", "state")

    def secrets(self) -> list[str]:
        return self._emu("GET", "secrets")["secrets"]

    def reset(self, scenario: str | None = None, **kw) -> dict:
        """Reseed (``seed=``), optionally with another scenario; clears journal and counters."""
        body = {"scenario": scenario, **kw}
        return self._emu("POST", "reset", json=body)

    def configure(self, **cfg) -> dict:
        """Change behaviour at run time (page_size, fault_rate, ...); ``configure(reset=True)`` restores startup."""
        return self._emu("POST", "config", json=cfg)

    def config(self) -> dict:
        return self._emu("GET", "config")

    def create_object(self, workspace_id: str, kind: str, obj: dict, user: object = None) -> dict:
        body = {"workspace": workspace_id, "kind": kind, "object": obj}
        if user is not None:
            body["user"] = user
        return self._emu("POST", "objects", json=body)

    def users(self) -> list[dict]:
        return self._emu("GET", "users")["users"]

    # -- storage (--storage azurite) ---------------------------------------------------------------
    def storage_account_keys(self) -> dict[str, str]:
        """``{account: key}`` of Azurite's accounts (test code only: the collection never reads a key)."""
        return self._emu("GET", "secrets").get("storage_account_keys") or {}

    def storage_service(self, account: str):
        """An ``azure.storage.blob.BlobServiceClient`` on ``account`` with its account key, trusting the test CA."""
        from azure.storage.blob import BlobServiceClient

        key = self.storage_account_keys()[account]
        return BlobServiceClient(f"{self.storage_url}/{account}", credential={"account_name": account, "account_key": key},
                                 connection_verify=self.ca_path)

    def storage_token(self, scope: str = "https://storage.azure.com/.default") -> str:
        """A token of the fake Azure AD for ``scope`` (client-credentials grant of the demo service principal)."""
        r = self.session.post(f"{self.aad_url}/{self.tenant}/oauth2/v2.0/token", timeout=30, verify=self.ca_path,
                              data={"grant_type": "client_credentials", "client_id": self.client_id,
                                    "client_secret": self.client_secret, "scope": scope})
        if r.status_code != 200:
            raise EmulatorError(f"token for {scope} -> {r.status_code}: {r.text[:300]}")
        return r.json()["access_token"]

    def storage_blobs(self, account: str | None = None, sha256: bool = False) -> list[dict]:
        """What Azurite holds now (every account, or ``account``): ``{account, container, name, snapshot, size, etag}``
        (``sha256`` of the content too when asked), sorted; snapshots are entries of their own."""
        import hashlib

        out = []
        for name in sorted(self.storage_account_keys()) if account is None else [account]:
            service = self.storage_service(name)
            for container in service.list_containers():
                client = service.get_container_client(container.name)
                for blob in client.list_blobs(include=["snapshots"]):
                    item = {"account": name, "container": container.name, "name": blob.name, "snapshot": blob.snapshot,
                            "size": blob.size, "etag": str(blob.etag).strip('"')}
                    if sha256:
                        data = client.get_blob_client(blob.name, snapshot=blob.snapshot).download_blob().readall()
                        item["sha256"] = hashlib.sha256(data).hexdigest()
                    out.append(item)
        return sorted(out, key=lambda b: (b["account"], b["container"], b["name"], b["snapshot"] or ""))
