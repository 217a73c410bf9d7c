"""Models defined in other files: imports, re-exports, inheritance and FK paths across modules."""

from __future__ import annotations

from pathlib import Path

from flake8_pii.cli import check_paths
from flake8_pii.engine import Projects, check_source
from flake8_pii.index import ProjectIndex
from tests.lint.conftest import SHOP_EXPECTED, MakeProject, check_file


def _found(root: Path) -> set[tuple[str, int, str, str]]:
    findings, failures = check_paths([str(root)], use_cache=False)
    assert failures == 0
    return {
        (Path(f.path).relative_to(root).as_posix(), f.line, f.code, f.subject) for f in findings
    }


def test_shop_project_findings_are_exactly_the_expected_ones(shop: Path) -> None:
    assert _found(shop) == SHOP_EXPECTED


def test_pii_field_inherited_from_base_model_in_another_module(shop: Path) -> None:
    index = Projects(use_cache=False).index_for(shop / "shop" / "utils.py")
    customer = index.model("shop.models.people.Customer")
    assert customer is not None
    assert customer.fields["email"].pii  # declared on Contact in shop/models/base.py
    assert customer.fields["phone"].pii  # amsdal.models.PIIStr through `import ... as am`
    assert not customer.fields["name"].pii


def test_fk_through_optional_string_annotation_and_star_reexport(shop: Path) -> None:
    index: ProjectIndex = Projects(use_cache=False).index_for(shop / "shop" / "utils.py")
    symbol = index.resolve("shop.models.Order")  # re-exported with `from .orders import *`
    assert symbol.qualname == "shop.models.orders.Order"
    order = index.model(symbol.qualname)
    assert order is not None
    assert order.fields["customer"].target == "shop.models.people.Customer"
    assert index.module_exports_pii("shop.models")


def test_same_field_name_on_model_without_pii_is_not_flagged(shop: Path) -> None:
    findings = check_file(shop / "shop" / "services" / "reports.py")
    assert [(f.line, f.subject) for f in findings] == [(6, "Customer.email")]


def test_file_that_cannot_touch_pii_is_not_analysed_with_libcst(shop: Path) -> None:
    projects = Projects(use_cache=False)
    utils = shop / "shop" / "utils.py"
    reports = shop / "shop" / "services" / "reports.py"
    assert not check_source(str(utils), utils.read_text(), projects=projects).analysed
    assert check_source(str(reports), reports.read_text(), projects=projects).analysed


def test_model_declared_in_the_checked_file_uses_its_unsaved_text(
    project: MakeProject,
) -> None:
    root = project({"app/__init__.py": "", "app/models.py": "class Customer:\n    email: str\n"})
    edited = (
        "from pii_guard import PIIStr\n\n"
        "class Customer:\n    email: PIIStr\n\n"
        "Customer.objects.filter(email='x')\n"
    )
    path = root / "app" / "models.py"
    result = check_source(str(path), edited, projects=Projects(use_cache=False))
    assert [(f.line, f.code) for f in result.findings] == [(6, "PII001")]
