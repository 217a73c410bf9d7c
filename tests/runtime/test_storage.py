"""encrypt_pii / load_pii / decrypt_pii: the storage boundary, one cryptor call per batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import BaseModel

from pii_guard import (
    EncryptedStr,
    LocalKeyCryptor,
    PIIConfigurationError,
    PIIDecryptionError,
    PIIEncryptionError,
    PIIInvalidFieldUsageError,
    PIIStr,
    PIIUsageError,
    ValueSite,
    adecrypt_pii,
    aencrypt_pii,
    decrypt_pii,
    encrypt_pii,
    field_context,
    load_pii,
    use_cryptor,
)
from pii_guard.cryptors.base import Contexts
from pii_guard.wire import is_envelope
from tests.runtime.conftest import CountedKMS
from tests.runtime.models import Customer, Order, Profile


def make_customer(number: int) -> Customer:
    return Customer(
        customer_id=number,
        name=f"Customer {number}",
        phone=f"+31 20 {number:04d}",
        aliases=[f"alias-{number}-a", f"alias-{number}-b"],
        contacts={"work": f"work-{number}@example.com"},
        profile=Profile(email=f"c{number}@example.com"),
    )


PII_VALUE_COUNT = 6  # name, phone, 2 aliases, 1 contact, profile email


def test_every_pii_value_of_every_instance_is_encrypted_in_one_call(kms: CountedKMS) -> None:
    customers = [make_customer(n) for n in range(200)]

    rows = encrypt_pii(customers, cryptor=kms.cryptor())

    assert kms.calls == {"GenerateDataKey": 1}
    row = rows[7]
    stored = [row["name"], row["phone"], *row["aliases"], row["contacts"]["work"]]
    stored.append(row["profile"]["email"])
    assert len(stored) == PII_VALUE_COUNT
    assert all(is_envelope(value) and type(value) is str for value in stored)
    assert (row["customer_id"], row["country"], row["profile"]["nickname"]) == (7, "NL", "guest")
    assert row["fax"] is None


def test_live_instances_keep_their_plaintext(kms: CountedKMS) -> None:
    customer = make_customer(1)
    before = customer.model_dump()

    encrypt_pii([customer], cryptor=kms.cryptor())

    assert customer.model_dump() == before
    assert type(customer.name) is str


def test_loaded_rows_decrypt_in_one_call_per_data_key(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    rows = encrypt_pii([make_customer(n) for n in range(100)], cryptor=cryptor)
    loaded = load_pii(Customer, rows, cryptor=cryptor)
    kms.calls.clear()

    decrypted = decrypt_pii(loaded, cryptor=cryptor)

    assert kms.calls == {"Decrypt": 1}
    assert decrypted == [make_customer(n) for n in range(100)]
    assert type(loaded[0].name) is EncryptedStr  # the loaded instances are not changed


def test_resaving_a_loaded_instance_never_encrypts_twice(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    rows = encrypt_pii([make_customer(1)], cryptor=cryptor)
    (loaded,) = load_pii(Customer, rows, cryptor=cryptor)
    kms.calls.clear()

    assert encrypt_pii([loaded], cryptor=cryptor) == rows
    assert kms.calls == {}


def test_a_changed_value_is_encrypted_and_the_others_keep_their_ciphertext(
    kms: CountedKMS,
) -> None:
    cryptor = kms.cryptor()
    (row,) = encrypt_pii([make_customer(1)], cryptor=cryptor)
    (loaded,) = load_pii(Customer, [row], cryptor=cryptor)
    loaded.phone = "+31 20 9999"

    (resaved,) = encrypt_pii([loaded], cryptor=cryptor)

    assert resaved["name"] == row["name"]
    assert resaved["phone"] != row["phone"]
    (copy,) = decrypt_pii(load_pii(Customer, [resaved], cryptor=cryptor), cryptor=cryptor)
    assert (copy.name, copy.phone) == ("Customer 1", "+31 20 9999")


def test_text_that_looks_stored_but_is_not_is_encrypted_not_kept(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    customer = Customer(customer_id=1, name="#01#typed by a user#10#")

    (row,) = encrypt_pii([customer], cryptor=cryptor)

    assert "typed by a user" not in row["name"]
    (copy,) = decrypt_pii(load_pii(Customer, [row], cryptor=cryptor), cryptor=cryptor)
    assert copy.name == "#01#typed by a user#10#"


def test_nested_models_under_a_plain_base_model_are_handled(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    orders = [Order(order_id=n, customer=make_customer(n), note="gift") for n in range(3)]

    rows = encrypt_pii(orders, cryptor=cryptor)
    loaded = load_pii(Order, rows, cryptor=cryptor)
    decrypted = decrypt_pii(loaded, cryptor=cryptor)

    assert is_envelope(rows[0]["customer"]["profile"]["email"])
    assert rows[0]["note"] == "gift"
    assert decrypted == orders
    assert kms.calls == {"GenerateDataKey": 1, "Decrypt": 1}


def test_tuples_encrypt_only_their_pii_positions(local_cryptor: LocalKeyCryptor) -> None:
    class Labelled(BaseModel):
        pair: tuple[str, PIIStr]
        many: tuple[PIIStr, ...]
        tags: set[PIIStr]

    item = Labelled(pair=("label", "secret"), many=("a", "b"), tags={"x"})

    (row,) = encrypt_pii([item], cryptor=local_cryptor)

    assert row["pair"][0] == "label" and is_envelope(row["pair"][1])
    assert all(is_envelope(value) for value in (*row["many"], *row["tags"]))
    loaded = load_pii(Labelled, [row], cryptor=local_cryptor)
    assert decrypt_pii(loaded, cryptor=local_cryptor) == [item]


def test_pii_as_a_mapping_key_is_refused(local_cryptor: LocalKeyCryptor) -> None:
    class ByEmail(BaseModel):
        scores: dict[PIIStr, int]

    with pytest.raises(PIIInvalidFieldUsageError, match=r"ByEmail\.scores .*mapping key"):
        encrypt_pii([ByEmail(scores={"ann@example.com": 1})], cryptor=local_cryptor)


def test_values_are_bound_to_their_field_by_default(local_cryptor: LocalKeyCryptor) -> None:
    (row,) = encrypt_pii([make_customer(1)], cryptor=local_cryptor)
    assert decrypt_pii(load_pii(Customer, [row], cryptor=local_cryptor), cryptor=local_cryptor) == [
        make_customer(1)
    ]

    row["name"], row["phone"] = row["phone"], row["name"]  # swapped in storage
    swapped = load_pii(Customer, [row], cryptor=local_cryptor)
    with pytest.raises(PIIDecryptionError, match=r"position 0 .*another context"):
        decrypt_pii(swapped, cryptor=local_cryptor)


def test_field_context_names_the_declaring_model_and_field(
    local_cryptor: LocalKeyCryptor,
) -> None:
    class Renamed(BaseModel):
        __pii_context__ = "Customer"
        email: PIIStr

    class Special(Renamed):
        tier: str = "gold"

    seen: list[str | None] = []

    def recording(site: ValueSite) -> str | None:
        seen.append(field_context(site))
        return field_context(site)

    encrypt_pii([Special(email="e"), Profile(email="f")], cryptor=local_cryptor, context=recording)

    assert seen == ["Customer.email", "Profile.email"]


def tamper(stored: str) -> str:
    """The stored text with one base64 character of its ciphertext part changed."""
    key, iv, ciphertext, tag = stored[4:-4].split(":")
    changed = ("B" if ciphertext[0] == "A" else "A") + ciphertext[1:]
    return f"#01#{key}:{iv}:{changed}:{tag}#10#"


def test_a_tampered_stored_value_names_its_batch_position(local_cryptor: LocalKeyCryptor) -> None:
    rows = encrypt_pii([make_customer(1), make_customer(2)], cryptor=local_cryptor)
    rows[1]["phone"] = tamper(rows[1]["phone"])
    loaded = load_pii(Customer, rows, cryptor=local_cryptor)

    with pytest.raises(PIIDecryptionError, match="position 7"):
        decrypt_pii(loaded, cryptor=local_cryptor)


def test_a_damaged_stored_value_is_refused_when_loaded(local_cryptor: LocalKeyCryptor) -> None:
    rows = encrypt_pii([make_customer(1), make_customer(2)], cryptor=local_cryptor)
    rows[1]["phone"] = rows[1]["phone"].replace("#10#", "AAAA#10#")

    with pytest.raises(PIIDecryptionError, match=r"Customer\.phone of the row at position 1"):
        load_pii(Customer, rows, cryptor=local_cryptor)


def test_without_a_configured_cryptor_nothing_is_written() -> None:
    with pytest.raises(PIIConfigurationError, match="PII_GUARD_KMS_KEY_ID"):
        encrypt_pii([make_customer(1)])


def test_the_process_cryptor_is_used_by_default(local_cryptor: LocalKeyCryptor) -> None:
    with use_cryptor(local_cryptor):
        rows = encrypt_pii([make_customer(1)])
        assert decrypt_pii(load_pii(Customer, rows)) == [make_customer(1)]


class EchoingCryptor(LocalKeyCryptor):
    """A broken cryptor that hands plaintext back."""

    def encrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        return list(values)


def test_a_cryptor_answering_plaintext_is_never_trusted() -> None:
    with pytest.raises(PIIEncryptionError, match=r"position 0 .*refusing") as raised:
        encrypt_pii([make_customer(1)], cryptor=EchoingCryptor(b"k" * 32))

    assert "Customer 1" not in str(raised.value)


def test_instances_must_be_given_as_a_list_of_models(local_cryptor: LocalKeyCryptor) -> None:
    with pytest.raises(PIIUsageError, match="not a single instance"):
        encrypt_pii(make_customer(1), cryptor=local_cryptor)
    with pytest.raises(PIIUsageError, match="position 1 is a dict"):
        encrypt_pii([make_customer(1), {"name": "x"}], cryptor=local_cryptor)  # type: ignore[list-item]


def test_async_variants_use_one_call_each(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    customers = [make_customer(n) for n in range(50)]

    async def round_trip() -> list[Any]:
        rows = await aencrypt_pii(customers, cryptor=cryptor)
        return await adecrypt_pii(load_pii(Customer, rows, cryptor=cryptor), cryptor=cryptor)

    assert asyncio.run(round_trip()) == customers
    assert kms.calls == {"GenerateDataKey": 1, "Decrypt": 1}


def test_none_stays_none_and_costs_no_call(kms: CountedKMS) -> None:
    class Note(BaseModel):
        text: str
        secret: PIIStr | None = None

    rows = encrypt_pii([Note(text="hello")], cryptor=kms.cryptor())

    assert rows == [{"text": "hello", "secret": None}]
    assert kms.calls == {}
