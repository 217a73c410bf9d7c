"""What every rule's `VALID` and `INVALID` examples run against.

Each example is the body of a module `snippet.py` that starts with `HEADER`, in a project whose
`models.py` is `MODELS`. Lines and columns in `Invalid` count from the example's first line.
"""

from __future__ import annotations

MODELS = """\
import dataclasses
from typing import ClassVar, Optional

from pydantic import BaseModel
from pii_guard import Lookup, PIIModel, PIIStr, UniqueConstraint, lookup_of


class Customer(PIIModel):
    id: int
    email: PIIStr
    phone: Optional[PIIStr] = None
    created: str


class Address(PIIModel):
    id: int
    customer: Customer
    street: PIIStr


class Order(BaseModel):
    id: int
    status: str
    customer: Customer
    address: "Address | None" = None


class Plain(BaseModel):
    id: int
    email: str


class Member(PIIModel):
    id: int
    email: PIIStr
    email_lookup: Lookup = lookup_of("email", normalizer="email")


class Contact(BaseModel):
    id: int
    email: PIIStr


@dataclasses.dataclass
class Visitor:
    id: int
    email: PIIStr
"""

HEADER = """\
import hashlib
import logging
from typing import ClassVar

import loguru
import structlog
from django.db.models import Q, QuerySet
from pydantic import BaseModel
from pii_guard import Lookup, PIIModel, PIIStr, UniqueConstraint, lookup_of

from models import Address, Customer, Member, Order, Plain
from models import Contact, Visitor

logger = logging.getLogger(__name__)

"""
