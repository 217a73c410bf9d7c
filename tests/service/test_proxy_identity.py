"""Behind a TLS-terminating proxy: the certificate it verified, passed in a header, proves a
client only when the request comes from a trusted proxy address; the monitoring token guards
/metrics and /readyz. The real server on plain HTTP; "the proxy" is loopback address 127.0.0.2
and everyone else 127.0.0.1."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.conftest import Certificates
from tests.service.server import Server, running_server, token_hash, write_config
from tests.support.kms_server import KMSServer

PROXY = "127.0.0.2"
ELSEWHERE = "127.0.0.1"
HEADER = "X-Client-Cert"
TOKEN = "token-client-" + "k" * 20
MONITORING_TOKEN = "monitoring-" + "m" * 20
UNAUTHORIZED = (401, {"error": "unauthorized"})


def escaped_pem(certificate: Path) -> str:
    """What nginx's $ssl_client_escaped_cert holds."""
    return urllib.parse.quote(certificate.read_text(), safe="")


def proxy_tables(
    kms_endpoint: str, key: str, certificates: Certificates, certificate_format: str
) -> dict[str, dict[str, Any]]:
    return {
        "server": {"monitoring_token_sha256": token_hash(MONITORING_TOKEN)},
        "kms": {"endpoint_url": kms_endpoint, "timeout_seconds": 2},
        "proxy": {
            "trusted_addresses": ["10.0.0.0/8", f"{PROXY}/32"],
            "client_certificate_header": HEADER,
            "client_certificate_format": certificate_format,
        },
        "clients.app-a": {
            "kms_key_id": key,
            "permissions": ["encrypt", "decrypt"],
            "certificate_sha256": certificates.app_a.sha256,
        },
        "clients.app-b": {
            "kms_key_id": key,
            "permissions": ["encrypt", "decrypt"],
            "certificate_subject": certificates.app_b.subject,
        },
        "clients.tokens": {
            "kms_key_id": key,
            "permissions": ["encrypt"],
            "token_sha256": token_hash(TOKEN),
        },
    }


def proxy_server(
    folder: Path, kms_server: KMSServer, key: str, certificates: Certificates, format_: str
) -> Any:
    config = write_config(
        folder / "serve.toml", proxy_tables(kms_server.endpoint_url, key, certificates, format_)
    )
    return running_server(config, folder)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    kms_server: KMSServer,
    kms_key_id: str,
    certificates: Certificates,
) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve-behind-proxy")
    with proxy_server(folder, kms_server, kms_key_id, certificates, "pem") as running:
        yield running


def encrypt(server: Server, client: str, *fields: tuple[str, str], source: str) -> Any:
    return server.post(
        "encrypt", {"values": ["x"]}, client=client, headers=list(fields), source=source
    )


def test_the_proxy_passes_a_verified_certificate_that_proves_its_client(
    server: Server, certificates: Certificates
) -> None:
    a = escaped_pem(certificates.app_a.certificate)
    b = escaped_pem(certificates.app_b.certificate)
    assert encrypt(server, "app-a", (HEADER, a), source=PROXY)[0] == 200  # by fingerprint
    assert encrypt(server, "app-b", (HEADER, b), source=PROXY)[0] == 200  # by subject


def test_the_header_from_any_other_address_is_ignored(
    server: Server, certificates: Certificates
) -> None:
    forged = (HEADER, escaped_pem(certificates.app_a.certificate))
    assert encrypt(server, "app-a", forged, source=ELSEWHERE) == UNAUTHORIZED
    # X-Forwarded-For does not make a request come from the proxy
    assert encrypt(server, "app-a", forged, ("X-Forwarded-For", PROXY), source=ELSEWHERE) == (
        UNAUTHORIZED
    )


def test_the_proxy_passing_another_clients_certificate_is_unauthorized(
    server: Server, certificates: Certificates
) -> None:
    b = escaped_pem(certificates.app_b.certificate)
    assert encrypt(server, "app-a", (HEADER, b), source=PROXY) == UNAUTHORIZED
    a = escaped_pem(certificates.app_a.certificate)
    assert encrypt(server, "app-b", (HEADER, a), source=PROXY) == UNAUTHORIZED


def test_no_usable_certificate_from_the_proxy_is_unauthorized(
    server: Server, certificates: Certificates
) -> None:
    a = escaped_pem(certificates.app_a.certificate)
    assert encrypt(server, "app-a", source=PROXY) == UNAUTHORIZED  # no header
    assert encrypt(server, "app-a", (HEADER, ""), source=PROXY) == UNAUTHORIZED
    assert encrypt(server, "app-a", (HEADER, "not%20a%20certificate"), source=PROXY) == (
        UNAUTHORIZED
    )
    # a header the client sent and one the proxy added: neither is believed
    assert encrypt(server, "app-a", (HEADER, a), (HEADER, a), source=PROXY) == UNAUTHORIZED


def test_token_clients_still_need_their_token_through_the_proxy(
    server: Server, certificates: Certificates
) -> None:
    a = (HEADER, escaped_pem(certificates.app_a.certificate))
    assert encrypt(server, "tokens", a, source=PROXY) == UNAUTHORIZED
    bearer = ("Authorization", f"Bearer {TOKEN}")
    assert encrypt(server, "tokens", bearer, source=PROXY)[0] == 200
    assert encrypt(server, "tokens", bearer, source=ELSEWHERE)[0] == 200


@pytest.mark.parametrize(
    ("certificate_format", "client", "passed", "other"),
    [
        ("sha256", "app-a", lambda c: c.app_a.sha256.upper(), lambda c: c.app_b.sha256),
        ("subject", "app-b", lambda c: c.app_b.subject, lambda c: c.app_a.subject),
    ],
)
def test_a_proxy_may_pass_the_fingerprint_or_the_subject(
    tmp_path: Path,
    kms_server: KMSServer,
    kms_key_id: str,
    certificates: Certificates,
    certificate_format: str,
    client: str,
    passed: Any,
    other: Any,
) -> None:
    with proxy_server(tmp_path, kms_server, kms_key_id, certificates, certificate_format) as srv:
        assert encrypt(srv, client, (HEADER, passed(certificates)), source=PROXY)[0] == 200
        assert encrypt(srv, client, (HEADER, passed(certificates)), source=ELSEWHERE) == (
            UNAUTHORIZED
        )
        assert encrypt(srv, client, (HEADER, other(certificates)), source=PROXY) == UNAUTHORIZED


@pytest.mark.parametrize("path", ["/metrics", "/readyz"])
def test_monitoring_pages_need_the_monitoring_token_when_one_is_set(
    server: Server, path: str
) -> None:
    status, body = server.request("GET", path)
    assert (status, json.loads(body)) == UNAUTHORIZED
    status, _ = server.request("GET", path, headers={"Authorization": "Bearer wrong"})
    assert status == 401
    # a client's token is not the monitoring token
    status, _ = server.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 401
    status, body = server.request(
        "GET", path, headers={"Authorization": f"Bearer {MONITORING_TOKEN}"}
    )
    assert status == 200
    if path == "/metrics":
        assert b"pii_guard_requests_total" in body


def test_the_liveness_page_stays_open(server: Server) -> None:
    assert server.request("GET", "/healthz")[0] == 200
