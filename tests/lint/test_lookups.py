"""Declared lookups (blind indexes): a lookup field is never flagged, and PII001 and PII004 on a
PII field name its declared lookup, in the runtime's words; in one file and across files, under
every import form of `lookup_of`, through the real `pii-guard check` and `flake8`.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pii_guard import PIIInvalidFieldUsageError
from pii_guard import check_query as runtime_check_query
from tests.lint.conftest import check_file, run_tool, write_project

FILTER_WITH_LOOKUP = (
    "PII001 filter on PII field Customer.email: random-IV ciphertext never matches; "
    "filter on its lookup Customer.email_lookup instead"
)
EMAIL_FILTER_WITHOUT_LOOKUP = (
    "PII001 filter on PII field Customer.email: random-IV ciphertext never matches; "
    "filter on a lookup key such as a keyed hash instead"
)
FILTER_WITHOUT_LOOKUP = (
    "PII001 filter on PII field Customer.phone: random-IV ciphertext never matches; "
    "filter on a lookup key such as a keyed hash instead"
)
CONSTRAINT_WITH_LOOKUP = (
    "PII004 PII field Customer.email in unique constraint uq_email: ciphertext is never "
    "equal, so uniqueness is not enforced; constrain its lookup Customer.email_lookup instead"
)

MODELS = """\
    from typing import ClassVar

    from pii_guard import Lookup, PIIModel, PIIStr, UniqueConstraint, lookup_of


    class Customer(PIIModel):
        __constraints__: ClassVar[list[UniqueConstraint]] = [
            UniqueConstraint(name="uq_email_lookup", fields=["email_lookup"]),
            UniqueConstraint(name="uq_email", fields=["email"]),
        ]

        id: int
        email: PIIStr
        email_lookup: Lookup = lookup_of("email", normalizer="email")
        phone: PIIStr | None = None


    class Order(PIIModel):
        id: int
        customer: Customer
    """

VIEWS = """\
    from app.models import Customer, Order


    def run(address: str, digest: str) -> None:
        Customer.objects.filter(email_lookup=digest)
        Customer.objects.filter(email_lookup__in=[digest])
        Customer.objects.order_by("email_lookup")
        Order.objects.filter(customer__email_lookup=digest)
        Customer.objects.filter(email=address)
        Customer.objects.filter(phone=address)
        Order.objects.filter(customer__email=address)
    """


def _project(tmp_path: Path, models: str = MODELS) -> Path:
    return write_project(
        tmp_path,
        {"app/__init__.py": "", "app/models.py": models, "app/views.py": VIEWS},
    )


def _filters_on_email(tmp_path: Path, models: str) -> Path:
    """A project of `models`, `app/fields.py` (re-exporting `lookup_of`) and `app/views.py`,
    whose line 3 filters on the lookup `Customer.email_lookup` and line 4 on `Customer.email`."""
    views = (
        "from app.models import Customer\n\n"
        "Customer.objects.filter(email_lookup='x')\n"
        "Customer.objects.filter(email='x')\n"
    )
    fields = 'from pii_guard import Lookup, lookup_of\n\n__all__ = ["Lookup", "lookup_of"]\n'
    return write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/fields.py": fields,
            "app/models.py": models,
            "app/views.py": views,
        },
    )


def _messages(path: Path) -> list[tuple[int, str]]:
    return [(f.line, f.message) for f in check_file(path)]


def test_filters_ordering_and_constraints_on_a_lookup_field_are_not_flagged(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path)

    assert [line for line, _ in _messages(root / "app/views.py")] == [9, 10, 11]
    # uq_email_lookup passes; uq_email is the one mistake of the models
    assert _messages(root / "app/models.py") == [(9, CONSTRAINT_WITH_LOOKUP)]


def test_filters_on_a_pii_field_in_another_file_name_its_lookup(tmp_path: Path) -> None:
    root = _project(tmp_path)

    assert _messages(root / "app/views.py") == [
        (9, FILTER_WITH_LOOKUP),
        (10, FILTER_WITHOUT_LOOKUP),  # no lookup declared for the phone
        (11, FILTER_WITH_LOOKUP),  # through the FK field Order.customer
    ]


def test_model_and_query_in_one_file(tmp_path: Path) -> None:
    same_file = MODELS + "\n\n" + VIEWS.replace("    from app.models import Customer, Order\n", "")
    root = write_project(tmp_path, {"app/__init__.py": "", "app/models.py": same_file})

    assert _messages(root / "app/models.py") == [
        (9, CONSTRAINT_WITH_LOOKUP),
        (30, FILTER_WITH_LOOKUP),
        (31, FILTER_WITHOUT_LOOKUP),
        (32, FILTER_WITH_LOOKUP),
    ]


@pytest.mark.parametrize(
    ("imports", "declaration"),
    [
        ("from pii_guard import Lookup, lookup_of", 'lookup_of("email")'),
        ("import pii_guard as pg\nfrom pii_guard import Lookup", 'pg.lookup_of("email")'),
        ("import pii_guard\nfrom pii_guard import Lookup", 'pii_guard.lookup_of(field="email")'),
        ("from pii_guard.lookups import Lookup, lookup_of", 'lookup_of("email", bits=32)'),
        ("from pii_guard import Lookup, lookup_of as index_of", 'index_of("email")'),
        ("from app.fields import Lookup, lookup_of", 'lookup_of("email")'),  # a re-export
        ("from app.fields import *", 'lookup_of("email")'),  # a star re-export
    ],
    ids=["by-name", "module-alias", "module", "submodule", "renamed", "reexport", "star"],
)
def test_lookup_of_is_recognised_under_every_import_form(
    tmp_path: Path, imports: str, declaration: str
) -> None:
    models = (
        f"{imports}\nfrom pii_guard import PIIModel, PIIStr\n\n\n"
        f"class Customer(PIIModel):\n    id: int\n    email: PIIStr\n"
        f"    email_lookup: Lookup = {declaration}\n"
    )
    root = _filters_on_email(tmp_path, models)

    assert _messages(root / "app/views.py") == [(4, FILTER_WITH_LOOKUP)]


def test_a_call_that_is_not_pii_guards_lookup_of_declares_no_lookup(tmp_path: Path) -> None:
    models = """\
        from pii_guard import PIIModel, PIIStr


        def lookup_of(field: str) -> str:
            return ""


        class Customer(PIIModel):
            id: int
            email: PIIStr
            email_lookup: str = lookup_of("email")
        """
    root = _filters_on_email(tmp_path, models)

    assert _messages(root / "app/views.py") == [(4, EMAIL_FILTER_WITHOUT_LOOKUP)]


def test_a_field_annotated_lookup_is_never_flagged_but_indexes_nothing_named(
    tmp_path: Path,
) -> None:
    models = """\
        from pii_guard import Lookup, PIIModel, PIIStr


        class Customer(PIIModel):
            id: int
            email: PIIStr
            email_lookup: Lookup = None
        """
    root = _filters_on_email(tmp_path, models)

    assert _messages(root / "app/views.py") == [(4, EMAIL_FILTER_WITHOUT_LOOKUP)]


def test_a_lookup_declared_on_a_base_model_in_another_module(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/base.py": """\
                from pii_guard import Lookup, PIIModel, PIIStr, lookup_of


                class Contact(PIIModel):
                    email: PIIStr
                    email_lookup: Lookup = lookup_of("email", normalizer="email")
                """,
            "app/__init__.py": "",
            "app/models.py": """\
                from typing import ClassVar

                from pii_guard import UniqueConstraint

                from core.base import Contact


                class Customer(Contact):
                    __constraints__: ClassVar[list[UniqueConstraint]] = [
                        UniqueConstraint(name="uq_email", fields=["email"]),
                    ]
                    id: int
                """,
        },
    )

    assert _messages(root / "app/models.py") == [(10, CONSTRAINT_WITH_LOOKUP)]


# --- the real tools ------------------------------------------------------------------------------


def _lines(output: str) -> list[str]:
    return sorted(line.removeprefix("./") for line in output.splitlines())


def test_check_and_flake8_print_the_lookup_and_the_cache_follows_the_model(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path)
    expected = sorted(
        [
            f"app/models.py:9:51: {CONSTRAINT_WITH_LOOKUP}",
            f"app/views.py:9:29: {FILTER_WITH_LOOKUP}",
            f"app/views.py:10:29: {FILTER_WITHOUT_LOOKUP}",
            f"app/views.py:11:26: {FILTER_WITH_LOOKUP}",
        ]
    )

    check = run_tool("pii-guard", "check", "app", cwd=root)
    assert check.returncode == 1, check.stderr
    assert _lines(check.stdout) == expected
    flake8 = run_tool("flake8", "--select", "PII", "-j", "2", "app", cwd=root)
    assert (flake8.returncode, _lines(flake8.stdout)) == (1, expected), flake8.stderr

    # the lookup is dropped from the model: the cached findings of views.py must not stay
    models = root / "app/models.py"
    models.write_text(
        models.read_text().replace(
            'email_lookup: Lookup = lookup_of("email", normalizer="email")', "email_lookup: str"
        )
    )
    again = run_tool("pii-guard", "check", "app/views.py", cwd=root)
    assert "its lookup" not in again.stdout
    assert again.stdout.count("a lookup key such as a keyed hash") == 3


def test_cached_findings_are_not_served_when_the_message_texts_change(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert FILTER_WITH_LOOKUP in run_tool("pii-guard", "check", "app", cwd=root).stdout
    changed = (
        "import dataclasses, sys\n"
        "from flake8_pii import findings\n"
        "rule = findings.RULES['PII001']\n"
        "findings.RULES['PII001'] = dataclasses.replace(\n"
        "    rule, lookup_template=rule.lookup_template.replace('its lookup', 'THE LOOKUP'))\n"
        "from flake8_pii.cli import main\n"
        "sys.exit(main(['check', 'app']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", changed], cwd=root, capture_output=True, text=True, timeout=300
    )

    assert result.returncode == 1, result.stderr
    assert "filter on THE LOOKUP Customer.email_lookup instead" in result.stdout
    assert "its lookup" not in result.stdout.replace("constrain its lookup", "")


# --- the runtime agrees --------------------------------------------------------------------------


UQ_EMAIL = '        UniqueConstraint(name="uq_email", fields=["email"]),\n'


def _runtime_models(source: str) -> dict[str, Any]:
    """The models of `source` defined by the runtime, as the application would import them."""
    namespace: dict[str, Any] = {}
    exec(compile(textwrap.dedent(source), "app/models.py", "exec", dont_inherit=True), namespace)
    return namespace


def test_check_query_at_runtime_says_what_the_analyzer_says(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = _project(tmp_path)
    analyzer = [message for _, message in _messages(root / "app/views.py")]
    models = _runtime_models(MODELS.replace(UQ_EMAIL, ""))

    with caplog.at_level(logging.WARNING, logger="pii_guard"):
        found = runtime_check_query(
            models["Customer"],
            filters={"email_lookup": "x", "email": "x", "phone": "x"},
            order_by=["email_lookup"],
        )

    assert found == ["email", "phone"]
    assert caplog.messages == analyzer[:2]


def test_check_model_at_runtime_says_what_the_analyzer_says(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert UQ_EMAIL in textwrap.dedent(MODELS)

    with pytest.raises(PIIInvalidFieldUsageError) as raised:
        _runtime_models(MODELS)

    assert [str(raised.value)] == [m for _, m in _messages(root / "app/models.py")]


def test_lookup_column_declares_a_lookup_in_a_sqlalchemy_model(tmp_path: Path) -> None:
    models = """\
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

        from pii_guard import PIIStr
        from pii_guard.sqlalchemy import lookup_column


        class Base(DeclarativeBase):
            pass


        class Customer(Base):
            __tablename__ = "customers"
            id: Mapped[int] = mapped_column(primary_key=True)
            email: Mapped[PIIStr]
            email_lookup: Mapped[str | None] = lookup_column("email", normalizer="email")
        """
    root = _filters_on_email(tmp_path, models)

    assert _messages(root / "app/views.py") == [(4, FILTER_WITH_LOOKUP)]


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("PII001", "filter on its lookup Customer.email_lookup instead"),
        ("PII004", "constrain its lookup\nCustomer.email_lookup instead"),
    ],
)
def test_rule_pages_quote_the_message_naming_the_lookup(code: str, shown: str) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "rules" / f"{code}.md").read_text()
    assert f"`{shown}`" in page
    expected = {"PII001": FILTER_WITH_LOOKUP, "PII004": CONSTRAINT_WITH_LOOKUP}[code]
    assert expected.endswith(shown.replace("\n", " "))
