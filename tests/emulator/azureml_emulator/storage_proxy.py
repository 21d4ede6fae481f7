"""A plain-HTTP proxy in front of Azurite: a model of network latency for the storage bench, and a way to stop a
storage purge at a known DELETE for the kill test.

``http://127.0.0.1:<port>/<account>/...`` (path style, as :class:`~.azurite.Azurite` serves) is forwarded to
``<upstream>/<account>/...`` (Azurite's HTTPS, trusting ``ca_path``):

- ``latency_ms``: every request waits that long once, before it is forwarded (the round trip a network adds to a
  request; the bench uses 20 ms, what an operations machine sees to a storage account in its region). Requests in
  flight wait side by side: one thread per client connection, as a network does not queue them.
- ``hold_deletes_after``: the DELETEs after the first N are held (:attr:`held` is set while one waits) until
  :meth:`close` (or :attr:`release`), then answered 503 without reaching Azurite.
- Bodies are streamed both ways (64 KiB at a time, ``Content-Length`` kept, chunked answers re-chunked): a 40 MiB
  blob is never held in memory. One upstream HTTPS connection per client connection, kept alive.
- Headers are forwarded as they are (``Host`` aside, and the hop-by-hop ones): a Shared Key signature does not cover
  the host or the scheme, so clients talk to the proxy with the account key. A bearer token needs HTTPS (the SDK
  sends none over HTTP, Azurite refuses one over HTTP): not through this proxy.

In process (:class:`StorageProxy`, a context manager) or as a process of its own, whose CPU can be measured apart
(``python -m azureml_emulator.storage_proxy --upstream URL --ca PATH --latency-ms 20``: prints its URL on the first
line, serves until stdin closes or SIGTERM, then prints ``{"requests": N, "deletes": N}``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

CHUNK = 64 * 1024
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
              "transfer-encoding", "upgrade", "host"}


class StorageProxy:
    """The proxy, serving from threads of this process (see the module docstring).

    :param upstream: Azurite's ``https://127.0.0.1:<port>``; :param ca_path: the CA its certificate is issued by.
    :param latency_ms: added once to every request; :param hold_deletes_after: None, or how many DELETEs pass.
    """

    def __init__(self, upstream: str, ca_path: str | None, latency_ms: float = 0.0, hold_deletes_after: int | None = None,
                 host: str = "127.0.0.1"):
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"upstream must be an http(s)://host:port URL, got {upstream!r}")
        self.latency = max(0.0, float(latency_ms)) / 1000
        self.hold_deletes_after = hold_deletes_after
        self.requests = 0
        self.deletes = 0
        self.held = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        context = ssl.create_default_context(cafile=ca_path) if parts.scheme == "https" else None
        netloc, https = parts.netloc, parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        proxy = self

        def connect():
            if https:
                return http.client.HTTPSConnection(parts.hostname, port, context=context, timeout=120)
            return http.client.HTTPConnection(parts.hostname, port, timeout=120)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a client's pooled connection stays one connection
            disable_nagle_algorithm = True  # the headers, then the body: no 40 ms wait for a delayed ACK in between

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                self.upstream = None

            def finish(self):
                try:
                    super().finish()
                finally:
                    if self.upstream is not None:
                        self.upstream.close()

            def _send_upstream(self, length):
                """Send the request (its body streamed from the client); the upstream response."""
                if self.upstream is None:
                    self.upstream = connect()
                conn = self.upstream
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                conn.putheader("Host", netloc)
                for name, value in self.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        conn.putheader(name, value)
                conn.endheaders()
                left = length
                while left > 0:
                    data = self.rfile.read(min(CHUNK, left))
                    if not data:
                        raise ConnectionError("the client closed the connection in the middle of a request body")
                    conn.send(data)
                    left -= len(data)
                return conn.getresponse()

            def _forward(self):
                with proxy._lock:
                    proxy.requests += 1
                    if self.command == "DELETE":
                        proxy.deletes += 1
                        hold = proxy.hold_deletes_after is not None and proxy.deletes > proxy.hold_deletes_after
                    else:
                        hold = False
                if hold:
                    proxy.held.set()
                    proxy.release.wait()
                    self.send_error(503, "held by the test proxy")  # never forwarded
                    self.close_connection = True
                    return
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    self.send_error(411, "the test proxy forwards request bodies with a Content-Length only")
                    self.close_connection = True
                    return
                length = int(self.headers.get("Content-Length") or 0)
                if proxy.latency:
                    time.sleep(proxy.latency)
                try:
                    answer = self._send_upstream(length)
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    # Azurite closed the kept-alive connection while it was idle: once more on a new one (a body, if
                    # any, was read already and cannot be sent again).
                    self.upstream.close()
                    self.upstream = None
                    if length:
                        raise
                    answer = self._send_upstream(0)
                self.send_response_only(answer.status, answer.reason)
                framed = answer.getheader("Content-Length") is not None or self.command == "HEAD" or \
                    answer.status in (204, 304) or 100 <= answer.status < 200
                for name, value in answer.getheaders():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                if not framed:
                    self.send_header("Transfer-Encoding", "chunked")
                if answer.will_close:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command != "HEAD":
                    while True:
                        data = answer.read1(CHUNK) if hasattr(answer, "read1") else answer.read(CHUNK)
                        if not data:
                            break
                        self.wfile.write(b"%x\r\n%b\r\n" % (len(data), data) if not framed else data)
                    if not framed:
                        self.wfile.write(b"0\r\n\r\n")
                answer.close()
                if answer.will_close:
                    self.upstream.close()
                    self.upstream = None

            do_GET = do_PUT = do_DELETE = do_HEAD = do_POST = do_PATCH = do_OPTIONS = _forward

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 64

        self.server = Server((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="storage-proxy")
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> StorageProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="A latency-injecting plain-HTTP proxy in front of Azurite.")
    parser.add_argument("--upstream", required=True, help="Azurite's https://127.0.0.1:<port>")
    parser.add_argument("--ca", help="the CA file Azurite's certificate is issued by")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added once to every request before it is forwarded")
    args = parser.parse_args(argv)
    proxy = StorageProxy(args.upstream, args.ca, latency_ms=args.latency_ms)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    print(proxy.url, flush=True)

    def watch_stdin():
        sys.stdin.read()  # the parent closed our stdin (or died)
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    proxy.close()
    print(json.dumps({"requests": proxy.requests, "deletes": proxy.deletes}), flush=True)


if __name__ == "__main__":
    main()
