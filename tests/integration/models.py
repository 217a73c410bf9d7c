"""Mapped classes the integration tests store: SQLAlchemy 2.0 declarative and SQLModel."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlmodel import Field, SQLModel

import pii_guard.sqlalchemy  # noqa: F401 - maps PII columns, encrypts at flush
from pii_guard import PIIStr


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[PIIStr]
    phone: Mapped[PIIStr | None]
    country: Mapped[str] = mapped_column(default="NL")
    orders: Mapped[list[Order]] = relationship(back_populates="customer")


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    note: Mapped[PIIStr | None]
    customer: Mapped[Customer] = relationship(back_populates="orders")


class Patient(Base):
    """Rows keyed by a client-made UUID, so values can be bound to their row."""

    __tablename__ = "patients"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    diagnosis: Mapped[PIIStr]


class Member(SQLModel, table=True):
    __tablename__ = "members"

    id: int | None = Field(default=None, primary_key=True)
    email: PIIStr
    nickname: str = ""
