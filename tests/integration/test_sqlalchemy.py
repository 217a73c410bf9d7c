"""The SQLAlchemy 2.0 and SQLModel integration on real databases: SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, Uuid, bindparam, create_engine, insert, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Field, SQLModel

from pii_guard import (
    EncryptedStr,
    KMSEnvelopeCryptor,
    LocalKeyCryptor,
    PIIDecryptionError,
    PIIEncryptionError,
    PIIInvalidFieldUsageError,
    PIIStr,
    row_context,
    use_cryptor,
)
from pii_guard.cryptors.keyreuse import DataKeyReuse
from pii_guard.sqlalchemy import CONTEXT_KEY, CRYPTOR_KEY, PIIString, decrypt
from tests.integration.models import Base, Customer, Member, Order, Patient
from tests.runtime.conftest import CountedKMS

MARK = "PLAINTEXT-7e1f"


@pytest.fixture
def tables(engine: Engine) -> Iterator[Engine]:
    Base.metadata.create_all(engine)
    SQLModel.metadata.create_all(engine, tables=[Member.__table__])  # type: ignore[list-item]
    yield engine
    SQLModel.metadata.drop_all(engine, tables=[Member.__table__])  # type: ignore[list-item]
    Base.metadata.drop_all(engine)


def every_stored_text(engine: Engine) -> str:
    with engine.connect() as connection:
        return repr(
            [
                connection.execute(text(f"SELECT * FROM {table}")).all()
                for table in ("customers", "orders", "patients", "members")
            ]
        )


def test_a_flush_of_a_thousand_rows_makes_one_data_key(tables: Engine, kms: CountedKMS) -> None:
    with Session(tables, info={CRYPTOR_KEY: kms.cryptor()}) as session:
        session.add_all(
            Customer(email=f"{MARK}-{n}@example.com", phone=f"+31 {n}") for n in range(1000)
        )
        session.commit()

    assert kms.calls == {"GenerateDataKey": 1}
    assert MARK not in every_stored_text(tables)


def test_a_page_of_results_decrypts_in_one_call_per_data_key(
    tables: Engine, kms: CountedKMS
) -> None:
    cryptor = kms.cryptor()
    for batch in range(3):  # three flushes: three data keys
        with Session(tables, info={CRYPTOR_KEY: cryptor}) as session:
            session.add_all(Customer(email=f"{batch}-{n}@example.com") for n in range(10))
            session.commit()
    kms.calls.clear()

    with Session(tables, info={CRYPTOR_KEY: cryptor}) as session:
        page = session.scalars(select(Customer).order_by(Customer.id)).all()
        assert all(isinstance(customer.email, EncryptedStr) for customer in page)
        assert "example.com" not in repr([vars(customer) for customer in page])
        plain = decrypt(page)

    assert kms.calls == {"Decrypt": 3}
    assert [row["email"] for row in plain[:2]] == ["0-0@example.com", "0-1@example.com"]
    assert plain[0]["phone"] is None


def test_rows_saved_one_per_request_share_a_data_key_within_bounds(
    tables: Engine, kms: CountedKMS
) -> None:
    cryptor = KMSEnvelopeCryptor(
        kms.key_id, client=kms.client, data_key_reuse=DataKeyReuse(max_age_seconds=60)
    )
    for n in range(200):  # one web request each: its own session and commit
        with Session(tables, info={CRYPTOR_KEY: cryptor}) as session:
            session.add(Customer(email=f"{n}@example.com"))
            session.commit()
    assert kms.calls == {"GenerateDataKey": 1}
    kms.calls.clear()

    with Session(tables, info={CRYPTOR_KEY: cryptor}) as session:
        plain = decrypt(session.scalars(select(Customer)).all())

    assert len(plain) == 200
    assert sum(kms.calls.values()) <= 2  # the target: 200 rows listed for at most 2 KMS calls


def test_the_session_never_writes_plaintext_and_logs_none(
    tables: Engine, local_cryptor_in_use: LocalKeyCryptor, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="sqlalchemy.engine"):
        tables.echo = True
        try:
            with Session(tables) as session:
                customer = Customer(email=f"{MARK}@example.com", phone=f"{MARK} phone")
                customer.orders.append(Order(note=f"{MARK} note"))
                session.add(customer)
                session.commit()
                customer.email = f"{MARK}-changed@example.com"
                session.commit()
                decrypt(session.scalars(select(Customer)).all())
        finally:
            tables.echo = False

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "INSERT INTO customers" in logged  # the statements were logged
    assert MARK not in logged
    assert MARK not in every_stored_text(tables)


def test_plaintext_sent_around_the_session_is_refused(
    tables: Engine, local_cryptor_in_use: LocalKeyCryptor
) -> None:
    with Session(tables) as session:
        with pytest.raises(StatementError) as inserted:
            session.execute(insert(Customer).values(id=7, email=f"{MARK}@example.com"))
        session.rollback()
        with pytest.raises(StatementError) as filtered:
            session.scalars(select(Customer).where(Customer.email == f"{MARK}@example.com")).all()

    for raised in (inserted, filtered):
        assert isinstance(raised.value.orig, PIIEncryptionError)
        assert MARK not in str(raised.value)  # hide_parameters=True keeps it out
    assert MARK not in every_stored_text(tables)


def test_mapped_pii_str_is_stored_through_the_pii_type() -> None:
    assert isinstance(Customer.__table__.c.email.type, PIIString)
    assert isinstance(Customer.__table__.c.phone.type, PIIString)
    assert not isinstance(Customer.__table__.c.country.type, PIIString)
    assert isinstance(Member.__table__.c.email.type, PIIString)  # type: ignore[attr-defined]


def test_a_pii_column_as_key_or_unique_is_refused_when_mapped() -> None:
    class Local(DeclarativeBase):
        pass

    with pytest.raises(PIIInvalidFieldUsageError, match=r"PII003 PII field ByEmail\.email"):

        class ByEmail(Local):
            __tablename__ = "by_email"
            email: Mapped[PIIStr] = mapped_column(primary_key=True)

    with pytest.raises(PIIInvalidFieldUsageError, match=r"PII004 PII field Unique\.email"):

        class Unique(Local):
            __tablename__ = "unique_email"
            id: Mapped[int] = mapped_column(primary_key=True)
            email: Mapped[PIIStr] = mapped_column(unique=True)

    with pytest.raises(PIIInvalidFieldUsageError, match=r"PII004 PII field Indexed\.email"):

        class Indexed(SQLModel, table=True):
            __tablename__ = "indexed_member"
            id: int | None = Field(default=None, primary_key=True)
            email: PIIStr = Field(unique=True)


def test_sqlmodel_tables_store_ciphertext_and_load_it_masked(
    tables: Engine, kms: CountedKMS
) -> None:
    cryptor = kms.cryptor()
    with Session(tables, info={CRYPTOR_KEY: cryptor}) as session:
        session.add_all(
            [Member(email=f"{MARK}-{n}@example.com", nickname=f"m{n}") for n in range(3)]
        )
        session.add(Member(email="#01#typed by a user#10#"))
        session.commit()
        members = session.scalars(select(Member).order_by(Member.id)).all()  # type: ignore[arg-type]
        assert all(isinstance(member.email, EncryptedStr) for member in members)
        plain = decrypt(members)

    assert [row["email"] for row in plain] == [
        *(f"{MARK}-{n}@example.com" for n in range(3)),
        "#01#typed by a user#10#",
    ]
    assert MARK not in every_stored_text(tables) and "typed by" not in every_stored_text(tables)
    assert kms.calls == {"GenerateDataKey": 1, "Decrypt": 1}


def test_a_damaged_stored_value_raises_when_loaded(
    tables: Engine, local_cryptor_in_use: LocalKeyCryptor
) -> None:
    with Session(tables) as session:
        session.add(Customer(id=5, email="ann@example.com"))
        session.commit()
    with tables.begin() as connection:
        stored = connection.execute(text("SELECT email FROM customers")).scalar_one()
        connection.execute(text("UPDATE customers SET email = :v"), {"v": stored[:40]})

    with Session(tables) as session, pytest.raises(PIIDecryptionError) as raised:
        session.scalars(select(Customer)).all()

    assert "Customer.email of the row with key (5,)" in str(raised.value)
    assert stored[:40] not in str(raised.value)


def test_legacy_plaintext_is_read_only_while_migrating_and_encrypted_when_saved(
    tables: Engine, local_cryptor_in_use: LocalKeyCryptor, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tables.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (id, email, country) VALUES (1, 'legacy@example.com', 'NL')"
            )
        )
    with Session(tables) as session, pytest.raises(PIIDecryptionError):
        session.scalars(select(Customer)).all()

    monkeypatch.setenv("PII_GUARD_ALLOW_PLAINTEXT", "1")
    with Session(tables) as session:
        (customer,) = session.scalars(select(Customer)).all()
        assert type(customer.email) is str
        flag_modified(customer, "email")  # marked for saving, as a migration does
        session.commit()
    monkeypatch.delenv("PII_GUARD_ALLOW_PLAINTEXT")

    assert "legacy@" not in every_stored_text(tables)
    with Session(tables) as session:
        assert decrypt(session.scalars(select(Customer)).all()) == [
            {"email": "legacy@example.com", "phone": None}
        ]


def test_row_binding_stops_a_value_copied_between_rows(
    tables: Engine, local_cryptor_in_use: LocalKeyCryptor
) -> None:
    info = {CONTEXT_KEY: row_context("id")}
    first, second = uuid.uuid4(), uuid.uuid4()
    with Session(tables, info=info) as session:
        session.add_all(
            [Patient(id=first, diagnosis="flu"), Patient(id=second, diagnosis="asthma")]
        )
        session.commit()
    by_id = bindparam("id", type_=Uuid())
    with tables.begin() as connection:  # copied in storage, past the ORM
        stored = connection.execute(
            text("SELECT diagnosis FROM patients WHERE id = :id").bindparams(by_id), {"id": first}
        ).scalar_one()
        connection.execute(
            text("UPDATE patients SET diagnosis = :v WHERE id = :id").bindparams(by_id),
            {"v": stored, "id": second},
        )

    with Session(tables, info=info) as session:
        patients = session.scalars(select(Patient)).all()
        with pytest.raises(PIIDecryptionError) as raised:
            decrypt(patients, context=row_context("id"))
    assert "flu" not in str(raised.value)


@pytest.fixture
def local_cryptor_in_use() -> Iterator[LocalKeyCryptor]:
    cryptor = LocalKeyCryptor(os.urandom(32))
    with use_cryptor(cryptor):
        yield cryptor


# --- found by reading the integration as an attacker ---------------------------------------------


def test_pii_attributes_are_found_by_name_on_mixins_and_in_strings() -> None:
    class Local(DeclarativeBase):
        pass

    class Contactable:
        email: Mapped[PIIStr]

    class Person(Contactable, Local):
        __tablename__ = "people_named"
        id: Mapped[int] = mapped_column(primary_key=True)
        phone: Mapped[PIIStr] = mapped_column("phone_number")
        fax: Mapped["PIIStr | None"]  # noqa: UP037 - a string annotation is what is tested

    columns = Person.__table__.c
    assert all(
        isinstance(c.type, PIIString) for c in (columns.email, columns.phone_number, columns.fax)
    )


def test_statements_that_would_write_a_pii_column_unencrypted_are_refused(
    tables: Engine, local_cryptor_in_use: LocalKeyCryptor
) -> None:
    from sqlalchemy import func, literal, update

    with Session(tables) as session:
        session.add(Customer(id=1, email="ann@example.com"))
        session.commit()
        for statement in (
            insert(Customer).values(id=2, email=func.lower(f"{MARK}@X")),
            insert(Customer).values(id=3, email=literal(f"{MARK}@x")),
            update(Customer).values(email=Customer.country),
            insert(Customer).from_select(
                ["id", "email"], select(Customer.id + 10, Customer.country)
            ),
        ):
            with pytest.raises(PIIEncryptionError):
                session.execute(statement)
            session.rollback()

    assert MARK not in every_stored_text(tables)


def test_a_refused_statement_never_shows_its_parameters(
    local_cryptor_in_use: LocalKeyCryptor,
) -> None:
    engine = create_engine("sqlite://")  # hide_parameters left at its default
    Base.metadata.create_all(engine)
    with Session(engine) as session, pytest.raises(StatementError) as raised:
        session.execute(insert(Customer), [{"id": 1, "email": f"{MARK}@example.com"}])

    assert MARK not in str(raised.value) and raised.value.params is None


def test_defaults_on_a_pii_column_are_refused_when_mapped() -> None:
    class Local(DeclarativeBase):
        pass

    with pytest.raises(PIIInvalidFieldUsageError, match=r"Defaulted\.email has a default"):

        class Defaulted(Local):
            __tablename__ = "defaulted"
            id: Mapped[int] = mapped_column(primary_key=True)
            email: Mapped[PIIStr] = mapped_column(server_default="nobody@example.com")


def test_a_unique_index_added_after_mapping_is_refused_before_the_table_is_made() -> None:
    from sqlalchemy import Index

    class Local(DeclarativeBase):
        pass

    class Late(Local):
        __tablename__ = "late"
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[PIIStr]

    Index("ix_late_email", Late.email, unique=True)
    with pytest.raises(PIIInvalidFieldUsageError, match=r"PII004 PII field late\.email"):
        Local.metadata.create_all(create_engine("sqlite://"))


def test_models_mapped_before_the_integration_is_imported_are_refused(tmp_path: Path) -> None:
    script = tmp_path / "early.py"
    script.write_text(
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
        "from pii_guard import PIIStr\n"
        "class Base(DeclarativeBase):\n    pass\n"
        "class Early(Base):\n"
        "    __tablename__ = 'early'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    email: Mapped[PIIStr]\n"
        "import pii_guard.sqlalchemy\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)

    assert done.returncode == 1
    assert "Early.email were mapped before pii_guard.sqlalchemy was imported" in done.stderr
