"""Azurite, Microsoft's Azure Storage emulator (blob service only), started for the tests and the demo.

``make azurite`` installs ``azurite@3.35.0`` (``tools/azurite/``, ``npm ci`` from the committed lockfile;
3.36 and later need a newer Node than the machines have). :class:`Azurite` runs ``azurite-blob``:

- on a free port (``--blobPort 0``; the port is read from the line Azurite prints once it listens);
- over HTTPS with a certificate issued by the caller's ``trustme`` CA (the emulator passes the CA of its
  fake Azure AD, so one ``ca_path`` trusts both) and ``--oauth basic``, so that bearer tokens are
  accepted (``azure-storage-blob`` sends a token only over HTTPS, and Azurite refuses Bearer over HTTP);
- path-style only (``--disableProductStyleUrl``): ``https://127.0.0.1:<port>/<account>/<container>/<blob>``,
  several accounts through ``AZURITE_ACCOUNTS`` (``name:base64key;...``);
- ``--disableTelemetry --skipApiVersionCheck --silent`` and ``--location`` in a temporary folder
  (removed by :meth:`Azurite.stop`).

What ``--oauth basic`` checks of a bearer token (Azurite 3.35.0, ``BlobTokenAuthenticator.authenticateBasic``
and the constants it reads): the request must be HTTPS; the token must DECODE as a JWT (the signature is
never verified); ``iat``, ``nbf`` and ``exp`` must be present and ``nbf <= now <= exp``; ``iss`` must start
with ``https://sts.windows.net/``, ``https://sts.microsoftonline.de/``, ``https://sts.chinacloudapi.cn/``
or ``https://sts.windows-ppe.net``; ``aud`` must be ``https://storage.azure.com`` (a trailing ``/``
allowed), ``e406a681-f3d4-42a8-90b6-c2b029497af1`` (the storage app id) or
``https://<account>.blob.core.windows.net`` (also ``.chinacloudapi.cn``, ``.usgovcloudapi.net``,
``.cloudapi.de``) whose ``<account>`` is the request's account. The scope (``scp``/roles) and the tenant
are not checked. A token for another audience (the ARM one) is refused with 403 AuthenticationFailed
"Invalid token audience."; an expired one with "Lifetime validation failed. The token is expired.".
The emulator's fake Azure AD issues ``iss=https://sts.windows.net/<tenant>/`` and, for the scope
``https://storage.azure.com/.default``, ``aud=https://storage.azure.com``: Azurite accepts them.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
AZURITE_DIR = REPO_ROOT / "tools" / "azurite"
AZURITE_VERSION = "3.35.0"
LISTENING = re.compile(r"Azurite Blob service successfully listens on (https?://\S+)")


class AzuriteError(RuntimeError):
    pass


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: SIGTERM Azurite when the thread that started it dies (a killed emulator leaves no orphan)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def azurite_binary() -> Path:
    """``azurite-blob`` of ``make azurite`` (or ``$AZURITE_BLOB``); AzuriteError when not installed."""
    override = os.environ.get("AZURITE_BLOB")
    path = Path(override) if override else AZURITE_DIR / "node_modules" / ".bin" / "azurite-blob"
    if not path.exists():
        raise AzuriteError(f"Azurite is not installed ({path} is missing): run `make azurite`")
    return path


class Azurite:
    """One ``azurite-blob`` process.

    :param accounts: ``{account name: base64 key}`` (``AZURITE_ACCOUNTS``).
    :param ca: a ``trustme.CA`` issuing the server certificate (a new one when None: see :attr:`ca_path`).
    :param location: Azurite's data folder (a new temporary one, removed on stop, when None).
    """

    def __init__(self, accounts: dict[str, str], ca=None, location: str | None = None, host: str = "127.0.0.1"):
        if not accounts:
            raise ValueError("Azurite needs at least one account")
        for name in accounts:
            if not re.fullmatch(r"[a-z0-9]{3,24}", name):
                raise ValueError(f"invalid storage account name {name!r} (3-24 lower-case letters and digits)")
        self.accounts = dict(accounts)
        self.host = host
        self._ca = ca
        self._own_location = location is None
        self.location = location or ""
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.ca_path = ""
        self._output: list[str] = []

    def account_url(self, account: str) -> str:
        """``https://127.0.0.1:<port>/<account>``: the blob endpoint of ``account`` (path style)."""
        return f"{self.url}/{account}"

    @property
    def accounts_env(self) -> str:
        return ";".join(f"{name}:{key}" for name, key in sorted(self.accounts.items()))

    def start(self, timeout: float = 60) -> Azurite:
        binary = azurite_binary()
        if self._own_location:
            self.location = tempfile.mkdtemp(prefix="azurite-")
        data = Path(self.location)
        data.mkdir(parents=True, exist_ok=True)
        tls = data / "tls"
        tls.mkdir(mode=0o700, exist_ok=True)
        if self._ca is None:
            import trustme

            self._ca = trustme.CA(organization_name="azurite test CA")
        cert = self._ca.issue_cert(*sorted({"127.0.0.1", "localhost", "::1", self.host}))
        cert_path, key_path = tls / "azurite-cert.pem", tls / "azurite-key.pem"
        cert.cert_chain_pems[0].write_to_path(str(cert_path))
        cert.private_key_pem.write_to_path(str(key_path))
        self.ca_path = str(tls / "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_path)
        env = dict(os.environ, AZURITE_ACCOUNTS=self.accounts_env)
        cmd = [str(binary), "--blobHost", self.host, "--blobPort", "0", "--location", str(data / "data"),
               "--cert", str(cert_path), "--key", str(key_path), "--oauth", "basic",
               "--disableTelemetry", "--skipApiVersionCheck", "--disableProductStyleUrl", "--silent"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, text=True, bufsize=1, start_new_session=True,
                                     preexec_fn=_die_with_parent)  # noqa: PLW1509 - only prctl, no locks
        lines: queue.Queue = queue.Queue()

        def pump() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:  # drain for the life of the process: the pipe never fills
                line = line.rstrip("\n")
                if len(self._output) < 200:
                    self._output.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True, name="azurite-stdout").start()
        deadline = time.monotonic() + timeout
        while not self.url:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise AzuriteError(f"Azurite not listening after {timeout}s: {self.output()}") from None
            if line is None:
                code = self.proc.wait()
                output = self.output()
                self.stop()
                raise AzuriteError(f"Azurite exited with {code}: {output}")
            found = LISTENING.search(line)
            if found:
                self.url = found.group(1).rstrip("/")
        if not self.url.startswith("https://") or self.url.endswith(":0"):
            self.stop()
            raise AzuriteError(f"Azurite listens on an unexpected address: {self.url}")
        return self

    def output(self) -> str:
        return "\n".join(self._output[-40:]) or "(no output)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # Azurite closes its server on SIGTERM
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._own_location and self.location:
            shutil.rmtree(self.location, ignore_errors=True)

    def __enter__(self) -> Azurite:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- account-key clients (the emulator's own seeding and inspection; never the collection's) --------
    def service_client(self, account: str):
        """An ``azure.storage.blob.BlobServiceClient`` on ``account`` with its account key, trusting the CA."""
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient(self.account_url(account), credential={"account_name": account, "account_key": self.accounts[account]},
                                 connection_verify=self.ca_path)

