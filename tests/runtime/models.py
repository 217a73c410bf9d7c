"""Models the runtime tests store and query: every shape a PII field can take."""

from __future__ import annotations

from typing import ClassVar, Optional

from pydantic import BaseModel, Field

from pii_guard import PIIModel, PIIStr, UniqueConstraint


class Profile(PIIModel):
    email: PIIStr = Field(title="email")
    nickname: str = "guest"


class Customer(PIIModel):
    __primary_key__: ClassVar[list[str]] = ["customer_id"]
    __constraints__: ClassVar[list[UniqueConstraint]] = [
        UniqueConstraint(name="unq_customer_number", fields=["number"])
    ]

    customer_id: int
    number: str = "C-1"
    name: PIIStr
    phone: PIIStr | None = Field(default=None)
    fax: Optional[PIIStr] = None  # noqa: UP045 - the Optional spelling must work too
    aliases: list[PIIStr] = Field(default_factory=list)
    contacts: dict[str, PIIStr] = Field(default_factory=dict)
    profile: Optional[Profile] = None  # noqa: UP045
    country: str = "NL"


class Order(BaseModel):
    """A model on a plain BaseModel: nested PII is found through its FK field."""

    order_id: int
    customer: Customer
    note: str = ""
