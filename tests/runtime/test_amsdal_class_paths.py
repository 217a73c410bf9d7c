"""AMSDAL's cryptor class paths select ours, also when a (fake) AMSDAL package is importable, and
configuration errors name the variable that chose the cryptor."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pii_guard.config import cryptor_class, get_cryptor, load_settings
from pii_guard.cryptors.fake import FakeCryptor
from pii_guard.cryptors.service import PIICryptorService
from pii_guard.errors import PIIConfigurationError

AMSDAL_PATHS = [
    ("amsdal.services.fake_crypto.FakeCryptoService", FakeCryptor),
    ("amsdal.services.pii_cryptor.PIICryptorService", PIICryptorService),
    ("amsdal.services.pii_cryptor:PIICryptorService", PIICryptorService),
]


@pytest.fixture
def fake_amsdal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An importable `amsdal` whose cryptor classes lack `is_ciphertext`, like AMSDAL 0.9's."""
    services = tmp_path / "amsdal" / "services"
    services.mkdir(parents=True)
    (tmp_path / "amsdal" / "__init__.py").write_text("")
    (services / "__init__.py").write_text("")
    body = (
        "    def initialize(self): pass\n"
        "    def encrypt(self, values): return values\n"
        "    def decrypt(self, values): return values\n"
        "    async def aencrypt(self, values): return values\n"
        "    async def adecrypt(self, values): return values\n"
    )
    (services / "fake_crypto.py").write_text("class FakeCryptoService:\n" + body)
    (services / "pii_cryptor.py").write_text("class PIICryptorService:\n" + body)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [name for name in sys.modules if name.split(".")[0] == "amsdal"]:
        monkeypatch.delitem(sys.modules, name)


@pytest.mark.parametrize(("spec", "expected"), AMSDAL_PATHS)
def test_amsdal_class_paths_select_ours_with_amsdal_installed(
    fake_amsdal: None, spec: str, expected: type
) -> None:
    import amsdal.services.fake_crypto  # noqa: F401  (it really imports)

    assert cryptor_class(load_settings({"AMSDAL_PII_CRYPTO_SERVICE": spec})) is expected


@pytest.mark.parametrize(("spec", "expected"), AMSDAL_PATHS)
def test_amsdal_class_paths_select_ours_without_amsdal(spec: str, expected: type) -> None:
    assert cryptor_class(load_settings({"AMSDAL_PII_CRYPTO_SERVICE": spec})) is expected


def test_a_configuration_error_names_the_variable_that_chose_the_cryptor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AMSDAL_PII_CRYPTO_SERVICE", "amsdal.services.pii_cryptor.PIICryptorService")
    with pytest.raises(PIIConfigurationError) as raised:
        get_cryptor()
    assert "chosen by AMSDAL_PII_CRYPTO_SERVICE" in str(raised.value)
    assert "PII_GUARD_CRYPTOR_BASE_URL" in str(raised.value)


def test_a_default_cryptor_error_says_it_is_the_default() -> None:
    with pytest.raises(PIIConfigurationError) as raised:
        get_cryptor()
    assert "is the default" in str(raised.value)
