"""The installed `pii-guard` command answers --version and --help."""

from __future__ import annotations

import subprocess

import pii_guard
from tests.support.executables import installed_script


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_script("pii-guard"), *args], capture_output=True, text=True, timeout=60
    )


def test_version_names_the_installed_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"pii-guard {pii_guard.__version__}"


def test_help_describes_the_command() -> None:
    result = _run("--help")
    assert result.returncode == 0
    assert "usage: pii-guard" in result.stdout
