"""A real PostgreSQL server for tests: `initdb` and `pg_ctl` in a temporary folder, free port.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user in a
folder it owns. A machine without the binaries gets None, and the tests skip with that reason.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.kms_server import free_loopback_port

USER = "test"


@dataclass(frozen=True)
class PostgresServer:
    url: str  # a SQLAlchemy URL for psycopg
    port: int


def missing() -> str | None:
    """Why no server can be started here, or None."""
    for tool in ("initdb", "pg_ctl"):
        if shutil.which(tool) is None:
            return f"PostgreSQL's {tool} is not on PATH"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the server as"
    return None


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a throwaway server, yield its URL, stop it and remove its files."""
    folder = Path(tempfile.mkdtemp(prefix="pii-guard-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
    port = free_loopback_port()
    log = folder / "server.log"
    subprocess.run(
        _as_server_user(["initdb", "-D", str(data), "-A", "trust", "-U", USER, "--no-sync"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_server_user(["pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield PostgresServer(
            url=f"postgresql+psycopg://{USER}@127.0.0.1:{port}/postgres", port=port
        )
    finally:
        subprocess.run(
            _as_server_user(["pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
