"""Fixture projects for the analyzer tests, written into temporary folders.

`SHOP` spreads its models over several modules so that every cross-file path is exercised:
relative imports, package re-exports (also through `import *`), inheritance of PII fields from a
base model, FK fields through `Optional` and string annotations, aliased imports of the PII types
from each supported origin, and a model with a same-named field that is not PII.
"""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from flake8_pii.engine import Projects, check_source
from flake8_pii.findings import Finding
from flake8_pii.rules import EXAMPLE_MODELS
from tests.support.executables import installed_script

Files = dict[str, str]
MakeProject = Callable[[Files], Path]

SNIPPET_HEADER = (
    "from typing import ClassVar\n"
    "from pii_guard import PIIModel, PIIStr, UniqueConstraint\n"
    "from app.models import Customer, Order, Shipment, Product\n"
)

SHOP: Files = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "shop/__init__.py": "",
    "shop/models/__init__.py": """
        from .people import Customer, Staff
        from .orders import *
    """,
    "shop/models/base.py": """
        from pii_guard import PIIModel as Base
        from pii_guard.types import PIIStr


        class Contact(Base):
            email: PIIStr
    """,
    "shop/models/people.py": """
        from typing import Optional

        import amsdal.models as am
        from pii_guard import PIIModel

        from .base import Contact


        class Customer(Contact):
            name: str
            phone: Optional[am.PIIStr] = None


        class Staff(PIIModel):
            email: str
            badge: int
    """,
    "shop/models/orders.py": """
        from __future__ import annotations

        from typing import Optional

        from pii_guard import PIIModel
        from shop.models.people import Customer

        __all__ = ["Order"]


        class Order(PIIModel):
            customer: Optional["Customer"] = None
            notes: list[str] = []
    """,
    "shop/legacy.py": """
        from typing import Annotated, ClassVar

        from amsdal.models import Model, UniqueConstraint
        from amsdal_models.classes.fields.pii import PIIStr as Secret


        class Patient(Model):
            __primary_key__: ClassVar[list[str]] = ["ssn"]
            __constraints__: ClassVar[list[UniqueConstraint]] = [
                UniqueConstraint(name="uq_patient", fields=["ward", "nhs_number"]),
            ]
            ssn: Secret
            nhs_number: Annotated[Secret | None, "legacy"]
            ward: str
    """,
    "shop/services/__init__.py": "",
    "shop/services/reports.py": """
        from ..models import Order, Staff


        def overdue(email):
            Staff.objects.filter(email=email)
            return Order.objects.filter(customer__email=email).order_by("customer__name")
    """,
    "shop/services/notify.py": """
        import logging

        from shop import models as m

        logger = logging.getLogger(__name__)


        def send(order: m.Order) -> None:
            logger.info("sending to %s", order.customer.phone)
            logger.info("sending order for %s", order.customer.name)
    """,
    "shop/utils.py": """
        def slug(text):
            print("email", text)
            return text.lower()
    """,
}

# (path, line, code, subject) that SHOP must produce, and nothing else.
SHOP_EXPECTED = {
    ("shop/legacy.py", 8, "PII003", "Patient.ssn"),
    ("shop/legacy.py", 10, "PII004", "Patient.nhs_number"),
    ("shop/services/reports.py", 6, "PII001", "Customer.email"),
    ("shop/services/notify.py", 9, "PII005", "Customer.phone"),
}


def write_project(root: Path, files: Files) -> Path:
    """Write `files` (path -> source, dedented) under `root`; adds a pyproject.toml if missing."""
    root.mkdir(parents=True, exist_ok=True)
    if "pyproject.toml" not in files:
        (root / "pyproject.toml").write_text("[project]\nname = 'fixture'\n")
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path) -> MakeProject:
    def make(files: Files) -> Path:
        return write_project(tmp_path / "project", files)

    return make


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_project(tmp_path / "shop_project", SHOP)


def snippet_project(root: Path, snippet: str) -> Path:
    """A project whose `app/models.py` is EXAMPLE_MODELS; returns the snippet's path."""
    write_project(root, {"app/__init__.py": "", "app/models.py": EXAMPLE_MODELS})
    path = root / "app" / "snippet.py"
    path.write_text(SNIPPET_HEADER + snippet + "\n", encoding="utf-8")
    return path


def check_file(path: Path, *, use_cache: bool = False) -> list[Finding]:
    """Findings for one file as it is on disk, through the same engine the adapters use."""
    result = check_source(str(path), path.read_text(encoding="utf-8"),
                          projects=Projects(use_cache=use_cache))
    assert result.failure is None, result.failure
    return result.findings


def run_tool(name: str, *args: str, cwd: Path, stdin: str | None = None
             ) -> subprocess.CompletedProcess[str]:
    """Run an installed console script (`flake8`, `pii-guard`) for real."""
    return subprocess.run(
        [installed_script(name), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        input=stdin,
    )
