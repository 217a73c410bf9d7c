"""`[tool.pii_guard]` settings change what the analyzer recognises."""

from __future__ import annotations

import pytest

from flake8_pii.config import ConfigError, config_from_mapping
from tests.lint.conftest import MakeProject, check_file

PROJECT = """
[tool.pii_guard]
pii-types = ["myapp.types.Secret"]
log-sinks = ["myapp.audit.record"]
logger-names = ["journal"]
query-methods = ["where"]
ordering-methods = ["sort_by"]
exclude = ["myapp/legacy/*"]
"""

FILES = {
    "pyproject.toml": PROJECT,
    "myapp/__init__.py": "",
    "myapp/types.py": "from typing import Annotated\nSecret = Annotated[str, 'secret']\n",
    "myapp/audit.py": "def record(*args):\n    pass\n",
    "myapp/models.py": (
        "from myapp.types import Secret\n\n"
        "class Person:\n    id: int\n    tax_id: Secret\n"
    ),
    "myapp/use.py": (
        "from myapp.audit import record\n"
        "from myapp.models import Person\n\n"
        "def f(p: Person, journal):\n"
        "    record(p.tax_id)\n"
        "    journal.info(p.tax_id)\n"
        "    Person.objects.where(tax_id=1).sort_by('tax_id')\n"
    ),
    "myapp/legacy/old.py": (
        "from myapp.models import Person\nPerson.objects.filter(tax_id=1)\n"
    ),
}


def test_configured_types_sinks_loggers_and_methods_are_recognised(project: MakeProject) -> None:
    root = project(FILES)
    found = [(f.line, f.code) for f in check_file(root / "myapp" / "use.py")]
    assert found == [(5, "PII005"), (6, "PII005"), (7, "PII001"), (7, "PII002")]


def test_excluded_paths_are_not_reported(project: MakeProject) -> None:
    root = project(FILES)
    assert check_file(root / "myapp" / "legacy" / "old.py") == []


def test_without_configuration_custom_type_is_not_pii(project: MakeProject) -> None:
    root = project({**FILES, "pyproject.toml": "[project]\nname = 'x'\n"})
    assert check_file(root / "myapp" / "use.py") == []


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"log_sinks": []}, "unknown key 'log_sinks'"),
        ({"pii-types": "a.B"}, "pii-types must be a list of non-empty strings"),
        ({"logger-names": [1]}, "logger-names must be a list of non-empty strings"),
        ("nope", "expected a table"),
    ],
)
def test_bad_configuration_names_the_problem(section: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_mapping(section)
