"""LocalKeyCryptor: the KMS envelope format under a local master key, for work without AWS."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from pii_guard import LocalKeyCryptor, PIIConfigurationError, PIIDecryptionError, PIIUsageError
from pii_guard.wire import parse_wire


def test_values_round_trip_in_the_envelope_format(local_cryptor: LocalKeyCryptor) -> None:
    values = ["ann@example.com", "Zoë 山田 🙂", ""]

    encrypted = local_cryptor.encrypt(values)

    assert local_cryptor.decrypt(encrypted) == values
    envelopes = [parse_wire(value) for value in encrypted]
    assert len({envelope.encrypted_key for envelope in envelopes}) == 1
    assert len({envelope.iv for envelope in envelopes}) == 3


def test_values_written_under_another_master_key_are_rejected(
    local_cryptor: LocalKeyCryptor,
) -> None:
    other = LocalKeyCryptor(os.urandom(32))

    with pytest.raises(PIIDecryptionError, match=r"position 0.*another master key"):
        local_cryptor.decrypt(other.encrypt(["ann@example.com"]))


def test_contexts_bind_values(local_cryptor: LocalKeyCryptor) -> None:
    encrypted = local_cryptor.encrypt(["ann@example.com"], ["Customer.email"])

    assert local_cryptor.decrypt(encrypted, ["Customer.email"]) == ["ann@example.com"]
    with pytest.raises(PIIDecryptionError, match=r"another context"):
        local_cryptor.decrypt(encrypted, ["Profile.email"])


def test_the_key_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = LocalKeyCryptor.generate_key()
    monkeypatch.setenv("PII_GUARD_LOCAL_KEY", key)
    written = LocalKeyCryptor(base64.b64decode(key)).encrypt(["ann@example.com"])

    assert LocalKeyCryptor().decrypt(written) == ["ann@example.com"]


@pytest.mark.parametrize("as_text", [True, False])
def test_the_key_is_read_from_a_file_as_base64_or_raw_bytes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, as_text: bool
) -> None:
    key = os.urandom(32)
    key_file = tmp_path / "pii.key"
    if as_text:
        key_file.write_text(base64.b64encode(key).decode() + "\n")
    else:
        key_file.write_bytes(key)
    monkeypatch.setenv("PII_GUARD_LOCAL_KEY_FILE", str(key_file))

    written = LocalKeyCryptor(key).encrypt(["ann@example.com"])

    assert LocalKeyCryptor().decrypt(written) == ["ann@example.com"]


def test_without_a_key_initialize_names_the_variables_to_set() -> None:
    with pytest.raises(
        PIIConfigurationError, match=r"set PII_GUARD_LOCAL_KEY .* or PII_GUARD_LOCAL_KEY_FILE"
    ):
        LocalKeyCryptor().initialize()


@pytest.mark.parametrize(
    ("value", "problem"),
    [("not base64!", "must be base64 text"), (base64.b64encode(b"short").decode(), "5 bytes")],
)
def test_a_bad_key_is_refused_without_repeating_it(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    monkeypatch.setenv("PII_GUARD_LOCAL_KEY", value)

    with pytest.raises(PIIConfigurationError, match=problem) as raised:
        LocalKeyCryptor().initialize()

    assert value not in str(raised.value)
    assert "PII_GUARD_LOCAL_KEY" in str(raised.value)


def test_an_unreadable_key_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PII_GUARD_LOCAL_KEY_FILE", str(tmp_path / "missing.key"))

    with pytest.raises(PIIConfigurationError, match=r"cannot read .*missing.key"):
        LocalKeyCryptor().initialize()


def test_repr_never_shows_the_key() -> None:
    key = os.urandom(32)
    cryptor = LocalKeyCryptor(key)

    assert repr(cryptor) == "LocalKeyCryptor(master_key=<hidden>)"
    assert base64.b64encode(key).decode() not in repr(vars(cryptor))


def test_contexts_must_match_the_values(local_cryptor: LocalKeyCryptor) -> None:
    with pytest.raises(PIIUsageError, match="one entry per value"):
        local_cryptor.encrypt(["a", "b"], ["Customer.email"])
    with pytest.raises(PIIUsageError, match="position 0 is not valid UTF-8"):
        local_cryptor.encrypt(["a"], ["\ud800"])
