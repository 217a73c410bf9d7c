"""`[server] workers` runs several uvicorn worker processes serving the same clients, and the
analyzer never imports the ASGI stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.service.server import running_server, token_hash, write_config
from tests.support.kms_server import KMSServer

pytestmark = pytest.mark.slow

TOKEN = "workers-token-" + "w" * 20


def test_two_workers_serve_the_same_clients(
    tmp_path: Path, kms_server: KMSServer, kms_key_id: str
) -> None:
    config = write_config(
        tmp_path / "serve.toml",
        {
            "server": {"workers": 2},
            "kms": {"endpoint_url": kms_server.endpoint_url},
            "clients.app": {
                "kms_key_id": kms_key_id,
                "permissions": ["encrypt", "decrypt"],
                "token_sha256": token_hash(TOKEN),
            },
        },
    )
    with running_server(config, tmp_path) as server:
        encrypted = []
        for n in range(20):  # new connections: both workers take some
            status, answer = server.post(
                "encrypt", {"values": [f"v{n}"]}, client="app", token=TOKEN
            )
            assert status == 200
            encrypted += answer["values"]
        status, answer = server.post("decrypt", {"values": encrypted}, client="app", token=TOKEN)
        assert (status, answer) == (200, {"values": [f"v{n}" for n in range(20)]})


@pytest.mark.parametrize("module", ["flake8_pii", "flake8_pii.cli"])
def test_the_analyzer_does_not_import_the_asgi_stack(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "loaded = {'starlette', 'uvicorn', 'prometheus_client', 'pii_guard.server'} "
        "& set(sys.modules); print(sorted(loaded)); sys.exit(1 if loaded else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
