"""A SQLAlchemy application in several files, written in each style users write it in:
2.0 declarative models (`Mapped[PIIStr]`, `mapped_column(PIIString(...))`, a lookup column),
queries and services in other modules, a 1.x `Column` model, Flask-SQLAlchemy's `db.Model` with
`M.query`, and SQLModel. Each file's findings are asserted exactly; every file also holds the
near misses (a model without PII, a column without PII, a lookup, presence tests) that must
stay unflagged.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.lint.conftest import check_file, run_tool, write_project

# (line, column, code, Model.field)
Found = tuple[int, int, str, str]

MODELS = """\
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pii_guard import PIIStr
from pii_guard.sqlalchemy import PIIString, lookup_column


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[PIIStr]
    phone: Mapped[str | None] = mapped_column(PIIString(64))
    email_lookup: Mapped[str | None] = lookup_column("email", normalizer="email", unique=True)
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("email", name="uq_customers_email"),)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    customer: Mapped[Customer] = relationship()
"""

QUERIES = """\
from sqlalchemy import desc, or_, select
from sqlalchemy.orm import Session

from app.models import Customer, Product
from pii_guard import lookup_values


def find_by_email(session: Session, address: str) -> Customer | None:
    return session.scalars(select(Customer).where(Customer.email == address)).first()


def find_by_lookup(session: Session, address: str) -> Customer | None:
    values = lookup_values(Customer, "email", address)
    return session.scalars(select(Customer).where(Customer.email_lookup.in_(values))).first()


def search(session: Session, text: str) -> list[Customer]:
    statement = select(Customer).where(
        or_(Customer.name.ilike(text), Customer.phone.startswith(text))
    )
    return list(session.scalars(statement.order_by(desc(Customer.email))).all())


def products_for(session: Session, contact: str) -> list[Product]:
    statement = select(Product).where(Product.email == contact).order_by(Product.email)
    return list(session.scalars(statement).all())


def reachable(session: Session) -> list[Customer]:
    statement = select(Customer).where(Customer.email.isnot(None), Customer.phone != None)
    return list(session.scalars(statement.order_by(Customer.name)).all())
"""

SERVICES = """\
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Customer, Order

logger = logging.getLogger(__name__)


def notify_all(session: Session) -> None:
    for customer in session.scalars(select(Customer)):
        logger.info("notifying customer %s", customer.id)
        logger.debug("sending to %s", customer.email)


def ship(session: Session, order_id: int) -> None:
    order = session.get(Order, order_id)
    logger.info("shipping order %s to %s", order.id, order.customer.phone)
"""

LEGACY = """\
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

from pii_guard.sqlalchemy import PIIString

Base = declarative_base()


class Subscriber(Base):
    __tablename__ = "subscribers"

    id = Column(Integer, primary_key=True)
    email = Column(PIIString(400), unique=True)
    source = Column(String(40), index=True)


def by_email(session, address):
    return session.query(Subscriber).filter(Subscriber.email == address).first()


def by_source(session, source):
    return session.query(Subscriber).filter_by(source=source).order_by(Subscriber.id).all()
"""

FLASK = """\
from flask_sqlalchemy import SQLAlchemy

from pii_guard.sqlalchemy import PIIString

db = SQLAlchemy()


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(PIIString(400), nullable=False)
    handle = db.Column(db.String(80), unique=True)


def member_by_email(address):
    return Member.query.filter_by(email=address).first()


def member_by_handle(handle):
    return Member.query.filter_by(handle=handle).first()


def alphabetical():
    return Member.query.order_by(Member.email.asc()).all()
"""

SQLMODEL = """\
from sqlmodel import Field, Session, SQLModel, select

from pii_guard import PIIStr


class Hero(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    email: PIIStr = Field(unique=True)


def heroes_named(session: Session, name: str) -> list[Hero]:
    return list(session.exec(select(Hero).where(Hero.name == name)))


def hero_by_email(session: Session, email: str) -> None:
    hero = session.exec(select(Hero).where(Hero.email == email)).first()
    print("found", hero.email)
"""

FILES = {
    "app/__init__.py": "",
    "app/models.py": MODELS,
    "app/queries.py": QUERIES,
    "app/services.py": SERVICES,
    "app/legacy.py": LEGACY,
    "app/flask_app.py": FLASK,
    "app/sqlmodel_app.py": SQLMODEL,
}

EXPECTED: dict[str, list[Found]] = {
    "app/models.py": [(21, 40, "PII004", "Customer.email")],
    "app/queries.py": [
        (9, 51, "PII001", "Customer.email"),
        (19, 40, "PII001", "Customer.phone"),
        (21, 57, "PII002", "Customer.email"),
    ],
    "app/services.py": [
        (14, 39, "PII005", "Customer.email"),
        (19, 54, "PII005", "Customer.phone"),
    ],
    "app/legacy.py": [
        (13, 36, "PII004", "Subscriber.email"),
        (18, 45, "PII001", "Subscriber.email"),
    ],
    "app/flask_app.py": [
        (15, 35, "PII001", "Member.email"),
        (23, 34, "PII002", "Member.email"),
    ],
    "app/sqlmodel_app.py": [
        (9, 27, "PII004", "Hero.email"),
        (17, 44, "PII001", "Hero.email"),
        (18, 20, "PII005", "Hero.email"),
    ],
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "shop", FILES)


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_each_style_is_flagged_exactly_where_plaintext_is_expected(
    project: Path, relative: str
) -> None:
    findings = check_file(project / relative)
    for finding in findings:
        assert finding.subject in finding.message, finding
    assert [(f.line, f.column, f.code, f.subject) for f in findings] == EXPECTED[relative]


def test_messages_name_the_declared_lookup_and_the_runtime_words(project: Path) -> None:
    by_place = {(f.line, f.code): f.message for f in check_file(project / "app/queries.py")}
    assert by_place[(9, "PII001")].endswith("filter on its lookup Customer.email_lookup instead")
    models = check_file(project / "app/models.py")
    assert models[0].message.startswith(
        "PII004 PII field Customer.email in unique constraint uq_customers_email:"
    )
    assert models[0].message.endswith("constrain its lookup Customer.email_lookup instead")
    legacy = check_file(project / "app/legacy.py")
    assert "in unique constraint unique=True" in legacy[0].message


def _places(output: str) -> list[str]:
    """`path:line:col: CODE` of each finding a tool printed."""
    return re.findall(r"^(\S+:\d+:\d+: PII\d{3}) ", output, flags=re.MULTILINE)


def test_flake8_and_the_command_line_report_the_same_findings(project: Path) -> None:
    expected = sorted(
        f"{relative}:{line}:{column}: {code}"
        for relative, found in EXPECTED.items()
        for line, column, code, _subject in found
    )
    checked = run_tool("pii-guard", "check", "app", cwd=project)
    assert checked.returncode == 1, checked.stderr
    assert sorted(_places(checked.stdout)) == expected
    flake8 = run_tool("flake8", "--select", "PII", "app", cwd=project)
    assert flake8.returncode == 1, flake8.stderr
    assert sorted(_places(flake8.stdout)) == expected
