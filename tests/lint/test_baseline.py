"""A baseline accepts today's findings and reports only new ones, however the file moves."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from flake8_pii.baseline import (
    BaselineError,
    build_entries,
    new_findings,
    read_baseline,
    write_baseline,
)
from flake8_pii.findings import Finding


def _relative(finding: Finding) -> str:
    return finding.path


def _finding(line: int, statement: str = "Customer.objects.filter(email=x)") -> Finding:
    return Finding(
        path="app/views.py",
        line=line,
        column=25,
        code="PII001",
        message="PII001 filter on PII field Customer.email: ...",
        subject="Customer.email",
        statement=statement,
    )


def _round_trip(tmp_path: Path, findings: list[Finding]) -> Counter[str]:
    baseline = tmp_path / "baseline.json"
    write_baseline(baseline, build_entries(findings, _relative))
    return read_baseline(baseline)


def test_recorded_finding_is_not_reported_again(tmp_path: Path) -> None:
    accepted = _round_trip(tmp_path, [_finding(10)])
    assert new_findings([_finding(10)], accepted, _relative) == []


def test_finding_survives_lines_inserted_above_it(tmp_path: Path) -> None:
    accepted = _round_trip(tmp_path, [_finding(10)])
    assert new_findings([_finding(42)], accepted, _relative) == []


def test_finding_survives_reformatting_of_its_statement(tmp_path: Path) -> None:
    accepted = _round_trip(tmp_path, [_finding(10)])
    reformatted = _finding(10, "Customer.objects.filter(\n    email=x\n)")
    assert new_findings([reformatted], accepted, _relative) == []


def test_one_old_finding_does_not_hide_a_new_identical_one(tmp_path: Path) -> None:
    accepted = _round_trip(tmp_path, [_finding(10)])
    fresh = new_findings([_finding(10), _finding(30)], accepted, _relative)
    assert fresh == [_finding(30)]


def test_changed_statement_is_a_new_finding(tmp_path: Path) -> None:
    accepted = _round_trip(tmp_path, [_finding(10)])
    changed = _finding(10, "Customer.objects.filter(email=other)")
    assert new_findings([changed], accepted, _relative) == [changed]


def test_same_statement_in_another_file_is_a_new_finding(tmp_path: Path) -> None:
    accepted = _round_trip(tmp_path, [_finding(10)])
    elsewhere = Finding("app/admin.py", 10, 25, "PII001", "m", "Customer.email", "s")
    assert new_findings([elsewhere], accepted, _relative) == [elsewhere]


def test_baseline_file_is_stable_and_counts_repeats(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    write_baseline(baseline, build_entries([_finding(30), _finding(10)], _relative))
    first = baseline.read_text()
    write_baseline(baseline, build_entries([_finding(10), _finding(30)], _relative))
    assert baseline.read_text() == first
    assert '"count": 2' in first
    assert "filter(email=x)" not in first  # the source text itself is never stored


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("not json", "not a readable baseline file"),
        ('{"version": 99, "findings": []}', "version 1"),
        ('{"version": 1, "findings": {}}', "'findings' must be a list"),
        ('{"version": 1, "findings": [{"fingerprint": "x", "count": 0}]}', "findings[0]"),
    ],
)
def test_unreadable_baseline_is_a_clear_error(tmp_path: Path, content: str, complaint: str) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(content)
    with pytest.raises(BaselineError, match=re.escape(complaint)) as raised:
        read_baseline(baseline)
    assert str(baseline) in str(raised.value)


def test_missing_baseline_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="baseline file not found"):
        read_baseline(tmp_path / "absent.json")


def test_comments_do_not_change_the_identity(tmp_path: Path) -> None:
    accepted = _round_trip(tmp_path, [_finding(10)])
    commented = _finding(10, "Customer.objects.filter(email=x)  # legacy lookup")
    assert new_findings([commented], accepted, _relative) == []
