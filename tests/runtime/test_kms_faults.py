"""KMS faults through the real local endpoint: down, denied, throttled, slow.

Throttling and slowness come from a loopback proxy in front of the endpoint (tests/support/
faulty_proxy.py): real HTTP, real botocore retries, no mocked boto3. Each fault must give one
clear pii_guard error naming the cause, `encrypt_pii` must return nothing partial, and the
live or loaded instances must be unchanged.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from pii_guard import (
    EncryptedStr,
    KMSEnvelopeCryptor,
    PIIDecryptionError,
    PIIKeyServiceError,
    decrypt_pii,
    encrypt_pii,
    load_pii,
)
from tests.conftest import make_kms_client
from tests.runtime.models import Customer, Profile
from tests.support.faulty_proxy import FaultyProxy
from tests.support.kms_server import running_kms_server

pytestmark = pytest.mark.slow


def through(proxy: FaultyProxy, key_id: str, **config: Any) -> KMSEnvelopeCryptor:
    return KMSEnvelopeCryptor(key_id, client=make_kms_client(proxy.endpoint_url, **config))


def customers() -> list[Customer]:
    return [
        Customer(customer_id=n, name=f"name {n}", phone=f"+31 {n}", profile=Profile(email=f"{n}@x"))
        for n in range(3)
    ]


def assert_nothing_written(cryptor: KMSEnvelopeCryptor, error: type[Exception], match: str) -> None:
    """encrypt_pii raises (so returns no rows at all) and leaves the live instances alone."""
    live = customers()
    before = [instance.model_dump() for instance in live]
    with pytest.raises(error, match=match) as raised:
        encrypt_pii(live, cryptor=cryptor)
    assert type(raised.value) is error
    assert [instance.model_dump() for instance in live] == before


def stored(cryptor: KMSEnvelopeCryptor) -> list[Customer]:
    return load_pii(Customer, encrypt_pii(customers(), cryptor=cryptor), cryptor=cryptor)


# --- throttling -------------------------------------------------------------------------------


def test_throttling_within_the_retry_budget_is_retried_and_succeeds(
    proxy: FaultyProxy, kms_key_id: str
) -> None:
    cryptor = through(proxy, kms_key_id, retries={"mode": "standard", "total_max_attempts": 3})
    proxy.faults.throttle_next = 2

    loaded = stored(cryptor)

    assert proxy.faults.requests == 3  # two throttled answers, then the real one
    proxy.faults.throttle_next = 2
    assert [c.name for c in decrypt_pii(loaded, cryptor=cryptor)] == ["name 0", "name 1", "name 2"]
    assert proxy.faults.requests == 6


def test_throttling_past_the_retry_budget_names_the_throttling(
    proxy: FaultyProxy, kms_key_id: str
) -> None:
    cryptor = through(proxy, kms_key_id, retries={"mode": "standard", "total_max_attempts": 2})
    proxy.faults.throttle_next = 100

    assert_nothing_written(
        cryptor, PIIKeyServiceError, r"GenerateDataKey .* throttled .*ThrottlingException"
    )
    assert proxy.faults.requests == 2


def test_throttled_decryption_leaves_the_loaded_instances_masked(
    proxy: FaultyProxy, kms_key_id: str
) -> None:
    cryptor = through(proxy, kms_key_id, retries={"mode": "standard", "total_max_attempts": 2})
    loaded = stored(cryptor)
    proxy.faults.throttle_next = 100

    with pytest.raises(PIIKeyServiceError, match=r"KMS Decrypt failed: KMS throttled"):
        decrypt_pii(loaded, cryptor=cryptor)

    assert all(isinstance(instance.name, EncryptedStr) for instance in loaded)


def test_a_transient_internal_error_is_retried(proxy: FaultyProxy, kms_key_id: str) -> None:
    cryptor = through(proxy, kms_key_id, retries={"mode": "standard", "total_max_attempts": 3})
    proxy.faults.internal_error_next = 1

    assert cryptor.decrypt(cryptor.encrypt(["ann@example.com"])) == ["ann@example.com"]
    assert proxy.faults.requests == 3  # GenerateDataKey twice, Decrypt once


def test_a_persistent_internal_error_names_the_cause(proxy: FaultyProxy, kms_key_id: str) -> None:
    cryptor = through(proxy, kms_key_id, retries={"mode": "standard", "total_max_attempts": 2})
    proxy.faults.internal_error_next = 100

    assert_nothing_written(cryptor, PIIKeyServiceError, r"failed internally .*KMSInternalException")


def test_the_cryptors_own_client_uses_standard_retries_and_aws_max_attempts(
    monkeypatch: pytest.MonkeyPatch, proxy: FaultyProxy, kms_key_id: str
) -> None:
    monkeypatch.setenv("PII_GUARD_KMS_ENDPOINT_URL", proxy.endpoint_url)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_RETRY_MODE", raising=False)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    proxy.faults.throttle_next = 2

    assert KMSEnvelopeCryptor(kms_key_id).encrypt(["a"])[0].startswith("#01#")
    assert proxy.faults.requests == 3  # standard mode: 3 attempts by default

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    proxy.faults.throttle_next = 1
    with pytest.raises(PIIKeyServiceError, match="ThrottlingException"):
        KMSEnvelopeCryptor(kms_key_id).encrypt(["a"])
    assert proxy.faults.requests == 4


# --- a slow endpoint ---------------------------------------------------------------------------


def test_an_endpoint_slower_than_the_read_timeout_names_the_timeout(
    proxy: FaultyProxy, kms_key_id: str
) -> None:
    cryptor = through(
        proxy, kms_key_id, read_timeout=0.3, retries={"mode": "standard", "total_max_attempts": 2}
    )
    proxy.faults.delay_seconds = 5.0

    started = time.monotonic()
    assert_nothing_written(
        cryptor, PIIKeyServiceError, r"did not answer within the read timeout .*ReadTimeoutError"
    )

    assert time.monotonic() - started < 4.0  # two timed-out attempts, not the full delay
    assert proxy.faults.requests == 2  # a timeout is retried like a transient error


def test_a_slow_decrypt_leaves_the_loaded_instances_masked(
    proxy: FaultyProxy, kms_key_id: str
) -> None:
    cryptor = through(
        proxy, kms_key_id, read_timeout=0.3, retries={"mode": "standard", "total_max_attempts": 1}
    )
    loaded = stored(cryptor)
    proxy.faults.delay_seconds = 5.0

    with pytest.raises(PIIKeyServiceError, match=r"Decrypt failed: KMS did not answer"):
        decrypt_pii(loaded, cryptor=cryptor)

    assert all(isinstance(instance.name, EncryptedStr) for instance in loaded)


# --- the endpoint goes down ---------------------------------------------------------------------


def test_an_endpoint_that_goes_down_names_the_unreachable_endpoint(tmp_path: Path) -> None:
    with running_kms_server(tmp_path) as server:
        client = make_kms_client(server.endpoint_url, connect_timeout=1)
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        cryptor = KMSEnvelopeCryptor(key_id, client=client)
        loaded = stored(cryptor)
        assert decrypt_pii(loaded, cryptor=cryptor)[0].name == "name 0"
    # the server is stopped now; the same cryptor and client keep being used

    assert_nothing_written(
        cryptor, PIIKeyServiceError, r"GenerateDataKey .*cannot be reached .*EndpointConnection"
    )
    with pytest.raises(PIIKeyServiceError, match=r"Decrypt failed: the KMS endpoint cannot be"):
        decrypt_pii(loaded, cryptor=cryptor)
    assert all(isinstance(instance.name, EncryptedStr) for instance in loaded)


# --- denied: another account's key, a key that does not exist ------------------------------------


def test_values_under_a_key_this_endpoint_does_not_know_are_refused_as_access_denied(
    tmp_path: Path, kms: Any
) -> None:
    loaded = stored(kms.cryptor())
    with running_kms_server(tmp_path) as other_account:
        elsewhere = KMSEnvelopeCryptor(
            kms.key_id, client=make_kms_client(other_account.endpoint_url)
        )

        with pytest.raises(PIIDecryptionError, match=r"position 0 .*AccessDeniedException"):
            decrypt_pii(loaded, cryptor=elsewhere)

    assert all(isinstance(instance.name, EncryptedStr) for instance in loaded)


def test_encrypting_under_a_key_that_does_not_exist_names_the_missing_key(kms: Any) -> None:
    missing = KMSEnvelopeCryptor("alias/no-such-key", client=kms.client)

    assert_nothing_written(missing, PIIKeyServiceError, r"alias/no-such-key.*does not exist")
