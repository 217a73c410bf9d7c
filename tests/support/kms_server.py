"""A real KMS endpoint for tests: moto in server mode, in a subprocess, on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REGION = "us-east-1"
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass(frozen=True)
class KMSServer:
    endpoint_url: str
    process: subprocess.Popen[bytes]
    log_path: Path


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # an HTTP error is still an answer: the server is up
    except OSError:
        return False


@contextlib.contextmanager
def running_kms_server(log_dir: Path, startup_timeout: float = 30.0) -> Iterator[KMSServer]:
    """Start `moto.server`, wait until it answers HTTP, and stop it on exit."""
    port = free_loopback_port()
    endpoint_url = f"http://127.0.0.1:{port}"
    log_path = log_dir / f"moto-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + startup_timeout
        while not _answers(f"{endpoint_url}/moto-api/"):
            if process.poll() is not None:
                raise RuntimeError(
                    f"moto server exited with {process.returncode}: {log_path.read_text()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"moto server did not answer within {startup_timeout}s")
            time.sleep(0.1)
        yield KMSServer(endpoint_url=endpoint_url, process=process, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
