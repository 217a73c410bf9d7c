"""One TLS server per module: clients by certificate fingerprint, certificate subject, token, or
both; two KMS keys on the local endpoint; certificates made here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.service.server import Server, running_server, token_hash, write_config
from tests.support.certificates import CertificateAuthority, Issued
from tests.support.environment import clean_environment  # noqa: F401  (autouse)
from tests.support.kms_server import KMSServer

WRITER_TOKEN = "writer-token-" + "w" * 20
READER_TOKEN = "reader-token-" + "r" * 20
SMALL_TOKEN = "small-token-" + "s" * 20
BOTH_TOKEN = "both-token-" + "b" * 20


@dataclass(frozen=True)
class Certificates:
    ca: CertificateAuthority
    server: Issued
    app_a: Issued
    app_b: Issued
    both: Issued
    stranger: Issued  # signed by another CA

    @staticmethod
    def pair(issued: Issued) -> tuple[Path, Path]:
        return issued.certificate, issued.private_key


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    folder = tmp_path_factory.mktemp("certificates")
    ca = CertificateAuthority(folder)
    other = CertificateAuthority(folder, "another CA")
    return Certificates(
        ca=ca,
        server=ca.issue("pii-guard-server", server=True),
        app_a=ca.issue("app-a"),
        app_b=ca.issue("app-b"),
        both=ca.issue("both"),
        stranger=other.issue("app-a"),
    )


@pytest.fixture(scope="session")
def second_key_id(kms_client: Any) -> str:
    key = kms_client.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")
    return str(key["KeyMetadata"]["KeyId"])


def service_tables(
    kms_endpoint: str, key_a: str, key_b: str, certificates: Certificates
) -> dict[str, dict[str, Any]]:
    """The test configuration: app-a and app-b by certificate (AMSDAL-style clients), writer and
    reader by token sharing values on purpose, small with tight limits, both needing both."""
    return {
        "kms": {"endpoint_url": kms_endpoint, "timeout_seconds": 2},
        "keys": {"reuse_seconds": 60, "reuse_values": 1000},
        "tls": {
            "certificate": str(certificates.server.certificate),
            "private_key": str(certificates.server.private_key),
            "client_ca": str(certificates.ca.path),
        },
        "limits": {"max_values": 100, "max_value_chars": 1000, "max_body_bytes": 200_000},
        "clients.app-a": {
            "kms_key_id": key_a,
            "permissions": ["encrypt", "decrypt"],
            "certificate_sha256": certificates.app_a.sha256,
        },
        "clients.app-b": {
            "kms_key_id": key_b,
            "permissions": ["encrypt", "decrypt"],
            "certificate_subject": certificates.app_b.subject,
        },
        "clients.writer": {
            "kms_key_id": key_a,
            "permissions": ["encrypt"],
            "token_sha256": token_hash(WRITER_TOKEN),
            "value_context": "orders",
        },
        "clients.reader": {
            "kms_key_id": key_a,
            "permissions": ["decrypt"],
            "token_sha256": token_hash(READER_TOKEN),
            "value_context": "orders",
        },
        "clients.small": {
            "kms_key_id": key_b,
            "permissions": ["encrypt", "decrypt"],
            "token_sha256": token_hash(SMALL_TOKEN),
        },
        "clients.small.limits": {
            "max_values": 3,
            "max_value_chars": 10,
            "max_body_bytes": 300,
        },
        "clients.both": {
            "kms_key_id": key_b,
            "permissions": ["encrypt", "decrypt"],
            "token_sha256": token_hash(BOTH_TOKEN),
            "certificate_sha256": certificates.both.sha256,
        },
    }


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    kms_server: KMSServer,
    kms_key_id: str,
    second_key_id: str,
    certificates: Certificates,
) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve")
    tables = service_tables(kms_server.endpoint_url, kms_key_id, second_key_id, certificates)
    config = write_config(folder / "serve.toml", tables)
    with running_server(config, folder, ca=certificates.ca.path) as running:
        yield running
