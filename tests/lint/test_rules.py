"""Every rule's VALID examples give no finding and its INVALID examples give exactly theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from flake8_pii.engine import ALL_RULES
from flake8_pii.rules.base import Invalid
from tests.lint.rule_examples import findings_for

VALID = [
    pytest.param(example, id=f"{rule.__name__}-valid-{number}")
    for rule in ALL_RULES
    for number, example in enumerate(rule.VALID)
]
INVALID = [
    pytest.param(example, id=f"{rule.__name__}-invalid-{number}")
    for rule in ALL_RULES
    for number, example in enumerate(rule.INVALID)
]


@pytest.mark.parametrize("example", VALID)
def test_valid_example_is_not_flagged(tmp_path: Path, example: str) -> None:
    assert findings_for(tmp_path, example) == []


@pytest.mark.parametrize("example", INVALID)
def test_invalid_example_is_flagged(tmp_path: Path, example: Invalid) -> None:
    found = findings_for(tmp_path, example.code)
    assert tuple(f.code for f in found) == example.expected


def test_every_rule_has_examples_both_ways() -> None:
    for rule in ALL_RULES:
        assert rule.VALID and rule.INVALID, rule.__name__
        assert {code for example in rule.INVALID for code in example.expected} == set(rule.codes)
