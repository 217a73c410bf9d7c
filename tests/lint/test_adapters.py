"""The real flake8 executable and the real `pii-guard check` report the same findings."""

from __future__ import annotations

import shutil
from pathlib import Path

from flake8_pii.cache import CACHE_DIR_NAME
from tests.lint.conftest import SHOP_EXPECTED, run_tool


def _lines(output: str) -> list[str]:
    return sorted(line.removeprefix("./") for line in output.splitlines() if line)


def _subject_keys(output: str) -> set[tuple[str, int, str]]:
    keys = set()
    for line in output.splitlines():
        path, row, _col, message = line.split(":", 3)
        keys.add((path.removeprefix("./"), int(row), message.split()[0]))
    return keys


def test_flake8_with_two_jobs_and_pii_guard_check_agree(shop: Path) -> None:
    flake8 = run_tool("flake8", "-j", "2", "--select", "PII", ".", cwd=shop)
    check = run_tool("pii-guard", "check", ".", cwd=shop)
    assert flake8.returncode == 1, flake8.stderr
    assert check.returncode == 1, check.stderr
    assert flake8.stderr == "" and check.stderr == ""
    assert _lines(flake8.stdout) == _lines(check.stdout)
    assert _subject_keys(check.stdout) == {(p, line, code) for p, line, code, _ in SHOP_EXPECTED}


def test_flake8_reads_unsaved_buffer_from_stdin_with_display_name(shop: Path) -> None:
    buffer = (
        "from shop.models import Customer\n\n"
        "def find(address):\n"
        "    return Customer.objects.get(email=address)\n"
    )
    result = run_tool(
        "flake8", "--select", "PII", "--stdin-display-name", "shop/services/lookup.py", "-",
        cwd=shop, stdin=buffer,
    )
    assert result.stdout.splitlines() == [
        "shop/services/lookup.py:4:33: PII001 filter on PII field Customer.email: random-IV "
        "ciphertext never matches; filter on a lookup key such as a keyed hash instead"
    ]


def test_flake8_and_check_honour_noqa_with_a_code(shop: Path) -> None:
    reports = shop / "shop" / "services" / "reports.py"
    text = reports.read_text().replace(
        '.order_by("customer__name")', '.order_by("customer__name")  # noqa: PII001'
    )
    reports.write_text(text)
    flake8 = run_tool("flake8", "--select", "PII", "shop/services/reports.py", cwd=shop)
    check = run_tool("pii-guard", "check", "shop/services/reports.py", cwd=shop)
    assert flake8.stdout == check.stdout == ""
    assert flake8.returncode == check.returncode == 0


def test_cache_folder_is_created_at_the_project_root_and_can_be_deleted(shop: Path) -> None:
    first = run_tool("pii-guard", "check", "shop", cwd=shop)
    cache = shop / CACHE_DIR_NAME
    assert cache.is_dir()
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    shutil.rmtree(cache)
    second = run_tool("pii-guard", "check", "shop", cwd=shop)
    assert first.stdout == second.stdout != ""


def test_flake8_names_a_configuration_mistake_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pii_guard]\nlogger_name = ['audit']\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    result = run_tool("flake8", "-j", "2", "--select", "PII", "a.py", "b.py", cwd=tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "unknown key 'logger_name'" in output
    assert "Traceback" not in output
