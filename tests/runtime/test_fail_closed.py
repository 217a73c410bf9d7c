"""Where a value came from, not what it looks like, decides whether it is ciphertext.

Each test is an attack or a damaged value from the security review, tried through the public
API against the local KMS endpoint, a local master key, the fake cryptor and the loopback
cryptor service: it is refused, or raises, and nothing plaintext is written.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
from typing import Annotated, Any, NamedTuple, NotRequired

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, field_serializer
from typing_extensions import TypeAliasType, TypedDict

from pii_guard import (
    EncryptedStr,
    FakeCryptor,
    LocalKeyCryptor,
    PIICryptorService,
    PIIDecryptionError,
    PIIEncryptionError,
    PIIInvalidFieldUsageError,
    PIIModel,
    PIIStr,
    PIIUsageError,
    decrypt_pii,
    encrypt_pii,
    field_context,
    load_pii,
    rewrap,
    row_context,
)
from pii_guard.cryptors.base import Cryptor
from tests.runtime.conftest import CountedKMS
from tests.runtime.cryptor_service import RunningService
from tests.runtime.models import Customer

TYPED = "#01#diagnosis: HIV+#10#"


class Patient(PIIModel):
    patient_id: str
    diagnosis: PIIStr


def round_trip(cryptor: Cryptor, *patients: Patient) -> list[Patient]:
    rows = encrypt_pii(list(patients), cryptor=cryptor)
    return decrypt_pii(load_pii(Patient, rows, cryptor=cryptor), cryptor=cryptor)


# --- input that looks stored is plaintext ---------------------------------------------------------


def test_wire_shaped_input_is_sent_to_the_cryptor_service(cryptor_service: RunningService) -> None:
    service = PIICryptorService(cryptor_service.base_url)

    (row,) = encrypt_pii([Patient(patient_id="p1", diagnosis=TYPED)], cryptor=service)

    assert cryptor_service.requests == ["/api/v1/encrypt"]
    assert row["diagnosis"] != TYPED and "HIV" not in row["diagnosis"]
    (plain,) = decrypt_pii(load_pii(Patient, [row], cryptor=service), cryptor=service)
    assert plain.diagnosis == TYPED


def test_wire_shaped_input_is_wrapped_by_the_fake_cryptor_not_stored_as_it_is() -> None:
    (row,) = encrypt_pii([Patient(patient_id="p1", diagnosis=TYPED)], cryptor=FakeCryptor())

    assert row["diagnosis"] == f"#01#{TYPED}#10#"
    assert (
        round_trip(FakeCryptor(), Patient(patient_id="p1", diagnosis=TYPED))[0].diagnosis == TYPED
    )


@pytest.mark.parametrize("binding", ["field", "none"])
def test_another_users_stored_value_submitted_as_input_never_reveals_their_data(
    kms: CountedKMS, binding: str
) -> None:
    cryptor = kms.cryptor()
    context = field_context if binding == "field" else None
    victim_rows = encrypt_pii(
        [Patient(patient_id="victim", diagnosis="asthma")], cryptor=cryptor, context=context
    )
    (victim,) = load_pii(Patient, victim_rows, cryptor=cryptor, context=context)
    leaked = json.loads(victim.model_dump_json())["diagnosis"]  # what an API answer shows

    attacker = Patient.model_validate_json(
        json.dumps({"patient_id": "attacker", "diagnosis": leaked})
    )
    (attacker_row,) = encrypt_pii([attacker], cryptor=cryptor, context=context)

    assert attacker_row["diagnosis"] != leaked
    (plain,) = decrypt_pii(
        load_pii(Patient, [attacker_row], cryptor=cryptor, context=context),
        cryptor=cryptor,
        context=context,
    )
    assert plain.diagnosis == leaked  # the text the attacker typed, never "asthma"


def test_a_forged_envelope_in_input_is_encrypted_and_later_batches_still_decrypt(
    local_cryptor: LocalKeyCryptor,
) -> None:
    forged = local_cryptor.encrypt(["x"])[0].replace("#01#", "#01#A", 1)  # well-formed shape
    honest = Patient(patient_id="p1", diagnosis="flu")

    decrypted = round_trip(local_cryptor, honest, Patient(patient_id="p2", diagnosis=forged))

    assert [p.diagnosis for p in decrypted] == ["flu", forged]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text() | st.builds(lambda s: f"#01#{s}#10#", st.text()))
def test_any_text_a_user_types_round_trips_and_is_never_stored_as_typed(
    local_cryptor: LocalKeyCryptor, text: str
) -> None:
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be text
    rows = encrypt_pii([Patient(patient_id="p", diagnosis=text)], cryptor=local_cryptor)

    assert rows[0]["diagnosis"] != text
    (plain,) = decrypt_pii(load_pii(Patient, rows, cryptor=local_cryptor), cryptor=local_cryptor)
    assert plain.diagnosis == text


# --- damaged stored values raise, never pass for plaintext ---------------------------------------


def damaged(stored: str) -> dict[str, str]:
    return {
        "cut by VARCHAR(40)": stored[:40],
        "padded by CHAR(n)": stored + "   ",
        "a trailing newline": stored + "\n",
        "a future format": stored.replace("#01#", "#02#", 1),
        "the end marker cut": stored[:-1],
        "a part missing": stored.replace(":", "", 1),
    }


@pytest.mark.parametrize("allow_plaintext", [False, True])
def test_a_damaged_stored_value_raises_when_loaded_naming_model_field_and_row(
    kms: CountedKMS, allow_plaintext: bool
) -> None:
    cryptor = kms.cryptor()
    rows = encrypt_pii(
        [Patient(patient_id=f"p{n}", diagnosis="flu") for n in range(3)], cryptor=cryptor
    )

    for how, value in damaged(rows[2]["diagnosis"]).items():
        broken = [*rows[:2], {**rows[2], "diagnosis": value}]
        with pytest.raises(PIIDecryptionError) as raised:
            load_pii(Patient, broken, cryptor=cryptor, allow_plaintext=allow_plaintext)
        assert raised.value.field == "Patient.diagnosis", how
        assert raised.value.position == 2, how
        assert value.strip() not in str(raised.value), how


def test_fake_and_service_cryptors_refuse_damaged_values_too(
    cryptor_service: RunningService,
) -> None:
    for cryptor in (FakeCryptor(), PIICryptorService(cryptor_service.base_url)):
        long_text = "chronic obstructive pulmonary disease, stage 2"
        (row,) = encrypt_pii([Patient(patient_id="p", diagnosis=long_text)], cryptor=cryptor)
        for how, value in damaged(row["diagnosis"]).items():
            if how == "a part missing":
                continue  # these formats have no parts the client can see: still well-formed
            with pytest.raises(PIIDecryptionError):
                load_pii(Patient, [{**row, "diagnosis": value}], cryptor=cryptor)


def test_legacy_plaintext_is_accepted_only_when_asked_for(local_cryptor: LocalKeyCryptor) -> None:
    legacy = {"patient_id": "p1", "diagnosis": "asthma"}

    with pytest.raises(PIIDecryptionError, match="allow_plaintext=True"):
        load_pii(Patient, [legacy], cryptor=local_cryptor)
    (loaded,) = load_pii(Patient, [legacy], cryptor=local_cryptor, allow_plaintext=True)
    assert type(loaded.diagnosis) is str

    (row,) = rewrap([loaded], cryptor=local_cryptor)
    (plain,) = decrypt_pii(load_pii(Patient, [row], cryptor=local_cryptor), cryptor=local_cryptor)
    assert plain.diagnosis == "asthma"


def test_stored_text_that_skipped_the_load_path_is_never_returned_as_plaintext(
    local_cryptor: LocalKeyCryptor,
) -> None:
    (row,) = encrypt_pii([Patient(patient_id="p1", diagnosis="flu")], cryptor=local_cryptor)
    (loaded,) = load_pii(Patient, [row], cryptor=local_cryptor)
    assigned = loaded.model_copy()
    assigned.diagnosis = row["diagnosis"]  # raw ciphertext assigned to the field

    for instance in (
        Patient.model_validate(row),
        Patient.model_construct(**row),
        assigned,
    ):
        with pytest.raises(PIIUsageError, match="load_pii") as raised:
            decrypt_pii([instance], cryptor=local_cryptor)
        assert row["diagnosis"] not in str(raised.value)
        with pytest.raises(PIIUsageError, match="load_pii"):
            rewrap([instance], cryptor=local_cryptor)


def test_a_loaded_unchanged_object_is_written_again_without_a_cryptor_call(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    rows = encrypt_pii([Patient(patient_id="p1", diagnosis="flu")], cryptor=cryptor)
    loaded = load_pii(Patient, rows, cryptor=cryptor)
    kms.calls.clear()

    assert encrypt_pii(loaded, cryptor=cryptor) == rows
    assert encrypt_pii([Patient(**dict(loaded[0]))], cryptor=cryptor) == rows  # copied over
    assert kms.calls == {}


def test_an_encrypted_str_made_in_code_is_refused_when_saving(
    local_cryptor: LocalKeyCryptor,
) -> None:
    stored = local_cryptor.encrypt(["flu"])[0]

    with pytest.raises(
        PIIEncryptionError, match=r"Patient\.diagnosis holds an EncryptedStr made in code"
    ):
        encrypt_pii(
            [Patient(patient_id="p1", diagnosis=EncryptedStr(stored))], cryptor=local_cryptor
        )


def test_a_value_another_cryptor_wrote_is_refused_when_saving_not_encrypted_again(
    local_cryptor: LocalKeyCryptor,
) -> None:
    fake_rows = encrypt_pii([Patient(patient_id="p1", diagnosis="flu")], cryptor=FakeCryptor())
    loaded = load_pii(Patient, fake_rows, cryptor=FakeCryptor())

    with pytest.raises(PIIEncryptionError, match=r"cannot read .* rewrap"):
        encrypt_pii(loaded, cryptor=local_cryptor)
    (row,) = rewrap(loaded, cryptor=FakeCryptor(), to_cryptor=local_cryptor)
    assert (
        decrypt_pii(load_pii(Patient, [row], cryptor=local_cryptor), cryptor=local_cryptor)[
            0
        ].diagnosis
        == "flu"
    )


# --- binding -----------------------------------------------------------------------------------


class Base(PIIModel):
    customer_id: str
    email: PIIStr


class Special(Base):
    tier: str = "gold"


def test_a_value_saved_through_a_subclass_reads_through_the_declaring_model(
    kms: CountedKMS,
) -> None:
    cryptor = kms.cryptor()
    rows = encrypt_pii([Special(customer_id="c1", email="ann@example.com")], cryptor=cryptor)

    (plain,) = decrypt_pii(load_pii(Base, rows, cryptor=cryptor), cryptor=cryptor)

    assert plain.email == "ann@example.com"


def test_row_binding_stops_a_value_copied_into_another_row(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    by_row = row_context("customer_id")
    rows = encrypt_pii(
        [Base(customer_id="c1", email="ann@example.com"), Base(customer_id="c2", email="bob@x")],
        cryptor=cryptor,
        context=by_row,
    )
    rows[1]["email"] = rows[0]["email"]

    loaded = load_pii(Base, rows, cryptor=cryptor, context=by_row)
    with pytest.raises(PIIDecryptionError) as raised:
        decrypt_pii(loaded, cryptor=cryptor, context=by_row)
    assert raised.value.position == 1 and "ann@" not in str(raised.value)

    _, second = load_pii(Base, rows[:1] * 2, cryptor=cryptor, context=by_row)
    second.customer_id = "c2"  # the same stored value, now claimed by another row
    with pytest.raises(PIIEncryptionError, match="loaded for another row"):
        encrypt_pii([second], cryptor=cryptor, context=by_row)


def test_row_binding_needs_the_row_key(local_cryptor: LocalKeyCryptor) -> None:
    class Draft(PIIModel):
        draft_id: int | None = None
        note: PIIStr

    with pytest.raises(PIIUsageError, match=r"Draft\.draft_id is None"):
        encrypt_pii([Draft(note="x")], cryptor=local_cryptor, context=row_context("draft_id"))
    with pytest.raises(PIIUsageError, match="no field 'id'"):
        encrypt_pii([Draft(note="x")], cryptor=local_cryptor, context=row_context("id"))


def test_an_empty_context_differs_from_no_context(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    with_empty = cryptor.encrypt(["flu"], [""])
    without = cryptor.encrypt(["flu"], [None])

    with pytest.raises(PIIDecryptionError, match="another context"):
        cryptor.decrypt(with_empty, [None])
    with pytest.raises(PIIDecryptionError, match="another context"):
        cryptor.decrypt(without, [""])


# --- containers --------------------------------------------------------------------------------


@dataclasses.dataclass
class Address:
    street: PIIStr
    city: str


@pydantic.dataclasses.dataclass
class Card:
    holder: PIIStr


class Contact(TypedDict):
    email: PIIStr
    kind: str


class Phone(NamedTuple):
    label: str
    number: PIIStr


class Holder(PIIModel):
    address: Address
    card: Card
    contact: Contact
    phone: Phone
    recent: collections.deque[PIIStr]
    history: list[Address] = pydantic.Field(default_factory=list)


def test_pii_in_every_supported_structure_is_encrypted_and_round_trips(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    live = Holder(
        address=Address("Main St 1", "Leiden"),
        card=Card("ANN SMITH"),
        contact={"email": "ann@example.com", "kind": "work"},
        phone=Phone("home", "+31 71 1"),
        recent=["+31 71 2"],
        history=[Address("Old St 9", "Delft")],
    )

    (row,) = encrypt_pii([live], cryptor=cryptor)

    for secret in ("Main St", "ANN", "ann@", "+31", "Old St"):
        assert secret not in repr(row)
    assert row["address"]["city"] == "Leiden" and row["contact"]["kind"] == "work"
    assert kms.calls["GenerateDataKey"] == 1
    (plain,) = decrypt_pii(load_pii(Holder, [row], cryptor=cryptor), cryptor=cryptor)
    assert plain == live


def test_a_model_with_pii_under_any_or_object_is_refused(local_cryptor: LocalKeyCryptor) -> None:
    class Loose(PIIModel):
        anything: Any = None
        bag: dict[str, object] = pydantic.Field(default_factory=dict)
        items: list = pydantic.Field(default_factory=list)  # type: ignore[type-arg]

    hidden = Patient(patient_id="p", diagnosis="flu")
    for loose in (Loose(anything=hidden), Loose(bag={"p": hidden}), Loose(items=[[hidden]])):
        with pytest.raises(PIIInvalidFieldUsageError, match="holds a Patient, which has PII"):
            encrypt_pii([loose], cryptor=local_cryptor)
    (row,) = encrypt_pii([Loose(anything="not PII", bag={"n": 1})], cryptor=local_cryptor)
    assert row["anything"] == "not PII"


def test_pii_where_it_cannot_be_rebuilt_is_refused_at_class_definition() -> None:
    from collections.abc import Iterable

    with pytest.raises(PIIInvalidFieldUsageError, match=r"Stream\.emails .*Iterable"):

        class Stream(PIIModel):
            emails: Iterable[PIIStr]

    with pytest.raises(PIIInvalidFieldUsageError, match=r"Scores\.by_email .*mapping key"):

        class Scores(PIIModel):
            by_email: dict[PIIStr, int]


def test_a_plain_base_model_with_unsupported_pii_is_refused_by_encrypt_pii(
    local_cryptor: LocalKeyCryptor,
) -> None:
    from collections.abc import Iterable

    class Stream(BaseModel):
        emails: Iterable[PIIStr]

    with pytest.raises(PIIInvalidFieldUsageError, match="Iterable"):
        encrypt_pii([Stream(emails=["a@b"])], cryptor=local_cryptor)


def test_a_serializer_that_changes_ciphertext_makes_encrypt_pii_raise(
    local_cryptor: LocalKeyCryptor,
) -> None:
    class Shouting(PIIModel):
        name: PIIStr

        @field_serializer("name")
        def upper(self, value: str) -> str:
            return value.upper()

    with pytest.raises(
        PIIEncryptionError, match=r"Shouting\.name .*not ciphertext after model_dump"
    ):
        encrypt_pii([Shouting(name="ann")], cryptor=local_cryptor)


def test_an_excluded_pii_field_is_simply_not_stored(local_cryptor: LocalKeyCryptor) -> None:
    class Partial(PIIModel):
        name: PIIStr
        scratch: PIIStr = pydantic.Field(default="tmp", exclude=True)

    (row,) = encrypt_pii([Partial(name="ann")], cryptor=local_cryptor)

    assert set(row) == {"name"} and row["name"].startswith("#01#")


def test_customer_rows_from_the_shared_models_survive_every_path(
    local_cryptor: LocalKeyCryptor,
) -> None:
    customer = Customer(customer_id=1, name="Ann", aliases=["A"], contacts={"w": "a@w"})
    cryptors: list[Cryptor] = [local_cryptor, LocalKeyCryptor(os.urandom(32))]
    for cryptor in cryptors:
        rows = encrypt_pii([customer], cryptor=cryptor)
        assert decrypt_pii(load_pii(Customer, rows, cryptor=cryptor), cryptor=cryptor) == [customer]


# --- found by reading the change as an attacker ------------------------------------------------


def test_a_union_of_typed_dicts_or_a_mapping_encrypts_under_every_arm(
    local_cryptor: LocalKeyCryptor,
) -> None:
    class Plain(TypedDict):
        kind: str

    class Secret(TypedDict):
        kind: str
        ssn: PIIStr

    class Form(PIIModel):
        item: Plain | Secret
        other: Plain | dict[str, PIIStr]

    form = Form(item={"kind": "b", "ssn": "123-45-6789"}, other={"x": "ann@example.com"})
    (row,) = encrypt_pii([form], cryptor=local_cryptor)

    assert "123-45" not in repr(row) and "ann@" not in repr(row)
    (plain,) = decrypt_pii(load_pii(Form, [row], cryptor=local_cryptor), cryptor=local_cryptor)
    assert plain.item == {"kind": "b", "ssn": "123-45-6789"}


def test_type_aliases_and_typed_dict_key_markers_are_read_through(
    local_cryptor: LocalKeyCryptor,
) -> None:

    Email = TypeAliasType("Email", PIIStr)
    Emails = TypeAliasType("Emails", list[PIIStr])

    class Optional_(TypedDict):
        email: NotRequired[PIIStr]

    class Contact(PIIModel):
        email: Email
        emails: Emails
        extra: Optional_

    contact = Contact(email="a@x", emails=["b@x"], extra={"email": "c@x"})
    (row,) = encrypt_pii([contact], cryptor=local_cryptor)

    assert "@x" not in repr(row)
    loaded = load_pii(Contact, [row], cryptor=local_cryptor)
    assert decrypt_pii(loaded, cryptor=local_cryptor) == [contact]


def test_pii_that_would_reach_storage_unencrypted_is_refused_when_the_model_is_defined() -> None:
    class Person(NamedTuple):
        email: PIIStr

    class Contact(PIIModel):
        email: PIIStr

    with pytest.raises(PIIInvalidFieldUsageError, match="mapping key"):

        class Visits(PIIModel):
            by_person: dict[Person, int]

    with pytest.raises(PIIInvalidFieldUsageError, match=r"Legacy\.email overrides PII field"):

        class Legacy(Contact):
            email: str  # type: ignore[assignment]

    with pytest.raises(PIIInvalidFieldUsageError, match=r"computed field User\.shown"):

        class User(PIIModel):
            email: PIIStr

            @pydantic.computed_field  # type: ignore[prop-decorator]
            @property
            def shown(self) -> PIIStr:
                return self.email


def test_a_model_with_pii_among_extra_fields_is_refused(local_cryptor: LocalKeyCryptor) -> None:
    class Doc(BaseModel):
        model_config = pydantic.ConfigDict(extra="allow")
        name: PIIStr

    with pytest.raises(PIIInvalidFieldUsageError, match="holds a Patient"):
        encrypt_pii(
            [Doc(name="x", owner=Patient(patient_id="p", diagnosis="flu"))],  # type: ignore[call-arg]
            cryptor=local_cryptor,
        )


def test_values_set_without_validation_are_refused_and_never_quoted(
    local_cryptor: LocalKeyCryptor, recwarn: pytest.WarningsRecorder
) -> None:
    class Card(BaseModel):
        phone: PIIStr | None = None
        aliases: list[PIIStr] = pydantic.Field(default_factory=list)
        patient: Patient | None = None

    wrong_phone, wrong_aliases = Card(), Card()
    wrong_phone.phone = 31201234567  # type: ignore[assignment]
    wrong_aliases.aliases = "Ann Smith"  # type: ignore[assignment]
    constructed = Card.model_construct(patient={"patient_id": "p", "diagnosis": "asthma"})  # type: ignore[arg-type]

    for card in (wrong_phone, wrong_aliases, constructed):
        with pytest.raises(PIIUsageError, match="annotation does not admit") as raised:
            encrypt_pii([card], cryptor=local_cryptor)
        assert "3120" not in str(raised.value) and "Ann" not in str(raised.value)
    assert not [w for w in recwarn if "Ann" in str(w.message) or "asthma" in str(w.message)]


def test_a_value_loaded_with_one_cryptor_is_not_written_back_by_another() -> None:
    first, second = LocalKeyCryptor(os.urandom(32)), LocalKeyCryptor(os.urandom(32))
    loaded = load_pii(
        Patient,
        encrypt_pii([Patient(patient_id="p", diagnosis="flu")], cryptor=first),
        cryptor=first,
    )

    with pytest.raises(PIIEncryptionError, match="rewrap"):
        encrypt_pii(loaded, cryptor=second)


def test_a_validator_that_changes_stored_text_makes_loading_fail_not_corrupt(
    local_cryptor: LocalKeyCryptor,
) -> None:
    from pydantic import StringConstraints

    class Shouting(BaseModel):
        code: Annotated[PIIStr, StringConstraints(to_upper=True)]

    class Lowered(BaseModel):
        model_config = pydantic.ConfigDict(str_to_lower=True)
        code: PIIStr

    rows = encrypt_pii([Shouting(code="ab12")], cryptor=local_cryptor)
    with pytest.raises(PIIDecryptionError, match="a validator changed the stored text"):
        load_pii(Shouting, rows, cryptor=local_cryptor)

    rows = encrypt_pii([Lowered(code="AB12")], cryptor=local_cryptor)
    loaded = load_pii(Lowered, rows, cryptor=local_cryptor)  # the stored text is left alone
    assert encrypt_pii(loaded, cryptor=local_cryptor) == rows
    assert decrypt_pii(loaded, cryptor=local_cryptor)[0].code == "ab12"


def test_text_derived_from_a_stored_value_stays_masked_and_is_never_stored(
    local_cryptor: LocalKeyCryptor,
) -> None:
    (loaded,) = load_pii(
        Patient,
        encrypt_pii([Patient(patient_id="p", diagnosis="flu")], cryptor=local_cryptor),
        cryptor=local_cryptor,
    )
    for derived in (
        loaded.diagnosis.strip(),
        loaded.diagnosis.lower(),
        loaded.diagnosis[4:],
        "x" + loaded.diagnosis,
        loaded.diagnosis + "x",
    ):
        assert str(derived) == "<encrypted>"
        changed = loaded.model_copy(update={"diagnosis": derived})
        with pytest.raises(PIIEncryptionError, match="made in code"):
            encrypt_pii([changed], cryptor=local_cryptor)

    masked = loaded.model_copy(update={"diagnosis": str(loaded.diagnosis)})
    with pytest.raises(PIIEncryptionError, match="mask of a stored value"):
        encrypt_pii([masked], cryptor=local_cryptor)


def test_a_context_name_is_not_inherited(local_cryptor: LocalKeyCryptor) -> None:
    class Account(BaseModel):
        __pii_context__ = "Account"

    class Vip(Account):
        secret: PIIStr

    class Staff(Account):
        secret: PIIStr

    rows = encrypt_pii([Vip(secret="vip secret")], cryptor=local_cryptor)
    with pytest.raises(PIIDecryptionError, match="another context"):
        decrypt_pii(load_pii(Staff, rows, cryptor=local_cryptor), cryptor=local_cryptor)


def test_row_binding_refuses_a_pii_key_and_tells_key_types_apart(
    local_cryptor: LocalKeyCryptor,
) -> None:
    class ByNumber(PIIModel):
        number: int | str
        secret: PIIStr

    with pytest.raises(PIIUsageError, match=r"Patient\.diagnosis is a PII field"):
        encrypt_pii(
            [Patient(patient_id="p", diagnosis="flu")],
            cryptor=local_cryptor,
            context=row_context("diagnosis"),
        )
    by_number = row_context("number")
    rows = encrypt_pii([ByNumber(number=1, secret="s")], cryptor=local_cryptor, context=by_number)
    rows[0]["number"] = "1"
    with pytest.raises(PIIDecryptionError):
        decrypt_pii(
            load_pii(ByNumber, rows, cryptor=local_cryptor, context=by_number),
            cryptor=local_cryptor,
            context=by_number,
        )


def test_a_pii_model_masks_a_plain_model_holding_pii_in_its_repr() -> None:
    class Inner(BaseModel):
        email: PIIStr

    class Outer(PIIModel):
        inner: Inner

    assert "ann@" not in repr(Outer(inner=Inner(email="ann@example.com")))


def test_fields_with_aliases_load_from_the_rows_encrypt_pii_writes(
    local_cryptor: LocalKeyCryptor,
) -> None:
    class Aliased(PIIModel):
        email: PIIStr = pydantic.Field(alias="mail")

    rows = encrypt_pii([Aliased(mail="ann@example.com")], cryptor=local_cryptor)
    (plain,) = decrypt_pii(load_pii(Aliased, rows, cryptor=local_cryptor), cryptor=local_cryptor)

    assert plain.email == "ann@example.com"


def test_the_dumped_row_is_checked_by_the_declared_types(local_cryptor: LocalKeyCryptor) -> None:
    class Sneaky(PIIModel):
        name: PIIStr
        phone: PIIStr | None = None

        def model_dump(self, **options: Any) -> dict[str, Any]:
            row = super().model_dump(**options)
            row["phone"] = "+31 20 555"  # a leaf the walker never saw: it held None
            return row

    with pytest.raises(PIIEncryptionError, match=r"Sneaky\.phone .*not ciphertext") as raised:
        encrypt_pii([Sneaky(name="ann")], cryptor=local_cryptor)
    assert "+31" not in str(raised.value)


def test_length_constraints_given_with_the_field_check_plaintext_only(
    local_cryptor: LocalKeyCryptor,
) -> None:
    class Contact(PIIModel):
        email: PIIStr = pydantic.Field(max_length=20)

    with pytest.raises(pydantic.ValidationError):
        Contact(email="x" * 21)
    rows = encrypt_pii([Contact(email="ann@example.com")], cryptor=local_cryptor)

    (plain,) = decrypt_pii(load_pii(Contact, rows, cryptor=local_cryptor), cryptor=local_cryptor)
    assert plain.email == "ann@example.com"
