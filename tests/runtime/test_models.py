"""A PII field in a primary key or a unique constraint fails when the class is defined."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import BaseModel

from pii_guard import (
    PIIInvalidFieldUsageError,
    PIIModel,
    PIIStr,
    UniqueConstraint,
    check_model,
)


def test_pii_field_in_primary_key_fails_at_class_definition() -> None:
    with pytest.raises(PIIInvalidFieldUsageError) as raised:

        class Customer(PIIModel):
            __primary_key__: ClassVar[list[str]] = ["email"]
            email: PIIStr

    assert str(raised.value) == (
        "PII003 PII field Customer.email in __primary_key__: keys must be deterministic and "
        "are copied into references; use a surrogate key"
    )


def test_pii_field_in_unique_constraint_fails_at_class_definition() -> None:
    with pytest.raises(PIIInvalidFieldUsageError) as raised:

        class Customer(PIIModel):
            __constraints__: ClassVar[list[UniqueConstraint]] = [
                UniqueConstraint(name="unq_customer_email", fields=["tenant", "email"])
            ]
            tenant: str
            email: PIIStr

    assert str(raised.value) == (
        "PII004 PII field Customer.email in unique constraint unq_customer_email: ciphertext "
        "is never equal, so uniqueness is not enforced; constrain a keyed hash of the value "
        "instead"
    )


def test_every_misuse_of_a_model_is_reported_at_once() -> None:
    with pytest.raises(PIIInvalidFieldUsageError) as raised:

        class Customer(PIIModel):
            __primary_key__: ClassVar[list[str]] = ["email", "phone"]
            __constraints__: ClassVar[list[UniqueConstraint]] = [
                UniqueConstraint(name="unq_phone", fields=["phone"])
            ]
            email: PIIStr
            phone: PIIStr | None = None

    message = str(raised.value)
    assert "Customer.email in __primary_key__" in message
    assert "Customer.phone in __primary_key__" in message
    assert "Customer.phone in unique constraint unq_phone" in message


def test_inherited_pii_field_in_a_subclass_key_fails() -> None:
    class Person(PIIModel):
        email: PIIStr

    with pytest.raises(PIIInvalidFieldUsageError, match=r"Employee\.email in __primary_key__"):

        class Employee(Person):
            __primary_key__: ClassVar[list[str]] = ["email"]


def test_keys_and_constraints_on_non_pii_fields_are_accepted() -> None:
    class Customer(PIIModel):
        __primary_key__: ClassVar[list[str]] = ["customer_id"]
        __constraints__: ClassVar[list[UniqueConstraint]] = [
            UniqueConstraint(name="unq_number", fields=["number"])
        ]
        customer_id: int
        number: str
        email: PIIStr

    assert Customer(customer_id=1, number="C-1", email="a@example.com").customer_id == 1


def test_check_model_serves_any_base_class() -> None:
    class Customer(BaseModel):
        __primary_key__: ClassVar[list[str]] = ["email"]
        email: PIIStr

    with pytest.raises(PIIInvalidFieldUsageError, match=r"Customer\.email in __primary_key__"):
        check_model(Customer)


def test_check_model_works_as_a_decorator_on_good_models() -> None:
    @check_model
    class Customer(BaseModel):
        __primary_key__: ClassVar[list[str]] = ["customer_id"]
        customer_id: int
        email: PIIStr

    assert Customer.__name__ == "Customer"


def test_constraint_objects_of_other_libraries_are_read_by_their_fields() -> None:
    class AmsdalStyleConstraint:
        def __init__(self, name: str, fields: list[str]) -> None:
            self.name = name
            self.fields = fields

    class Customer(BaseModel):
        __constraints__: ClassVar[list[AmsdalStyleConstraint]] = [
            AmsdalStyleConstraint(name="unq_email", fields=["email"])
        ]
        email: PIIStr

    with pytest.raises(PIIInvalidFieldUsageError, match=r"unique constraint unq_email"):
        check_model(Customer)


def test_a_model_with_forward_references_is_checked_when_it_completes() -> None:
    class Customer(PIIModel):
        __primary_key__: ClassVar[list[str]] = ["email"]
        email: DefinedLater  # type: ignore[name-defined]  # noqa: F821 - resolved below

    assert not Customer.__pydantic_complete__

    with pytest.raises(PIIInvalidFieldUsageError, match=r"Customer\.email in __primary_key__"):
        Customer.model_rebuild(_types_namespace={"DefinedLater": PIIStr})
