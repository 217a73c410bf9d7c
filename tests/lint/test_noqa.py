"""`# noqa` as users write it: read as flake8 reads it, honoured by both adapters alike."""

from __future__ import annotations

import json
import shutil
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


STALE = """\
from app.models import Customer


def by_id(customer_id: int) -> object:
    return Customer.objects.get(id=customer_id)  # noqa: E501,PII001


def by_email(address: str) -> object:
    return Customer.objects.get(email=address)  # noqa: PII001


def prefix(customer_id: int) -> object:
    return Customer.objects.get(id=customer_id)  # noqa: PII0


def kept(customer_id: int) -> object:
    return Customer.objects.get(id=customer_id)  # noqa: PII001,PII100


def others(customer_id: int) -> object:
    return Customer.objects.get(id=customer_id)  # noqa: E501


def bare(customer_id: int) -> object:
    return Customer.objects.get(id=customer_id)  # noqa


def digitless(customer_id: int) -> object:
    # a code needs digits: flake8 reads this as a bare noqa
    return Customer.objects.get(id=customer_id)  # noqa: PII
"""
NO_PII = 'LIMIT = 10  # noqa: PII005\nTEXT = "# noqa: PII001"\n'


def _stale_project(root: Path) -> Path:
    root = _project(root, STALE)
    (root / "app" / "settings.py").write_text(NO_PII)
    return root


def test_unused_pii_codes_are_reported_at_their_comment(tmp_path: Path) -> None:
    root = _stale_project(tmp_path)
    result = run_tool("pii-guard", "check", "app", cwd=root)
    assert result.returncode == 1
    by_id = _line_of(STALE, "E501,PII001")
    prefix = _line_of(STALE, "def prefix") + 1
    assert result.stdout.splitlines() == [
        "app/settings.py:1:13: PII100 unused noqa for PII005: no PII005 finding here to "
        "silence; remove PII005 from the comment",
        f"app/views.py:{by_id}:50: PII100 unused noqa for PII001: no PII001 finding here to "
        "silence; remove PII001 from the comment",
        f"app/views.py:{prefix}:50: PII100 unused noqa for PII0: no PII0 finding here to "
        "silence; remove PII0 from the comment",
    ]


def test_selection_shows_or_hides_pii100_but_never_makes_a_used_code_unused(
    tmp_path: Path,
) -> None:
    root = _stale_project(tmp_path)
    ignored = run_tool("pii-guard", "check", "--ignore", "PII100", "app", cwd=root)
    assert (ignored.returncode, ignored.stdout) == (0, "")
    # PII001 is not shown, yet the comment that silences it is still needed
    narrowed = run_tool("pii-guard", "check", "--ignore", "PII001", "app", cwd=root)
    assert len(narrowed.stdout.splitlines()) == 3
    assert f"views.py:{_line_of(STALE, '(email=address)')}:" not in narrowed.stdout
    only_main = run_tool("pii-guard", "check", "--select", "PII0", "app", cwd=root)
    assert (only_main.returncode, only_main.stdout) == (0, "")


def test_the_report_is_the_same_cold_warm_and_without_cache(tmp_path: Path) -> None:
    root = _stale_project(tmp_path)
    uncached = run_tool("pii-guard", "check", "--no-cache", "app", cwd=root).stdout
    assert not (root / ".pii_guard_cache").exists()
    cold = run_tool("pii-guard", "check", "app", cwd=root).stdout
    assert any((root / ".pii_guard_cache" / "findings").iterdir())
    warm = run_tool("pii-guard", "check", "app", cwd=root).stdout
    assert uncached == cold == warm
    assert uncached.count("PII100") == 3
    # the flake8 plugin shares the cache but shows no PII100; the command must still report it
    shutil.rmtree(root / ".pii_guard_cache")
    run_tool("flake8", "--select", "PII", "app", cwd=root)
    assert any((root / ".pii_guard_cache" / "findings").iterdir())
    assert run_tool("pii-guard", "check", "app", cwd=root).stdout == uncached


def test_flake8_leaves_noqa_judgement_to_flake8(tmp_path: Path) -> None:
    root = _stale_project(tmp_path)
    result = run_tool("flake8", "--select", "PII", "app", cwd=root)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


def test_json_sarif_and_baseline_treat_pii100_like_any_finding(tmp_path: Path) -> None:
    root = _stale_project(tmp_path)
    as_json = run_tool("pii-guard", "check", "--format", "json", "app", cwd=root)
    document = json.loads(as_json.stdout)
    assert [(f["code"], f["subject"]) for f in document["findings"]] == [
        ("PII100", "PII005"), ("PII100", "PII001"), ("PII100", "PII0")
    ]  # fmt: skip
    as_sarif = run_tool("pii-guard", "check", "--format", "sarif", "app", cwd=root)
    run = json.loads(as_sarif.stdout)["runs"][0]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "PII100")
    assert rule["helpUri"].endswith("/docs/rules/PII100.md")
    assert {r["level"] for r in run["results"]} == {"warning"}
    recorded = run_tool("pii-guard", "check", "--write-baseline", "base.json", "app", cwd=root)
    assert recorded.returncode == 0
    views = root / "app" / "views.py"
    views.write_text("# moved down\n" + views.read_text())
    assert run_tool("pii-guard", "check", "--baseline", "base.json", "app", cwd=root).stdout == ""
    views.write_text(views.read_text().replace("# noqa: E501\n", "# noqa: PII002\n"))
    fresh = run_tool("pii-guard", "check", "--baseline", "base.json", "app", cwd=root)
    assert fresh.returncode == 1
    assert fresh.stdout.count("PII100 unused noqa for PII002") == 1
    assert len(fresh.stdout.splitlines()) == 1
