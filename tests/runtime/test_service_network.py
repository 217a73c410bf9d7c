"""PIICryptorService does not trust the network: a service (or whoever answers in its place)
cannot redirect the values or the client id elsewhere, hold a call past its deadline, make it
read without bound, crash it with odd JSON, or have it store plaintext, and nothing it says is
copied into an error. Everything runs against a real HTTP service on loopback."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest

from pii_guard import LocalKeyCryptor, PIIConfigurationError, PIICryptorService, PIIKeyServiceError
from tests.runtime.cryptor_service import RunningService, running_cryptor_service
from tests.support.leaks import secrets_in

MARKER = "PLAINTEXT-MARKER-90d2"


@pytest.fixture
def other_host() -> Iterator[RunningService]:
    """A second service, standing for the host a redirect points at."""
    with running_cryptor_service(LocalKeyCryptor(os.urandom(32))) as service:
        yield service


def test_a_redirect_is_refused_and_the_client_id_stays_with_the_service(
    cryptor_service: RunningService, other_host: RunningService
) -> None:
    cryptor_service.redirect_to = other_host.base_url
    client = PIICryptorService(cryptor_service.base_url, client_id="billing-secret")

    with pytest.raises(PIIKeyServiceError, match=r"HTTP 302 Found; redirects are refused"):
        client.encrypt([MARKER])

    assert other_host.requests == [] and other_host.client_ids == []


def test_the_timeout_is_a_deadline_for_the_whole_call(cryptor_service: RunningService) -> None:
    cryptor_service.drip_seconds = 0.25  # each byte well within the timeout, the whole not
    client = PIICryptorService(cryptor_service.base_url, timeout_seconds=1)
    started = time.monotonic()

    with pytest.raises(PIIKeyServiceError, match=r"did not answer within 1s"):
        client.encrypt(["ann@example.com"])

    assert time.monotonic() - started < 3


def test_an_answer_larger_than_the_limit_is_not_read(cryptor_service: RunningService) -> None:
    huge = "#01#" + "A" * 2_000_000 + "#10#"
    cryptor_service.answer_override = json.dumps({"values": [huge]}).encode()
    client = PIICryptorService(cryptor_service.base_url, max_response_bytes=1_000_000)

    with pytest.raises(PIIKeyServiceError, match=r"more than 1000000 bytes"):
        client.encrypt(["ann@example.com"])


def test_the_size_limit_is_a_setting(
    cryptor_service: RunningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PII_GUARD_CRYPTOR_MAX_RESPONSE_BYTES", "100")

    with pytest.raises(PIIKeyServiceError, match=r"more than 100 bytes.*MAX_RESPONSE_BYTES"):
        PIICryptorService(cryptor_service.base_url).encrypt(["a", "b"])


@pytest.mark.parametrize(
    "answer",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"values": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b"\xff\xfe" + MARKER.encode() + b"\x00\xd8",
        b'{"values": ["' + MARKER.encode() + b'"',
    ],
    ids=["deep", "deep-values", "not-utf-8", "truncated"],
)
def test_a_malformed_answer_is_a_key_service_error_that_quotes_nothing(
    cryptor_service: RunningService, answer: bytes
) -> None:
    cryptor_service.answer_override = answer

    with pytest.raises(PIIKeyServiceError, match="not JSON") as raised:
        PIICryptorService(cryptor_service.base_url).decrypt(["#01#a#10#"])

    assert secrets_in(raised.value, [MARKER]) == []


def test_an_answer_that_is_the_input_in_markers_is_not_stored(
    cryptor_service: RunningService,
) -> None:
    cryptor_service.answer_override = json.dumps({"values": [f"#01#{MARKER}#10#"]}).encode()

    with pytest.raises(PIIKeyServiceError, match=r"position 0 .*refusing") as raised:
        PIICryptorService(cryptor_service.base_url).encrypt([MARKER])

    assert secrets_in(raised.value, [MARKER], frames=False) == []


def test_the_reason_phrase_of_the_server_is_not_copied(cryptor_service: RunningService) -> None:
    cryptor_service.fail_with = 500
    cryptor_service.reason = f"cannot encrypt {MARKER}"

    with pytest.raises(PIIKeyServiceError, match=r"HTTP 500 Internal Server Error$") as raised:
        PIICryptorService(cryptor_service.base_url).encrypt(["ann@example.com"])

    assert secrets_in(raised.value, [MARKER]) == []


def test_a_decrypted_answer_is_not_left_behind_when_it_is_refused(
    cryptor_service: RunningService,
) -> None:
    cryptor_service.answer_override = json.dumps({"values": [MARKER, MARKER]}).encode()

    with pytest.raises(PIIKeyServiceError, match="2 values for 1") as raised:
        PIICryptorService(cryptor_service.base_url).decrypt(["#01#a#10#"])

    assert secrets_in(raised.value, [MARKER]) == []


def test_credentials_in_the_base_url_are_never_shown() -> None:
    client = PIICryptorService("https://svc:hunter2-secret@cryptor.internal")

    with pytest.raises(PIIConfigurationError, match="must not carry credentials") as raised:
        client.initialize()

    assert "hunter2" not in repr(client)
    assert secrets_in(raised.value, ["hunter2"], frames=False) == []


@pytest.mark.parametrize("base_url", ["https://", "http:///api", "http://:8080", "cryptor:8443"])
def test_a_base_url_without_a_host_is_refused_by_initialize(base_url: str) -> None:
    with pytest.raises(PIIConfigurationError, match="the base_url argument"):
        PIICryptorService(base_url).initialize()


@pytest.mark.parametrize("timeout", ["nan", "inf", "-inf", "0"])
def test_a_timeout_that_is_no_deadline_is_refused_naming_the_variable(
    timeout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PII_GUARD_CRYPTOR_TIMEOUT", timeout)

    with pytest.raises(PIIConfigurationError, match="PII_GUARD_CRYPTOR_TIMEOUT") as raised:
        PIICryptorService("http://cryptor.internal").initialize()

    assert raised.value.__context__ is None


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), 0.0])
def test_a_timeout_argument_that_is_no_deadline_is_refused(timeout: float) -> None:
    with pytest.raises(PIIConfigurationError, match="greater than 0"):
        PIICryptorService("http://cryptor.internal", timeout_seconds=timeout).initialize()


def test_a_client_id_with_a_line_break_is_refused_without_quoting_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PII_GUARD_CRYPTOR_CLIENT_ID", "tenant-secret\r\nX-Admin: yes")

    with pytest.raises(PIIConfigurationError, match="PII_GUARD_CRYPTOR_CLIENT_ID") as raised:
        PIICryptorService("http://cryptor.internal").initialize()

    assert secrets_in(raised.value, ["tenant-secret"], frames=False) == []
