"""PIICryptorService against a real PII cryptor service on loopback (AMSDAL protocol)."""

from __future__ import annotations

import asyncio
import json

import pytest

from pii_guard import PIIConfigurationError, PIICryptorService, PIIKeyServiceError
from pii_guard.errors import PIIUsageError
from tests.runtime.cryptor_service import RunningService
from tests.support.kms_server import free_loopback_port


def test_values_round_trip_through_the_service(cryptor_service: RunningService) -> None:
    client = PIICryptorService(cryptor_service.base_url)
    values = ["ann@example.com", "Zoë 山田 🙂", ""]

    encrypted = client.encrypt(values)

    assert all(value.startswith("#01#") for value in encrypted)
    assert client.decrypt(encrypted) == values
    assert cryptor_service.requests == ["/api/v1/encrypt", "/api/v1/decrypt"]


def test_one_request_per_batch(cryptor_service: RunningService) -> None:
    PIICryptorService(cryptor_service.base_url).encrypt([f"v{i}" for i in range(500)])

    assert cryptor_service.requests == ["/api/v1/encrypt"]


def test_the_client_id_is_sent_when_configured(cryptor_service: RunningService) -> None:
    PIICryptorService(cryptor_service.base_url, client_id="billing").encrypt(["a"])
    PIICryptorService(cryptor_service.base_url).encrypt(["a"])

    assert cryptor_service.client_ids == ["billing", None]


def test_settings_come_from_the_amsdal_variables_too(
    cryptor_service: RunningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMSDAL_PII_CRYPTOR_BASE_URL", cryptor_service.base_url + "/")
    monkeypatch.setenv("AMSDAL_PII_CRYPTOR_CLIENT_ID", "from-amsdal")

    PIICryptorService().encrypt(["a"])

    assert cryptor_service.client_ids == ["from-amsdal"]


def test_an_error_answer_names_the_status_and_never_the_values(
    cryptor_service: RunningService,
) -> None:
    cryptor_service.fail_with = 500

    with pytest.raises(PIIKeyServiceError) as raised:
        PIICryptorService(cryptor_service.base_url).encrypt(["ann@example.com"])

    message = str(raised.value)
    assert "encrypt" in message and "HTTP 500" in message
    assert "ann@example.com" not in message
    assert raised.value.__context__ is None  # nothing chained that could hold the body


def test_a_rejected_ciphertext_is_an_error_answer(cryptor_service: RunningService) -> None:
    with pytest.raises(PIIKeyServiceError, match="HTTP 422"):
        PIICryptorService(cryptor_service.base_url).decrypt(["#01#tampered#10#"])


def test_a_slow_service_times_out(cryptor_service: RunningService) -> None:
    cryptor_service.delay_seconds = 2.0
    client = PIICryptorService(cryptor_service.base_url, timeout_seconds=0.3)

    with pytest.raises(PIIKeyServiceError, match=r"did not answer within 0.3s"):
        client.encrypt(["ann@example.com"])


def test_an_unreachable_service_is_named() -> None:
    client = PIICryptorService(f"http://127.0.0.1:{free_loopback_port()}", timeout_seconds=2)

    with pytest.raises(PIIKeyServiceError, match=r"could not be reached"):
        client.encrypt(["ann@example.com"])


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (b"<html>", "not JSON"),
        (b'{"result": []}', 'without a "values" list'),
        (b'{"values": ["#01#a#10#", "#01#b#10#"]}', "2 values for 1"),
    ],
)
def test_a_malformed_answer_is_refused(
    cryptor_service: RunningService, answer: bytes, problem: str
) -> None:
    cryptor_service.answer_override = answer

    with pytest.raises(PIIKeyServiceError, match=problem):
        PIICryptorService(cryptor_service.base_url).encrypt(["ann@example.com"])


def test_an_answer_that_could_be_plaintext_is_never_used_as_ciphertext(
    cryptor_service: RunningService,
) -> None:
    cryptor_service.answer_override = json.dumps({"values": ["ann@example.com"]}).encode()

    with pytest.raises(PIIKeyServiceError, match=r"position 0 .*refusing") as raised:
        PIICryptorService(cryptor_service.base_url).encrypt(["ann@example.com"])

    assert "ann@example.com" not in str(raised.value)


def test_contexts_are_refused_rather_than_ignored(cryptor_service: RunningService) -> None:
    with pytest.raises(PIIUsageError, match="cannot bind values to a context"):
        PIICryptorService(cryptor_service.base_url).encrypt(["a"], ["Customer.email"])


def test_without_a_base_url_initialize_names_the_variable_to_set() -> None:
    with pytest.raises(PIIConfigurationError, match="set PII_GUARD_CRYPTOR_BASE_URL"):
        PIICryptorService().initialize()


def test_a_base_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(PIIConfigurationError, match="http:// or https://"):
        PIICryptorService("ftp://cryptor.internal").initialize()


def test_async_calls_round_trip(cryptor_service: RunningService) -> None:
    client = PIICryptorService(cryptor_service.base_url)

    async def round_trip() -> list[str]:
        return await client.adecrypt(await client.aencrypt(["ann@example.com"]))

    assert asyncio.run(round_trip()) == ["ann@example.com"]


def test_repr_hides_the_client_id() -> None:
    client = PIICryptorService("http://cryptor.internal", client_id="secret-client")

    assert "secret-client" not in repr(client)
