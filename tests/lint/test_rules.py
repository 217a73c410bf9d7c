"""Every rule's VALID examples give no finding and its INVALID examples give exactly theirs:
the same codes, lines, columns and subjects, in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from flake8_pii.api import check_source
from flake8_pii.findings import RULES
from flake8_pii.rules import all_rules
from flake8_pii.rules.base import Expected, Invalid
from flake8_pii.rules.examples import HEADER, MODELS

VALID = [
    pytest.param(example, id=f"{rule.__name__}-valid-{number}")
    for rule in all_rules()
    for number, example in enumerate(rule.VALID)
]
INVALID = [
    pytest.param(example, id=f"{rule.__name__}-invalid-{number}")
    for rule in all_rules()
    for number, example in enumerate(rule.INVALID)
]


def findings_of(project: Path, example: str) -> list[Expected]:
    """What `example` gives in a module that starts with the shared header, next to the
    example models, each finding placed relative to the example's first line."""
    (project / "pyproject.toml").write_text('[project]\nname = "examples"\n')
    (project / "models.py").write_text(MODELS)
    module = project / "snippet.py"
    text = HEADER + example + "\n"
    module.write_text(text)
    result = check_source(text, module, use_cache=False)
    assert result.error is None, result.error
    offset = HEADER.count("\n")
    return [Expected(f.line - offset, f.column, f.code, f.subject) for f in result.findings]


@pytest.mark.parametrize("example", VALID)
def test_valid_example_is_not_flagged(tmp_path: Path, example: str) -> None:
    assert findings_of(tmp_path, example) == []


@pytest.mark.parametrize("example", INVALID)
def test_invalid_example_is_flagged_where_and_as_it_says(tmp_path: Path, example: Invalid) -> None:
    assert findings_of(tmp_path, example.source) == list(example.expected)


def test_every_rule_has_examples_both_ways_for_each_of_its_codes() -> None:
    for rule in all_rules():
        assert rule.VALID and rule.INVALID, rule.__name__
        flagged = {expected.code for example in rule.INVALID for expected in example.expected}
        assert flagged == set(rule.codes), rule.__name__


def test_rules_are_found_in_the_package_and_cover_the_catalogue() -> None:
    codes = [code for rule in all_rules() for code in rule.codes]
    assert len(codes) == len(set(codes)), "a code belongs to one rule"
    # the codes the tool reports about its own work are declared so in the catalogue
    assert set(codes) == {code for code, rule in RULES.items() if not rule.tool}


def test_an_expected_finding_that_is_not_written_as_documented_is_refused() -> None:
    with pytest.raises(ValueError, match=r"line:column CODE Model\.field"):
        Invalid("x", "PII001 Customer.email")
