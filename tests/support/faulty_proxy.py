"""A loopback HTTP proxy in front of the local KMS endpoint that misbehaves on request.

It forwards every request to the real endpoint unless told to answer `ThrottlingException`
(or an internal error) for the next N requests, or to hold each request for a while first: the
throttling and slow-endpoint cases that the local endpoint cannot produce by itself.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Faults:
    """What the proxy does to the next requests; thread-safe counters."""

    throttle_next: int = 0
    internal_error_next: int = 0
    delay_seconds: float = 0.0
    requests: int = 0
    targets: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self, target: str) -> tuple[str | None, float]:
        """The error code to answer instead of forwarding (or None), and the delay."""
        with self.lock:
            self.requests += 1
            self.targets.append(target)
            if self.throttle_next > 0:
                self.throttle_next -= 1
                return "ThrottlingException", self.delay_seconds
            if self.internal_error_next > 0:
                self.internal_error_next -= 1
                return "KMSInternalException", self.delay_seconds
            return None, self.delay_seconds


@dataclass(frozen=True)
class FaultyProxy:
    endpoint_url: str
    faults: Faults


_ERROR_STATUS = {"ThrottlingException": 400, "KMSInternalException": 500}


def _handler(upstream: urllib.parse.SplitResult, faults: Faults, closing: threading.Event) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            error, delay = faults.next_answer(self.headers.get("X-Amz-Target", ""))
            if delay and closing.wait(delay):
                return
            if error is not None:
                self._answer(
                    _ERROR_STATUS[error],
                    {"Content-Type": "application/x-amz-json-1.1"},
                    json.dumps({"__type": error, "message": "injected by the test proxy"}).encode(),
                )
                return
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                connection.request("POST", self.path, body=body, headers=headers)
                answer = connection.getresponse()
                payload = answer.read()
                kept = {
                    k: v
                    for k, v in answer.getheaders()
                    if k.lower() not in {"content-length", "transfer-encoding", "connection"}
                }
                self._answer(answer.status, kept, payload)
            finally:
                connection.close()

        def _answer(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up waiting (a timeout test): nothing to tell it

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def faulty_proxy(upstream_url: str) -> Iterator[FaultyProxy]:
    """A proxy to `upstream_url` on a free loopback port, for the duration of the block."""
    faults = Faults()
    closing = threading.Event()
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), _handler(urllib.parse.urlsplit(upstream_url), faults, closing)
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield FaultyProxy(endpoint_url=f"http://{host!s}:{port}", faults=faults)
    finally:
        closing.set()
        server.shutdown()
        server.server_close()
        thread.join()
