"""The analyzer never crashes on valid Python, however unusual."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from flake8_pii.cli import read_source
from flake8_pii.config import BUILTIN_PII_TYPES, Config
from flake8_pii.engine import Projects, check_source
from tests.lint.conftest import MakeProject, check_file

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# A spread of standard-library modules with unusual constructs: huge literals, deep nesting,
# match statements, async code, odd encodings and annotations everywhere.
STDLIB_SAMPLE = [
    "pydoc_data/topics.py", "typing.py", "dataclasses.py", "asyncio/tasks.py", "enum.py",
    "logging/__init__.py", "argparse.py", "email/_header_value_parser.py", "re/_parser.py",
    "unittest/mock.py", "inspect.py", "tomllib/_parser.py", "ast.py", "functools.py",
]


@pytest.mark.parametrize("relative", STDLIB_SAMPLE)
def test_full_analysis_of_stdlib_module_does_not_fail(relative: str) -> None:
    path = STDLIB / relative
    if not path.is_file():
        pytest.skip(f"{relative} is not part of this interpreter's standard library")
    # `str` and `int` count as PII here so that the rules have something to chase.
    config = Config(pii_types=BUILTIN_PII_TYPES | {"str", "int"})
    result = check_source(str(path), read_source(str(path)),
                          projects=Projects(use_cache=False, config=config), force=True)
    assert result.failure is None
    assert result.analysed


def test_deeply_nested_expression_is_analysed(project: MakeProject) -> None:
    parts = "\n".join(f"    'part {n} '" for n in range(3000))
    root = project({
        "app/models.py": "from pii_guard import PIIStr\n\nclass Customer:\n    email: PIIStr\n",
        "app/deep.py": (
            "from app.models import Customer\n\n"
            f"def f(c: Customer):\n    print(\n{parts}\n    + c.email\n    )\n"
        ),
    })
    findings = check_file(root / "app" / "deep.py")
    assert [(f.code, f.subject) for f in findings] == [("PII005", "Customer.email")]


@pytest.mark.parametrize("relative", ["dataclasses.py", "argparse.py", "enum.py"])
def test_positions_computed_per_statement_match_the_whole_module(relative: str) -> None:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from flake8_pii.analysis import _Locator

    path = STDLIB / relative
    if not path.is_file():
        pytest.skip(f"{relative} is not part of this interpreter's standard library")
    text = read_source(str(path))
    module = cst.parse_module(text)
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    locate = _Locator(module, text, None)
    checked = 0
    for top in module.body:
        stack: list[cst.CSTNode] = [top]
        while stack:
            node = stack.pop()
            stack.extend(node.children)
            expected = whole[node]
            if not isinstance(node, cst.BaseExpression | cst.BaseStatement):
                continue
            assert locate(node, top) == (
                expected.start.line, expected.start.column + 1, expected.end.line
            ), node
            checked += 1
    assert checked > 1000


def test_long_chains_of_reassignments_and_calls_are_analysed_quickly(
    project: MakeProject,
) -> None:
    # Each of these took exponential time before values were worked out once per name and node.
    reassigned = "\n".join("    x = x + email if x else email" for _ in range(40))
    chained = "email" + ".strip()" * 200
    root = project({
        "app/uses.py": (
            "from pii_guard import PIIStr\n\n"
            f"def f(email: PIIStr):\n    x = email\n{reassigned}\n    print(x)\n"
            f"    print({chained})\n"
        ),
    })
    findings = check_file(root / "app" / "uses.py")
    assert [f.code for f in findings] == ["PII005", "PII005"]
