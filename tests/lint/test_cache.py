"""The summary cache: reused when files are unchanged, redone only for what changed, and a warm
run always gives the same findings as a cold one."""

from __future__ import annotations

import shutil
from pathlib import Path

from flake8_pii.cache import CACHE_DIR_NAME, SCHEMA
from flake8_pii.cli import check_paths
from flake8_pii.engine import Projects
from flake8_pii.findings import Finding


def _run(root: Path) -> tuple[list[Finding], int]:
    """Findings for the whole project, and how many files had to be parsed for summaries."""
    projects = Projects(use_cache=True)
    findings, failures = check_paths([str(root)], projects=projects)
    assert failures == 0
    parsed = sum(index.summaries_parsed for index in projects._indexes.values())
    return sorted(findings), parsed


def _cold(root: Path) -> list[Finding]:
    findings, failures = check_paths([str(root)], use_cache=False)
    assert failures == 0
    return sorted(findings)


def _entries(root: Path) -> set[str]:
    return {p.name for p in (root / CACHE_DIR_NAME / SCHEMA).glob("*.json")}


def test_unchanged_project_is_not_parsed_again(shop: Path) -> None:
    first, parsed_first = _run(shop)
    second, parsed_second = _run(shop)
    assert parsed_first > 0
    assert parsed_second == 0
    assert first == second == _cold(shop)


def test_changed_model_is_reparsed_alone_and_its_users_see_the_change(shop: Path) -> None:
    before, _ = _run(shop)
    entries_before = _entries(shop)
    people = shop / "shop" / "models" / "people.py"
    text = people.read_text().replace("    email: str\n", "    email: PIIStr\n")
    people.write_text(text.replace("import PIIModel\n", "import PIIModel, PIIStr\n"))

    after, parsed = _run(shop)

    assert parsed == 1
    assert len(_entries(shop) - entries_before) == 1
    new = sorted(set(after) - set(before))
    assert [(Path(f.path).name, f.line, f.code, f.subject) for f in new] == [
        ("reports.py", 5, "PII001", "Staff.email")
    ]
    shutil.rmtree(shop / CACHE_DIR_NAME)
    assert after == _cold(shop)


def test_corrupt_cache_entry_is_ignored(shop: Path) -> None:
    expected, _ = _run(shop)
    for entry in (shop / CACHE_DIR_NAME / SCHEMA).glob("*.json"):
        entry.write_text("{not json")
    again, parsed = _run(shop)
    assert again == expected
    assert parsed > 0
