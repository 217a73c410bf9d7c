"""KMSEnvelopeCryptor decrypts only data keys made under its key or an allow-list of earlier ones.

Otherwise anyone who can write a row and use some other KMS key the application's role may use
could plant a value that decrypts to text of their choosing. Everything here runs against the
local KMS endpoint over HTTP.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pii_guard import (
    DataKeyCache,
    EncryptedStr,
    KMSEnvelopeCryptor,
    PIIConfigurationError,
    PIIDecryptionError,
    decrypt_pii,
    encrypt_pii,
    get_cryptor,
    load_pii,
)
from tests.runtime.conftest import CountedKMS
from tests.runtime.models import Customer


def new_key(kms: CountedKMS) -> tuple[str, str]:
    """A fresh KMS key the caller may use: (key id, key ARN)."""
    metadata = kms.client.create_key()["KeyMetadata"]
    return str(metadata["KeyId"]), str(metadata["Arn"])


def new_alias(kms: CountedKMS, key_id: str) -> tuple[str, str]:
    """A fresh alias naming `key_id`: (alias name, alias ARN)."""
    name = f"alias/pinning-{uuid.uuid4().hex[:8]}"
    kms.client.create_alias(AliasName=name, TargetKeyId=key_id)
    aliases = kms.client.list_aliases()["Aliases"]
    return name, str(next(a["AliasArn"] for a in aliases if a["AliasName"] == name))


def under(kms: CountedKMS, key: str, *plaintexts: str) -> list[str]:
    return KMSEnvelopeCryptor(key, client=kms.client).encrypt(list(plaintexts))


# --- refused -------------------------------------------------------------------------------------


def test_a_value_under_another_key_the_caller_may_use_is_refused(kms: CountedKMS) -> None:
    _, foreign_arn = new_key(kms)
    mine = under(kms, kms.key_id, "ann@example.com")
    planted = under(kms, foreign_arn, "attacker's choice")

    with pytest.raises(PIIDecryptionError) as raised:
        kms.cryptor().decrypt(mine + planted)

    message = str(raised.value)
    assert raised.value.position == 1
    assert f"KMS key {foreign_arn}" in message and "PII_GUARD_KMS_DECRYPT_KEY_IDS" in message
    assert "attacker" not in message and planted[0][4:40] not in message


def test_a_refused_value_leaves_loaded_instances_encrypted(kms: CountedKMS) -> None:
    foreign_id, _ = new_key(kms)
    rows = encrypt_pii(
        [Customer(customer_id=1, name="Planted Name")],
        cryptor=KMSEnvelopeCryptor(foreign_id, client=kms.client),
    )
    loaded = load_pii(Customer, rows, cryptor=kms.cryptor())

    with pytest.raises(PIIDecryptionError, match="position 0"):
        decrypt_pii(loaded, cryptor=kms.cryptor())

    assert isinstance(loaded[0].name, EncryptedStr)


def test_a_cryptor_pinned_to_an_alias_refuses_values_under_other_keys(kms: CountedKMS) -> None:
    alias, _ = new_alias(kms, kms.key_id)
    foreign_id, _ = new_key(kms)
    pinned = KMSEnvelopeCryptor(alias, client=kms.client)

    with pytest.raises(PIIDecryptionError, match=r"position 0 .*KMS refused"):
        pinned.decrypt(under(kms, foreign_id, "planted"))


# --- accepted ------------------------------------------------------------------------------------


def test_values_under_the_configured_key_cost_no_extra_kms_call(kms: CountedKMS) -> None:
    encrypted = under(kms, kms.key_id, "a", "b")
    kms.calls.clear()

    assert kms.cryptor().decrypt(encrypted) == ["a", "b"]
    assert kms.calls == {"Decrypt": 1}


@pytest.mark.parametrize("form", ["key id", "key ARN", "alias name", "alias ARN"])
def test_a_value_under_an_allow_listed_earlier_key_decrypts(kms: CountedKMS, form: str) -> None:
    earlier_id, earlier_arn = new_key(kms)
    alias, alias_arn = new_alias(kms, earlier_id)
    identifier = {
        "key id": earlier_id,
        "key ARN": earlier_arn,
        "alias name": alias,
        "alias ARN": alias_arn,
    }[form]
    old = under(kms, earlier_id, "written under the earlier key")
    current = under(kms, kms.key_id, "written under the current key")

    cryptor = kms.cryptor(decrypt_key_ids=[identifier])

    assert cryptor.decrypt(old + current) == [
        "written under the earlier key",
        "written under the current key",
    ]


@pytest.mark.parametrize("form", ["alias name", "alias ARN"])
def test_an_alias_as_the_configured_key_encrypts_and_decrypts(kms: CountedKMS, form: str) -> None:
    alias, alias_arn = new_alias(kms, kms.key_id)
    cryptor = KMSEnvelopeCryptor(alias if form == "alias name" else alias_arn, client=kms.client)
    encrypted = cryptor.encrypt(["zoë@example.com"])
    kms.calls.clear()

    assert cryptor.decrypt(encrypted) == ["zoë@example.com"]
    # The only accepted key is checked by KMS itself: no DescribeKey call.
    assert kms.calls == {"Decrypt": 1}


def test_an_allow_listed_alias_is_resolved_once_not_on_every_call(kms: CountedKMS) -> None:
    earlier_id, _ = new_key(kms)
    alias, _ = new_alias(kms, earlier_id)
    cryptor = kms.cryptor(decrypt_key_ids=[alias])
    first, second = under(kms, earlier_id, "first"), under(kms, earlier_id, "second")
    kms.calls.clear()

    assert cryptor.decrypt(first) == ["first"]
    assert cryptor.decrypt(second) == ["second"]
    assert kms.calls == {"Decrypt": 2, "DescribeKey": 1}


# --- aliases move --------------------------------------------------------------------------------


def test_after_the_alias_moves_old_values_need_the_allow_list(kms: CountedKMS) -> None:
    old_id, _ = new_key(kms)
    new_id, _ = new_key(kms)
    alias, _ = new_alias(kms, old_id)
    old_values = under(kms, alias, "before the move")
    kms.client.update_alias(AliasName=alias, TargetKeyId=new_id)
    new_values = under(kms, alias, "after the move")

    assert KMSEnvelopeCryptor(alias, client=kms.client).decrypt(new_values) == ["after the move"]
    with pytest.raises(PIIDecryptionError, match="position 0"):
        KMSEnvelopeCryptor(alias, client=kms.client).decrypt(old_values)
    migrating = KMSEnvelopeCryptor(alias, client=kms.client, decrypt_key_ids=[old_id])
    assert migrating.decrypt(old_values + new_values) == ["before the move", "after the move"]


def test_an_alias_that_moved_is_resolved_again_on_a_mismatch(kms: CountedKMS) -> None:
    first_id, _ = new_key(kms)
    second_id, _ = new_key(kms)
    other_id, _ = new_key(kms)
    alias, _ = new_alias(kms, first_id)
    cryptor = KMSEnvelopeCryptor(alias, client=kms.client, decrypt_key_ids=[other_id])
    before = cryptor.encrypt(["before"])
    assert cryptor.decrypt(before) == ["before"]  # resolves the alias to the first key

    kms.client.update_alias(AliasName=alias, TargetKeyId=second_id)
    after = cryptor.encrypt(["after"])
    kms.calls.clear()

    assert cryptor.decrypt(after) == ["after"]
    assert kms.calls == {"Decrypt": 1, "DescribeKey": 1}
    with pytest.raises(PIIDecryptionError, match=f"position 0 .*{first_id}"):
        cryptor.decrypt(before)  # the alias no longer names the first key


# --- the data key cache --------------------------------------------------------------------------


def test_a_cache_hit_never_bypasses_the_pin(kms: CountedKMS) -> None:
    earlier_id, _ = new_key(kms)
    shared = DataKeyCache(max_keys=10, max_age_seconds=60)
    permissive = kms.cryptor(decrypt_key_ids=[earlier_id], data_key_cache=shared)
    strict = kms.cryptor(data_key_cache=shared)
    old = under(kms, earlier_id, "old")

    assert permissive.decrypt(old) == ["old"]  # its data key is in the shared cache now
    assert len(shared) == 1
    with pytest.raises(PIIDecryptionError, match="position 0"):
        strict.decrypt(old)


def test_a_refused_data_key_is_never_cached(kms: CountedKMS) -> None:
    foreign_id, _ = new_key(kms)
    cache = DataKeyCache(max_keys=10, max_age_seconds=60)
    cryptor = kms.cryptor(data_key_cache=cache)
    planted = under(kms, foreign_id, "planted")

    for _ in range(2):
        with pytest.raises(PIIDecryptionError):
            cryptor.decrypt(planted)
    assert len(cache) == 0


def test_cache_hits_under_an_alias_call_no_kms(kms: CountedKMS) -> None:
    alias, _ = new_alias(kms, kms.key_id)
    cryptor = KMSEnvelopeCryptor(
        alias, client=kms.client, data_key_cache=DataKeyCache(max_keys=10, max_age_seconds=60)
    )
    encrypted = cryptor.encrypt(["cached"])
    kms.calls.clear()

    assert cryptor.decrypt(encrypted) == cryptor.decrypt(encrypted) == ["cached"]
    assert kms.calls == {"Decrypt": 1}


# --- configuration -------------------------------------------------------------------------------


def kms_environment(monkeypatch: pytest.MonkeyPatch, kms_server: Any, key_id: str) -> None:
    monkeypatch.setenv("PII_GUARD_KMS_KEY_ID", key_id)
    monkeypatch.setenv("PII_GUARD_KMS_ENDPOINT_URL", kms_server.endpoint_url)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_the_allow_list_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, kms_server: Any, kms: CountedKMS
) -> None:
    earlier_id, _ = new_key(kms)
    other_alias, _ = new_alias(kms, new_key(kms)[0])
    kms_environment(monkeypatch, kms_server, kms.key_id)
    monkeypatch.setenv("PII_GUARD_KMS_DECRYPT_KEY_IDS", f" {earlier_id} , {other_alias}")
    old = under(kms, earlier_id, "old")

    cryptor = get_cryptor()

    assert isinstance(cryptor, KMSEnvelopeCryptor)
    assert cryptor.decrypt_key_ids == (earlier_id, other_alias)
    assert cryptor.decrypt(old) == ["old"]
    # An explicit argument wins over the environment: here, no earlier key at all.
    with pytest.raises(PIIDecryptionError):
        KMSEnvelopeCryptor(decrypt_key_ids=[]).decrypt(old)


@pytest.mark.parametrize(
    "value",
    [
        "alias/old;alias/new",
        "alias/old,,alias/new",
        "my old key",
        "arn:aws:kms:us-east-1:123456789012:key/not-a-key-id",
    ],
)
def test_a_malformed_allow_list_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, kms_server: Any, kms_key_id: str, value: str
) -> None:
    kms_environment(monkeypatch, kms_server, kms_key_id)
    monkeypatch.setenv("PII_GUARD_KMS_DECRYPT_KEY_IDS", value)

    with pytest.raises(PIIConfigurationError, match=r"PII_GUARD_KMS_DECRYPT_KEY_IDS: entry \d"):
        KMSEnvelopeCryptor().initialize()


def test_a_malformed_allow_list_argument_is_refused_when_the_cryptor_is_built(
    kms: CountedKMS,
) -> None:
    with pytest.raises(PIIConfigurationError, match=r"decrypt_key_ids: entry 2 is empty"):
        kms.cryptor(decrypt_key_ids=["alias/old", " "])
    with pytest.raises(PIIConfigurationError, match="not one string"):
        kms.cryptor(decrypt_key_ids="alias/old")


def test_repr_names_the_accepted_earlier_keys(kms: CountedKMS) -> None:
    cryptor = kms.cryptor(decrypt_key_ids=["alias/old"])

    assert repr(cryptor) == (
        f"KMSEnvelopeCryptor(key_id={kms.key_id!r}, decrypt_key_ids=('alias/old',), cache=None)"
    )
