"""No plaintext in what pii_guard writes: logs, exception messages, reprs, stored rows."""

from __future__ import annotations

import logging
import traceback

import pytest

from pii_guard import (
    Cryptor,
    EncryptedStr,
    FakeCryptor,
    KMSEnvelopeCryptor,
    LocalKeyCryptor,
    PIICryptorService,
    PIIGuardError,
    check_query,
    decrypt_pii,
    encrypt_pii,
    load_pii,
)
from tests.runtime.conftest import CountedKMS
from tests.runtime.models import Customer, Profile

MARKER = "PLAINTEXT-MARKER-7f3a"


def marked_customer() -> Customer:
    return Customer(
        customer_id=1,
        name=f"{MARKER} name",
        phone=f"{MARKER} phone",
        aliases=[f"{MARKER} alias"],
        contacts={"work": f"{MARKER} contact"},
        profile=Profile(email=f"{MARKER}@example.com"),
    )


def exercise(cryptor: Cryptor) -> list[str]:
    """Every storage and query path, successes and failures; the texts they produced."""
    texts: list[str] = []
    rows = encrypt_pii([marked_customer()], cryptor=cryptor)
    texts.append(repr(rows))
    (loaded,) = load_pii(Customer, rows, cryptor=cryptor)
    texts += [repr(loaded), str(loaded), f"{loaded.name}", "%s" % loaded.phone]  # noqa: UP031
    decrypt_pii([loaded], cryptor=cryptor)
    check_query(Customer, filters={"name": MARKER}, order_by=["phone"])
    failures = [
        lambda: check_query(Customer, filters={"name": MARKER}, strict=True),
        lambda: cryptor.decrypt([MARKER]),
        lambda: cryptor.encrypt([MARKER, 3]),  # type: ignore[list-item]
    ]
    if not isinstance(cryptor, FakeCryptor):  # it checks no integrity and encodes nothing
        failures += [
            lambda: cryptor.decrypt([rows[0]["name"][:-8] + "#10#"]),
            lambda: cryptor.encrypt([MARKER + "\ud800"]),
            lambda: decrypt_pii([loaded], cryptor=cryptor, context=None),
        ]
    for failure in failures:
        with pytest.raises(PIIGuardError) as raised:
            failure()
        texts.append("".join(traceback.format_exception(raised.value)))
    return texts


@pytest.mark.parametrize("kind", ["kms", "local", "fake"])
def test_no_path_writes_the_plaintext(
    kind: str, kms: CountedKMS, caplog: pytest.LogCaptureFixture
) -> None:
    cryptors: dict[str, Cryptor] = {
        "kms": kms.cryptor(),
        "local": LocalKeyCryptor(b"k" * 32),
        "fake": FakeCryptor(),
    }
    cryptor = cryptors[kind]

    with caplog.at_level(logging.DEBUG, logger="pii_guard"):
        texts = exercise(cryptor)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert any("PII001" in record.getMessage() for record in caplog.records)
    assert MARKER not in logged
    for text in texts:
        if kind == "fake" and text.startswith("[{"):
            continue  # the fake cryptor's rows hold the plaintext: that is what it warns about
        assert MARKER not in text
    assert MARKER not in repr(cryptor)


def test_cryptor_reprs_show_no_key_material(kms: CountedKMS) -> None:
    key = b"S" * 32
    for cryptor in (
        LocalKeyCryptor(key),
        kms.cryptor(),
        PIICryptorService("http://cryptor.internal", client_id="client-secret"),
        FakeCryptor(),
    ):
        shown = repr(cryptor) + str(cryptor)
        assert "SSSS" not in shown and "U1NT" not in shown and "client-secret" not in shown


def test_every_cryptor_follows_the_protocol() -> None:
    for cryptor in (
        KMSEnvelopeCryptor("alias/x"),
        LocalKeyCryptor(b"k" * 32),
        FakeCryptor(),
        PIICryptorService("http://cryptor.internal"),
    ):
        assert isinstance(cryptor, Cryptor)


def test_a_mask_is_never_written_as_a_stored_value(local_cryptor: LocalKeyCryptor) -> None:
    rows = encrypt_pii([marked_customer()], cryptor=local_cryptor)
    (loaded,) = load_pii(Customer, rows, cryptor=local_cryptor)

    (resaved,) = encrypt_pii([loaded], cryptor=local_cryptor)

    assert "<encrypted>" not in repr(resaved)
    assert not any(isinstance(value, EncryptedStr) for value in resaved.values())
