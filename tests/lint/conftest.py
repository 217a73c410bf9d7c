"""Helpers for the analyzer tests: throw-away projects, the engine on one file, the real tools."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Mapping
from pathlib import Path

from flake8_pii.api import check_source
from flake8_pii.findings import Finding
from tests.support.executables import installed_script

# A model in one file and two modules that query it from another: the smallest cross-file project.
CUSTOMER_MODELS = """\
from pii_guard import PIIModel, PIIStr


class Customer(PIIModel):
    id: int
    email: PIIStr
"""
FILTER_ON_EMAIL = """\
from app.models import Customer


def find(address: str) -> object:
    return Customer.objects.filter(email=address).first()
"""
FILTER_ON_ID = """\
from app.models import Customer


def find(customer_id: int) -> object:
    return Customer.objects.filter(id=customer_id).first()
"""


def write_project(root: Path, files: dict[str, str]) -> Path:
    """A project under `root` (with a pyproject.toml unless given) holding `files`."""
    root.mkdir(parents=True, exist_ok=True)
    files = {"pyproject.toml": "[project]\nname = 'app'\n", **files}
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def check_file(path: Path) -> list[Finding]:
    """The findings `pii-guard check` reports for one file, with a fresh index and no cache."""
    text = path.read_text(encoding="utf-8")
    result = check_source(text, path, use_cache=False, report_unused_noqa=True)
    assert result.error is None, result.error
    return list(result.findings)


def run_tool(
    name: str, *args: str, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run an installed console script (`pii-guard`, `flake8`) as a user would, in this
    environment or in `env`."""
    return subprocess.run(
        [installed_script(name), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
