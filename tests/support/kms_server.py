"""A real KMS endpoint for tests: moto in server mode, in a subprocess, on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.http_process import free_loopback_port, serving

__all__ = ["DUMMY_CREDENTIALS", "REGION", "KMSServer", "free_loopback_port", "running_kms_server"]

REGION = "us-east-1"
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass(frozen=True)
class KMSServer:
    endpoint_url: str
    process: subprocess.Popen[bytes]
    log_path: Path


@contextlib.contextmanager
def running_kms_server(log_dir: Path, startup_timeout: float = 30.0) -> Iterator[KMSServer]:
    """Start `moto.server`, wait until it answers HTTP, and stop it on exit."""
    port = free_loopback_port()
    endpoint_url = f"http://127.0.0.1:{port}"
    log_path = log_dir / f"moto-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with serving(
        "moto server",
        command,
        ready_url=f"{endpoint_url}/moto-api/",
        log_path=log_path,
        env=env,
        startup_timeout=startup_timeout,
    ) as process:
        yield KMSServer(endpoint_url=endpoint_url, process=process, log_path=log_path)
