"""Models that reach code through the project's own functions, AMSDAL query chains, and filters
assembled in variables, across files, with the real `pii-guard check` and `flake8` too."""

from __future__ import annotations

from pathlib import Path

from tests.lint.conftest import check_file, run_tool, write_project

MODELS = """\
from pii_guard import PIIModel, PIIStr
from pydantic import BaseModel


class Account(PIIModel):
    id: int
    email: PIIStr
    created: str


class Plan(BaseModel):
    id: int
    email: str
"""
REPO = """\
from app.models import Account, Plan


def get_account(account_id: int) -> Account:
    return Account.objects.get(id=account_id)


def find_account(email_hash: str) -> Account | None:
    return None


async def aget_account(account_id: int) -> "Account":
    return await Account.objects.aget(id=account_id)


def all_accounts() -> list[Account]:
    return []


def get_plan(plan_id: int) -> Plan:
    return Plan.objects.get(id=plan_id)


def undeclared(account_id: int):
    return Account.objects.get(id=account_id)


class AccountRepo:
    def get(self, account_id: int) -> Account:
        return Account.objects.get(id=account_id)

    def recent(self) -> "list[Account]":
        return []

    def count(self) -> int:
        return 0
"""
VIEWS = """\
import logging

from app import repo
from app.repo import AccountRepo, aget_account, find_account, get_account, get_plan, undeclared

logger = logging.getLogger(__name__)


def show(account_id: int) -> None:
    account = repo.get_account(account_id)
    logger.info("showing %s", account.email)
    logger.info("showing %s", get_account(account_id).email)
    found = find_account("h")
    if found is not None:
        print(found.email)
    for each in repo.all_accounts():
        print(each.email)
    logger.info("plan %s", get_plan(1).email)
    logger.info("undeclared %s", undeclared(1).email)
    logger.info("count %s", AccountRepo().count())


async def ashow(account_id: int) -> None:
    account = await aget_account(account_id)
    logger.info("async %s", account.email)


def through_a_repository(accounts: AccountRepo) -> None:
    logger.info("%s", AccountRepo().get(1).email)
    for account in accounts.recent():
        logger.info("%s", account.email)
"""
CHAINS = """\
from app.models import Account, Plan


async def chains(value: str) -> None:
    Account.objects.latest().filter(email=value)
    Account.objects.latest("email")
    Account.objects.earliest("-created")
    Plan.objects.latest().filter(email=value)
    for account in await Account.objects.decrypt_pii().aexecute():
        print(account.email)
"""
FILTERS = """\
from django.db.models import Q

from app.models import Account, Plan


def search(value: str) -> None:
    filters = {"email": value, "id": 1}
    Account.objects.filter(**filters)
    Plan.objects.filter(**filters)
    Account.objects.filter(**dict(email=value))
    q = Q(email=value)
    Account.objects.filter(q | Q(id=2))
    ordering = "-email"
    Account.objects.order_by(ordering)
    ordering = "-created"
    Account.objects.order_by(ordering)
    safe = {"id": 1}
    Account.objects.filter(**safe)
"""

FILES = {
    "app/__init__.py": "",
    "app/models.py": MODELS,
    "app/repo.py": REPO,
    "app/views.py": VIEWS,
    "app/chains.py": CHAINS,
    "app/filters.py": FILTERS,
}

EXPECTED = {
    "app/views.py": [
        (11, 31, "PII005", "Account.email"),
        (12, 31, "PII005", "Account.email"),
        (15, 15, "PII005", "Account.email"),
        (17, 15, "PII005", "Account.email"),
        (25, 29, "PII005", "Account.email"),
        (29, 23, "PII005", "Account.email"),
        (31, 27, "PII005", "Account.email"),
    ],
    "app/chains.py": [
        (5, 37, "PII001", "Account.email"),
        (6, 28, "PII002", "Account.email"),
        (10, 15, "PII005", "Account.email"),
    ],
    "app/filters.py": [
        (8, 30, "PII001", "Account.email"),
        (10, 35, "PII001", "Account.email"),
        (12, 28, "PII001", "Account.email"),
        (14, 30, "PII002", "Account.email"),
    ],
}


def _found(root: Path, relative: str) -> list[tuple[int, int, str, str]]:
    return [(f.line, f.column, f.code, f.subject) for f in check_file(root / relative)]


def test_models_returned_by_project_functions_and_methods_are_followed(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    assert _found(root, "app/views.py") == EXPECTED["app/views.py"]


def test_amsdal_chains_keep_their_model(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    assert _found(root, "app/chains.py") == EXPECTED["app/chains.py"]


def test_filters_and_orderings_kept_in_variables_are_read(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    assert _found(root, "app/filters.py") == EXPECTED["app/filters.py"]


def test_the_real_tools_report_the_same(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    expected = sorted(
        f"{path}:{line}:{column}: {code}"
        for path, findings in EXPECTED.items()
        for line, column, code, _ in findings
    )
    for tool, arguments in (
        ("pii-guard", ("check", "app")),
        ("flake8", ("--select", "PII", "app")),
    ):
        result = run_tool(tool, *arguments, cwd=root)
        assert result.returncode == 1, result.stderr
        found = sorted(" ".join(line.split(" ")[:2]) for line in result.stdout.splitlines())
        assert found == expected, tool
