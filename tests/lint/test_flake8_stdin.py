"""Editors run flake8 on the unsaved buffer over stdin; the plugin still sees the project."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.lint.conftest import CUSTOMER_MODELS, FILTER_ON_EMAIL, FILTER_ON_ID
from tests.support.executables import installed_script


def _project(root: Path) -> Path:
    (root / "app").mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n')
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_text(CUSTOMER_MODELS)
    view = root / "app" / "views.py"
    view.write_text(FILTER_ON_ID)
    return view


def _flake8_stdin(cwd: Path, display_name: str, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_script("flake8"), "--select", "PII", "--stdin-display-name", display_name, "-"],
        cwd=cwd,
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_unsaved_buffer_is_checked_against_models_on_disk(tmp_path: Path) -> None:
    view = _project(tmp_path)
    result = _flake8_stdin(tmp_path, str(view), FILTER_ON_EMAIL)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"{view}:5:36: PII001 filter on PII field Customer.email: random-IV ciphertext never "
        "matches; filter on a lookup key such as a keyed hash instead"
    ]


def test_relative_display_name_from_another_directory(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    view = _project(tmp_path / "repo")
    result = _flake8_stdin(tmp_path, "repo/app/views.py", FILTER_ON_EMAIL)
    assert result.returncode == 1, result.stderr
    assert "repo/app/views.py:5:36: PII001" in result.stdout
    assert view.read_text() == FILTER_ON_ID  # the file on disk was never the one checked


def test_saved_text_is_not_what_is_checked(tmp_path: Path) -> None:
    view = _project(tmp_path)
    view.write_text(FILTER_ON_EMAIL)
    result = _flake8_stdin(tmp_path, str(view), FILTER_ON_ID)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
