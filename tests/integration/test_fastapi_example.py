"""The FastAPI example (examples/fastapi_app) served by a real uvicorn process, used over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pii_guard import LocalKeyCryptor
from tests.support.http_process import free_loopback_port, serving

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MARK = "PLAINTEXT-7e1f"  # in every address and phone number: one search finds any leak


@dataclass(frozen=True)
class Example:
    url: str
    database: Path
    log_path: Path

    def call(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        """(status, decoded JSON answer) of one request."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.load(error)

    def register(self, email: str, phone: str | None = None) -> tuple[int, Any]:
        return self.call("POST", "/users", {"email": email, "phone": phone})

    def find(self, email: str) -> tuple[int, Any]:
        return self.call("GET", "/users/by-email?" + urllib.parse.urlencode({"email": email}))

    def stored_rows(self) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.database)) as connection:
            return connection.execute("SELECT * FROM users ORDER BY id").fetchall()


@contextlib.contextmanager
def running_example(folder: Path) -> Iterator[Example]:
    """The example app under uvicorn on a free port, its SQLite file and log in `folder`."""
    port = free_loopback_port()
    url = f"http://127.0.0.1:{port}"
    example = Example(url, folder / "users.db", folder / "server.log")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PII_GUARD_", "AMSDAL_", "EXAMPLE_"))
    }
    env.update(
        PYTHONUNBUFFERED="1",
        PII_GUARD_CRYPTO_SERVICE="local",
        PII_GUARD_LOCAL_KEY=LocalKeyCryptor.generate_key(),
        EXAMPLE_DATABASE_URL=f"sqlite:///{example.database}",
    )
    # The index keyring, made as the example's README says: `pii-guard keys new`.
    env["PII_GUARD_INDEX_KEYS"] = subprocess.run(
        [str(Path(sys.executable).with_name("pii-guard")), "keys", "new"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "fastapi_app.app:create_app",
        "--app-dir", str(EXAMPLES), "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    with serving(
        "the FastAPI example",
        command,
        ready_url=f"{url}/openapi.json",
        log_path=example.log_path,
        env=env,
        cwd=folder,
    ):
        yield example


def test_users_register_are_found_by_email_and_listed(tmp_path: Path) -> None:
    people = [(f"{MARK}-{name}@example.com", f"+31 6 {MARK} {n}") for n, name in enumerate("abc")]
    with running_example(tmp_path) as example:
        registered = [example.register(email, phone) for email, phone in people]
        found = example.find(f"  {MARK.upper()}-B@EXAMPLE.COM ")  # another spelling of one
        listed = example.call("GET", "/users")
        second_page = example.call("GET", "/users?offset=2&limit=5")

    assert [status for status, _ in registered] == [201, 201, 201]
    users = [user for _, user in registered]
    assert [(user["email"], user["phone"]) for user in users] == people
    assert found == (200, users[1])
    assert listed == (200, users)
    assert second_page == (200, users[2:])


def test_the_database_and_the_server_log_hold_no_plaintext(tmp_path: Path) -> None:
    with running_example(tmp_path) as example:
        for n in range(5):
            assert example.register(f"{MARK}-{n}@example.com", f"+31 {MARK} {n}")[0] == 201
        assert example.find(f"{MARK}-3@example.com")[0] == 200
        assert example.find(f"{MARK}-unknown@example.com")[0] == 404
        assert example.register(f"{MARK}-3@example.com")[0] == 409
        assert example.register(f"{MARK} no address")[0] == 422
        assert example.call("GET", "/users")[0] == 200
        rows = example.stored_rows()

    assert len(rows) == 5
    for _id, email, phone, lookup in rows:
        assert email.startswith("#01#") and phone.startswith("#01#")
        assert re.fullmatch(r"v1:[A-Za-z0-9_-]+", lookup)  # a blind index, version 1
    assert MARK not in repr(rows)
    assert MARK.encode() not in example.database.read_bytes()
    log = example.log_path.read_text()
    assert MARK.lower() not in log.lower()
    assert "GET /users/by-email?<hidden>" in log  # the access log ran, without the query


def test_a_second_registration_of_an_address_answers_409_from_the_unique_index(
    tmp_path: Path,
) -> None:
    with running_example(tmp_path) as example:
        first = example.register(f"{MARK}@example.com")
        again = example.register(f"{MARK.lower()}@Example.com", "+31 20 000")
        rows = example.stored_rows()
        with contextlib.closing(sqlite3.connect(example.database)) as connection:
            indexes = connection.execute("PRAGMA index_list(users)").fetchall()
            columns = connection.execute("PRAGMA index_info(ix_users_email_lookup)").fetchall()

    assert first[0] == 201
    assert again == (409, {"detail": "this e-mail address is already registered"})
    assert len(rows) == 1
    assert ("ix_users_email_lookup", 1) in {(name, unique) for _, name, unique, *_ in indexes}
    assert [name for *_, name in columns] == ["email_lookup"]


def test_an_unknown_address_answers_404_without_the_address(tmp_path: Path) -> None:
    with running_example(tmp_path) as example:
        example.register(f"{MARK}-known@example.com")
        answer = example.find(f"{MARK}-unknown@example.com")

    assert answer == (404, {"detail": "no user has this e-mail address"})


def test_invalid_input_is_refused_without_echoing_it(tmp_path: Path) -> None:
    with running_example(tmp_path) as example:
        status, answer = example.register(f"{MARK} is no address", f"+31 {MARK}")
        too_long = example.find(f"{MARK}-" + "x" * 300 + "@example.com")

    assert status == 422
    assert answer == {
        "detail": [
            {
                "loc": ["body", "email"],
                "msg": "Value error, not an e-mail address",
                "type": "value_error",
            }
        ]
    }
    assert too_long[0] == 422 and MARK not in json.dumps(too_long[1])
