"""`# noqa` as users write it: read as flake8 reads it, honoured by both adapters alike."""

from __future__ import annotations

from pathlib import Path

from tests.lint.conftest import CUSTOMER_MODELS, run_tool, write_project

SUPPRESSED = """\
import logging

from app.models import Customer

logger = logging.getLogger(__name__)


def both(address: str) -> None:
    logger.info("%s", Customer.objects.get(email=address).email)  # noqa: PII001


def listed(address: str) -> object:
    return Customer.objects.get(email=address)  # noqa: E501 PII001


def first(address: str) -> object:
    return Customer.objects.filter(  # noqa: PII001
        email=address,
    )


def last(address: str) -> object:
    return Customer.objects.filter(
        email=address,
    )  # noqa: PII001


def lower_case(address: str) -> object:
    return Customer.objects.get(email=address)  # noqa: pii001
"""


def _project(root: Path, views: str) -> Path:
    files = {"app/__init__.py": "", "app/models.py": CUSTOMER_MODELS, "app/views.py": views}
    return write_project(root, files)


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def _codes_by_line(output: str) -> list[tuple[int, str]]:
    return [(int(line.split(":")[1]), line.split()[1]) for line in output.splitlines()]


def test_noqa_silences_only_the_codes_it_names_wherever_the_statement_allows(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, SUPPRESSED)
    result = run_tool("pii-guard", "check", "--no-cache", "app", cwd=root)
    # the log call is still reported; `pii001` is not a code flake8 would honour
    assert _codes_by_line(result.stdout) == [
        (_line_of(SUPPRESSED, "logger.info"), "PII005"),
        (_line_of(SUPPRESSED, "# noqa: pii001"), "PII001"),
    ]


def test_flake8_honours_the_same_comments(tmp_path: Path) -> None:
    root = _project(tmp_path, SUPPRESSED)
    check = run_tool("pii-guard", "check", "--no-cache", "app", cwd=root)
    flake8 = run_tool("flake8", "--select", "PII", "app", cwd=root)
    assert flake8.stdout == check.stdout
