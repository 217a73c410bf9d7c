"""PII in log lines and in exceptions across files: models in `app/models.py` (a PIIModel, a plain
pydantic model with a PII field, a model without PII, a project exception class), and code in
other modules that logs them, binds them to loggers and raises them.

Every expected finding is exact (line, column, code, subject), and the near misses beside each
give nothing: what the analyzer cannot be certain of is never reported.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.lint.conftest import check_file, run_tool, write_project

# (line, column, code, subject)
Found = tuple[int, int, str, str]

MODELS = """\
import dataclasses

from pydantic import BaseModel
from pii_guard import PIIModel, PIIStr


class Customer(PIIModel):
    id: int
    email: PIIStr


class Contact(BaseModel):
    id: int
    email: PIIStr


class Note(BaseModel):
    id: int
    email: str


@dataclasses.dataclass
class Visitor:
    id: int
    phone: PIIStr
"""
ERRORS = """\
from app.models import Customer


class NotFound(LookupError):
    '''No such account.'''


class Masked(Exception):
    def __init__(self, customer: Customer) -> None:
        super().__init__(f"no account {customer.id}")
"""
# A module that names nothing leading to PII is not indexed (the index reads only files that can
# matter), so what its classes are is unknown.
UNINDEXED_ERRORS = """\
class Gone(LookupError):
    pass
"""
LOGGING = """\
import logging

import structlog

from app.models import Contact, Customer, Note, Visitor

logger = logging.getLogger(__name__)


def containers(customer: Customer) -> None:
    data = {"email": customer.email}
    logger.info("signup", extra=data)
    parts = [customer.id, customer.email]
    print(parts)
    safe = {"id": customer.id, "length": len(customer.email)}
    logger.info("signup", extra=safe)
    logger.info("%s", dict(email=customer.email))


def bound(customer: Customer) -> None:
    log = structlog.get_logger()
    log = log.bind(email=customer.email)
    log = log.bind(customer_id=customer.id)
    session = object()
    session.bind(email=customer.email)


def whole(customer: Customer, contact: Contact, note: Note, visitor: Visitor) -> None:
    logger.info("%s %s", customer, note)
    logger.info("%s", contact)
    print(f"visitor {visitor}")
    logger.info(customer.model_dump_json())
    logger.info("%s", note.model_dump())
    logger.info("%s", contact.model_dump(include={"id"}))
    print(vars(visitor))
"""
RAISING = """\
from app.errors import Masked, NotFound
from app.models import Contact, Customer, Note
from app.unindexed import Gone


def missing(customer: Customer) -> None:
    raise NotFound(f"no account for {customer.email}")


def checked(customer: Customer, contact: Contact, note: Note) -> None:
    if customer.id < 0:
        raise ValueError("bad email")
    if customer.id == 0:
        raise ValueError(customer.id, len(customer.email))
    if customer.id == 1:
        raise Masked(customer.email)
    if customer.id == 2:
        raise ValueError(customer, note, note.email)
    if customer.id == 3:
        raise ValueError(contact)
    if customer.id == 4:
        raise LookupError("no account for %s" % customer.email)
    if customer.id == 5:
        raise Gone(customer.email)
    error = KeyError({"email": customer.email})
    raise error
"""
FILES = {
    "app/__init__.py": "",
    "app/models.py": MODELS,
    "app/errors.py": ERRORS,
    "app/unindexed.py": UNINDEXED_ERRORS,
    "app/logs.py": LOGGING,
    "app/raising.py": RAISING,
}
LOGGED: list[Found] = [
    (12, 33, "PII005", "Customer.email"),
    (14, 11, "PII005", "Customer.email"),
    (17, 23, "PII005", "Customer.email"),
    (22, 26, "PII005", "Customer.email"),
    (30, 23, "PII005", "Contact"),
    (31, 22, "PII005", "Visitor"),
    (32, 17, "PII005", "Customer"),
    (35, 11, "PII005", "Visitor"),
]
RAISED: list[Found] = [
    (7, 38, "PII006", "Customer.email"),
    (20, 26, "PII006", "Contact"),
    (22, 49, "PII006", "Customer.email"),
    (26, 11, "PII006", "Customer.email"),
]


def _found(path: Path) -> list[Found]:
    return [(f.line, f.column, f.code, f.subject) for f in check_file(path)]


def test_pii_logged_in_containers_bindings_instances_and_dumps_is_flagged(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    assert _found(root / "app" / "logs.py") == LOGGED


def test_pii_in_raised_exceptions_is_flagged(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    assert _found(root / "app" / "raising.py") == RAISED


def test_the_messages_name_the_sink_and_read_for_whole_instances(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    logged = {f.line: f.message for f in check_file(root / "app" / "logs.py")}
    assert logged[22].startswith("PII005 PII value Customer.email passed to log.bind: ")
    assert logged[30].startswith(
        "PII005 PII fields of Contact passed to logger.info in a whole instance or a dump of one"
    )
    raised = {f.line: f.message for f in check_file(root / "app" / "raising.py")}
    assert raised[7].startswith("PII006 PII value Customer.email passed to exception NotFound: ")
    assert raised[26].startswith("PII006 PII value Customer.email passed to exception KeyError: ")


def test_a_model_without_pii_and_masking_models_give_nothing(tmp_path: Path) -> None:
    quiet = {
        **FILES,
        "app/logs.py": "from app.models import Customer, Note\n\n\n"
        "def f(customer: Customer, note: Note) -> None:\n"
        "    print(customer, note, note.model_dump(), vars(note))\n"
        "    raise ValueError(customer, note.email)\n",
    }
    root = write_project(tmp_path, quiet)
    assert _found(root / "app" / "logs.py") == []


def _tool_lines(output: str) -> list[tuple[str, int, int, str]]:
    found = []
    for line in output.splitlines():
        match = re.match(r"(?:\./)?(app/\w+\.py):(\d+):(\d+): (PII\d{3}) ", line)
        assert match is not None, line
        found.append((match[1], int(match[2]), int(match[3]), match[4]))
    return found


def test_flake8_and_pii_guard_check_report_the_same_findings(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    expected = sorted(
        [("app/logs.py", line, column, code) for line, column, code, _ in LOGGED]
        + [("app/raising.py", line, column, code) for line, column, code, _ in RAISED]
    )
    check = run_tool("pii-guard", "check", "app", cwd=root)
    assert check.returncode == 1, check.stderr
    assert sorted(_tool_lines(check.stdout)) == expected
    flake8 = run_tool("flake8", "--select", "PII", "app", cwd=root)
    assert flake8.returncode == 1, flake8.stderr
    assert sorted(_tool_lines(flake8.stdout)) == expected


def test_pii006_alone_is_selected_by_both_tools(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    expected = [("app/raising.py", line, column, code) for line, column, code, _ in RAISED]
    check = run_tool("pii-guard", "check", "--select", "PII006", "app", cwd=root)
    assert check.returncode == 1, check.stderr
    assert _tool_lines(check.stdout) == expected
    flake8 = run_tool("flake8", "--select", "PII006", "app", cwd=root)
    assert flake8.returncode == 1, flake8.stderr
    assert _tool_lines(flake8.stdout) == expected
