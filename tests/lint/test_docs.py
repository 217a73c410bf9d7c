"""Each rule's page: the bad example is flagged with that rule and the good one is clean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flake8_pii.findings import RULES
from tests.lint.conftest import check_file, write_project

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _example(page: str, heading: str) -> str:
    match = re.search(rf"^## {heading}\n+```python\n(.*?)^```", page, re.M | re.S)
    assert match is not None, f"no python example under '## {heading}'"
    return match.group(1)


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_page_bad_example_is_flagged_and_good_one_is_not(tmp_path: Path, code: str) -> None:
    page = (DOCS / "rules" / f"{code}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {code}: ")
    assert f"# noqa: {code}" in page
    for heading, expected in (("Bad", [code]), ("Good", [])):
        root = write_project(tmp_path / heading, {"app/example.py": _example(page, heading)})
        found = sorted({f.code for f in check_file(root / "app" / "example.py")})
        assert found == expected, heading
