"""`pii-guard serve` refuses a bad configuration file before listening, naming the key at fault."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.service.server import server_environment, token_hash, write_config
from tests.support.executables import installed_script

KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
TOKEN_HASH = token_hash("t")
A_CLIENT = {
    "clients.a": {"kms_key_id": KEY, "permissions": ["encrypt"], "token_sha256": TOKEN_HASH}
}
PROXY = {
    "trusted_addresses": ["10.0.0.5"],
    "client_certificate_header": "X-Client-Cert",
    "client_certificate_format": "pem",
}


def serve(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_script("pii-guard"), "serve", "--config", str(config), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=server_environment(),
    )


@pytest.mark.parametrize(
    ("tables", "named"),
    [
        ({}, "names no clients"),
        ({"clients.a": {"permissions": ["encrypt"], "token_sha256": TOKEN_HASH}}, "kms_key_id"),
        ({"clients.a": {"kms_key_id": "nope", "permissions": ["encrypt"]}}, "kms_key_id"),
        (
            {"clients.a": {"kms_key_id": KEY, "permissions": ["sign"], "token_sha256": TOKEN_HASH}},
            "clients.a.permissions",
        ),
        ({"clients.a": {"kms_key_id": KEY, "permissions": ["encrypt"]}}, "no way to authenticate"),
        (
            {"clients.a": {"kms_key_id": KEY, "permissions": ["encrypt"], "token_sha256": "x"}},
            "clients.a.token_sha256",
        ),
        (
            {
                "clients.a": {
                    "kms_key_id": KEY,
                    "permissions": ["encrypt"],
                    "certificate_subject": "CN=a",
                }
            },
            "client_ca",
        ),
        (
            {"proxy": {"client_certificate_header": "X-Client-Cert"}, **A_CLIENT},
            "proxy.trusted_addresses",
        ),
        (
            {"proxy": {**PROXY, "trusted_addresses": ["10.0.0.1/8"]}, **A_CLIENT},
            "proxy.trusted_addresses",
        ),
        (
            {"proxy": {**PROXY, "trusted_addresses": ["proxy.internal"]}, **A_CLIENT},
            "proxy.trusted_addresses",
        ),
        (
            {"proxy": {"trusted_addresses": ["10.0.0.5"]}, **A_CLIENT},
            "proxy.client_certificate_header",
        ),
        (
            {"proxy": {**PROXY, "client_certificate_format": "der"}, **A_CLIENT},
            "proxy.client_certificate_format",
        ),
        (
            {"server": {"monitoring_token_sha256": "secret"}, **A_CLIENT},
            "server.monitoring_token_sha256",
        ),
        ({"limits": {"max_values": 0}}, "limits.max_values"),
        ({"server": {"prot": 1}}, "server.prot"),
    ],
)
def test_a_bad_configuration_exits_2_naming_the_key(
    tmp_path: Path, tables: dict[str, Any], named: str
) -> None:
    result = serve(write_config(tmp_path / "serve.toml", tables))
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    result = serve(tmp_path / "absent.toml")
    assert result.returncode == 2
    assert "absent.toml" in result.stderr
