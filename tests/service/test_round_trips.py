"""AMSDAL's protocol end to end: pii-guard's own client and raw HTTP against the real server."""

from __future__ import annotations

import pytest

from pii_guard.cryptors.service import PIICryptorService
from pii_guard.wire import is_wire_value
from tests.service.conftest import READER_TOKEN, WRITER_TOKEN, Certificates
from tests.service.server import Server


def amsdal_style_client(
    server: Server, certificates: Certificates, client_id: str, monkeypatch: pytest.MonkeyPatch
) -> PIICryptorService:
    """The client as an AMSDAL app configures it (base URL and client id), plus mTLS."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca.path))
    monkeypatch.setenv("AMSDAL_PII_CRYPTOR_BASE_URL", server.base_url)
    monkeypatch.setenv("AMSDAL_PII_CRYPTOR_CLIENT_ID", client_id)
    issued = certificates.app_a if client_id == "app-a" else certificates.app_b
    monkeypatch.setenv("PII_GUARD_CRYPTOR_CLIENT_CERT", str(issued.certificate))
    monkeypatch.setenv("PII_GUARD_CRYPTOR_CLIENT_KEY", str(issued.private_key))
    return PIICryptorService()


def test_pii_cryptor_service_round_trips_through_the_server(
    server: Server, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = amsdal_style_client(server, certificates, "app-a", monkeypatch)
    values = ["alice@example.com", "", "Ünïcødé ✓", "x" * 1000]
    encrypted = client.encrypt(values)
    assert len(encrypted) == len(values)
    assert all(is_wire_value(value) for value in encrypted)
    assert client.decrypt(encrypted) == values


def test_one_value_requests_share_a_data_key(
    server: Server, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = amsdal_style_client(server, certificates, "app-b", monkeypatch)
    client.encrypt(["warm-up"])
    before = server.metric("pii_guard_kms_calls_total", call="GenerateDataKey")
    encrypted = [client.encrypt([f"user{n}@example.com"])[0] for n in range(20)]
    assert server.metric("pii_guard_kms_calls_total", call="GenerateDataKey") == before
    decrypts = server.metric("pii_guard_kms_calls_total", call="Decrypt")
    assert client.decrypt(encrypted) == [f"user{n}@example.com" for n in range(20)]
    assert server.metric("pii_guard_kms_calls_total", call="Decrypt") <= decrypts + 1


def test_answers_keep_order_and_length_over_raw_http(server: Server) -> None:
    values = [f"value {n}" for n in range(50)]
    status, answer = server.post("encrypt", {"values": values}, client="writer", token=WRITER_TOKEN)
    assert status == 200
    status, plain = server.post(
        "decrypt", {"values": answer["values"]}, client="reader", token=READER_TOKEN
    )
    assert (status, plain) == (200, {"values": values})


def test_answers_are_valid_json_for_text_that_needs_escaping(server: Server) -> None:
    values = [
        'a "quoted" word',
        "back\\slash",
        "line\nbreak and tab\t",
        "\x00 \x1f \x7f",
        "Ünïcødé ✓ \u2028 \u2029",
        '","',
        "plain@example.com",
        "",
    ]
    status, answer = server.post("encrypt", {"values": values}, client="writer", token=WRITER_TOKEN)
    assert status == 200
    for text in (values, values[:1], values[1:2], values[-2:]):
        encrypted = answer["values"][values.index(text[0]) :][: len(text)]
        status, plain = server.post(
            "decrypt", {"values": encrypted}, client="reader", token=READER_TOKEN
        )
        assert (status, plain) == (200, {"values": text})


def test_an_empty_batch_is_answered_without_kms(server: Server) -> None:
    status, answer = server.post("encrypt", {"values": []}, client="writer", token=WRITER_TOKEN)
    assert (status, answer) == (200, {"values": []})


def test_a_value_encrypted_for_one_client_does_not_decrypt_for_another(
    server: Server, certificates: Certificates
) -> None:
    a = Certificates.pair(certificates.app_a)
    status, answer = server.post("encrypt", {"values": ["secret-a"]}, client="app-a", certificate=a)
    assert status == 200
    # writer/reader use app-a's KMS key, but their values are bound to another context
    status, refused = server.post(
        "decrypt", {"values": answer["values"]}, client="reader", token=READER_TOKEN
    )
    assert status == 422
    assert refused["position"] == 0
    b = Certificates.pair(certificates.app_b)
    status, refused = server.post(
        "decrypt", {"values": answer["values"]}, client="app-b", certificate=b
    )
    assert status == 422
    assert "secret-a" not in str(refused)


def test_permissions_are_per_operation(server: Server) -> None:
    status, answer = server.post("decrypt", {"values": []}, client="writer", token=WRITER_TOKEN)
    assert (status, answer) == (403, {"error": "forbidden"})
    status, answer = server.post("encrypt", {"values": ["x"]}, client="reader", token=READER_TOKEN)
    assert (status, answer) == (403, {"error": "forbidden"})


def test_clients_have_their_own_kms_keys(server: Server, certificates: Certificates) -> None:
    a, b = Certificates.pair(certificates.app_a), Certificates.pair(certificates.app_b)
    _, from_a = server.post("encrypt", {"values": ["v"]}, client="app-a", certificate=a)
    _, from_b = server.post("encrypt", {"values": ["v"]}, client="app-b", certificate=b)
    key_a = from_a["values"][0].split(":")[0]
    key_b = from_b["values"][0].split(":")[0]
    assert key_a != key_b


def test_health_readiness_and_metrics_answer(server: Server) -> None:
    assert server.request("GET", "/healthz")[0] == 200
    status, body = server.request("GET", "/readyz")
    assert status == 200, body
    status, page = server.request("GET", "/metrics")
    assert status == 200
    for name in (
        "pii_guard_requests_total",
        "pii_guard_values_total",
        "pii_guard_kms_calls_total",
        "pii_guard_request_seconds_bucket",
    ):
        assert name.encode() in page
