"""Every rule's VALID and INVALID snippet tables, run through the engine as real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from flake8_pii.analysis import RULE_CLASSES
from flake8_pii.rules import Invalid, Valid
from tests.lint.conftest import check_file, snippet_project

VALID = [
    pytest.param(case, id=f"{rule.__name__}-valid-{n}")
    for rule in RULE_CLASSES
    for n, case in enumerate(rule.VALID)
]
INVALID = [
    pytest.param(rule.CODES, case, id=f"{rule.__name__}-invalid-{n}")
    for rule in RULE_CLASSES
    for n, case in enumerate(rule.INVALID)
]


@pytest.mark.parametrize("case", VALID)
def test_valid_snippet_has_no_finding(tmp_path: Path, case: Valid) -> None:
    path = snippet_project(tmp_path, case.code)
    assert check_file(path) == []


@pytest.mark.parametrize(("codes", "case"), INVALID)
def test_invalid_snippet_is_flagged_by_its_rule(
    tmp_path: Path, codes: tuple[str, ...], case: Invalid
) -> None:
    path = snippet_project(tmp_path, case.code)
    found = [(f.code, f.subject) for f in check_file(path)]
    assert found == list(case.expected)
    assert all(code in codes for code, _ in found)


def test_every_rule_has_valid_and_invalid_examples() -> None:
    for rule in RULE_CLASSES:
        assert rule.VALID and rule.INVALID, rule.__name__
    codes = sorted(code for rule in RULE_CLASSES for code in rule.CODES)
    assert codes == ["PII001", "PII002", "PII003", "PII004", "PII005"]
