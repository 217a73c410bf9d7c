"""The example application: exactly its marked mistakes are reported, by both adapters."""

from __future__ import annotations

import re
from pathlib import Path

from tests.lint.conftest import run_tool

REPOSITORY = Path(__file__).resolve().parents[2]
MARK = re.compile(r"# mistake: (PII\d{3})")


def _marked() -> set[tuple[str, int, str]]:
    marked = set()
    for path in sorted((REPOSITORY / "examples").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for code in MARK.findall(line):
                marked.add((path.relative_to(REPOSITORY).as_posix(), number, code))
    return marked


def _reported(output: str) -> set[tuple[str, int, str]]:
    found = set()
    for line in output.splitlines():
        path, row, _column, message = line.split(":", 3)
        found.add((path.removeprefix("./"), int(row), message.split()[0]))
    return found


def test_check_reports_every_marked_mistake_and_nothing_else() -> None:
    result = run_tool(
        "pii-guard", "check", "--exit-zero", "--no-cache", "examples/", cwd=REPOSITORY
    )
    assert result.returncode == 0, result.stderr
    marked = _marked()
    assert {code for _, _, code in marked} == {"PII001", "PII002", "PII003", "PII004", "PII005"}
    assert _reported(result.stdout) == marked


def test_the_quick_start_shows_the_message_naming_the_shops_lookup() -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"^(examples/shop/\S+: PII\d{3} .*)$", readme, re.M)
    assert len(shown) == 1 and "filter on its lookup Customer.email_lookup instead" in shown[0]
    result = run_tool(
        "pii-guard", "check", "--exit-zero", "--no-cache", "examples/", cwd=REPOSITORY
    )
    assert shown[0] in result.stdout.splitlines()


def test_flake8_reports_the_same_as_check_on_the_examples() -> None:
    flake8 = run_tool("flake8", "--select", "PII", "-j", "2", "examples/", cwd=REPOSITORY)
    assert flake8.returncode == 1, flake8.stderr
    assert _reported(flake8.stdout) == _marked()
