"""KMSEnvelopeCryptor against the local KMS endpoint, through a real boto3 client over HTTP."""

from __future__ import annotations

import asyncio
import base64
import threading
from typing import Any

import pytest

from pii_guard import DataKeyCache, KMSEnvelopeCryptor, PIIConfigurationError, PIIDecryptionError
from pii_guard.errors import PIIEncryptionError, PIIKeyServiceError
from pii_guard.wire import parse_wire
from tests.conftest import make_kms_client
from tests.runtime.conftest import CountedKMS
from tests.support.kms_server import free_loopback_port

VALUES = ["ann@example.com", "Zoë Ångström-Ñúñez 山田太郎 🙂", "", "x" * 10_000]


def test_ascii_unicode_empty_and_long_values_round_trip(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()

    encrypted = cryptor.encrypt(VALUES)

    assert all(value.startswith("#01#") and value.endswith("#10#") for value in encrypted)
    assert cryptor.decrypt(encrypted) == VALUES


def test_a_batch_of_a_thousand_values_costs_one_generate_data_key(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    values = [f"customer-{i}@example.com" for i in range(1000)]

    encrypted = cryptor.encrypt(values)

    assert kms.calls == {"GenerateDataKey": 1}
    assert len({parse_wire(value).encrypted_key for value in encrypted}) == 1
    assert len({parse_wire(value).iv for value in encrypted}) == 1000


def test_decrypt_calls_kms_once_per_distinct_data_key(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    batches = [cryptor.encrypt([f"{batch}-{i}" for i in range(50)]) for batch in range(3)]
    kms.calls.clear()

    mixed = [value for group in zip(*batches, strict=True) for value in group]
    decrypted = cryptor.decrypt(mixed)

    assert kms.calls == {"Decrypt": 3}
    assert decrypted[:3] == ["0-0", "1-0", "2-0"]


def test_an_empty_batch_calls_no_kms(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()

    assert cryptor.encrypt([]) == []
    assert cryptor.decrypt([]) == []
    assert kms.calls == {}


def test_two_encryptions_of_the_same_value_differ(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()

    first, second = cryptor.encrypt(["ann@example.com", "ann@example.com"])
    third = cryptor.encrypt(["ann@example.com"])[0]

    assert len({first, second, third}) == 3
    assert parse_wire(first).iv != parse_wire(second).iv


def _tamper(wire: str, part: int) -> str:
    parts = wire[4:-4].split(":")
    raw = bytearray(base64.b64decode(parts[part]))
    raw[len(raw) // 2] ^= 0x01
    parts[part] = base64.b64encode(bytes(raw)).decode()
    return "#01#" + ":".join(parts) + "#10#"


@pytest.mark.parametrize(
    ("part", "name"), [(0, "encrypted key"), (1, "iv"), (2, "ciphertext"), (3, "tag")]
)
def test_tampering_with_any_part_is_rejected(kms: CountedKMS, part: int, name: str) -> None:
    cryptor = kms.cryptor()
    good, target = cryptor.encrypt(["first value", "the value to tamper with"])

    with pytest.raises(PIIDecryptionError) as raised:
        cryptor.decrypt([good, _tamper(target, part)])

    assert raised.value.position == 1
    assert "position 1" in str(raised.value)
    assert "tamper with" not in str(raised.value)


@pytest.mark.parametrize("cut", [1, 5, 30, 60])
def test_truncated_values_are_rejected(kms: CountedKMS, cut: int) -> None:
    cryptor = kms.cryptor()
    (value,) = cryptor.encrypt(["a value long enough to be cut anywhere"])

    truncated = value[: -4 - cut] + "#10#"
    with pytest.raises(PIIDecryptionError, match=r"position 0"):
        cryptor.decrypt([truncated])


def test_a_value_under_another_data_key_is_rejected(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    (first,) = cryptor.encrypt(["first"])
    (second,) = cryptor.encrypt(["second"])
    key_of_first = first[4:-4].split(":")[0]
    key_of_second = second[4:-4].split(":")[0]

    spliced = second.replace(key_of_second, key_of_first)
    with pytest.raises(PIIDecryptionError, match=r"authentication failed"):
        cryptor.decrypt([spliced])


@pytest.mark.parametrize(
    "foreign", ["ann@example.com", "#01#ann@example.com#10#", "#01#a:b:c:d#10#", "#01##10#"]
)
def test_plaintext_and_foreign_formats_are_rejected(kms: CountedKMS, foreign: str) -> None:
    with pytest.raises(PIIDecryptionError, match=r"position 0") as raised:
        kms.cryptor().decrypt([foreign])

    assert "ann@example.com" not in str(raised.value)


def test_a_value_bound_to_a_context_decrypts_only_under_that_context(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    encrypted = cryptor.encrypt(["ann@example.com", "+31 20 123"], ["Customer.email", None])

    assert cryptor.decrypt(encrypted, ["Customer.email", None]) == ["ann@example.com", "+31 20 123"]
    with pytest.raises(PIIDecryptionError, match=r"position 0.*another context"):
        cryptor.decrypt(encrypted, ["Customer.name", None])
    with pytest.raises(PIIDecryptionError, match=r"position 0"):
        cryptor.decrypt(encrypted)
    with pytest.raises(PIIDecryptionError, match=r"position 1"):
        cryptor.decrypt(encrypted, ["Customer.email", "Customer.phone"])


def test_non_text_values_are_refused_by_position(kms: CountedKMS) -> None:
    with pytest.raises(PIIEncryptionError, match=r"position 1 .* int, not a str"):
        kms.cryptor().encrypt(["fine", 42])  # type: ignore[list-item]
    with pytest.raises(PIIEncryptionError, match=r"position 0 .*not valid in UTF-8"):
        kms.cryptor().encrypt(["\ud800"])
    assert kms.calls == {}


def test_repr_names_the_key_and_never_key_material(kms: CountedKMS) -> None:
    cryptor = kms.cryptor(data_key_cache=DataKeyCache(max_keys=4, max_age_seconds=30))
    cryptor.decrypt(cryptor.encrypt(["a"]))

    assert repr(cryptor) == (
        f"KMSEnvelopeCryptor(key_id={kms.key_id!r}, "
        "cache=DataKeyCache(max_keys=4, max_age_seconds=30))"
    )


def test_a_data_key_cache_serves_repeated_reads_within_its_bounds(kms: CountedKMS) -> None:
    now = [0.0]
    cache = DataKeyCache(max_keys=2, max_age_seconds=60, clock=lambda: now[0])
    cryptor = kms.cryptor(data_key_cache=cache)
    first, second, third = (cryptor.encrypt([name]) for name in ("a", "b", "c"))
    kms.calls.clear()

    cryptor.decrypt(first + second)
    cryptor.decrypt(first + second)
    assert kms.calls["Decrypt"] == 2  # the second read came from the cache

    cryptor.decrypt(third)  # a third key pushes out the least recently used one
    assert len(cache) == 2
    cryptor.decrypt(first)
    assert kms.calls["Decrypt"] == 4

    now[0] = 61.0  # every key has expired
    assert len(cache) == 0
    cryptor.decrypt(first)
    assert kms.calls["Decrypt"] == 5


def test_without_a_cache_every_call_unwraps_its_keys_again(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    encrypted = cryptor.encrypt(["a"])
    kms.calls.clear()

    cryptor.decrypt(encrypted)
    cryptor.decrypt(encrypted)

    assert kms.calls == {"Decrypt": 2}


def test_async_calls_run_kms_off_the_event_loop_thread(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    kms_threads: list[int] = []

    def remember_thread(**_: Any) -> None:
        kms_threads.append(threading.get_ident())

    kms.client.meta.events.register("before-call.kms", remember_thread)

    async def round_trip() -> tuple[list[str], int]:
        encrypted = await cryptor.aencrypt(["ann@example.com", "bob@example.com"])
        return await cryptor.adecrypt(encrypted), threading.get_ident()

    decrypted, loop_thread = asyncio.run(round_trip())

    assert decrypted == ["ann@example.com", "bob@example.com"]
    assert len(kms_threads) == 2
    assert loop_thread not in kms_threads


def test_an_unknown_kms_key_is_a_key_service_error(kms: CountedKMS) -> None:
    cryptor = KMSEnvelopeCryptor("00000000-0000-0000-0000-000000000000", client=kms.client)

    with pytest.raises(PIIKeyServiceError, match=r"GenerateDataKey .*NotFoundException"):
        cryptor.encrypt(["ann@example.com"])


def test_a_closed_endpoint_is_a_key_service_error(kms_key_id: str) -> None:
    nothing_listens = f"http://127.0.0.1:{free_loopback_port()}"
    client = make_kms_client(nothing_listens, connect_timeout=1)
    cryptor = KMSEnvelopeCryptor(kms_key_id, client=client)

    with pytest.raises(PIIKeyServiceError, match=r"GenerateDataKey .*EndpointConnectionError"):
        cryptor.encrypt(["ann@example.com"])


def test_without_a_key_id_initialize_names_the_variable_to_set() -> None:
    with pytest.raises(PIIConfigurationError, match=r"set PII_GUARD_KMS_KEY_ID"):
        KMSEnvelopeCryptor().initialize()


def test_without_a_region_initialize_names_the_variable_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("PII_GUARD_KMS_KEY_ID", "alias/customers")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))

    with pytest.raises(PIIConfigurationError, match=r"set AWS_REGION"):
        KMSEnvelopeCryptor().initialize()


def test_without_credentials_initialize_says_how_to_provide_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("PII_GUARD_KMS_KEY_ID", "alias/customers")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    with pytest.raises(PIIConfigurationError, match=r"no AWS credentials: set AWS_ACCESS_KEY_ID"):
        KMSEnvelopeCryptor().initialize()


def test_a_client_is_built_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, kms_server: Any, kms_key_id: str
) -> None:
    monkeypatch.setenv("PII_GUARD_KMS_KEY_ID", kms_key_id)
    monkeypatch.setenv("PII_GUARD_KMS_ENDPOINT_URL", kms_server.endpoint_url)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    cryptor = KMSEnvelopeCryptor()
    cryptor.initialize()

    assert cryptor.key_id == kms_key_id
    assert cryptor.decrypt(cryptor.encrypt(["ann@example.com"])) == ["ann@example.com"]


def test_a_data_key_cache_is_configured_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, kms: CountedKMS
) -> None:
    monkeypatch.setenv("PII_GUARD_DATA_KEY_CACHE_SIZE", "10")
    monkeypatch.setenv("PII_GUARD_DATA_KEY_CACHE_SECONDS", "30")
    cryptor = kms.cryptor()
    encrypted = cryptor.encrypt(["a"])
    kms.calls.clear()

    cryptor.decrypt(encrypted)
    cryptor.decrypt(encrypted)

    assert kms.calls == {"Decrypt": 1}
    assert "DataKeyCache(max_keys=10, max_age_seconds=30.0)" in repr(cryptor)


def test_a_data_key_cache_longer_than_an_hour_is_refused(
    monkeypatch: pytest.MonkeyPatch, kms: CountedKMS
) -> None:
    monkeypatch.setenv("PII_GUARD_DATA_KEY_CACHE_SIZE", "10")
    monkeypatch.setenv("PII_GUARD_DATA_KEY_CACHE_SECONDS", "86400")

    with pytest.raises(PIIConfigurationError, match="PII_GUARD_DATA_KEY_CACHE_SECONDS"):
        kms.cryptor().initialize()
