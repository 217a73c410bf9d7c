"""`pii-guard migrate` and `pii-guard rewrap`, run as users run them: the installed command in a
subprocess, over a SQLite file and the PostgreSQL server the tests start, with the models in a
folder on PYTHONPATH."""

from __future__ import annotations

import base64
import importlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from pii_guard import KMSEnvelopeCryptor, LocalKeyCryptor, PIIDecryptionError, row_context
from pii_guard.cryptors.base import Cryptor
from pii_guard.migration import Shard
from pii_guard.sqlalchemy import CRYPTOR_KEY, decrypt
from tests.support.executables import installed_script
from tests.support.importable import importable_module
from tests.support.kms_server import DUMMY_CREDENTIALS, REGION, KMSServer

pytestmark = pytest.mark.slow

MARK = "LEGACY-PLAINTEXT-93c4"
MODULE = "migration_models"
MODELS = """
import uuid

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlmodel import Field, SQLModel

from pii_guard import PIIStr


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "legacy_customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[PIIStr]
    phone: Mapped[PIIStr | None]
    name: Mapped[str]


class Member(SQLModel, table=True):
    __tablename__ = "legacy_members"

    id: uuid.UUID = Field(primary_key=True)
    email: PIIStr
"""
CUSTOMER = f"{MODULE}:Customer"
MEMBER = f"{MODULE}:Member"


@pytest.fixture(scope="session")
def models_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with importable_module(tmp_path_factory.mktemp("models"), MODULE, MODELS) as folder:
        yield folder


@pytest.fixture
def models(models_folder: Path) -> Any:
    return importlib.import_module(MODULE)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path, models: Any) -> Iterator[str]:
    """The URL of a real database with the models' tables, empty."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(url, hide_parameters=True)
    models.Base.metadata.create_all(engine)
    models.SQLModel.metadata.create_all(engine, tables=[models.Member.__table__])
    yield url
    models.SQLModel.metadata.drop_all(engine, tables=[models.Member.__table__])
    models.Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def master_key() -> str:
    return LocalKeyCryptor.generate_key()


def local_cryptor(key: str) -> LocalKeyCryptor:
    return LocalKeyCryptor(base64.b64decode(key))


def pii_guard(
    models_folder: Path, *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_script("pii-guard"), *args],
        env=command_env(models_folder, env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def command_env(models_folder: Path, env: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PII_GUARD_", "AWS_"))}
    return {**base, "PYTHONPATH": str(models_folder), **env}


def local_env(key: str) -> dict[str, str]:
    return {"PII_GUARD_CRYPTO_SERVICE": "local", "PII_GUARD_LOCAL_KEY": key}


def insert_legacy_customers(url: str, ids: range) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO legacy_customers (id, email, phone, name) "
                "VALUES (:id, :email, :phone, :name)"
            ),
            [
                {
                    "id": n,
                    "email": f"{MARK}-{n}@example.com",
                    "phone": None if n % 3 == 0 else f"+31 {MARK} {n}",
                    "name": f"customer {n}",
                }
                for n in ids
            ],
        )
    engine.dispose()


def stored(url: str, table: str = "legacy_customers") -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = [
            tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
        ]
    engine.dispose()
    return rows


def plaintexts(
    url: str, model: type, cryptor: Cryptor, **options: Any
) -> dict[Any, dict[str, str | None]]:
    engine = create_engine(url, hide_parameters=True)
    with Session(engine, info={CRYPTOR_KEY: cryptor}) as session:
        objects = session.scalars(select(model).order_by(model.id)).all()  # type: ignore[attr-defined]
        found = dict(zip([obj.id for obj in objects], decrypt(objects, **options), strict=True))
    engine.dispose()
    return found


def expected_customers(ids: range) -> dict[int, dict[str, str | None]]:
    return {
        n: {
            "email": f"{MARK}-{n}@example.com",
            "phone": None if n % 3 == 0 else f"+31 {MARK} {n}",
        }
        for n in ids
    }


def assert_no_plaintext(*texts: str) -> None:
    for output in texts:
        assert MARK not in output
        assert "Traceback" not in output


# --- migrate -------------------------------------------------------------------------------------


def test_migrate_encrypts_every_legacy_row_and_leaves_no_plaintext(
    database: str, models: Any, models_folder: Path, master_key: str
) -> None:
    insert_legacy_customers(database, range(1, 251))
    result = pii_guard(
        models_folder,
        "migrate",
        database,
        CUSTOMER,
        "--batch-size",
        "100",
        env=local_env(master_key),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"{CUSTOMER}: 250 rows read, 250 rows encrypted (417 values) in 3 batch(es); complete"
    )
    assert "migrate Customer [" in result.stderr and "250/250 rows" in result.stderr
    assert_no_plaintext(result.stdout, result.stderr)
    rows = stored(database)
    assert MARK not in repr(rows)
    assert all(email.startswith("#01#") for _, email, _, _ in rows)
    assert [name for *_, name in rows] == [f"customer {n}" for n in range(1, 251)]
    found = plaintexts(database, models.Customer, local_cryptor(master_key))
    assert found == expected_customers(range(1, 251))


def test_migrate_stopped_after_some_batches_resumes_and_never_encrypts_twice(
    database: str, models: Any, models_folder: Path, master_key: str, tmp_path: Path
) -> None:
    insert_legacy_customers(database, range(1, 301))
    progress = tmp_path / "migrate.progress.json"
    arguments = ["migrate", database, CUSTOMER, "--batch-size", "100", "--progress", str(progress)]
    first = pii_guard(models_folder, *arguments, "--max-batches", "2", env=local_env(master_key))
    assert first.returncode == 0, first.stderr
    assert "stopped at --max-batches" in first.stdout
    halfway = stored(database)
    assert all(email.startswith("#01#") for _, email, _, _ in halfway[:200])
    assert all(email.startswith(MARK) for _, email, _, _ in halfway[200:])

    rest = pii_guard(models_folder, *arguments, env=local_env(master_key))
    assert rest.returncode == 0, rest.stderr
    assert rest.stdout.startswith(f"{CUSTOMER}: 100 rows read, 100 rows encrypted")
    assert stored(database)[:200] == halfway[:200]  # the committed batches were not redone

    # A run from the start (no progress file) finds nothing left to encrypt.
    again = pii_guard(models_folder, "migrate", database, CUSTOMER, env=local_env(master_key))
    assert again.returncode == 0, again.stderr
    assert "300 rows read, 0 rows encrypted (0 values)" in again.stdout
    found = plaintexts(database, models.Customer, local_cryptor(master_key))
    assert found == expected_customers(range(1, 301))  # decrypts once: nothing double-encrypted
    assert_no_plaintext(first.stdout, first.stderr, rest.stdout, rest.stderr)


def test_a_damaged_value_stops_its_batch_and_a_rerun_after_the_fix_finishes(
    database: str, models: Any, models_folder: Path, master_key: str, tmp_path: Path
) -> None:
    insert_legacy_customers(database, range(1, 301))
    engine = create_engine(database)
    with engine.begin() as connection:  # a value cut short in a stored shape: never plaintext
        connection.execute(text("UPDATE legacy_customers SET email = '#01#cut' WHERE id = 150"))
    progress = tmp_path / "progress.json"
    arguments = ["migrate", database, CUSTOMER, "--batch-size", "100", "--progress", str(progress)]
    failed = pii_guard(models_folder, *arguments, env=local_env(master_key))
    assert failed.returncode == 1
    assert "Customer.email of the row with key (150,)" in failed.stderr
    assert "1 batch(es) committed before the failure" in failed.stderr
    assert "rerun the same command to resume" in failed.stderr
    assert_no_plaintext(failed.stdout, failed.stderr)
    assert "#01#cut" not in failed.stderr
    rows = stored(database)
    assert all(email.startswith("#01#") for _, email, _, _ in rows[:100])
    assert all(email.startswith(MARK) for _, email, _, _ in rows[100:149] + rows[150:])

    with engine.begin() as connection:
        connection.execute(
            text(f"UPDATE legacy_customers SET email = '{MARK}-150@example.com' WHERE id = 150")
        )
    engine.dispose()
    fixed = pii_guard(models_folder, *arguments, env=local_env(master_key))
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.startswith(f"{CUSTOMER}: 200 rows read, 200 rows encrypted")
    found = plaintexts(database, models.Customer, local_cryptor(master_key))
    assert found == expected_customers(range(1, 301))


def test_dry_run_counts_and_writes_nothing(
    database: str, models_folder: Path, master_key: str, tmp_path: Path
) -> None:
    insert_legacy_customers(database, range(1, 121))
    before = stored(database)
    progress = tmp_path / "progress.json"
    result = pii_guard(
        models_folder,
        *("migrate", database, CUSTOMER, "--dry-run", "--batch-size", "50"),
        *("--progress", str(progress)),
        env=local_env(master_key),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"{CUSTOMER}: 120 rows read, 120 rows would be encrypted (200 values) in 3 batch(es); "
        "dry run: nothing written"
    )
    assert stored(database) == before
    assert not progress.exists()
    assert_no_plaintext(result.stdout, result.stderr)


def test_two_shards_together_cover_every_row_exactly_once(
    database: str, models: Any, models_folder: Path, master_key: str, tmp_path: Path
) -> None:
    insert_legacy_customers(database, range(1, 401))
    commands = [
        [
            *("migrate", database, CUSTOMER, "--batch-size", "50", "--shard", f"{index}/2"),
            *("--progress", str(tmp_path / f"shard-{index}.json")),
        ]
        for index in (1, 2)
    ]
    if database.startswith("sqlite"):  # one writer at a time: SQLite shards take turns
        results = [
            pii_guard(models_folder, *command, env=local_env(master_key)) for command in commands
        ]
    else:  # on a server, the workers run at once
        running = [
            subprocess.Popen(
                [installed_script("pii-guard"), *command],
                env=command_env(models_folder, local_env(master_key)),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for command in commands
        ]
        results = []
        for process in running:
            out, err = process.communicate(timeout=300)
            results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    counts = []
    for index, result in enumerate(results, start=1):
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"{CUSTOMER} (shard {index}/2): ")
        read = int(result.stdout.split(": ")[1].split(" rows read")[0])
        assert f"{read} rows encrypted" in result.stdout  # every row of its shard, by it alone
        counts.append(read)
        assert_no_plaintext(result.stdout, result.stderr)
    assert sum(counts) == 400 and min(counts) > 100  # a partition, roughly even
    found = plaintexts(database, models.Customer, local_cryptor(master_key))
    assert found == expected_customers(range(1, 401))


def test_shards_of_one_count_partition_the_keys() -> None:
    keys = [(n,) for n in range(2000)] + [(uuid.uuid4(),) for _ in range(500)] + [("a", 1)]
    shards = [Shard(index, 8) for index in range(1, 9)]
    for key in keys:
        assert sum(shard.holds(key) for shard in shards) == 1


# --- rewrap ------------------------------------------------------------------------------------


def kms_env(server: KMSServer, key_id: str, *decrypt_key_ids: str) -> dict[str, str]:
    return {
        "PII_GUARD_CRYPTO_SERVICE": "kms",
        "PII_GUARD_KMS_KEY_ID": key_id,
        "PII_GUARD_KMS_DECRYPT_KEY_IDS": ",".join(decrypt_key_ids),
        "PII_GUARD_KMS_ENDPOINT_URL": server.endpoint_url,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
    }


def save_members(url: str, models: Any, cryptor: Cryptor, count: int) -> dict[Any, str]:
    engine = create_engine(url, hide_parameters=True)
    emails = {uuid.uuid4(): f"{MARK}-member-{n}@example.com" for n in range(count)}
    with Session(engine, info={CRYPTOR_KEY: cryptor}) as session:
        for key, email in emails.items():
            session.add(models.Member(id=key, email=email))
            session.flush()  # one data key a row, as rows saved one per request
        session.commit()
    engine.dispose()
    return emails


def test_rewrap_moves_every_value_to_the_new_kms_key(
    database: str,
    models: Any,
    models_folder: Path,
    kms_server: KMSServer,
    kms_client: Any,
    kms_key_id: str,
    tmp_path: Path,
) -> None:
    old = kms_key_id
    new = kms_client.create_key(KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]["KeyId"]

    def only(key_id: str) -> KMSEnvelopeCryptor:
        return KMSEnvelopeCryptor(key_id, client=kms_client, decrypt_key_ids=[])

    emails = save_members(database, models, only(old), 30)
    with pytest.raises(PIIDecryptionError):  # before: the new key alone cannot read them
        plaintexts(database, models.Member, only(new))

    progress = tmp_path / "rewrap.json"
    arguments = ["rewrap", database, MEMBER, "--batch-size", "10", "--progress", str(progress)]
    env = kms_env(kms_server, new, old)
    first = pii_guard(models_folder, *arguments, "--max-batches", "1", env=env)
    assert first.returncode == 0, first.stderr
    rest = pii_guard(models_folder, *arguments, env=env)
    assert rest.returncode == 0, rest.stderr
    assert rest.stdout.startswith(f"{MEMBER}: 20 rows read, 20 rows rewrapped (20 values)")
    assert rest.stdout.rstrip().endswith("complete")
    assert_no_plaintext(first.stdout, first.stderr, rest.stdout, rest.stderr)
    assert MARK not in repr(stored(database, "legacy_members"))

    found = plaintexts(database, models.Member, only(new))  # after: the new key alone reads all
    assert {key: plain["email"] for key, plain in found.items()} == emails
    with pytest.raises(PIIDecryptionError):  # and the old key alone reads none
        plaintexts(database, models.Member, only(old))


def test_rewrap_to_a_row_binding_stopped_and_resumed(
    database: str, models: Any, models_folder: Path, master_key: str, tmp_path: Path
) -> None:
    insert_legacy_customers(database, range(1, 101))
    assert (
        pii_guard(
            models_folder, "migrate", database, CUSTOMER, env=local_env(master_key)
        ).returncode
        == 0
    )
    progress = tmp_path / "rewrap.json"
    arguments = [
        *("rewrap", database, CUSTOMER, "--to-binding", "row:id", "--batch-size", "40"),
        *("--progress", str(progress)),
    ]
    first = pii_guard(models_folder, *arguments, "--max-batches", "1", env=local_env(master_key))
    assert first.returncode == 0, first.stderr
    rest = pii_guard(models_folder, *arguments, env=local_env(master_key))
    assert rest.returncode == 0, rest.stderr
    assert rest.stdout.startswith(f"{CUSTOMER}: 60 rows read, 60 rows rewrapped")
    cryptor = local_cryptor(master_key)
    found = plaintexts(database, models.Customer, cryptor, context=row_context("id"))
    assert found == expected_customers(range(1, 101))
    with pytest.raises(PIIDecryptionError):  # no longer under the field binding
        plaintexts(database, models.Customer, cryptor)
    done = pii_guard(models_folder, *arguments, env=local_env(master_key))
    assert "already complete" in done.stdout


# --- usage -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--shard", "3/2"], "--shard '3/2': give I/N with 1 <= I <= N"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
        (["--binding", "rows"], "binding 'rows': give field, none, or row:KEY"),
        (["--start-after", "x"], "the start key 'x' is not a value of Customer.id"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path,
    models: Any,
    models_folder: Path,
    master_key: str,
    arguments: list[str],
    message: str,
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine: Engine = create_engine(url)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    result = pii_guard(
        models_folder, "migrate", url, CUSTOMER, *arguments, env=local_env(master_key)
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_models_urls_and_missing_keys_exit_2(
    tmp_path: Path, models_folder: Path, master_key: str
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    cases = [
        (
            ["migrate", url, "nowhere.models:Customer"],
            local_env(master_key),
            "cannot import 'nowhere.models'",
        ),
        (
            ["migrate", url, f"{MODULE}.Customer"],
            local_env(master_key),
            "name a model as package.module:Class",
        ),
        (["migrate", url, f"{MODULE}:Base"], local_env(master_key), "no mapped class 'Base'"),
        (
            ["migrate", "nodb://secret@x/y", CUSTOMER],
            local_env(master_key),
            "not one SQLAlchemy can use",
        ),
        (["migrate", url, CUSTOMER], {"PII_GUARD_CRYPTO_SERVICE": "local"}, "PII_GUARD_LOCAL_KEY"),
        (
            ["migrate", url, CUSTOMER],
            local_env(master_key),
            "the database has no table 'legacy_customers'",
        ),
    ]
    for arguments, env, message in cases:
        result = pii_guard(models_folder, *arguments, env=env)
        assert result.returncode == 2, (arguments, result.stderr)
        assert message in result.stderr
        assert "secret" not in result.stderr and "Traceback" not in result.stderr


def test_the_analyzer_command_does_not_import_sqlalchemy_until_a_storage_command_runs() -> None:
    probe = "import sys, flake8_pii.cli; print(sorted(m for m in sys.modules if 'sqlalchemy' in m))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
