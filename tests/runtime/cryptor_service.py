"""A small PII cryptor service on loopback, speaking the AMSDAL protocol, for the client tests.

It serves `POST /api/v1/encrypt` and `/api/v1/decrypt` with a real cryptor behind it and
records the headers it was sent. `fail_with` makes it answer an error status instead (with
`reason` as its reason phrase), `delay_seconds` makes it slow, `drip_seconds` sends the answer a
byte at a time with that pause between bytes, and `redirect_to` answers a redirect to that
address. GET requests (what a followed redirect becomes) are recorded and refused.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pii_guard.cryptors.base import Cryptor
from pii_guard.errors import PIIGuardError


@dataclass
class RunningService:
    base_url: str
    cryptor: Cryptor
    client_ids: list[str | None] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    fail_with: int | None = None
    answer_override: bytes | None = None
    delay_seconds: float = 0.0
    drip_seconds: float = 0.0
    reason: str | None = None
    redirect_to: str | None = None


def _handler(service: RunningService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            service.requests.append(f"GET {self.path}")
            service.client_ids.append(self.headers.get("X-CLIENT-ID"))
            self._answer(405, b'{"error": "use POST"}')

        def do_POST(self) -> None:
            service.requests.append(self.path)
            service.client_ids.append(self.headers.get("X-CLIENT-ID"))
            length = int(self.headers.get("Content-Length", "0"))
            body: Any = json.loads(self.rfile.read(length))
            if service.delay_seconds:
                time.sleep(service.delay_seconds)
            if service.redirect_to is not None:
                self.send_response(302)
                self.send_header("Location", service.redirect_to + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if service.fail_with is not None:
                # Echo the values, as a careless service might: the client must not repeat them.
                self._answer(service.fail_with, json.dumps({"error": body}).encode())
                return
            if service.answer_override is not None:
                self._answer(200, service.answer_override)
                return
            operations = {
                "/api/v1/encrypt": service.cryptor.encrypt,
                "/api/v1/decrypt": service.cryptor.decrypt,
            }
            operation = operations.get(self.path)
            if operation is None:
                self._answer(404, b'{"error": "not found"}')
                return
            try:
                values = operation(body["values"])
            except PIIGuardError as error:
                self._answer(422, json.dumps({"error": str(error)}).encode())
                return
            self._answer(200, json.dumps({"values": values}).encode())

        def _answer(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status, service.reason)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not service.drip_seconds:
                    self.wfile.write(body)
                for byte in body if service.drip_seconds else b"":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(service.drip_seconds)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test): nobody to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler


@contextlib.contextmanager
def running_cryptor_service(cryptor: Cryptor) -> Iterator[RunningService]:
    cryptor.initialize()
    service = RunningService(base_url="", cryptor=cryptor)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(service))
    server.daemon_threads = True
    service.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
