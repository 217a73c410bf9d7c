"""Key rotation: old data keys keep decrypting; values under a previous KMS key decrypt while
that key is in the allow-list, and `rewrap` migrates them so it can be taken out.

The local KMS endpoint records on-demand rotation but keeps one key material, so what is
exercised here is the rotation that changes the key a value is written under: the alias moved
to a new KMS key (a manual rotation), and a new local master key.
"""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from typing import Any

import pytest

from pii_guard import (
    EncryptedStr,
    KMSEnvelopeCryptor,
    LocalKeyCryptor,
    PIIDecryptionError,
    arewrap,
    decrypt_pii,
    encrypt_pii,
    field_context,
    load_pii,
    rewrap,
)
from pii_guard.cryptors.base import Cryptor
from tests.runtime.conftest import CountedKMS
from tests.runtime.models import Customer, Profile


def customer(number: int) -> Customer:
    return Customer(
        customer_id=number,
        name=f"name {number}",
        aliases=[f"alias {number}"],
        profile=Profile(email=f"{number}@example.com"),
    )


def load(rows: list[dict[str, Any]], cryptor: Cryptor, **options: Any) -> list[Customer]:
    return load_pii(Customer, rows, cryptor=cryptor, **options)


def kms_key_of(kms: CountedKMS, wire_value: str) -> str:
    """The KMS key that made the value's data key (asked of KMS, as an auditor would)."""
    blob = base64.b64decode(wire_value[4:].split(":")[0])
    return str(kms.client.decrypt(CiphertextBlob=blob)["KeyId"]).rsplit("/", 1)[-1]


@pytest.fixture
def moved_alias(kms: CountedKMS) -> tuple[str, str, str]:
    """An alias on an old KMS key, then moved to a new one: (alias, old key, new key)."""
    alias = f"alias/customers-{uuid.uuid4().hex[:8]}"
    old = kms.client.create_key()["KeyMetadata"]["KeyId"]
    new = kms.client.create_key()["KeyMetadata"]["KeyId"]
    kms.client.create_alias(AliasName=alias, TargetKeyId=old)
    return alias, old, new


def test_rows_written_under_different_data_keys_decrypt_in_one_call(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    rows = [encrypt_pii([customer(n)], cryptor=cryptor)[0] for n in range(4)]  # 4 data keys
    kms.calls.clear()

    plain = decrypt_pii(load(rows, cryptor), cryptor=cryptor)

    assert [c.name for c in plain] == ["name 0", "name 1", "name 2", "name 3"]
    assert kms.calls == {"Decrypt": 4}


def test_values_under_the_previous_key_of_a_moved_alias_decrypt_only_while_allowed(
    kms: CountedKMS, moved_alias: tuple[str, str, str]
) -> None:
    alias, old, new = moved_alias
    cryptor = KMSEnvelopeCryptor(alias, client=kms.client)
    before = encrypt_pii([customer(1)], cryptor=cryptor)

    kms.client.update_alias(AliasName=alias, TargetKeyId=new)
    after = encrypt_pii([customer(2)], cryptor=cryptor)

    assert kms_key_of(kms, before[0]["name"]) == old
    assert kms_key_of(kms, after[0]["name"]) == new
    assert decrypt_pii(load(after, cryptor), cryptor=cryptor)[0].name == "name 2"
    with pytest.raises(PIIDecryptionError, match="position 0"):
        decrypt_pii(load(before + after, cryptor), cryptor=cryptor)
    migrating = KMSEnvelopeCryptor(alias, client=kms.client, decrypt_key_ids=[old])
    plain = decrypt_pii(load(before + after, migrating), cryptor=migrating)
    assert [c.name for c in plain] == ["name 1", "name 2"]


def test_rewrap_moves_every_value_to_the_current_key_in_one_batch(
    kms: CountedKMS, moved_alias: tuple[str, str, str]
) -> None:
    alias, old, new = moved_alias
    rows = [
        encrypt_pii([customer(n)], cryptor=KMSEnvelopeCryptor(alias, client=kms.client))[0]
        for n in range(3)
    ]
    assert {kms_key_of(kms, row["name"]) for row in rows} == {old}
    kms.client.update_alias(AliasName=alias, TargetKeyId=new)
    migrating = KMSEnvelopeCryptor(alias, client=kms.client, decrypt_key_ids=[old])
    kms.calls.clear()

    rewrapped = rewrap(load(rows, migrating), cryptor=migrating)

    assert kms.calls == {"Decrypt": 3, "GenerateDataKey": 1}
    values = [row["name"] for row in rewrapped] + [row["profile"]["email"] for row in rewrapped]
    assert all(isinstance(v, str) and not isinstance(v, EncryptedStr) for v in values)
    assert {kms_key_of(kms, value) for value in values} == {new}
    assert rewrapped[0]["name"] != rows[0]["name"]
    assert [row["customer_id"] for row in rewrapped] == [0, 1, 2]  # non-PII fields untouched
    # The old key can leave the allow-list: everything is under the alias's target now.
    current_only = KMSEnvelopeCryptor(alias, client=kms.client)
    plain = decrypt_pii(load(rewrapped, current_only), cryptor=current_only)
    assert [(c.name, c.aliases, c.profile and c.profile.email) for c in plain] == [
        (f"name {n}", [f"alias {n}"], f"{n}@example.com") for n in range(3)
    ]
    with pytest.raises(PIIDecryptionError):
        decrypt_pii(load(rows, current_only), cryptor=current_only)


def test_rewrap_moves_values_to_a_new_local_master_key() -> None:
    retired, current = LocalKeyCryptor(os.urandom(32)), LocalKeyCryptor(os.urandom(32))
    rows = encrypt_pii([customer(1), customer(2)], cryptor=retired)

    rewrapped = rewrap(load(rows, retired), cryptor=retired, to_cryptor=current)

    assert [c.name for c in decrypt_pii(load(rewrapped, current), cryptor=current)] == [
        "name 1",
        "name 2",
    ]
    with pytest.raises(PIIDecryptionError, match="another master key"):
        decrypt_pii(load(rewrapped, retired), cryptor=retired)


def test_rewrap_can_start_binding_values_to_their_field(local_cryptor: LocalKeyCryptor) -> None:
    rows = encrypt_pii([customer(1)], cryptor=local_cryptor, context=None)  # written unbound

    unbound = load(rows, local_cryptor, context=None)
    bound = rewrap(unbound, cryptor=local_cryptor, context=None, to_context=field_context)

    (plain,) = decrypt_pii(load(bound, local_cryptor), cryptor=local_cryptor)
    assert plain.name == "name 1"
    with pytest.raises(PIIDecryptionError):
        decrypt_pii(load(bound, local_cryptor, context=None), cryptor=local_cryptor, context=None)


def test_rewrap_encrypts_values_stored_before_the_field_was_pii(
    local_cryptor: LocalKeyCryptor,
) -> None:
    legacy_row = {"customer_id": 7, "name": "Legacy Name", "phone": "+31 7"}

    legacy = load([legacy_row], local_cryptor, allow_plaintext=True)
    (row,) = rewrap(legacy, cryptor=local_cryptor)

    assert row["name"].startswith("#01#") and row["phone"].startswith("#01#")
    (plain,) = decrypt_pii(load([row], local_cryptor), cryptor=local_cryptor)
    assert (plain.name, plain.phone) == ("Legacy Name", "+31 7")


def test_a_rewrap_that_cannot_decrypt_everything_returns_nothing_and_makes_no_key(
    kms: CountedKMS,
) -> None:
    cryptor = kms.cryptor()
    rows = encrypt_pii([customer(1), customer(2)], cryptor=cryptor)
    rows[1]["name"] = rows[0]["aliases"][0]  # another field's value: fails authentication
    loaded = load(rows, cryptor)
    kms.calls.clear()

    with pytest.raises(PIIDecryptionError):
        rewrap(loaded, cryptor=cryptor)

    assert "GenerateDataKey" not in kms.calls
    assert all(isinstance(c.name, EncryptedStr) for c in loaded)


def test_arewrap_does_the_same_off_the_event_loop(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    rows = encrypt_pii([customer(1)], cryptor=cryptor)
    kms.calls.clear()

    rewrapped = asyncio.run(arewrap(load(rows, cryptor), cryptor=cryptor))

    assert kms.calls == {"Decrypt": 1, "GenerateDataKey": 1}
    assert rewrapped[0]["name"] != rows[0]["name"]
    assert decrypt_pii(load(rewrapped, cryptor), cryptor=cryptor)[0].name == "name 1"
