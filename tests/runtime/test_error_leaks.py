"""Exceptions keep no plaintext and no data key anywhere a logger, a web framework or an error
tracker looks: messages, pydantic's `.errors()` and `.json()`, chained exceptions, and the
local variables of pii_guard's frames (tests/support/leaks.py walks them all)."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator

from pii_guard import (
    KMSEnvelopeCryptor,
    LocalKeyCryptor,
    PIIConfigurationError,
    PIIDecryptionError,
    PIIEncryptionError,
    PIIGuardError,
    PIIModel,
    PIIStr,
)
from pii_guard.wire import decode_encrypted_key, parse_wire_parts
from tests.runtime.conftest import CountedKMS
from tests.runtime.models import Customer
from tests.support.leaks import secrets_in

MARKER = "PLAINTEXT-MARKER-e51c"


def marked_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "customer_id": 1,
        "name": f"{MARKER} name",
        "phone": f"{MARKER} phone",
        "aliases": [f"{MARKER} alias"],
        "contacts": {"work": f"{MARKER} contact"},
        "profile": {"email": f"{MARKER}@example.com"},
    }
    return {**row, **changes}


def raised_by(call: Callable[[], object], kind: type[BaseException]) -> BaseException:
    with pytest.raises(kind) as raised:
        call()
    return raised.value


class Request(BaseModel):
    """A plain model around PII models, as a FastAPI request body would be."""

    customers: list[Customer]


@pytest.mark.parametrize(
    "validate",
    [
        lambda: Customer.model_validate(marked_row(customer_id=f"{MARKER} id", phone=3)),
        lambda: Customer(**marked_row(profile={"email": 5})),
        lambda: Customer.model_validate(marked_row(customer_id=None)),
        lambda: Request.model_validate({"customers": [marked_row(customer_id="x"), MARKER]}),
        lambda: TypeAdapter(list[Customer]).validate_python([marked_row(name=None)]),
        lambda: TypeAdapter(list[Customer]).validate_json(
            '[{"customer_id": "%s", "name": "%s"}]' % (MARKER, MARKER)  # noqa: UP031
        ),
        lambda: Customer.model_validate_json('{"customer_id": 1, "name": "%s' % MARKER),  # noqa: UP031
    ],
    ids=[
        "fields",
        "init",
        "model",
        "inside-plain-model",
        "type-adapter",
        "type-adapter-json",
        "invalid-json",
    ],
)
def test_a_pii_model_validation_error_holds_no_input(validate: Callable[[], object]) -> None:
    error = raised_by(validate, ValidationError)

    assert secrets_in(error, [MARKER]) == []
    assert isinstance(error, ValidationError) and error.errors()  # still says what is wrong


def test_a_validation_error_still_names_each_field_and_problem() -> None:
    error = raised_by(
        lambda: Request.model_validate({"customers": [marked_row(customer_id="x")]}),
        ValidationError,
    )

    assert isinstance(error, ValidationError)
    (detail,) = error.errors()
    assert detail["loc"] == ("customers", 0, "customer_id")
    assert detail["type"] == "int_parsing"
    assert detail["input"] == "<PII hidden>"


class Applicant(PIIModel):
    email: PIIStr

    @field_validator("email")
    @classmethod
    def must_be_an_address(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError(f"{value} is not an e-mail address")
        return value


def test_a_validator_message_quoting_the_value_does_not_show_it() -> None:
    error = raised_by(lambda: Applicant(email=MARKER), ValidationError)

    assert secrets_in(error, [MARKER]) == []
    assert "is not an e-mail address" in str(error)


class PlainContact(BaseModel):
    email: PIIStr


def test_a_pii_field_of_a_plain_model_does_not_show_its_input() -> None:
    not_text = MARKER.encode() + b"\xff"  # bytes that are not UTF-8

    error = raised_by(lambda: PlainContact(email=not_text), ValidationError)  # type: ignore[arg-type]

    assert secrets_in(error, [MARKER]) == []
    assert "unicode" in str(error)


class ConstrainedContact(PIIModel):
    email: Annotated[PIIStr, Field(max_length=5)]


def test_a_constraint_beside_a_pii_type_does_not_show_the_input_in_a_pii_model() -> None:
    error = raised_by(lambda: ConstrainedContact(email=MARKER), ValidationError)

    assert secrets_in(error, [MARKER]) == []
    assert "at most 5" in str(error)


def tampered_at(wire_values: list[str], position: int) -> list[str]:
    """`wire_values` with the value at `position` given another value's tag: well-formed,
    but it fails authentication."""
    donor = wire_values[(position + 1) % len(wire_values)]
    values = list(wire_values)
    values[position] = values[position][: -len("#10#") - 24] + donor[-len("#10#") - 24 :]
    return values


def data_key_of(kms: CountedKMS, wire_value: str) -> bytes:
    encrypted = decode_encrypted_key(parse_wire_parts(wire_value)[0])
    return bytes(kms.client.decrypt(CiphertextBlob=encrypted)["Plaintext"])


def test_a_failed_local_decrypt_keeps_no_earlier_plaintext() -> None:
    cryptor = LocalKeyCryptor(b"m" * 32)
    plaintexts = [f"{MARKER} {position}" for position in range(3)]
    stored = tampered_at(cryptor.encrypt(plaintexts), 2)

    error = raised_by(lambda: cryptor.decrypt(stored), PIIDecryptionError)

    assert isinstance(error, PIIDecryptionError) and error.position == 2
    assert secrets_in(error, plaintexts) == []


def test_a_failed_kms_decrypt_keeps_no_plaintext_and_no_data_key(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    plaintexts = [f"{MARKER} {position}" for position in range(3)]
    stored = tampered_at(cryptor.encrypt(plaintexts), 2)

    error = raised_by(lambda: cryptor.decrypt(stored), PIIDecryptionError)

    assert secrets_in(error, [*plaintexts, data_key_of(kms, stored[0])]) == []


def test_a_refused_foreign_data_key_leaves_no_unwrapped_key_behind(kms: CountedKMS) -> None:
    foreign = kms.client.create_key()["KeyMetadata"]["Arn"]
    mine = kms.cryptor().encrypt([f"{MARKER} mine"])
    planted = KMSEnvelopeCryptor(foreign, client=kms.client).encrypt([f"{MARKER} planted"])

    error = raised_by(lambda: kms.cryptor().decrypt(mine + planted), PIIDecryptionError)

    keys = [data_key_of(kms, mine[0]), data_key_of(kms, planted[0])]
    assert secrets_in(error, keys) == []


def test_an_encoding_failure_keeps_no_chained_error_quoting_the_text() -> None:
    text = f"{MARKER}\ud800"

    error = raised_by(
        lambda: LocalKeyCryptor(b"m" * 32).encrypt(["fine", text]), PIIEncryptionError
    )

    assert error.__context__ is None
    assert secrets_in(error, [MARKER], frames=False) == []


def test_every_error_is_still_a_pii_guard_error() -> None:
    assert issubclass(PIIDecryptionError, PIIGuardError)


def test_a_refused_master_key_is_not_left_in_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    key = os.urandom(31)  # one byte short
    monkeypatch.setenv("PII_GUARD_LOCAL_KEY", base64.b64encode(key).decode())

    error = raised_by(lambda: LocalKeyCryptor().initialize(), PIIConfigurationError)

    assert "31 bytes" in str(error)
    assert secrets_in(error, [key, base64.b64encode(key).decode()]) == []
