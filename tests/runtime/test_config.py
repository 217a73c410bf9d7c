"""The environment chooses and configures the process's cryptor; code can set one explicitly."""

from __future__ import annotations

import pytest

from pii_guard import (
    FakeCryptor,
    KMSEnvelopeCryptor,
    LocalKeyCryptor,
    PIIConfigurationError,
    PIICryptorService,
    get_cryptor,
    use_cryptor,
)
from pii_guard.config import cryptor_class, load_settings


def test_kms_is_the_default_and_fails_fast_without_a_key() -> None:
    assert cryptor_class(load_settings({})) is KMSEnvelopeCryptor
    with pytest.raises(PIIConfigurationError, match="set PII_GUARD_KMS_KEY_ID"):
        get_cryptor()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("local", LocalKeyCryptor),
        ("FAKE", FakeCryptor),
        ("service", PIICryptorService),
        ("kms", KMSEnvelopeCryptor),
        ("LocalKeyCryptor", LocalKeyCryptor),
        ("pii_guard.cryptors.fake.FakeCryptor", FakeCryptor),
        ("pii_guard.cryptors.service:PIICryptorService", PIICryptorService),
        ("amsdal.not_installed.pii.FakeCryptor", FakeCryptor),
    ],
)
def test_the_cryptor_is_chosen_by_name_or_import_path(spec: str, expected: type) -> None:
    assert cryptor_class(load_settings({"PII_GUARD_CRYPTO_SERVICE": spec})) is expected


def test_the_amsdal_variable_is_a_fallback() -> None:
    amsdal_only = {"AMSDAL_PII_CRYPTO_SERVICE": "fake"}
    both = {**amsdal_only, "PII_GUARD_CRYPTO_SERVICE": "local"}

    assert cryptor_class(load_settings(amsdal_only)) is FakeCryptor
    assert cryptor_class(load_settings(both)) is LocalKeyCryptor


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("nonsense", "must be one of kms, local, fake, service"),
        ("no_such_module.Cryptor", "cannot be imported"),
        ("json.JSONDecoder", "not a cryptor class .*missing: initialize"),
        ("os.sep", "not a cryptor class"),
    ],
)
def test_a_bad_cryptor_setting_names_the_variable(spec: str, problem: str) -> None:
    with pytest.raises(PIIConfigurationError, match=problem) as raised:
        cryptor_class(load_settings({"AMSDAL_PII_CRYPTO_SERVICE": spec}))

    assert "AMSDAL_PII_CRYPTO_SERVICE" in str(raised.value)


def test_a_bad_number_names_the_variable() -> None:
    with pytest.raises(PIIConfigurationError, match="PII_GUARD_CRYPTOR_TIMEOUT must be a number"):
        load_settings({"PII_GUARD_CRYPTOR_TIMEOUT": "soon"})


def test_settings_never_show_secrets_in_repr() -> None:
    settings = load_settings(
        {"PII_GUARD_LOCAL_KEY": "c2VjcmV0LWtleQ==", "PII_GUARD_CRYPTOR_CLIENT_ID": "client-1"}
    )

    assert "c2VjcmV0LWtleQ==" not in repr(settings)
    assert "client-1" not in repr(settings)


def test_the_configured_cryptor_is_built_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PII_GUARD_CRYPTO_SERVICE", "local")
    monkeypatch.setenv("PII_GUARD_LOCAL_KEY", LocalKeyCryptor.generate_key())

    first = get_cryptor()

    assert isinstance(first, LocalKeyCryptor)
    assert get_cryptor() is first


def test_a_failed_configuration_is_tried_again_once_fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PII_GUARD_CRYPTO_SERVICE", "local")
    with pytest.raises(PIIConfigurationError):
        get_cryptor()

    monkeypatch.setenv("PII_GUARD_LOCAL_KEY", LocalKeyCryptor.generate_key())

    assert isinstance(get_cryptor(), LocalKeyCryptor)


def test_use_cryptor_sets_the_process_cryptor(local_cryptor: LocalKeyCryptor) -> None:
    use_cryptor(local_cryptor)

    assert get_cryptor() is local_cryptor


def test_use_cryptor_as_a_context_manager_restores_the_previous_one(
    local_cryptor: LocalKeyCryptor,
) -> None:
    use_cryptor(local_cryptor)
    fake = FakeCryptor()

    with use_cryptor(fake) as active:
        assert active is fake
        assert get_cryptor() is fake

    assert get_cryptor() is local_cryptor


def test_use_cryptor_refuses_a_cryptor_that_cannot_initialize() -> None:
    with pytest.raises(PIIConfigurationError, match="PII_GUARD_CRYPTOR_BASE_URL"):
        use_cryptor(PIICryptorService())
    with pytest.raises(PIIConfigurationError):
        get_cryptor()  # nothing was set: the environment still has no KMS key
