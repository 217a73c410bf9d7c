"""The pre-commit hook, installed from this checkout by the real `pre-commit`."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.lint.conftest import CUSTOMER_MODELS, FILTER_ON_EMAIL, FILTER_ON_ID
from tests.support.executables import installed_script

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((CHECKOUT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("precommit") / "project"
    (repo / "app").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n')
    (repo / "app" / "__init__.py").write_text("")
    (repo / "app" / "models.py").write_text(CUSTOMER_MODELS)
    (repo / "app" / "bad.py").write_text(FILTER_ON_EMAIL)
    (repo / "app" / "good.py").write_text(FILTER_ON_ID)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(project: Path, home: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [
            installed_script("pre-commit"),
            "try-repo",
            str(CHECKOUT),
            "pii-guard",
            "--verbose",
            "--files",
            *files,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_hook_fails_on_a_file_that_filters_on_a_model_from_another_file(
    project: Path, pre_commit_home: Path
) -> None:
    result = _try_repo(project, pre_commit_home, "app/bad.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "app/bad.py:5:36: PII001 filter on PII field Customer.email" in result.stdout


def test_hook_passes_on_a_clean_file(project: Path, pre_commit_home: Path) -> None:
    result = _try_repo(project, pre_commit_home, "app/good.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_documented_recipes_pin_this_version_and_its_release_tag() -> None:
    # the tag `vX.Y.Z` is made when X.Y.Z is released; the docs say to pin a commit until then
    version = PROJECT["version"]
    changelog = (CHECKOUT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(version)}\b", changelog, re.M)
    assert "tagged `vX.Y.Z`" in changelog
    for page in (CHECKOUT / "README.md", CHECKOUT / "docs" / "ci.md"):
        text = page.read_text(encoding="utf-8")
        assert re.findall(r"^\s*rev: (\S+)$", text, re.M)[0] == f"v{version}", page.name
        assert "full commit SHA" in text, page.name
        pins = re.findall(r"additional_dependencies: \[\"([^\"]+)\"\]", text)
        assert all(pin == f"{PROJECT['name']}=={version}" for pin in pins), pins
