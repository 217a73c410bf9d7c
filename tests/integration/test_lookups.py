"""Lookups on real databases (SQLite and PostgreSQL): find rows by an encrypted email in one
query, a unique index on the lookup, index key rotation with reindex, nothing secret stored."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlmodel import Field, SQLModel

from pii_guard import (
    Cryptor,
    LocalKeyCryptor,
    Lookup,
    PIIEncryptionError,
    PIIInvalidFieldUsageError,
    PIIStr,
    PIIUsageError,
    lookup_of,
    lookup_values,
)
from pii_guard.indexkeys import (
    EMPTY_KEYRING,
    Keyring,
    configured_keyring,
    index_keys,
    new_version,
)
from pii_guard.migration import Options, run
from pii_guard.sqlalchemy import CRYPTOR_KEY, decrypt, lookup_column
from tests.integration.models import Customer
from tests.runtime.conftest import CountedKMS


class Base(DeclarativeBase):
    pass


class Shopper(Base):
    __tablename__ = "shoppers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[PIIStr | None]
    email_lookup: Mapped[str | None] = lookup_column("email", normalizer="email", unique=True)
    phone: Mapped[PIIStr | None]
    phone_lookup: Mapped[str | None] = lookup_column("phone", normalizer="digits", bits=64)


class Subscriber(SQLModel, table=True):
    __tablename__ = "subscribers"

    id: int | None = Field(default=None, primary_key=True)
    email: PIIStr
    email_lookup: Lookup = lookup_of("email", normalizer="email")


@pytest.fixture
def tables(engine: Engine) -> Iterator[Engine]:
    Base.metadata.create_all(engine)
    SQLModel.metadata.create_all(engine, tables=[Subscriber.__table__])  # type: ignore[list-item]
    yield engine
    SQLModel.metadata.drop_all(engine, tables=[Subscriber.__table__])  # type: ignore[list-item]
    Base.metadata.drop_all(engine)


def use_keyring(monkeypatch: pytest.MonkeyPatch, keyring: Keyring) -> None:
    monkeypatch.setenv("PII_GUARD_INDEX_KEYS", keyring.to_json())


def every_stored_text(engine: Engine) -> str:
    with engine.connect() as connection:
        return repr(
            [
                connection.execute(text(f"SELECT * FROM {table}")).all()
                for table in ("shoppers", "subscribers")
            ]
        )


@pytest.fixture
def local_keyring(monkeypatch: pytest.MonkeyPatch) -> LocalKeyCryptor:
    """A local-key cryptor, and a keyring of one index key version wrapped by it."""
    cryptor = LocalKeyCryptor(os.urandom(32))
    use_keyring(monkeypatch, new_version(cryptor, EMPTY_KEYRING))
    return cryptor


def find(session: Session, email: str, cryptor: Cryptor) -> list[Shopper]:
    wanted = lookup_values(Shopper, "email", email, cryptor=cryptor)
    return list(session.scalars(select(Shopper).where(Shopper.email_lookup.in_(wanted))))


def test_one_query_finds_a_customer_among_a_thousand_by_email(
    tables: Engine, kms: CountedKMS, monkeypatch: pytest.MonkeyPatch
) -> None:
    cryptor = kms.cryptor()
    use_keyring(monkeypatch, new_version(cryptor, EMPTY_KEYRING))
    index_keys(cryptor)  # the one unwrap of the process, before counting
    kms.calls.clear()
    with Session(tables, info={CRYPTOR_KEY: cryptor}) as session:
        session.add_all(
            Shopper(email=f"shopper{n}@example.com", phone=f"+31 6 {n:08d}") for n in range(1000)
        )
        session.commit()
    # The flush encrypted 2,000 values and computed 2,000 lookups: one KMS call in all.
    assert kms.calls == {"GenerateDataKey": 1}

    statements: list[str] = []

    def listen(*args: object) -> None:
        statements.append(str(args[2]))

    with Session(tables, info={CRYPTOR_KEY: cryptor}) as session:
        event.listen(tables, "before_cursor_execute", listen)
        try:
            found = find(session, "  Shopper737@EXAMPLE.com", cryptor)
        finally:
            event.remove(tables, "before_cursor_execute", listen)
        assert len(statements) == 1
        assert [row["email"] for row in decrypt(found)] == ["shopper737@example.com"]
        by_phone = lookup_values(Shopper, "phone", "+31-6-00000042", cryptor=cryptor)
        assert [
            obj.id
            for obj in session.scalars(select(Shopper).where(Shopper.phone_lookup.in_(by_phone)))
        ] == [43]


def test_a_unique_index_on_the_lookup_refuses_the_same_email_twice(
    tables: Engine, local_keyring: LocalKeyCryptor
) -> None:
    with Session(tables, info={CRYPTOR_KEY: local_keyring}) as session:
        session.add(Shopper(email="ada@example.com"))
        session.commit()
        session.add(Shopper(email=" ADA@example.com"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_rotating_the_index_key_finds_rows_of_both_versions_then_reindex_drops_the_old(
    tables: Engine, local_keyring: LocalKeyCryptor, monkeypatch: pytest.MonkeyPatch
) -> None:
    cryptor = local_keyring
    with Session(tables, info={CRYPTOR_KEY: cryptor}) as session:
        session.add_all(Shopper(email=f"old{n}@example.com") for n in range(5))
        session.commit()
    version_1 = configured_keyring()
    both = new_version(cryptor, version_1)
    use_keyring(monkeypatch, both)
    with Session(tables, info={CRYPTOR_KEY: cryptor}) as session:
        session.add_all(Shopper(email=f"new{n}@example.com") for n in range(5))
        session.commit()
        assert len(lookup_values(Shopper, "email", "old3@example.com", cryptor=cryptor)) == 2
        assert len(find(session, "old3@example.com", cryptor)) == 1
        assert len(find(session, "new3@example.com", cryptor)) == 1
        stored = set(session.scalars(select(Shopper.email_lookup)))
        assert {value.split(":")[0] for value in stored} == {"v1", "v2"}

    report = run("reindex", tables, Shopper, "Shopper", Options(batch_size=4, cryptor=cryptor))
    assert report.complete and report.changed_rows == 5

    only_newest = Keyring(both.versions[:1])
    use_keyring(monkeypatch, only_newest)
    with Session(tables, info={CRYPTOR_KEY: cryptor}) as session:
        assert lookup_values(Shopper, "email", "old3@example.com", cryptor=cryptor)[0][:3] == "v2:"
        assert len(find(session, "old3@example.com", cryptor)) == 1
        assert len(find(session, "new3@example.com", cryptor)) == 1
        assert {value[:3] for value in session.scalars(select(Shopper.email_lookup))} == {"v2:"}


def test_sqlmodel_tables_fill_lookup_of_fields_at_flush(
    tables: Engine, local_keyring: LocalKeyCryptor
) -> None:
    with Session(tables, info={CRYPTOR_KEY: local_keyring}) as session:
        session.add_all([Subscriber(email="Grace@Example.com"), Subscriber(email="b@example.com")])
        session.commit()
        wanted = lookup_values(Subscriber, "email", "grace@example.com", cryptor=local_keyring)
        column = Subscriber.__table__.c.email_lookup  # type: ignore[attr-defined]
        found = session.scalars(select(Subscriber).where(column.in_(wanted))).all()
        assert len(found) == 1


def test_no_plaintext_and_no_index_key_is_stored_in_any_table(
    tables: Engine, local_keyring: LocalKeyCryptor
) -> None:
    with Session(tables, info={CRYPTOR_KEY: local_keyring}) as session:
        session.add_all(
            Shopper(email=f"secret{n}@example.com", phone="555 0199") for n in range(20)
        )
        session.add(Subscriber(email="secret-subscriber@example.com"))
        session.commit()
        stored = every_stored_text(tables)
    assert "secret" not in stored and "555" not in stored
    keys = index_keys(local_keyring)
    for version in keys.versions:
        for secret in (
            keys.keys[version],
            keys.field_key(version, "Shopper.email"),
            keys.field_key(version, "Subscriber.email"),
        ):
            for shown in (
                base64.b64encode(secret).decode(),
                base64.urlsafe_b64encode(secret).decode().rstrip("="),
                secret.hex(),
            ):
                assert shown not in stored


def test_a_lookup_column_of_a_column_that_is_not_pii_is_refused_when_mapped() -> None:
    class Other(DeclarativeBase):
        pass

    with pytest.raises(PIIInvalidFieldUsageError, match=r"Vendor\.name, which is not a PII"):

        class Vendor(Other):
            __tablename__ = "vendors"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str]
            name_lookup: Mapped[str | None] = lookup_column("name")


def test_reindex_of_a_model_without_lookups_is_a_usage_error(tables: Engine) -> None:
    with pytest.raises(PIIUsageError, match="no lookup columns"):
        run("reindex", tables, Customer, "Customer", Options())


def test_a_lookup_column_set_without_its_pii_value_is_refused_at_flush(
    tables: Engine, local_keyring: LocalKeyCryptor
) -> None:
    victims = lookup_values(Shopper, "email", "victim@example.com", cryptor=local_keyring)
    with Session(tables, info={CRYPTOR_KEY: local_keyring}) as session:
        session.add(Shopper(email="attacker@example.com"))
        session.commit()
        (attacker,) = session.scalars(select(Shopper)).all()
        attacker.email_lookup = victims[0]
        with pytest.raises(PIIEncryptionError, match=r"Shopper\.email_lookup was set"):
            session.commit()
