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


# SQLAlchemy 2.0, 1.x and SQLModel models
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from pii_guard.sqlalchemy import PIIString, lookup_column
import sqlmodel


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[PIIStr]
    phone: Mapped[str | None] = mapped_column(PIIString(40))
    email_lookup: Mapped[str | None] = lookup_column("email", normalizer="email")
    name: Mapped[str]


class Account(Base):
    __tablename__ = "accounts"
    id = Column(Integer, primary_key=True)
    email = Column("email_address", PIIString(400))
    handle = Column(String(40))


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(400), unique=True)


class Hero(sqlmodel.SQLModel, table=True):
    id: int | None = sqlmodel.Field(default=None, primary_key=True)
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
from models import Account, Base, Hero, Tag, User
from sqlalchemy import Index, and_, desc, not_, or_, select
from sqlalchemy.orm import Mapped, mapped_column
from pii_guard.sqlalchemy import PIIString, lookup_column
import sqlalchemy as sa
import sqlmodel

logger = logging.getLogger(__name__)

"""
