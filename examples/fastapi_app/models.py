"""The stored user: e-mail and phone are PII columns, found through the e-mail lookup column."""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import pii_guard.sqlalchemy  # noqa: F401 - maps PII columns, encrypts at flush
from pii_guard import PIIStr

from .lookup import LOOKUP_LENGTH


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    # Unique on the lookup, never on the PII column: ciphertexts of one address all differ.
    __table_args__ = (Index("ix_users_email_lookup", "email_lookup", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[PIIStr]
    phone: Mapped[PIIStr | None]
    email_lookup: Mapped[str] = mapped_column(String(LOOKUP_LENGTH))
