"""The shop's models, declared with pii_guard."""

from __future__ import annotations

from typing import ClassVar

from pii_guard import Lookup, PIIModel, PIIStr, UniqueConstraint, lookup_of


class Customer(PIIModel):
    __primary_key__: ClassVar[list[str]] = ["id"]
    __constraints__: ClassVar[list[UniqueConstraint]] = [
        # Right: uniqueness on the address's lookup (a keyed hash), not on the address.
        UniqueConstraint(name="uq_customer_email", fields=["email_lookup"]),
    ]

    id: int
    email: PIIStr
    email_lookup: Lookup = lookup_of("email", normalizer="email")
    phone: PIIStr | None = None
    display_name: str = ""


class Order(PIIModel):
    __primary_key__: ClassVar[list[str]] = ["id"]

    id: int
    customer: Customer
    reference: str
    total_cents: int = 0


class NewsletterSubscriber(PIIModel):
    __primary_key__: ClassVar[list[str]] = ["email"]  # mistake: PII003
    __constraints__: ClassVar[list[UniqueConstraint]] = [
        UniqueConstraint(name="uq_subscriber", fields=["list_name", "email"]),  # mistake: PII004
    ]

    email: PIIStr
    list_name: str
