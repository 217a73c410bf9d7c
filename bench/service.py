"""Load test of `pii-guard serve` against an echo server on the same stack (loopback, bounded).

Run by hand from a checkout with the project and its test extra installed:
`.venv/bin/python bench/service.py`. It starts a local KMS endpoint (moto), `pii-guard serve`
(one worker, plain HTTP, a token client) and the echo server (`bench/_echo_app.py`: Starlette on
uvicorn with the same protocol class, parsing and answering the same bodies without crypto).
For 1, 16 and 64 concurrent clients (keep-alive connections of an asyncio HTTP/1.1 client in
this process) sending batches of 1, 50 and 1,000 values, each server is loaded for `--seconds`
per round, alternating over `--rounds` rounds; reported: values/s, p50/p99 latency per
request, KMS calls (from /metrics), and at 50-value batches the service's time per value over
the echo's (target: at most 1.25x).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from tests.service.server import running_server, token_hash, write_config  # noqa: E402
from tests.support.http_process import free_loopback_port, serving  # noqa: E402
from tests.support.kms_server import DUMMY_CREDENTIALS, REGION, running_kms_server  # noqa: E402

TOKEN = "bench-token-" + "t" * 20
CONCURRENCY = (1, 16, 64)
BATCHES = (1, 50, 1000)


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    values: int = 0
    seconds: float = 0.0

    def add(self, other: Load) -> None:
        self.latencies += other.latencies
        self.values += other.values
        self.seconds += other.seconds

    @property
    def per_second(self) -> float:
        return self.values / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> bytes:
    writer.write(request)
    status_line = await reader.readline()
    if not status_line.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"answer: {status_line!r}")
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return await reader.readexactly(length)


def _request(port: int, operation: str, values: list[str]) -> bytes:
    body = json.dumps({"values": values}).encode()
    head = (
        f"POST /api/v1/{operation} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"X-CLIENT-ID: bench\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _load(port: int, request: bytes, count: int, clients: int, seconds: float) -> Load:
    load = Load()
    stop = time.perf_counter() + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                await _post(reader, writer, request)
                load.latencies.append(time.perf_counter() - started)
                load.values += count
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    load.seconds = time.perf_counter() - started
    return load


def kms_calls(port: int) -> float:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        page = answer.read().decode()
    return sum(
        float(line.rpartition(" ")[2])
        for line in page.splitlines()
        if line.startswith("pii_guard_kms_calls_total{")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="load per cell and round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary, running_kms_server(Path(temporary)) as kms:
        folder = Path(temporary)
        client = boto3.client(
            "kms",
            endpoint_url=kms.endpoint_url,
            region_name=REGION,
            config=Config(retries={"max_attempts": 2}),
            **DUMMY_CREDENTIALS,
        )
        key = client.create_key()["KeyMetadata"]["KeyId"]
        config = write_config(
            folder / "serve.toml",
            {
                "kms": {"endpoint_url": kms.endpoint_url},
                "limits": {"max_values": 1000, "max_body_bytes": 64 * 1024 * 1024},
                "clients.bench": {
                    "kms_key_id": key,
                    "permissions": ["encrypt", "decrypt"],
                    "token_sha256": token_hash(TOKEN),
                },
            },
        )
        echo_port = free_loopback_port()
        echo_command = [sys.executable, str(ROOT / "bench" / "_echo_app.py"), str(echo_port)]
        with (
            running_server(config, folder) as server,
            serving(
                "echo server",
                echo_command,
                ready_url=f"http://127.0.0.1:{echo_port}/healthz",
                log_path=folder / "echo.log",
                env={"PYTHONPATH": str(ROOT), **_environment()},
            ),
        ):
            _run(server.port, echo_port, args.seconds, args.rounds)


def _environment() -> dict[str, str]:
    import os

    return dict(os.environ)


def _run(serve_port: int, echo_port: int, seconds: float, rounds: int) -> None:
    print(
        f"{'operation':<9} {'clients':>7} {'batch':>5} | {'values/s':>9} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'KMS':>4} | {'echo v/s':>9} {'p50 ms':>7} {'p99 ms':>7} | ratio"
    )
    values_of = {batch: [f"user{n}@example.com" for n in range(batch)] for batch in BATCHES}
    cells = [("encrypt", c, b) for c in CONCURRENCY for b in BATCHES]
    cells += [("decrypt", c, 50) for c in CONCURRENCY]
    for operation, clients, batch in cells:
        values = values_of[batch]
        if operation == "decrypt":
            request = _request(serve_port, "encrypt", values)
            body = asyncio.run(_once(serve_port, request))
            values = json.loads(body)["values"]
        ours, echo = Load(), Load()
        calls_before = kms_calls(serve_port)
        for _ in range(rounds):
            ours.add(
                asyncio.run(
                    _load(
                        serve_port, _request(serve_port, operation, values), batch, clients, seconds
                    )
                )
            )
            echo.add(
                asyncio.run(
                    _load(
                        echo_port, _request(echo_port, operation, values), batch, clients, seconds
                    )
                )
            )
        calls = kms_calls(serve_port) - calls_before
        ratio = echo.per_second / ours.per_second
        print(
            f"{operation:<9} {clients:>7} {batch:>5} | {ours.per_second:>9,.0f} "
            f"{ours.percentile(0.5) * 1e3:>7.2f} {ours.percentile(0.99) * 1e3:>7.2f} "
            f"{calls:>4.0f} | {echo.per_second:>9,.0f} {echo.percentile(0.5) * 1e3:>7.2f} "
            f"{echo.percentile(0.99) * 1e3:>7.2f} | {ratio:.2f}x"
            + (" (target <= 1.25x)" if batch == 50 else ""),
            flush=True,
        )


async def _once(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await _post(reader, writer, request)
    finally:
        writer.close()


if __name__ == "__main__":
    main()
