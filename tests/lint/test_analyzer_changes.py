"""A changed analyzer never answers from a warm cache made by the old one.

The analyzer under test is a copy of the installed package, edited as an upgrade would change
it, run with the real `python -m flake8_pii check` and `flake8` against the same project and the
same cache folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import flake8_pii
from tests.lint.conftest import write_project

MODELS = """\
from pii_guard import PIIModel, PIIStr


class Customer(PIIModel):
    id: int
    email: PIIStr
"""
VIEWS = """\
import logging

from app.models import Customer

logger = logging.getLogger(__name__)


def listing(customer: Customer) -> object:
    logger.info("listing for %s", customer.email)
    return Customer.objects.sort_by("email")
"""
LOGGED = "app/views.py:9:35: PII005"
SORTED = "app/views.py:10:37: PII002"


@pytest.fixture
def analyzer(tmp_path: Path) -> Path:
    """A copy of the analyzer package to edit; it shadows the installed one on PYTHONPATH."""
    site = tmp_path / "site"
    shutil.copytree(
        Path(flake8_pii.__file__).parent,
        site / "flake8_pii",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return site


def _edit(site: Path, relative: str, old: str, new: str) -> None:
    path = site / "flake8_pii" / relative
    text = path.read_text()
    assert old in text, f"{relative} no longer holds {old!r}"
    path.write_text(text.replace(old, new))


def _run(site: Path, root: Path, *command: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode in (0, 1), result.stderr
    return [line for line in result.stdout.splitlines() if "PII" in line]


def _codes(lines: list[str]) -> list[str]:
    return [line.split(" ", 1)[0] + " " + line.split(" ")[1] for line in lines]


def test_a_new_vocabulary_entry_gives_new_findings_on_a_warm_cache(
    tmp_path: Path, analyzer: Path
) -> None:
    root = write_project(tmp_path / "project", {"app/models.py": MODELS, "app/views.py": VIEWS})
    before = _run(analyzer, root, "flake8_pii", "check", "app")
    assert _codes(before) == [LOGGED]
    assert _run(analyzer, root, "flake8_pii", "check", "app") == before  # warm

    _edit(
        analyzer,
        "vocabulary.py",
        '{"order_by", "aorder_by",',
        '{"order_by", "sort_by", "aorder_by",',
    )

    assert _codes(_run(analyzer, root, "flake8_pii", "check", "app")) == [LOGGED, SORTED]
    flake8 = _run(analyzer, root, "flake8", "--select", "PII", "app")
    assert _codes(flake8) == [LOGGED, SORTED]


def test_a_changed_rule_drops_its_old_findings_on_a_warm_cache(
    tmp_path: Path, analyzer: Path
) -> None:
    root = write_project(tmp_path / "project", {"app/models.py": MODELS, "app/views.py": VIEWS})
    assert _codes(_run(analyzer, root, "flake8", "--select", "PII", "app")) == [LOGGED]
    assert _codes(_run(analyzer, root, "flake8_pii", "check", "app")) == [LOGGED]

    # the logging rule, changed so that it reports nothing
    _edit(
        analyzer,
        "rules/logging.py",
        "        sink = _sink_name(node, context)\n",
        "        sink = None\n",
    )

    assert _run(analyzer, root, "flake8_pii", "check", "app") == []
    assert _run(analyzer, root, "flake8", "--select", "PII", "app") == []
