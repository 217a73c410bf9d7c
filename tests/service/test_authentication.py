"""Only a client that proves its id is served; everyone else gets 401 and nothing else."""

from __future__ import annotations

import ssl

import pytest

from tests.service.conftest import BOTH_TOKEN, READER_TOKEN, WRITER_TOKEN, Certificates
from tests.service.server import Server

UNAUTHORIZED = (401, {"error": "unauthorized"})


def test_a_request_without_a_client_id_is_unauthorized(server: Server) -> None:
    assert server.post("encrypt", {"values": ["x"]}, client=None) == UNAUTHORIZED


def test_an_unknown_client_is_unauthorized(server: Server) -> None:
    assert server.post("encrypt", {"values": ["x"]}, client="nobody", token="t") == UNAUTHORIZED


def test_a_wrong_token_is_unauthorized(server: Server) -> None:
    assert server.post("encrypt", {"values": ["x"]}, client="writer") == UNAUTHORIZED
    assert server.post("encrypt", {"values": ["x"]}, client="writer", token="guess") == (
        UNAUTHORIZED
    )
    # another client's token does not open this one
    assert server.post("encrypt", {"values": ["x"]}, client="writer", token=READER_TOKEN) == (
        UNAUTHORIZED
    )


def test_a_certificate_client_needs_its_own_certificate(
    server: Server, certificates: Certificates
) -> None:
    assert server.post("encrypt", {"values": ["x"]}, client="app-a") == UNAUTHORIZED
    b = Certificates.pair(certificates.app_b)
    assert server.post("encrypt", {"values": ["x"]}, client="app-a", certificate=b) == (
        UNAUTHORIZED
    )
    a = Certificates.pair(certificates.app_a)
    assert server.post("encrypt", {"values": ["x"]}, client="app-b", certificate=a) == (
        UNAUTHORIZED
    )
    assert server.post("encrypt", {"values": ["x"]}, client="app-a", certificate=a)[0] == 200


def test_the_subject_binds_a_certificate_to_its_client(
    server: Server, certificates: Certificates
) -> None:
    b = Certificates.pair(certificates.app_b)
    assert server.post("encrypt", {"values": ["x"]}, client="app-b", certificate=b)[0] == 200


def test_a_certificate_from_another_ca_fails_the_handshake(
    server: Server, certificates: Certificates
) -> None:
    stranger = Certificates.pair(certificates.stranger)  # CN=app-a, but not our CA
    with pytest.raises((ssl.SSLError, ConnectionError)):
        server.post("encrypt", {"values": ["x"]}, client="app-a", certificate=stranger)


def test_a_client_with_token_and_certificate_needs_both(
    server: Server, certificates: Certificates
) -> None:
    both = Certificates.pair(certificates.both)
    assert server.post("encrypt", {"values": ["x"]}, client="both", token=BOTH_TOKEN) == (
        UNAUTHORIZED
    )
    assert server.post("encrypt", {"values": ["x"]}, client="both", certificate=both) == (
        UNAUTHORIZED
    )
    status, _ = server.post(
        "encrypt", {"values": ["x"]}, client="both", token=BOTH_TOKEN, certificate=both
    )
    assert status == 200


def test_refusals_are_audited_without_the_claimed_id_or_token(server: Server) -> None:
    server.post("encrypt", {"values": ["x"]}, client="intruder-id", token="intruder-token")
    log = server.log_path.read_text()
    assert "intruder" not in log
    assert WRITER_TOKEN not in log
    refused = [line for line in server.audit_lines() if line["outcome"] == "unauthorized"]
    assert refused and all(line["client"] is None for line in refused)
