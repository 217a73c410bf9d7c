"""A program that serves HTTP, in a subprocess, on a free loopback port, for a block of tests."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str, context: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1, context=context):
            return True
    except urllib.error.HTTPError:
        return True  # an HTTP error is still an answer: the server is up
    except OSError:
        return False


@contextlib.contextmanager
def serving(
    name: str,
    command: list[str],
    *,
    ready_url: str,
    log_path: Path,
    env: Mapping[str, str],
    cwd: Path | None = None,
    startup_timeout: float = 30.0,
    ssl_context: ssl.SSLContext | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command` with its output in `log_path`, wait until `ready_url` answers, and stop
    it on exit (terminate, then kill). `ssl_context` is for an https `ready_url`."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=dict(env), cwd=cwd
        )
    try:
        deadline = time.monotonic() + startup_timeout
        while not answers(ready_url, ssl_context):
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}: {log_path.read_text()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer within {startup_timeout}s")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
