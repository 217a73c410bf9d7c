"""Settings that would pass and fail at the first request are refused by `initialize()`, with
a PIIConfigurationError naming the variable; an answer KMS would never give is a
PIIKeyServiceError, not a KeyError."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from pii_guard import (
    KMSEnvelopeCryptor,
    LocalKeyCryptor,
    PIIConfigurationError,
    PIIKeyServiceError,
    get_cryptor,
)
from tests.runtime.conftest import CountedKMS
from tests.support.kms_server import KMSServer


@pytest.fixture
def kms_environment(monkeypatch: pytest.MonkeyPatch, kms_server: KMSServer) -> None:
    """Everything the KMS cryptor needs from the environment, on the local endpoint."""
    monkeypatch.setenv("PII_GUARD_KMS_KEY_ID", "alias/settings-test")
    monkeypatch.setenv("PII_GUARD_KMS_ENDPOINT_URL", kms_server.endpoint_url)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.mark.usefixtures("kms_environment")
def test_the_kms_environment_itself_initializes() -> None:
    KMSEnvelopeCryptor().initialize()


@pytest.mark.usefixtures("kms_environment")
@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("PII_GUARD_KMS_TIMEOUT", "0", "greater than 0"),
        ("PII_GUARD_KMS_TIMEOUT", "nan", "finite"),
        ("PII_GUARD_KMS_TIMEOUT", "inf", "finite"),
        ("PII_GUARD_KMS_ENDPOINT_URL", "127.0.0.1:5123", "http:// or https://"),
        ("PII_GUARD_KMS_ENDPOINT_URL", "localhost:5123", "http:// or https://"),
        ("PII_GUARD_KMS_ENDPOINT_URL", "http:///kms", "must name a host"),
        ("PII_GUARD_KMS_ENDPOINT_URL", "https://key:secret-9@kms.internal", "credentials"),
        ("PII_GUARD_DATA_KEY_CACHE_SECONDS", "nan", "finite"),
    ],
)
def test_a_kms_setting_that_would_fail_later_is_refused_by_initialize(
    variable: str, value: str, problem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(PIIConfigurationError, match=problem) as raised:
        KMSEnvelopeCryptor().initialize()

    assert variable in str(raised.value)
    assert "secret-9" not in str(raised.value) and raised.value.__context__ is None


def without(field: str, operation: str) -> Any:
    def drop(parsed: dict[str, Any], **_: Any) -> None:
        parsed.pop(field, None)

    return f"after-call.kms.{operation}", drop


@pytest.mark.parametrize(
    ("operation", "field"),
    [("GenerateDataKey", "Plaintext"), ("GenerateDataKey", "CiphertextBlob")],
)
def test_a_data_key_answer_without_the_key_is_a_key_service_error(
    kms: CountedKMS, operation: str, field: str
) -> None:
    cryptor = kms.cryptor()
    event, handler = without(field, operation)
    kms.client.meta.events.register(event, handler)
    try:
        with pytest.raises(PIIKeyServiceError, match="answered without a data key"):
            cryptor.encrypt(["ann@example.com"])
    finally:
        kms.client.meta.events.unregister(event, handler)


@pytest.mark.parametrize("field", ["Plaintext", "KeyId"])
def test_a_decrypt_answer_without_the_key_is_a_key_service_error(
    kms: CountedKMS, field: str
) -> None:
    stored = kms.cryptor().encrypt(["ann@example.com"])
    event, handler = without(field, "Decrypt")
    kms.client.meta.events.register(event, handler)
    try:
        with pytest.raises(PIIKeyServiceError, match="answered without the data key"):
            kms.cryptor().decrypt(stored)
    finally:
        kms.client.meta.events.unregister(event, handler)


WEAK_KEYS = {
    "all-zero": bytes(32),
    "repeated": b"\x01\x02\x03\x04" * 8,
    "password": b"correct horse battery staple!!!!",
}


@pytest.mark.parametrize("key", list(WEAK_KEYS.values()), ids=list(WEAK_KEYS))
def test_a_local_key_that_is_not_random_is_refused(
    key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PII_GUARD_CRYPTO_SERVICE", "local")
    monkeypatch.setenv("PII_GUARD_LOCAL_KEY", base64.b64encode(key).decode())

    with pytest.raises(PIIConfigurationError, match="PII_GUARD_LOCAL_KEY does not look") as raised:
        get_cryptor()

    assert base64.b64encode(key).decode() not in str(raised.value)


def test_a_local_key_file_that_is_not_random_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "master.key"
    key_file.write_bytes(bytes(32))
    monkeypatch.setenv("PII_GUARD_LOCAL_KEY_FILE", str(key_file))

    with pytest.raises(PIIConfigurationError, match="PII_GUARD_LOCAL_KEY_FILE does not look"):
        LocalKeyCryptor().initialize()


def test_a_generated_local_key_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(200):
        monkeypatch.setenv("PII_GUARD_LOCAL_KEY", LocalKeyCryptor.generate_key())
        LocalKeyCryptor().initialize()
