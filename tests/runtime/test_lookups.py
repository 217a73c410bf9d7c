"""Lookups in the storage functions: computed in the same pass as encryption, one value per
index key version to search, reindex under the newest version, keys wrapped and unwrapped once."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
from pathlib import Path
from typing import ClassVar

import pytest

from pii_guard import (
    FakeCryptor,
    KMSEnvelopeCryptor,
    LocalKeyCryptor,
    Lookup,
    LookupSpec,
    PIIConfigurationError,
    PIIEncryptionError,
    PIIModel,
    PIIStr,
    PIIUsageError,
    aencrypt_pii,
    areindex,
    encrypt_pii,
    fill_lookups,
    load_pii,
    lookup_of,
    lookup_values,
    reindex,
)
from pii_guard.indexkeys import EMPTY_KEYRING, Keyring, configured_keyring, index_keys, new_version
from pii_guard.keycommands import run_keys
from tests.runtime.conftest import CountedKMS


class Customer(PIIModel):
    email: PIIStr | None
    email_lookup: Lookup = lookup_of("email", normalizer="email")
    phone: PIIStr | None = None
    phone_lookup: Lookup = lookup_of("phone", normalizer="digits", bits=32)


class Plain(PIIModel):
    email: PIIStr | None


@pytest.fixture
def cryptor(monkeypatch: pytest.MonkeyPatch) -> LocalKeyCryptor:
    made = LocalKeyCryptor(os.urandom(32))
    monkeypatch.setenv("PII_GUARD_INDEX_KEYS", new_version(made, EMPTY_KEYRING).to_json())
    return made


def test_encrypt_pii_writes_the_lookup_of_the_normalised_value_with_its_version(
    cryptor: LocalKeyCryptor,
) -> None:
    rows = encrypt_pii(
        [Customer(email=" Ada@Example.COM", phone="+31 (6) 123"), Customer(email=None)],
        cryptor=cryptor,
    )
    assert (
        rows[0]["email_lookup"]
        == lookup_values(Customer, "email", "ada@example.com", cryptor=cryptor)[0]
    )
    assert rows[0]["email_lookup"].startswith("v1:") and len(rows[0]["email_lookup"]) == 3 + 43
    assert rows[0]["phone_lookup"] == lookup_values(Customer, "phone", "316123", cryptor=cryptor)[0]
    assert len(base64.urlsafe_b64decode(rows[0]["phone_lookup"][3:] + "==")) == 4  # 32 bits
    assert rows[1]["email_lookup"] is None and rows[1]["phone_lookup"] is None


def test_a_loaded_value_keeps_its_stored_lookup(cryptor: LocalKeyCryptor) -> None:
    rows = encrypt_pii([Customer(email="a@example.com")], cryptor=cryptor)
    again = encrypt_pii(load_pii(Customer, rows, cryptor=cryptor), cryptor=cryptor)
    assert again == rows


def test_the_same_value_in_another_field_or_model_has_another_lookup(
    cryptor: LocalKeyCryptor,
) -> None:
    class Supplier(PIIModel):
        email: PIIStr
        email_lookup: Lookup = lookup_of("email", normalizer="email")

    mine = lookup_values(Customer, "email", "a@example.com", cryptor=cryptor)
    theirs = lookup_values(Supplier, "email", "a@example.com", cryptor=cryptor)
    assert mine != theirs


def test_lookup_values_give_one_value_per_version_newest_first(
    cryptor: LocalKeyCryptor, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = lookup_values(Customer, "email", "a@example.com", cryptor=cryptor)
    monkeypatch.setenv("PII_GUARD_INDEX_KEYS", new_version(cryptor, configured_keyring()).to_json())
    after = lookup_values(Customer, "email", "A@example.com ", cryptor=cryptor)
    assert [value[:3] for value in after] == ["v2:", "v1:"]
    assert after[1] == before[0]


def test_reindex_rewrites_lookups_under_the_newest_version_and_keeps_the_ciphertext(
    cryptor: LocalKeyCryptor, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = encrypt_pii([Customer(email="a@example.com"), Customer(email=None)], cryptor=cryptor)
    monkeypatch.setenv("PII_GUARD_INDEX_KEYS", new_version(cryptor, configured_keyring()).to_json())
    loaded = load_pii(Customer, rows, cryptor=cryptor)
    for again in (
        reindex(loaded, cryptor=cryptor),
        asyncio.run(areindex(loaded, cryptor=cryptor)),
    ):
        assert again[0]["email"] == rows[0]["email"]
        assert again[0]["email_lookup"].startswith("v2:")
        assert again[0]["email_lookup"] in lookup_values(
            Customer, "email", "a@example.com", cryptor=cryptor
        )
        assert again[1]["email_lookup"] is None


def test_aencrypt_pii_computes_the_same_lookups(cryptor: LocalKeyCryptor) -> None:
    rows = asyncio.run(aencrypt_pii([Customer(email="a@example.com")], cryptor=cryptor))
    assert (
        rows[0]["email_lookup"]
        == encrypt_pii([Customer(email="A@example.com")], cryptor=cryptor)[0]["email_lookup"]
    )


def test_lookups_make_no_kms_call_beyond_generate_data_key_once_the_key_is_unwrapped(
    kms: CountedKMS, monkeypatch: pytest.MonkeyPatch
) -> None:
    cryptor = kms.cryptor()
    monkeypatch.setenv("PII_GUARD_INDEX_KEYS", new_version(cryptor, EMPTY_KEYRING).to_json())
    assert kms.calls["Encrypt"] == 1  # the index key was wrapped by KMS
    kms.calls.clear()
    encrypt_pii([Customer(email=f"c{n}@example.com") for n in range(100)], cryptor=cryptor)
    assert kms.calls == {"GenerateDataKey": 1, "Decrypt": 1}  # Decrypt: the index key, once
    kms.calls.clear()
    encrypt_pii([Customer(email=f"d{n}@example.com") for n in range(100)], cryptor=cryptor)
    lookup_values(Customer, "email", "c1@example.com", cryptor=cryptor)
    assert kms.calls == {"GenerateDataKey": 1}
    kms.calls.clear()
    encrypt_pii([Plain(email="e@example.com")], cryptor=cryptor)
    assert kms.calls == {"GenerateDataKey": 1}


def test_a_model_without_lookups_needs_no_index_keys() -> None:
    rows = encrypt_pii([Plain(email="a@example.com")], cryptor=LocalKeyCryptor(os.urandom(32)))
    assert set(rows[0]) == {"email"}


def test_lookups_without_a_keyring_name_the_variable_to_set() -> None:
    with pytest.raises(PIIConfigurationError, match="PII_GUARD_INDEX_KEYS"):
        encrypt_pii([Customer(email="a@example.com")], cryptor=LocalKeyCryptor(os.urandom(32)))


def test_a_keyring_of_another_master_key_or_an_unwrapping_cryptor_is_refused(
    cryptor: LocalKeyCryptor,
) -> None:
    with pytest.raises(PIIConfigurationError, match="does not unwrap"):
        lookup_values(Customer, "email", "a", cryptor=LocalKeyCryptor(os.urandom(32)))
    with pytest.raises(PIIConfigurationError, match="cannot wrap index keys"):
        lookup_values(Customer, "email", "a", cryptor=FakeCryptor())


def test_the_keyring_file_and_its_mistakes(
    cryptor: LocalKeyCryptor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ring = configured_keyring()
    monkeypatch.delenv("PII_GUARD_INDEX_KEYS")
    path = tmp_path / "index-keys.json"
    path.write_text(ring.to_json())
    monkeypatch.setenv("PII_GUARD_INDEX_KEYS_FILE", str(path))
    assert configured_keyring() == ring
    for bad, problem in (
        ("{}", "JSON list"),
        ('[{"version": 0, "wrapped": ""}]', "whole numbers"),
        ('[{"version": 1, "wrapped": "%%"}]', "not base64"),
    ):
        with pytest.raises(PIIConfigurationError, match=problem):
            Keyring.parse(bad, "PII_GUARD_INDEX_KEYS")


def test_the_keyring_holds_no_index_key(cryptor: LocalKeyCryptor) -> None:
    ring = configured_keyring()
    key = index_keys(cryptor).keys[1]
    assert base64.b64encode(key).decode() not in ring.to_json()
    assert all(wrapped != key and key not in wrapped for _, wrapped in ring.versions)


def test_lookup_values_refuse_fields_without_a_lookup_and_values_that_are_not_text(
    cryptor: LocalKeyCryptor,
) -> None:
    with pytest.raises(PIIUsageError, match="no declared lookup"):
        lookup_values(Plain, "email", "a@example.com", cryptor=cryptor)
    with pytest.raises(PIIUsageError, match="IS NULL"):
        lookup_values(Customer, "email", None, cryptor=cryptor)  # type: ignore[arg-type]


def test_fill_lookups_serves_amsdal_hooks_on_pydantic_and_plain_objects(
    cryptor: LocalKeyCryptor,
) -> None:
    class Contact:  # the plain-object protocol: attributes, and __pii_lookups__
        __pii_lookups__: ClassVar[dict[str, LookupSpec]] = {
            "email_lookup": LookupSpec("email", "email")
        }
        email: str | None

        def __init__(self, email: str | None) -> None:
            self.email = email
            self.email_lookup: str | None = None

        def pre_create(self) -> None:
            fill_lookups(self, cryptor=cryptor)

    contact = Contact("Ada@example.com")
    contact.pre_create()
    assert contact.email_lookup in lookup_values(
        Contact, "email", "ada@example.com", cryptor=cryptor
    )
    customer = fill_lookups(Customer(email="ada@example.com"), cryptor=cryptor)
    assert customer.email_lookup is not None and customer.email_lookup.startswith("v1:")


def test_pii_guard_keys_new_and_list(
    cryptor: LocalKeyCryptor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PII_GUARD_CRYPTO_SERVICE", "local")
    monkeypatch.setenv("PII_GUARD_LOCAL_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.delenv("PII_GUARD_INDEX_KEYS")
    out, err = io.StringIO(), io.StringIO()
    assert run_keys("new", out, err) == 0
    first = out.getvalue().strip()
    assert [entry["version"] for entry in json.loads(first)] == [1]
    monkeypatch.setenv("PII_GUARD_INDEX_KEYS", first)
    out = io.StringIO()
    assert run_keys("new", out, err) == 0
    monkeypatch.setenv("PII_GUARD_INDEX_KEYS", out.getvalue().strip())
    out = io.StringIO()
    assert run_keys("list", out, err) == 0
    assert out.getvalue().splitlines() == [
        "v2: unwraps; writes and is searched",
        "v1: unwraps; is searched",
    ]


# --- a lookup is derived, never given --------------------------------------------------------


def test_a_lookup_given_as_input_is_refused(cryptor: LocalKeyCryptor) -> None:
    import pydantic

    victims = lookup_values(Customer, "email", "victim@example.com", cryptor=cryptor)

    with pytest.raises(pydantic.ValidationError, match="computed from its PII field"):
        Customer.model_validate({"email": "attacker@example.com", "email_lookup": victims[0]})


def test_a_lookup_changed_beside_an_unchanged_stored_value_is_refused(
    cryptor: LocalKeyCryptor,
) -> None:
    victims = lookup_values(Customer, "email", "victim@example.com", cryptor=cryptor)
    rows = encrypt_pii([Customer(email="attacker@example.com")], cryptor=cryptor)
    (loaded,) = load_pii(Customer, rows, cryptor=cryptor)

    assert encrypt_pii([loaded], cryptor=cryptor) == rows  # unchanged: written as it was
    forged = loaded.model_copy(update={"email_lookup": victims[0]})
    with pytest.raises(PIIEncryptionError, match=r"Customer\.email_lookup is not the lookup"):
        encrypt_pii([forged], cryptor=cryptor)


def test_values_that_cannot_be_indexed_raise_without_quoting_them(
    cryptor: LocalKeyCryptor,
) -> None:
    for call in (
        lambda: encrypt_pii([Customer(email="secret\ud800@example.com")], cryptor=cryptor),
        lambda: lookup_values(Customer, "email", "secret\ud800@example.com", cryptor=cryptor),
    ):
        with pytest.raises(PIIEncryptionError) as raised:
            call()
        assert "secret" not in str(raised.value) and raised.value.__context__ is None


def test_lookalike_spellings_share_a_lookup(cryptor: LocalKeyCryptor) -> None:
    fullwidth = " \uff36\uff29\uff23\uff34\uff29\uff2d@x.com"  # " VICTIM" in fullwidth letters
    assert lookup_values(Customer, "email", fullwidth, cryptor=cryptor) == (
        lookup_values(Customer, "email", "victim@x.com", cryptor=cryptor)
    )
    assert lookup_values(Customer, "phone", "+31 \uff15\uff15\uff15", cryptor=cryptor) == (
        lookup_values(Customer, "phone", "31555", cryptor=cryptor)
    )


def test_a_keyring_with_an_absurd_version_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, cryptor: LocalKeyCryptor
) -> None:
    for text in ('[{"version": 1' + "0" * 5000 + ', "wrapped": "AA=="}]', "[" * 100_000):
        monkeypatch.setenv("PII_GUARD_INDEX_KEYS", text)
        with pytest.raises(PIIConfigurationError, match="PII_GUARD_INDEX_KEYS"):
            lookup_values(Customer, "email", "a@b", cryptor=cryptor)


def test_an_index_key_wrapped_under_another_kms_key_is_refused(
    kms: CountedKMS, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_key = kms.client.create_key()["KeyMetadata"]["KeyId"]
    planted = new_version(KMSEnvelopeCryptor(other_key, client=kms.client), EMPTY_KEYRING)
    monkeypatch.setenv("PII_GUARD_INDEX_KEYS", planted.to_json())

    with pytest.raises(PIIConfigurationError, match="wrapped under a KMS key this cryptor"):
        lookup_values(Customer, "email", "a@b", cryptor=kms.cryptor())
