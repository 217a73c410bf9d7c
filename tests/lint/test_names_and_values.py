"""What a name stands for where it is used: the analyzer reports only what it can be sure of.

Functions, filters and orderings are followed through names; a name that is rebound, hidden,
changed in place or ambiguous makes its value unknown, and unknown is never reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.conftest import check_file, write_project

MODELS = """\
from pii_guard import PIIModel, PIIStr
from pydantic import BaseModel


class Customer(PIIModel):
    id: int
    email: PIIStr
    created: str


class Plain(BaseModel):
    id: int
    email: str
    created: str
"""
CUSTOMERS = """\
from django.db.models import QuerySet

from app.models import Customer


def recent() -> "QuerySet[Customer]":
    return Customer.objects.all()
"""


def _found(tmp_path: Path, views: str) -> list[tuple[int, str, str]]:
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": MODELS,
            "app/customers.py": CUSTOMERS,
            "app/views.py": views,
        },
    )
    return [(f.line, f.code, f.subject) for f in check_file(root / "app" / "views.py")]


HIDDEN_FUNCTIONS = """\
from django.db.models import QuerySet

from app.customers import recent
from app.models import Plain


def plain_recent() -> "QuerySet[Plain]":
    return Plain.objects.all()


def by_parameter(recent, e):
    return recent().filter(email=e)


def by_local(e):
    recent = plain_recent
    return recent().filter(email=e)


def by_nested_def(e):
    def recent() -> "QuerySet[Plain]":
        return Plain.objects.all()

    return recent().filter(email=e)


def by_lambda(e):
    return (lambda recent: recent().filter(email=e))(plain_recent)


def the_imported_one(e):
    return recent().filter(email=e)
"""

REBOUND_CONSTANTS = """\
from django.db.models import Q

from app.models import Customer

filters = {"email": "support@example.com"}
key = "-email"
q = Q(email="x")


def search(filters):
    return Customer.objects.filter(**filters)


def ordered(key):
    return Customer.objects.order_by(key)


def combined(q):
    return Customer.objects.filter(q)


def with_as(ctx):
    with ctx as filters:
        return Customer.objects.filter(**filters)


def excepting():
    try:
        pass
    except Exception as key:
        return Customer.objects.order_by(key)


def in_comprehension(items):
    return [Customer.objects.filter(**filters) for filters in items]


def the_module_constant():
    return Customer.objects.filter(**filters)
"""

CHANGED_AND_READ_WHERE_ASSIGNED = """\
from django.db.models import Q

from app.models import Customer


def popped(email):
    filters = {"email": email}
    filters["email_lookup"] = str(filters.pop("email"))
    return Customer.objects.filter(**filters)


def deleted(email):
    filters = {"email": email, "id": 1}
    del filters["email"]
    return Customer.objects.filter(**filters)


def name_read_where_assigned(email):
    base = {"id": 1}
    filters = base
    base = {"email": email}
    return Customer.objects.filter(**filters)


def ordering_read_where_assigned():
    key = "-created"
    order = key
    key = "-email"
    return Customer.objects.order_by(order)


def q_read_where_assigned(email):
    part = Q(id=1)
    query = part | Q(created="x")
    part = Q(email=email)
    return Customer.objects.filter(query)


def widened(email):
    q = Q(email=email)
    q = q | Q(id=1)
    return Customer.objects.filter(q)


def augmented(email):
    q = Q(id=1)
    q |= Q(email=email)
    return Customer.objects.filter(q)


def merged(email):
    base = {"email": email}
    return Customer.objects.filter(**{**base, "id": 1})
"""

AMBIGUOUS_TYPES = """\
from typing import Union

from django.db.models import QuerySet

from app.models import Customer, Plain


def rows(kind: str) -> "Union[QuerySet[Customer], QuerySet[Plain]]": ...


def one(kind: str) -> "Customer | Plain": ...


def pair() -> "tuple[Customer, Plain]": ...


def many() -> "tuple[Customer, ...]": ...


def use(e, log):
    rows("plain").filter(email=e)
    log.info("%s", one("x").email)
    log.info("%s", pair()[1].email)
    for c in many():
        print(c.email)


def use_parameters(q: "QuerySet[Customer] | QuerySet[Plain]", e):
    q.filter(email=e)
"""

OVERRIDES_AND_LOCAL_CLASSES = """\
import builtins

from django.db.models import QuerySet

from app.models import Customer, Plain


def make_customer_repo():
    class Repo:
        def rows(self) -> "QuerySet[Customer]": ...

    return Repo()


def make_plain_repo(e):
    class Repo:
        def rows(self) -> "QuerySet[Plain]": ...

    return Repo().rows().filter(email=e)


class Base:
    def rows(self) -> "QuerySet[Customer]": ...

    def find(self, e):
        return self.rows().filter(email=e)


class PlainRepo(Base):
    def rows(self) -> "QuerySet[Plain]": ...


class CustomerRepo(Base):
    pass


class Helpers:
    @builtins.staticmethod
    def search(e):
        return e


def built_here(e):
    return CustomerRepo().rows().filter(email=e)
"""


KEYS_AND_HELPERS = """\
import logging

from pydantic import BaseModel, PrivateAttr

from app.models import Customer
from pii_guard import PIIModel, PIIStr

logger = logging.getLogger(__name__)


class Masker:
    def format(self, value: str) -> str:
        return value[:1] + "***"


class Session(BaseModel):
    id: int
    _email: PIIStr = PrivateAttr()


class Account(PIIModel):
    id: int
    email: PIIStr

    @classmethod
    def get(cls, session: object, *, email: str) -> object: ...


NAMES = {Customer: "customers"}


def report(c: Customer, s: Session, session: object, masker: Masker) -> None:
    changes = {"id": c.id, "email": c.email}
    logger.info("updated fields: %s", ", ".join(changes))
    logger.info("updated fields: %s", sorted(changes))
    logger.info("dump keys: %s", list(c.model_dump()))
    logger.info("masked %s", masker.format(c.email))
    logger.info("has email: %s", c.email and "yes")
    logger.info("opened %s", s)
    logger.info("table %s", NAMES.get(Customer, "unknown"))
    Account.get(session, email="a@example.com")
    Customer.objects.filter(email=None)
    logger.info("values: %s", list([c.id, c.email]))
    logger.info("email: %s", c.email or "none")
    logger.info("{}".format(c.email))
    Account.objects.get(email="a@example.com")
"""


@pytest.mark.parametrize(
    ("views", "expected"),
    [
        pytest.param(HIDDEN_FUNCTIONS, [(32, "PII001", "Customer.email")], id="hidden-functions"),
        pytest.param(REBOUND_CONSTANTS, [(39, "PII001", "Customer.email")], id="rebound-constants"),
        pytest.param(
            CHANGED_AND_READ_WHERE_ASSIGNED,
            [
                (42, "PII001", "Customer.email"),
                (48, "PII001", "Customer.email"),
                (53, "PII001", "Customer.email"),
            ],
            id="changed-and-read-where-assigned",
        ),
        pytest.param(AMBIGUOUS_TYPES, [(25, "PII005", "Customer.email")], id="ambiguous-types"),
        pytest.param(
            OVERRIDES_AND_LOCAL_CLASSES,
            [(44, "PII001", "Customer.email")],
            id="overrides-and-local-classes",
        ),
        pytest.param(
            KEYS_AND_HELPERS,
            [
                (43, "PII005", "Customer.email"),
                (44, "PII005", "Customer.email"),
                (45, "PII005", "Customer.email"),
                (46, "PII001", "Account.email"),
            ],
            id="keys-helpers-presence-own-methods",
        ),
    ],
)
def test_only_what_a_name_certainly_holds_is_reported(
    tmp_path: Path, views: str, expected: list[tuple[int, str, str]]
) -> None:
    assert _found(tmp_path, views) == expected
