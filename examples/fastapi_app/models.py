"""The stored user: e-mail and phone are PII columns, found through the e-mail's blind index."""

from __future__ import annotations

from sqlalchemy import Index
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pii_guard import PIIStr
from pii_guard.sqlalchemy import lookup_column  # maps PII columns, encrypts at flush


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    # Unique on the lookup, never on the PII column: ciphertexts of one address all differ.
    __table_args__ = (Index("ix_users_email_lookup", "email_lookup", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[PIIStr]
    phone: Mapped[PIIStr | None]
    # The blind index of the e-mail address, filled in the flush that encrypts it.
    email_lookup: Mapped[str | None] = lookup_column("email", normalizer="email")
