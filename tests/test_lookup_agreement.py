"""`check_query` at runtime and `pii-guard check` in CI read every lookup path alike.

One table of paths; the same models are defined once as source, imported for the runtime and
analysed as a project file for the analyzer. Both must flag exactly the paths the table says,
naming the same field.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from pydantic import BaseModel

from flake8_pii.api import check_source
from pii_guard import PIIQueryError, check_query

MODELS = """\
from typing import Optional

from pydantic import BaseModel
from pii_guard import Lookup, PIIModel, PIIStr, lookup_of


class Profile(PIIModel):
    id: int
    nickname: str
    email: PIIStr
    email_lookup: Lookup = lookup_of("email")


class Customer(PIIModel):
    id: int
    email: PIIStr
    phone: Optional[PIIStr] = None
    profile: Optional[Profile] = None


class Order(BaseModel):
    id: int
    status: str
    customer: Customer
"""

# (model, kind, path, the PII field it reaches or None)
CASES = [
    ("Customer", "filter", "email", "Customer.email"),
    ("Customer", "filter", "email__iexact", "Customer.email"),
    ("Customer", "filter", "email__in", "Customer.email"),
    ("Customer", "filter", "email__isnull", None),
    ("Customer", "filter", "phone", "Customer.phone"),
    ("Customer", "filter", "phone__isnull", None),
    ("Customer", "filter", "phone__startswith", "Customer.phone"),
    ("Customer", "filter", "id", None),
    ("Customer", "filter", "id__gt", None),
    ("Customer", "filter", "no_such_field", None),
    ("Customer", "filter", "profile", None),
    ("Customer", "filter", "profile__isnull", None),
    ("Customer", "filter", "profile__nickname", None),
    ("Customer", "filter", "profile__email", "Profile.email"),
    ("Customer", "filter", "profile__email__iexact", "Profile.email"),
    ("Customer", "filter", "profile__email__isnull", None),
    ("Customer", "filter", "profile__email_lookup", None),
    ("Profile", "filter", "email_lookup", None),
    ("Order", "filter", "customer__email", "Customer.email"),
    ("Order", "filter", "customer__profile__email", "Profile.email"),
    ("Order", "filter", "customer__profile__email__icontains", "Profile.email"),
    ("Order", "filter", "customer__id", None),
    ("Order", "filter", "status", None),
    ("Customer", "order", "email", "Customer.email"),
    ("Customer", "order", "-email", "Customer.email"),
    ("Customer", "order", "+phone", "Customer.phone"),
    ("Customer", "order", "-id", None),
    ("Customer", "order", "?", None),
    ("Customer", "order", "-profile__email", "Profile.email"),
    ("Order", "order", "-customer__profile__email", "Profile.email"),
    ("Profile", "order", "email_lookup", None),
]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    folder = tmp_path_factory.mktemp("agreement")
    (folder / "agreement_models.py").write_text(MODELS)
    spec = importlib.util.spec_from_file_location(
        "agreement_models", folder / "agreement_models.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["agreement_models"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def analyzer_subjects(tmp_path_factory: pytest.TempPathFactory) -> dict[int, set[str]]:
    """Line of each case in a module that runs it as a query -> subjects the analyzer names."""
    project = tmp_path_factory.mktemp("agreement-project")
    (project / "pyproject.toml").write_text('[project]\nname = "agreement"\n')
    (project / "agreement_models.py").write_text(MODELS)
    header = "from agreement_models import Customer, Order, Profile\n"
    lines = [
        f"{model}.objects.filter(**{{{path!r}: 1}})"
        if kind == "filter"
        else f"{model}.objects.order_by({path!r})"
        for model, kind, path, _ in CASES
    ]
    text = header + "\n".join(lines) + "\n"
    module = project / "queries.py"
    module.write_text(text)
    result = check_source(text, module, use_cache=False)
    assert result.error is None, result.error
    subjects: dict[int, set[str]] = {}
    for finding in result.findings:
        subjects.setdefault(finding.line - 1, set()).add(finding.subject)
    return subjects


def _runtime_subject(model: type[BaseModel], kind: str, path: str) -> str | None:
    arguments = {"filters": [path]} if kind == "filter" else {"order_by": [path]}
    try:
        check_query(model, strict=True, **arguments)  # type: ignore[arg-type]
    except PIIQueryError as error:
        return str(error).split("PII field ", 1)[1].split(":", 1)[0]
    return None


@pytest.mark.parametrize(
    ("position", "model", "kind", "path", "expected"),
    [pytest.param(i, *case, id=f"{case[0]}-{case[1]}-{case[2]}") for i, case in enumerate(CASES)],
)
def test_runtime_and_analyzer_flag_the_same_field(
    models: ModuleType,
    analyzer_subjects: dict[int, set[str]],
    position: int,
    model: str,
    kind: str,
    path: str,
    expected: str | None,
) -> None:
    runtime = _runtime_subject(getattr(models, model), kind, path)
    analyzer = analyzer_subjects.get(position + 1, set())

    assert runtime == expected
    assert analyzer == ({expected} if expected else set())
