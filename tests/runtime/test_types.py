"""PIIStr marks PII fields; EncryptedStr and PIIModel only ever show a mask for PII values."""

from __future__ import annotations

import copy
import json
import logging
import pickle

import pydantic
import pytest
from pydantic import BaseModel

from pii_guard import STORED_CONTEXT, EncryptedStr, PIIStr, get_pii_fields
from tests.runtime.models import Customer, Order, Profile

STORED = "#01#a2V5:aWlpaWlpaWlpaWlp:Y2lwaGVy:dHR0dHR0dHR0dHR0dHR0dA==#10#"


def test_pii_fields_are_listed_in_declaration_order() -> None:
    assert get_pii_fields(Customer) == ("name", "phone", "fax", "aliases", "contacts")
    assert get_pii_fields(Profile) == ("email",)
    assert get_pii_fields(Order) == ()


def test_inherited_pii_fields_come_first() -> None:
    class VipCustomer(Customer):
        concierge_phone: PIIStr

    assert get_pii_fields(VipCustomer) == (*get_pii_fields(Customer), "concierge_phone")


def test_pii_fields_are_computed_once_per_class() -> None:
    assert get_pii_fields(Customer) is get_pii_fields(Customer)


def test_a_live_instance_holds_plain_str() -> None:
    customer = Customer(customer_id=1, name="Ann Smith", aliases=["Annie"])

    assert type(customer.name) is str
    assert type(customer.aliases[0]) is str
    assert customer.name == "Ann Smith"


def test_no_marker_leaks_into_the_json_schema() -> None:
    schema = Customer.model_json_schema()

    assert schema["properties"]["name"] == {"title": "Name", "type": "string"}
    assert schema["properties"]["aliases"]["items"] == {"type": "string"}
    assert "PII" not in json.dumps(schema).replace("PIIModel", "")


def test_validating_a_storage_row_gives_encrypted_str_everywhere() -> None:
    """With the stored-data context (what load_pii uses), every PII value is EncryptedStr."""
    row = {
        "customer_id": 1,
        "name": STORED,
        "phone": STORED,
        "fax": None,
        "aliases": [STORED],
        "contacts": {"work": STORED},
        "profile": {"email": STORED},
    }

    customer = Customer.model_validate(row, context=STORED_CONTEXT)

    values = [customer.name, customer.phone, customer.aliases[0], customer.contacts["work"]]
    assert customer.profile is not None
    values.append(customer.profile.email)
    assert all(type(value) is EncryptedStr for value in values)
    assert customer.fax is None


def test_input_that_looks_stored_is_plaintext_without_the_stored_context() -> None:
    row = {"customer_id": 1, "name": STORED, "aliases": [STORED], "profile": {"email": STORED}}

    for customer in (
        Customer.model_validate(row),
        Customer.model_validate_json(json.dumps(row)),
        Customer(**row),
    ):
        assert type(customer.name) is str and customer.name == STORED
        assert type(customer.aliases[0]) is str
        assert customer.profile is not None and type(customer.profile.email) is str


def test_a_stored_value_copied_into_another_instance_stays_stored() -> None:
    loaded = Customer.model_validate({"customer_id": 1, "name": STORED}, context=STORED_CONTEXT)

    copied = Customer(customer_id=2, name=loaded.name, aliases=[loaded.name])

    assert copied.name is loaded.name and copied.aliases[0] is loaded.name
    assert copied.name.origin is not None


def test_a_stored_value_shows_a_mask_in_every_text_rendering() -> None:
    value = EncryptedStr(STORED)
    renderings = [
        str(value),
        repr(value),
        format(value),
        format(value, ">30"),
        f"{value}",
        f"{value!r}",
        f"{value!s}",
        "%s" % value,  # noqa: UP031 - %-formatting is what we test
        "%r" % value,  # noqa: UP031
        "{}".format(value),  # noqa: UP032
        repr([value]),
        repr(Customer.model_validate({"customer_id": 1, "name": STORED}, context=STORED_CONTEXT)),
    ]

    for rendering in renderings:
        assert "<encrypted>" in rendering
        assert "Y2lwaGVy" not in rendering


def test_a_stored_value_logged_shows_the_mask(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("app").info("saving %s", EncryptedStr(STORED))

    assert caplog.messages == ["saving <encrypted>"]


def test_ciphertext_returns_the_stored_wire_value() -> None:
    value = EncryptedStr(STORED)

    assert value.ciphertext == STORED
    assert type(value.ciphertext) is str
    assert json.dumps(value) == json.dumps(STORED)


def test_a_stored_value_survives_copy_and_pickle() -> None:
    value = EncryptedStr(STORED)

    for copied in (copy.copy(value), copy.deepcopy(value), pickle.loads(pickle.dumps(value))):
        assert type(copied) is EncryptedStr
        assert copied.ciphertext == STORED
        assert copied.origin is None  # made in code, and still so after the copy

    loaded = Customer.model_validate({"customer_id": 1, "name": STORED}, context=STORED_CONTEXT)
    restored = pickle.loads(pickle.dumps(loaded.name))
    assert restored.origin == loaded.name.origin and restored.origin is not None


def test_json_of_a_loaded_model_writes_the_ciphertext() -> None:
    customer = Customer.model_validate({"customer_id": 1, "name": STORED}, context=STORED_CONTEXT)

    assert json.loads(customer.model_dump_json())["name"] == STORED


def test_pii_str_works_on_a_plain_base_model() -> None:
    class Contact(BaseModel):
        email: PIIStr

    assert get_pii_fields(Contact) == ("email",)
    loaded = Contact.model_validate({"email": STORED}, context=STORED_CONTEXT)
    assert type(loaded.email) is EncryptedStr


def test_a_live_pii_model_hides_its_plaintext_in_repr_and_str() -> None:
    live = Customer(
        customer_id=1,
        name="Ann Smith",
        phone=None,
        aliases=["Annie"],
        contacts={"work": "ann@work.example"},
        profile=Profile(email="ann@example.com"),
    )

    shown = repr(live) + str(live) + f"{live!r} {live}"

    assert "Ann" not in shown and "ann@" not in shown
    assert "name=<PII hidden>" in repr(live) and "phone=None" in repr(live)
    assert "profile=Profile(email=<PII hidden>, nickname='guest')" in repr(live)
    assert "customer_id=1" in repr(live)  # fields that are not PII show as usual
    assert live.name == "Ann Smith"


def test_a_loaded_pii_model_still_shows_its_masked_ciphertext() -> None:
    loaded = Customer.model_validate(
        {"customer_id": 1, "name": STORED, "aliases": [STORED]}, context=STORED_CONTEXT
    )

    assert "name=EncryptedStr(<encrypted>)" in repr(loaded)
    assert "aliases=[EncryptedStr(<encrypted>)]" in repr(loaded)


def test_a_validation_error_does_not_quote_a_pii_value() -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        Customer(customer_id=1, name="Ann Smith", aliases="Ann Smith")  # type: ignore[arg-type]

    assert "aliases" in str(raised.value)
    assert "Ann Smith" not in str(raised.value)
