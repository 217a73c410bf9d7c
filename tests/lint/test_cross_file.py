"""Models defined in other files: every import form, re-exports, inheritance, FK fields, the
project root, import cycles and the cache, each on a small project written for the test.

Every project holds, next to the model with PII, a model with a field of the same name that is
not PII: what a test expects not to be flagged is as much its point as what it expects flagged.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.lint.conftest import check_file, run_tool, write_project

# (code, line, Model.field)
Found = tuple[str, int, str]

CUSTOMERS = """\
from pii_guard import PIIModel, PIIStr


class Customer(PIIModel):
    id: int
    email: PIIStr


class Lead(PIIModel):
    id: int
    email: str
"""

# Queries on both models of CUSTOMERS, for a module that has the names `Customer` and `Lead`:
# only line 2 of the body may be flagged.
QUERIES = """\
    Customer.objects.filter(id=1)
    Customer.objects.filter(email="a@b.c")
    Lead.objects.filter(email="a@b.c")
"""


def found(path: Path) -> list[Found]:
    """What the analyzer reports for `path`, each message naming the field it is about."""
    findings = check_file(path)
    for finding in findings:
        assert finding.subject in finding.message, finding
    return [(f.code, f.line, f.subject) for f in findings]


def write_files(root: Path, files: dict[str, str]) -> Path:
    """`files` under `root`, with no root marker unless one is among them."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def service(imports: str, body: str = QUERIES) -> str:
    """A module: `imports` on the first lines, then `def run() -> None:` with `body`."""
    return f"{imports}\n\n\ndef run() -> None:\n{body}"


def body_line(imports: str, line_in_body: int) -> int:
    """The line number in `service(imports, ...)` of a line of the body (1-based)."""
    return len(imports.splitlines()) + 3 + line_in_body


def flagged_email(imports: str) -> list[Found]:
    """The one finding QUERIES gives under `imports`: the filter on Customer.email."""
    return [("PII001", body_line(imports, 2), "Customer.email")]


# --- import forms ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "imports"),
    [
        ("app/services.py", "from app.models import Customer, Lead"),
        ("app/services.py", "from .models import Customer, Lead"),
        ("app/api/views.py", "from ..models import Customer, Lead"),
        ("app/api/v1/views.py", "from ...models import Customer, Lead"),
        ("other/jobs.py", "from app.models import Lead\nfrom app.models import Customer"),
    ],
    ids=["absolute", "relative", "parent-relative", "grandparent-relative", "sibling-package"],
)
def test_model_imported_by_name_is_resolved_in_its_module(
    tmp_path: Path, where: str, imports: str
) -> None:
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": CUSTOMERS,
            "app/api/__init__.py": "",
            "app/api/v1/__init__.py": "",
            "other/__init__.py": "",
            where: service(imports),
        },
    )
    assert found(root / where) == flagged_email(imports)


def test_models_of_a_core_package_imported_two_levels_up(tmp_path: Path) -> None:
    imports = "from ..core.models import Customer, Lead"
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/core/__init__.py": "",
            "app/core/models.py": CUSTOMERS,
            "app/api/__init__.py": "",
            "app/api/views.py": service(imports),
        },
    )
    assert found(root / "app/api/views.py") == flagged_email(imports)


@pytest.mark.parametrize(
    ("imports", "prefix"),
    [
        ("from . import models", "models."),
        ("from app import models as m", "m."),
        ("import app.models as m", "m."),
        ("import app.models", "app.models."),
        ("import app.models\nimport app", "app.models."),
    ],
)
def test_model_reached_through_an_imported_module(
    tmp_path: Path, imports: str, prefix: str
) -> None:
    body = textwrap.indent(
        textwrap.dedent(QUERIES)
        .replace("Customer.", f"{prefix}Customer.")
        .replace("Lead.", f"{prefix}Lead."),
        "    ",
    )
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": CUSTOMERS,
            "app/services.py": service(imports, body),
        },
    )
    assert found(root / "app/services.py") == flagged_email(imports)


def test_model_imported_under_another_name_and_through_a_compatibility_module(
    tmp_path: Path,
) -> None:
    imports = "from app.compat import Client as C\nfrom app.models import Lead as Customer"
    body = """\
    C.objects.filter(email="a@b.c")
    Customer.objects.filter(email="a@b.c")
"""
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": CUSTOMERS,
            "app/compat.py": "from app.models import Customer as Client\n",
            "app/services.py": service(imports, body),
        },
    )
    # `Customer` here is the Lead model: its email is not PII
    assert found(root / "app/services.py") == [("PII001", body_line(imports, 1), "Customer.email")]


def test_model_imported_inside_a_function_and_under_type_checking(tmp_path: Path) -> None:
    services = """\
        from __future__ import annotations

        import logging
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from app.models import Customer, Lead

        logger = logging.getLogger(__name__)


        def notify(customer: Customer, lead: Lead) -> None:
            logger.info("notify %s", customer.email)
            logger.info("notify %s", lead.email)


        def find(address: str) -> None:
            from app.models import Customer

            Customer.objects.get(email=address)
        """
    root = write_project(
        tmp_path,
        {"app/__init__.py": "", "app/models.py": CUSTOMERS, "app/services.py": services},
    )
    assert found(root / "app/services.py") == [
        ("PII005", 13, "Customer.email"),
        ("PII001", 20, "Customer.email"),
    ]


def test_model_of_the_same_name_without_pii_in_another_module_is_not_flagged(
    tmp_path: Path,
) -> None:
    marketing = """\
        from pii_guard import PIIModel


        class Customer(PIIModel):
            id: int
            email: str
        """
    imports = "from app.marketing import Customer"
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": CUSTOMERS,
            "app/marketing.py": marketing,
            "app/services.py": service(imports, '    Customer.objects.filter(email="a@b.c")\n'),
            "app/both.py": service(
                "from app import marketing, models",
                '    marketing.Customer.objects.filter(email="a@b.c")\n'
                '    models.Customer.objects.filter(email="a@b.c")\n',
            ),
        },
    )
    assert found(root / "app/services.py") == []
    assert found(root / "app/both.py") == [("PII001", 6, "Customer.email")]


def test_strings_that_spell_a_field_name_outside_a_query_are_not_flagged(tmp_path: Path) -> None:
    services = """\
        from app.models import Customer

        COLUMNS = {"email": "E-mail"}


        def label(customer: Customer, options: dict[str, str]) -> str:
            print(COLUMNS.get("email"), options.get("email"))
            return sorted(["email", "id"])[0] + str(len(customer.email))
        """
    root = write_project(
        tmp_path,
        {"app/__init__.py": "", "app/models.py": CUSTOMERS, "app/services.py": services},
    )
    assert found(root / "app/services.py") == []


# --- re-exports --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "package_init",
    [
        "from .people import Customer, Lead\n",
        "from app.models.people import Customer, Lead\n",
        "from .people import *\n",
        "from .people import *\n\n__all__ = ['Customer', 'Lead']\n",
        "from . import people\nfrom .people import Customer, Lead\n",
    ],
    ids=["explicit", "explicit-absolute", "star", "star-with-all", "module-and-names"],
)
def test_model_reexported_by_a_package_init(tmp_path: Path, package_init: str) -> None:
    imports = "from app.models import Customer, Lead"
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models/__init__.py": package_init,
            "app/models/people.py": CUSTOMERS,
            "app/services.py": service(imports),
        },
    )
    assert found(root / "app/services.py") == flagged_email(imports)


def test_star_reexport_of_a_module_that_declares_all(tmp_path: Path) -> None:
    imports = "from app.models import Customer, Lead"
    people = f"__all__ = ['Customer', 'Lead']\n\n{CUSTOMERS}"
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models/__init__.py": "from .people import *\n",
            "app/models/people.py": people,
            "app/services.py": service(imports),
        },
    )
    assert found(root / "app/services.py") == flagged_email(imports)


@pytest.mark.parametrize(
    ("top_init", "models_init"),
    [
        ("from .models import Customer, Lead\n", "from .people import Customer, Lead\n"),
        ("from .models import *\n", "from .people import *\n"),
        ("from app.models import *\n", "from .people import Customer as Customer, Lead\n"),
    ],
    ids=["explicit", "star", "mixed"],
)
def test_model_reexported_through_a_chain_of_packages(
    tmp_path: Path, top_init: str, models_init: str
) -> None:
    imports = "from app import Customer, Lead"
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": top_init,
            "app/models/__init__.py": models_init,
            "app/models/people.py": CUSTOMERS,
            "services/__init__.py": "",
            "services/mail.py": service(imports),
        },
    )
    assert found(root / "services/mail.py") == flagged_email(imports)


LEGACY = """\
from pii_guard import PIIModel


class Customer(PIIModel):
    id: int
    email: str
"""


@pytest.mark.parametrize(
    ("stars", "flagged"),
    [
        ("from .legacy import *\nfrom .people import *", True),
        ("from .people import *\nfrom .legacy import *", False),
    ],
    ids=["pii-model-last", "plain-model-last"],
)
def test_later_star_import_rebinds_a_name_an_earlier_one_bound(
    tmp_path: Path, stars: str, flagged: bool
) -> None:
    body = '    Customer.objects.filter(email="a")\n'
    imports = "from app.models import Customer"
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models/__init__.py": stars,
            "app/models/legacy.py": LEGACY,
            "app/models/people.py": CUSTOMERS,
            "app/services.py": service(imports, body),
            # the same star imports in the module that queries
            "app/models/queries.py": service(stars, body),
        },
    )
    for where, lines in (("app/services.py", imports), ("app/models/queries.py", stars)):
        expected = [("PII001", body_line(lines, 1), "Customer.email")] if flagged else []
        assert found(root / where) == expected, where


def test_model_reexported_under_another_name(tmp_path: Path) -> None:
    imports = "from app.models import Client, Lead"
    body = """\
    Client.objects.filter(email="a@b.c")
    Lead.objects.filter(email="a@b.c")
"""
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models/__init__.py": "from .people import Customer as Client, Lead\n",
            "app/models/people.py": CUSTOMERS,
            "app/services.py": service(imports, body),
        },
    )
    assert found(root / "app/services.py") == [("PII001", body_line(imports, 1), "Customer.email")]


# --- inheritance -------------------------------------------------------------------------------

CONTACT = """\
from pii_guard import PIIModel, PIIStr


class Contact(PIIModel):
    email: PIIStr
    nickname: str
"""


def test_pii_field_inherited_from_a_base_model_in_another_module(tmp_path: Path) -> None:
    models = """\
        from core.base import Contact


        class Customer(Contact):
            id: int
        """
    imports = "from app.models import Customer"
    body = """\
    Customer.objects.filter(email="a@b.c")
    Customer.objects.filter(nickname="bob", id=1)
    Customer.objects.order_by("-email")
"""
    root = write_project(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/base.py": CONTACT,
            "app/__init__.py": "",
            "app/models.py": models,
            "app/services.py": service(imports, body),
        },
    )
    assert found(root / "app/services.py") == [
        ("PII001", body_line(imports, 1), "Customer.email"),
        ("PII002", body_line(imports, 3), "Customer.email"),
    ]


def test_pii_field_inherited_over_several_modules_and_import_forms(tmp_path: Path) -> None:
    person = """\
        from typing import Generic, TypeVar

        import core

        T = TypeVar("T")


        class Person(core.Contact, Generic[T]):
            age: int
        """
    customer = """\
        from app import people


        class Customer(people.Person[int]):
            id: int
        """
    imports = "from app.customer import Customer\nfrom app.people import Person"
    body = """\
    Customer.objects.filter(email="a@b.c")
    Person.objects.filter(email="a@b.c")
    Customer.objects.filter(age=3, nickname="bob")
"""
    root = write_project(
        tmp_path,
        {
            "core/__init__.py": "from .base import *\n",
            "core/base.py": CONTACT,
            "app/__init__.py": "",
            "app/people.py": person,
            "app/customer.py": customer,
            "app/services.py": service(imports, body),
        },
    )
    assert found(root / "app/services.py") == [
        ("PII001", body_line(imports, 1), "Customer.email"),
        ("PII001", body_line(imports, 2), "Person.email"),
    ]


def test_field_redeclared_without_pii_in_a_subclass_is_not_flagged(tmp_path: Path) -> None:
    models = """\
        from core.base import Contact


        class Imported(Contact):
            email: str
        """
    imports = "from app.models import Imported"
    root = write_project(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/base.py": CONTACT,
            "app/__init__.py": "",
            "app/models.py": models,
            "app/services.py": service(imports, '    Imported.objects.filter(email="a")\n'),
        },
    )
    assert found(root / "app/services.py") == []


# --- FK fields ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("imports", "annotation"),
    [
        ("from typing import Optional\nfrom app.customers import Customer", "Optional[Customer]"),
        ("from typing import Union\nfrom app.customers import Customer", "Union[Customer, None]"),
        ("from app.customers import Customer", "Customer | None"),
        ("from app.customers import Customer", '"Customer"'),
        ("from typing import Optional\nfrom app.customers import Customer", 'Optional["Customer"]'),
        ("from app.customers import Customer", '"Customer | None"'),
        ("import typing\nfrom app import customers", "typing.Optional[customers.Customer]"),
        ("import app.customers", '"app.customers.Customer | None"'),
        (
            "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from app.customers import Customer",
            "Customer | None",
        ),
    ],
)
def test_fk_field_to_a_model_in_another_module(
    tmp_path: Path, imports: str, annotation: str
) -> None:
    orders = f"{imports}\nfrom pii_guard import PIIModel\nfrom app.customers import Lead\n\n\n"
    orders += f"class Order(PIIModel):\n    id: int\n    customer: {annotation}\n    lead: Lead\n"
    body = """\
    Order.objects.filter(customer__id=1, customer__isnull=False)
    Order.objects.filter(customer__email="a@b.c")
    Order.objects.filter(lead__email="a@b.c")
    Order.objects.exclude(customer__email__iexact="a@b.c").order_by("customer__email")
"""
    uses = "from app.orders import Order"
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/customers.py": CUSTOMERS,
            "app/orders.py": orders,
            "app/services.py": service(uses, body),
        },
    )
    assert found(root / "app/services.py") == [
        ("PII001", body_line(uses, 2), "Customer.email"),
        ("PII001", body_line(uses, 4), "Customer.email"),
        ("PII002", body_line(uses, 4), "Customer.email"),
    ]


SHOP = {
    "shop/__init__.py": "",
    "shop/customers.py": CUSTOMERS,
    "shop/orders.py": """\
        from typing import Optional

        from pii_guard import PIIModel

        from .customers import Customer, Lead


        class Order(PIIModel):
            id: int
            customer: Optional[Customer]
            lead: Lead | None
        """,
    "shop/shipping/__init__.py": "",
    "shop/shipping/models.py": """\
        from pii_guard import PIIModel

        from ..orders import Order


        class Shipment(PIIModel):
            id: int
            order: "Order | None"
            orders: list[Order]
        """,
}


def test_fk_path_over_two_models_in_three_files(tmp_path: Path) -> None:
    services = """\
        from django.db.models import Q

        from shop.shipping.models import Shipment


        def run() -> None:
            Shipment.objects.filter(order__customer__email="a@b.c")
            Shipment.objects.filter(order__customer__id=1, order__lead__email="a@b.c")
            Shipment.objects.filter(Q(id=1) | Q(orders__customer__email__startswith="a"))
            Shipment.objects.all().order_by("id", "-order__customer__email")
            Shipment.objects.order_by("order__lead__email")
        """
    root = write_project(tmp_path, {**SHOP, "shop/services.py": services})
    assert found(root / "shop/services.py") == [
        ("PII001", 7, "Customer.email"),
        ("PII001", 9, "Customer.email"),
        ("PII002", 10, "Customer.email"),
    ]


def test_values_reached_through_fk_fields_across_files_are_tracked(tmp_path: Path) -> None:
    services = """\
        import hashlib
        import logging

        from shop.orders import Order
        from shop.shipping.models import Shipment

        logger = logging.getLogger(__name__)


        def notify(order: Order) -> None:
            logger.info("order for %s", order.customer.email)
            logger.info("lead %s", order.lead.email)
            logger.info("has email: %s", order.customer.email is not None)
            logger.info("length %d, %s", len(order.customer.email), bool(order.customer.email))
            logger.info("key %s", hashlib.sha256(order.customer.email.encode()).hexdigest())


        async def ship() -> None:
            pending = Shipment.objects.filter(id__gt=10)
            for shipment in await pending.filter(id__lt=20).aexecute():
                logger.warning("shipping to %s", shipment.order.customer.email)
            first = pending.first()
            print(first.orders[0].customer.email.lower())
            print(Order.objects.get(id=1).customer.id)
        """
    root = write_project(tmp_path, {**SHOP, "shop/notify.py": services})
    assert found(root / "shop/notify.py") == [
        ("PII005", 11, "Customer.email"),
        ("PII005", 21, "Customer.email"),
        ("PII005", 23, "Customer.email"),
    ]


# --- PII types ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "annotation"),
    [
        ("from pii_guard import PIIStr", "PIIStr"),
        ("from pii_guard.types import PIIStr", "PIIStr"),
        ("from amsdal.models import PIIStr as P", "P"),
        ("import pii_guard as pg", "pg.PIIStr"),
        ("import pii_guard", "pii_guard.PIIStr"),
        ("import amsdal.models", "amsdal.models.PIIStr"),
        ("import amsdal_models.classes.fields.pii", "amsdal_models.classes.fields.pii.PIIStr"),
        ("import amsdal_models.classes.fields.pii as fields", "fields.PIIStr"),
        ("from amsdal_models.classes.fields import pii", "pii.PIIStr"),
        ("from amsdal_models.classes.fields.pii import PIIStr as Secret", "Secret"),
        ("from app.types import PIIStr", "PIIStr"),  # re-exported by a project module
        ("from typing import Optional\nfrom pii_guard import PIIStr", "Optional[PIIStr]"),
        ("from pii_guard import PIIStr", "PIIStr | None"),
        ("from pii_guard import PIIStr", '"PIIStr | None"'),
        ("from typing import Annotated\nfrom pii_guard import PIIStr", 'Annotated[PIIStr, "x"]'),
        ("import typing as t\nimport pii_guard", "t.Optional[pii_guard.PIIStr]"),
        ("from pii_guard import PIIStr", "list[PIIStr]"),
    ],
)
def test_pii_type_through_every_supported_module_and_alias(
    tmp_path: Path, header: str, annotation: str
) -> None:
    models = f"{header}\nfrom pii_guard import PIIModel\n\n\nclass Customer(PIIModel):\n"
    models += f"    id: int\n    email: {annotation}\n\n\nclass Lead(PIIModel):\n    email: str\n"
    imports = "from app.models import Customer, Lead"
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/types.py": "from pii_guard import PIIStr\n",
            "app/models.py": models,
            "app/services.py": service(imports),
        },
    )
    assert found(root / "app/services.py") == flagged_email(imports)


def test_name_that_is_not_a_pii_type_is_not_one_by_its_spelling(tmp_path: Path) -> None:
    models = """\
        from pii_guard import PIIModel
        from app.types import PIIStr


        class Customer(PIIModel):
            email: PIIStr
        """
    imports = "from app.models import Customer"
    body = '    Customer.objects.filter(email="a@b.c")\n'
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/types.py": "class PIIStr(str):\n    pass\n",
            "app/models.py": models,
            "app/services.py": service(imports, body),
        },
    )
    assert found(root / "app/services.py") == []


EMAIL_TYPE = """\
from typing import Annotated

Email = Annotated[str, "an e-mail address"]


class Phone(str):
    pass
"""
EXTRA_TYPE_MODELS = """\
from pii_guard import PIIModel
from app import types
from app.types import Phone as Tel


class Customer(PIIModel):
    email: types.Email | None
    phone: Tel
"""
EXTRA_TYPE_USE = """\
from app.models import Customer


def run() -> None:
    Customer.objects.filter(email="a@b.c")
    Customer.objects.order_by("phone")
"""


def test_configured_extra_pii_types_are_pii_under_any_import_form(tmp_path: Path) -> None:
    pyproject = (
        "[project]\nname = 'app'\n\n[tool.pii_guard]\n"
        "extra-pii-types = ['app.types.Email', 'app.types.Phone']\n"
    )
    files = {
        "app/__init__.py": "",
        "app/types.py": EMAIL_TYPE,
        "app/models.py": EXTRA_TYPE_MODELS,
        "app/services.py": EXTRA_TYPE_USE,
    }
    configured = write_project(tmp_path / "configured", {"pyproject.toml": pyproject, **files})
    assert found(configured / "app/services.py") == [
        ("PII001", 5, "Customer.email"),
        ("PII002", 6, "Customer.phone"),
    ]
    plain = write_project(tmp_path / "plain", files)
    assert found(plain / "app/services.py") == []


# --- the project root --------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["pyproject.toml", "setup.cfg", ".git"])
def test_models_in_a_sibling_package_are_found_from_the_root_marker(
    tmp_path: Path, marker: str
) -> None:
    imports = "from shop.models import Customer, Lead"
    root = write_files(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/models.py": CUSTOMERS,
            "billing/__init__.py": "",
            "billing/jobs/__init__.py": "",
            "billing/jobs/invoices.py": service(imports),
        },
    )
    if marker == ".git":
        (root / ".git").mkdir()
    else:
        (root / marker).write_text("")
    assert found(root / "billing/jobs/invoices.py") == flagged_email(imports)


def test_src_layout_modules_are_named_without_src(tmp_path: Path) -> None:
    imports = "from shop.models import Customer, Lead"
    root = write_project(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/models.py": CUSTOMERS,
            "src/shop/services.py": service("from .models import Customer, Lead"),
            "src/shop/api.py": service(imports),
            "tests/test_shop.py": service(imports),
        },
    )
    relative = "from .models import Customer, Lead"
    assert found(root / "src/shop/services.py") == flagged_email(relative)
    assert found(root / "src/shop/api.py") == flagged_email(imports)
    assert found(root / "tests/test_shop.py") == flagged_email(imports)


# --- import cycles -----------------------------------------------------------------------------

CYCLE_CUSTOMERS = """\
from __future__ import annotations

from pii_guard import PIIModel, PIIStr

from app.orders import Order


class Customer(PIIModel):
    id: int
    email: PIIStr
    orders: list[Order]
"""
CYCLE_ORDERS = """\
from __future__ import annotations

from pii_guard import PIIModel

from app import customers


class Order(PIIModel):
    id: int
    customer: customers.Customer | None
"""
CYCLE_QUERIES = """\
from app.customers import Customer
from app.orders import Order


def run() -> None:
    Order.objects.filter(customer__email="a@b.c")
    Customer.objects.filter(orders__customer__email="a@b.c")
    Order.objects.filter(customer__orders__id=1)
    Customer.objects.order_by("orders__customer__email")
"""
CYCLE_EXPECTED = [
    ("PII001", 6, "Customer.email"),
    ("PII001", 7, "Customer.email"),
    ("PII002", 9, "Customer.email"),
]


def test_model_modules_that_import_each_other(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/customers.py": CYCLE_CUSTOMERS,
            "app/orders.py": CYCLE_ORDERS,
            "app/services.py": CYCLE_QUERIES,
        },
    )
    assert found(root / "app/services.py") == CYCLE_EXPECTED


def test_models_that_refer_to_each_other_in_one_module(tmp_path: Path) -> None:
    models = """\
        from pii_guard import PIIModel, PIIStr


        class Customer(PIIModel):
            id: int
            email: PIIStr
            orders: list["Order"]


        class Order(PIIModel):
            id: int
            customer: Customer | None
        """
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/customers.py": models,
            "app/orders.py": "from app.customers import Order\n",
            "app/services.py": CYCLE_QUERIES,
        },
    )
    assert found(root / "app/services.py") == CYCLE_EXPECTED


def test_reexport_and_inheritance_cycles_end(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "from app.one import Customer\nfrom app.one import *\n",
            "app/one.py": "from app import Customer\nfrom app import *\n",
            "app/a.py": "from pii_guard import PIIStr\nfrom app.b import B\n\n\n"
            "class A(B):\n    email: PIIStr\n",
            "app/b.py": "from app.a import A\n\n\nclass B(A):\n    pass\n",
            "app/services.py": service(
                "from app import Customer\nfrom app.a import A",
                '    Customer.objects.filter(email="a")\n    A.objects.filter(email="a")\n',
            ),
        },
    )
    assert found(root / "app/services.py") == [("PII001", 7, "A.email")]


# --- the cache, and the real tools -------------------------------------------------------------


def check_lines(root: Path, *paths: str) -> list[str]:
    """`pii-guard check` as a user runs it in `root`, with its cache: the report's lines."""
    result = run_tool("pii-guard", "check", *paths, cwd=root)
    assert result.stderr == ""
    return result.stdout.splitlines()


def test_model_change_reaches_dependent_files_through_the_cache(tmp_path: Path) -> None:
    """The models change; files that only import models which refer to them see it next run."""
    root = write_project(
        tmp_path,
        {
            **SHOP,
            "shop/__init__.py": "from .customers import *\n",
            "shop/customers.py": CUSTOMERS.replace("email: PIIStr", "email: str"),
            "shop/services.py": """\
                from shop.shipping.models import Shipment


                def run() -> None:
                    Shipment.objects.filter(order__customer__email="a@b.c")
                """,
            "shop/direct.py": 'from shop import Customer\n\nCustomer.objects.order_by("email")\n',
        },
    )
    customers = root / "shop/customers.py"
    expected = [
        "shop/direct.py:3:27: PII002 ordering by PII field Customer.email: ciphertext order "
        "is random; order by a non-PII field instead",
        "shop/services.py:5:29: PII001 filter on PII field Customer.email: random-IV "
        "ciphertext never matches; filter on a lookup key such as a keyed hash instead",
    ]
    assert check_lines(root, "shop") == []
    assert (root / ".pii_guard_cache").is_dir()
    customers.write_text(CUSTOMERS)
    assert check_lines(root, "shop") == expected
    assert check_lines(root, "shop") == expected
    customers.write_text(CUSTOMERS.replace("email: PIIStr", "email: str"))
    assert check_lines(root, "shop") == []
    customers.write_text(CUSTOMERS)
    assert check_lines(root, "shop") == expected


def test_inherited_field_change_reaches_dependent_files_through_the_cache(tmp_path: Path) -> None:
    models = """\
        from core.base import Contact


        class Customer(Contact):
            id: int
        """
    root = write_project(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/base.py": CONTACT,
            "app/__init__.py": "",
            "app/models.py": models,
            "app/services.py": service(
                "from app.models import Customer", '    Customer.objects.get(nickname="b")\n'
            ),
        },
    )
    base = root / "core/base.py"
    assert check_lines(root, "app") == []
    base.write_text(CONTACT.replace("nickname: str", "nickname: PIIStr"))
    assert check_lines(root, "app") == [
        "app/services.py:5:26: PII001 filter on PII field Customer.nickname: random-IV "
        "ciphertext never matches; filter on a lookup key such as a keyed hash instead"
    ]
    base.write_text(CONTACT)
    assert check_lines(root, "app") == []


def _lines(output: str) -> list[str]:
    return sorted(line.removeprefix("./") for line in output.splitlines())


def test_flake8_with_two_jobs_reports_what_check_reports(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            **SHOP,
            "shop/__init__.py": "from .orders import *\n",
            "shop/services.py": """\
                from shop import Order
                from shop.shipping.models import Shipment


                def run() -> None:
                    Shipment.objects.filter(order__customer__email="a@b.c")
                    Order.objects.order_by("-customer__email", "lead__email")
                """,
            "shop/api/__init__.py": "",
            "shop/api/views.py": """\
                import logging

                from .. import customers as c

                log = logging.getLogger(__name__)


                def show(customer: c.Customer, lead: c.Lead) -> None:
                    log.info("showing %s and %s", customer.email, lead.email)
                """,
            "shop/api/clean.py": service("from ..customers import Customer, Lead", ""),
        },
    )
    check = run_tool("pii-guard", "check", "shop", cwd=root)
    assert check.returncode == 1, check.stderr
    assert [line.split(": ")[0] for line in _lines(check.stdout)] == [
        "shop/api/views.py:9:35",
        "shop/services.py:6:29",
        "shop/services.py:7:28",
    ]
    flake8 = run_tool("flake8", "--select", "PII", "-j", "2", "shop", cwd=root)
    assert flake8.returncode == 1, flake8.stderr
    assert _lines(flake8.stdout) == _lines(check.stdout)
    # and again, now that both have filled the cache
    assert _lines(run_tool("flake8", "--select", "PII", "-j", "2", "shop", cwd=root).stdout) == (
        _lines(check.stdout)
    )


def test_flake8_option_adds_a_pii_type_in_a_setup_cfg_project(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "setup.cfg": "[flake8]\npii-extra-types = app.types.Email, app.types.Phone\n",
            "app/__init__.py": "",
            "app/types.py": EMAIL_TYPE,
            "app/models.py": EXTRA_TYPE_MODELS,
            "app/services.py": EXTRA_TYPE_USE,
        },
    )
    flake8 = run_tool("flake8", "--select", "PII", "-j", "2", "app", cwd=root)
    assert [line.split(" ", 2)[:2] for line in _lines(flake8.stdout)] == [
        ["app/services.py:5:29:", "PII001"],
        ["app/services.py:6:31:", "PII002"],
    ]
