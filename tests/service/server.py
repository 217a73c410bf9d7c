"""Run `pii-guard serve` for tests, and talk to it over raw HTTP(S)."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.executables import installed_script
from tests.support.http_process import free_loopback_port, serving
from tests.support.kms_server import DUMMY_CREDENTIALS, REGION


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(str(value))


def write_config(path: Path, tables: Mapping[str, Mapping[str, Any]]) -> Path:
    """A TOML file of `{"table.name": {key: value}}`."""
    lines = []
    for table, keys in tables.items():
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in keys.items())
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def server_environment() -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PII_GUARD_", "AMSDAL_", "AWS_"))
    }
    env.update(
        AWS_ACCESS_KEY_ID=DUMMY_CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=DUMMY_CREDENTIALS["aws_secret_access_key"],
        AWS_REGION=REGION,
        AWS_MAX_ATTEMPTS="2",
    )
    return env


@dataclass(frozen=True)
class Server:
    base_url: str
    log_path: Path
    trust: ssl.SSLContext | None = None
    ca: Path | None = None

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def connection(
        self,
        certificate: tuple[Path, Path] | None = None,
        timeout: float = 30,
        source: str | None = None,
    ) -> http.client.HTTPConnection:
        """A connection to the server; from loopback address `source` when given (any
        127.x.y.z reaches the server, and is the peer address it sees)."""
        if self.trust is None:
            return http.client.HTTPConnection(
                "127.0.0.1",
                self.port,
                timeout=timeout,
                source_address=None if source is None else (source, 0),
            )
        context = self.trust
        if certificate is not None and self.ca is not None:
            context = client_context(self.ca, *certificate)
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=context)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
        certificate: tuple[Path, Path] | None = None,
        source: str | None = None,
    ) -> tuple[int, bytes]:
        connection = self.connection(certificate, source=source)
        try:
            fields = list(headers.items() if isinstance(headers, Mapping) else headers or [])
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in fields:  # a list may repeat a header
                connection.putheader(name, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            answer = connection.getresponse()
            return answer.status, answer.read()
        finally:
            connection.close()

    def post(
        self,
        operation: str,
        payload: Any,
        *,
        client: str | None,
        token: str | None = None,
        certificate: tuple[Path, Path] | None = None,
        raw: bytes | None = None,
        headers: list[tuple[str, str]] | None = None,
        source: str | None = None,
    ) -> tuple[int, Any]:
        fields = [("Content-Type", "application/json")]
        if client is not None:
            fields.append(("X-CLIENT-ID", client))
        if token is not None:
            fields.append(("Authorization", f"Bearer {token}"))
        fields += headers or []
        body = raw if raw is not None else json.dumps(payload).encode()
        status, answer = self.request(
            "POST", f"/api/v1/{operation}", body, fields, certificate, source
        )
        return status, json.loads(answer) if answer else None

    def metric(self, name: str, **labels: str) -> float:
        _, page = self.request("GET", "/metrics")
        wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
        for line in page.decode().splitlines():
            metric, _, value = line.rpartition(" ")
            if metric == (f"{name}{{{wanted}}}" if labels else name):
                return float(value)
        return 0.0

    def audit_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log_path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and "operation" in record:
                    lines.append(record)
        return lines


def client_context(ca: Path, certificate: Path, private_key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    context.load_cert_chain(str(certificate), str(private_key))
    return context


@contextlib.contextmanager
def running_server(config: Path, log_dir: Path, ca: Path | None = None) -> Iterator[Server]:
    """`pii-guard serve --config CONFIG` on a free loopback port until the block ends; https when
    `ca` (the CA that signed the server's certificate) is given."""
    port = free_loopback_port()
    scheme = "https" if ca is not None else "http"
    base_url = f"{scheme}://127.0.0.1:{port}"
    trust = None if ca is None else ssl.create_default_context(cafile=str(ca))
    log_path = log_dir / f"serve-{port}.log"
    command = [installed_script("pii-guard"), "serve", "--config", str(config), "--port", str(port)]
    with serving(
        "pii-guard serve",
        command,
        ready_url=f"{base_url}/healthz",
        log_path=log_path,
        env=server_environment(),
        ssl_context=trust,
    ):
        yield Server(base_url=base_url, log_path=log_path, trust=trust, ca=ca)
