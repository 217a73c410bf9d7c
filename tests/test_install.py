"""Installed as a user installs it: the README's quick start on a fresh copy of the repository,
the documented CI commands in that environment, and the same gate commands in an environment
where flake8 has no pii-guard plugin (there, they must fail rather than pass with nothing to say).

Real `python3 -m venv`, pip, flake8 and `pii-guard`; pip fetches the dependencies from the
package index (or its cache).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.lint.conftest import CUSTOMER_MODELS, FILTER_ON_EMAIL, write_project

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parents[1]
README = (CHECKOUT / "README.md").read_text(encoding="utf-8")
CI_RECIPES = (CHECKOUT / "docs" / "ci.md").read_text(encoding="utf-8")
PERFORMANCE = (CHECKOUT / "docs" / "performance.md").read_text(encoding="utf-8")
DISTRIBUTION = tomllib.loads((CHECKOUT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "name"
]
# the unrelated project that owns the name `pii-guard` on the package index: what a user who
# followed the old docs got (it installs a `pii_guard` package and a `pii-guard` command)
UNRELATED = "pii-guard==0.1.0"
FINDING = re.compile(r"^\S+:\d+:\d+: PII\d{3} ", re.M)
COMMAND_NOT_FOUND = 127  # what a shell (and so a CI step) answers for a missing command


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str


def _run(command: str, cwd: Path, bin_dir: Path) -> Run:
    """A documented command line, its program taken from `bin_dir`, as a CI step runs it."""
    program, *args = shlex.split(command, comments=True)
    executable = bin_dir / program
    if not executable.exists():
        return Run(COMMAND_NOT_FOUND, f"{program}: command not found")
    result = subprocess.run(
        [str(executable), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    return Run(result.returncode, result.stdout + result.stderr)


def _shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return subprocess.run(
        command, shell=True, cwd=cwd, env=environment, capture_output=True, text=True, timeout=900
    )


def _fresh_copy(destination: Path) -> Path:
    """The files a clone of this checkout would have (tracked, plus new files not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=CHECKOUT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for relative in filter(None, listed.split("\0")):
        source = CHECKOUT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def _quick_start_commands() -> list[str]:
    blocks = re.findall(
        r"^## Quick start\n.*?```sh\n(.*?)```.*?```sh\n(.*?)```", README, re.M | re.S
    )
    assert blocks, "README: no two sh blocks under '## Quick start'"
    return [block.strip() for block in blocks[0]]


def _shell_lines(page: str) -> list[str]:
    return [
        line.strip()
        for block in re.findall(r"^```sh\n(.*?)^```", page, re.M | re.S)
        for line in block.splitlines()
    ]


def _ci_commands() -> list[str]:
    """The GitHub Actions `run:` steps and the shell lines of docs/ci.md that run a checker."""
    steps = [step.strip() for step in re.findall(r"^\s*- run: (.*)$", CI_RECIPES, re.M)]
    return [c for c in steps + _shell_lines(CI_RECIPES) if c.startswith(("flake8 ", "pii-guard "))]


def _flake8_gates() -> list[str]:
    """Every flake8 command line of docs/ci.md and the README."""
    readme = [line for line in _shell_lines(README) if line.startswith("flake8 ")]
    return [c for c in _ci_commands() if c.startswith("flake8 ")] + readme


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project in the src layout with one mistake, the paths the recipes name (`src/`, `.`)."""
    return write_project(
        tmp_path_factory.mktemp("ci") / "project",
        {
            "src/app/__init__.py": "",
            "src/app/models.py": CUSTOMER_MODELS,
            "src/app/bad.py": FILTER_ON_EMAIL,
        },
    )


@pytest.fixture(scope="module")
def quick_start(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A fresh copy of the repository after the README's first command: (copy, its output)."""
    copy = _fresh_copy(tmp_path_factory.mktemp("clone") / "pii-guard")
    first, _ = _quick_start_commands()
    result = _shell(first, copy)
    assert result.returncode == 0, result.stdout + result.stderr
    return copy, result.stdout


@pytest.fixture(scope="module")
def with_plugin(quick_start: tuple[Path, str]) -> Path:
    return quick_start[0] / ".venv" / "bin"


@pytest.fixture(scope="module")
def without_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """flake8 and the unrelated `pii-guard` from the index, as the old docs had users install."""
    venv = tmp_path_factory.mktemp("without") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "flake8"], check=True, capture_output=True, timeout=600)
    # if the index ever stops serving it, the environment simply has no `pii-guard` command,
    # which the gate must reject just the same
    subprocess.run([*pip, UNRELATED], capture_output=True, timeout=600)
    return venv / "bin"


@pytest.fixture(scope="module")
def linter_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The linter without the runtime's dependencies, as docs/performance.md installs it."""
    venv = tmp_path_factory.mktemp("linter") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "flake8", "libcst>=1.4"], check=True, capture_output=True, timeout=600)
    subprocess.run([*pip, "--no-deps", str(CHECKOUT)], check=True, capture_output=True)
    return venv / "bin"


def test_the_linter_works_without_the_runtime_dependencies(
    linter_only: Path, project: Path
) -> None:
    (recipe,) = re.findall(r"^(pip install flake8 .*--no-deps \S+)$", PERFORMANCE, re.M)
    assert recipe.endswith(f"--no-deps {DISTRIBUTION}")
    python = str(linter_only / "python")
    absent = subprocess.run(
        [python, "-c", "import importlib.util as u; print([m for m in "
         "('pydantic', 'cryptography', 'boto3') if u.find_spec(m)])"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert absent.strip() == "[]"
    for command in ("pii-guard check src/", f"flake8 --require-plugins {DISTRIBUTION} src/"):
        result = _run(command, project, linter_only)
        assert result.returncode == 1, (command, result.output)
        assert "src/app/bad.py:5:36: PII001" in result.output


def test_the_distribution_is_not_called_pii_guard() -> None:
    assert DISTRIBUTION == "flake8-pii-guard"
    assert f"pip install {DISTRIBUTION}" in README


def test_readme_quick_start_lints_the_example_shop(quick_start: tuple[Path, str]) -> None:
    copy, output = quick_start
    words = {"ten": 10, "eleven": 11, "twelve": 12}
    match = re.search(r"printing its (\w+) deliberate\s+mistakes", README)
    assert match is not None and match.group(1) in words
    assert len(FINDING.findall(output)) == words[match.group(1)], output
    assert all(line.startswith("examples/") for line in output.splitlines()), output
    version = subprocess.run(
        [str(copy / ".venv" / "bin" / "flake8"), "--version"], capture_output=True, text=True
    ).stdout
    assert f"{DISTRIBUTION}: " in version


def test_every_documented_flake8_command_requires_the_plugin() -> None:
    gates = _flake8_gates()
    assert len(gates) >= 3
    for command in gates:
        assert f"--require-plugins {DISTRIBUTION}" in command, command


def test_documented_flake8_gates_report_findings_with_the_plugin(
    with_plugin: Path, project: Path
) -> None:
    for command in _flake8_gates():
        result = _run(command, project, with_plugin)
        assert result.returncode == 1, (command, result.output)
        assert "src/app/bad.py:5:36: PII001 filter on PII field Customer.email" in result.output


def test_documented_flake8_gates_fail_without_the_plugin(
    without_plugin: Path, project: Path
) -> None:
    # without the option, this flake8 passes the same project: the silent gate of the issue
    ungated = _run("flake8 --select PII src/", project, without_plugin)
    assert (ungated.returncode, ungated.output) == (0, "")
    for command in _flake8_gates():
        result = _run(command, project, without_plugin)
        assert result.returncode != 0, command
        assert "required plugins were not installed" in result.output, result.output
        assert f"missing: {DISTRIBUTION}" in result.output


def test_github_actions_steps_upload_sarif_and_fail_on_findings(
    with_plugin: Path, project: Path
) -> None:
    steps = [c for c in re.findall(r"^\s*- run: (.*)$", CI_RECIPES, re.M) if "--format sarif" in c]
    assert len(steps) == 1
    (sarif_step,) = steps
    sarif = _run(sarif_step, project, with_plugin)
    assert sarif.returncode == 0, sarif.output
    output = shlex.split(sarif_step)[shlex.split(sarif_step).index("--output") + 1]
    log = json.loads((project / output).read_text(encoding="utf-8"))
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for r in results] == [("PII001", "src/app/bad.py")]  # fmt: skip
    gate = _run("pii-guard check .", project, with_plugin)
    assert "- run: pii-guard check .\n" in CI_RECIPES
    assert gate.returncode == 1
    assert "./src/app/bad.py:5:36: PII001" in gate.output


def test_documented_pii_guard_commands_fail_without_the_plugin(
    without_plugin: Path, project: Path
) -> None:
    commands = [c for c in _ci_commands() if c.startswith("pii-guard check")]
    assert len(commands) >= 3
    for command in commands:
        assert _run(command, project, without_plugin).returncode != 0, command
