"""FakeCryptor: AMSDAL's `#01#<value>#10#` shape with no encryption, and it says so."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pii_guard import FakeCryptor, LocalKeyCryptor, PIIDecryptionError


def test_values_are_wrapped_not_encrypted() -> None:
    cryptor = FakeCryptor()

    assert cryptor.encrypt(["ann@example.com", ""]) == ["#01#ann@example.com#10#", "#01##10#"]
    assert cryptor.decrypt(["#01#ann@example.com#10#"]) == ["ann@example.com"]


def test_values_that_are_not_in_the_fake_shape_are_rejected_by_position() -> None:
    with pytest.raises(PIIDecryptionError, match=r"position 1.*not a stored PII value"):
        FakeCryptor().decrypt(["#01#a#10#", "plain"])


def test_envelope_encrypted_values_are_not_passed_off_as_plaintext(
    local_cryptor: LocalKeyCryptor,
) -> None:
    encrypted = local_cryptor.encrypt(["ann@example.com"])

    with pytest.raises(PIIDecryptionError, match=r"envelope-encrypted"):
        FakeCryptor().decrypt(encrypted)


def test_one_warning_banner_per_process() -> None:
    script = (
        "from pii_guard import FakeCryptor\n"
        "for _ in range(3):\n"
        "    cryptor = FakeCryptor()\n"
        "    cryptor.initialize()\n"
        "    cryptor.decrypt(cryptor.encrypt(['ann@example.com']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert result.stderr.count("NOT encrypted") == 1
    assert "ann@example.com" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "setup",
    [
        # dictConfig's default disable_existing_loggers=True disables pii_guard's loggers.
        "logging.config.dictConfig({'version': 1})",
        "logging.getLogger('pii_guard').setLevel(logging.ERROR)",
        "logging.getLogger().addHandler(logging.NullHandler())",
    ],
    ids=["disabled-logger", "level-error", "null-handler"],
)
def test_the_banner_reaches_the_user_whatever_the_logging_setup(setup: str) -> None:
    script = (
        "import logging, logging.config\n"
        "from pii_guard import FakeCryptor\n"
        f"{setup}\n"
        "cryptor = FakeCryptor()\n"
        "cryptor.decrypt(cryptor.encrypt(['ann@example.com']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert result.stderr.count("NOT encrypted") == 1
    assert "FakeCryptorWarning" in result.stderr
