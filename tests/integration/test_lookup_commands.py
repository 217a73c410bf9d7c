"""`pii-guard keys` and `pii-guard reindex`, run as users run them: the installed command in a
subprocess, over a SQLite file, with the models in a folder on PYTHONPATH."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from pii_guard import LocalKeyCryptor, lookup_values
from pii_guard.sqlalchemy import CRYPTOR_KEY
from tests.integration.test_migration_commands import local_cryptor, local_env, pii_guard
from tests.support.importable import importable_module

MODULE = "lookup_models"
MODELS = """
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from pii_guard import PIIStr
from pii_guard.sqlalchemy import lookup_column

class Base(DeclarativeBase):
    pass

class Shopper(Base):
    __tablename__ = "lookup_shoppers"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[PIIStr | None]
    email_lookup: Mapped[str | None] = lookup_column("email", normalizer="email", unique=True)
"""


@pytest.fixture(scope="module")
def models_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with importable_module(tmp_path_factory.mktemp("lookup_models"), MODULE, MODELS) as folder:
        yield folder


@pytest.fixture
def models(models_folder: Path) -> Any:
    return importlib.import_module(MODULE)


def test_keys_new_then_reindex_moves_every_lookup_to_the_newest_version(
    models_folder: Path, models: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = LocalKeyCryptor.generate_key()
    cryptor = local_cryptor(key)
    env = local_env(key)

    made = pii_guard(models_folder, "keys", "new", env=env)
    assert made.returncode == 0, made.stderr
    version_1 = made.stdout.strip()
    assert [entry["version"] for entry in json.loads(version_1)] == [1]

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = create_engine(url)
    models.Base.metadata.create_all(engine)
    monkeypatch.setenv("PII_GUARD_INDEX_KEYS", version_1)
    with Session(engine, info={CRYPTOR_KEY: cryptor}) as session:
        session.add_all(models.Shopper(email=f"user{n}@example.com") for n in range(30))
        session.add(models.Shopper(email=None))
        session.commit()

    rotated = pii_guard(
        models_folder, "keys", "new", env={**env, "PII_GUARD_INDEX_KEYS": version_1}
    )
    assert rotated.returncode == 0, rotated.stderr
    both = rotated.stdout.strip()
    listed = pii_guard(models_folder, "keys", "list", env={**env, "PII_GUARD_INDEX_KEYS": both})
    assert listed.stdout.splitlines() == [
        "v2: unwraps; writes and is searched",
        "v1: unwraps; is searched",
    ]

    done = pii_guard(
        models_folder,
        "reindex",
        url,
        f"{MODULE}:Shopper",
        "--batch-size",
        "7",
        env={**env, "PII_GUARD_INDEX_KEYS": both},
    )
    assert done.returncode == 0, done.stderr
    assert "30 rows reindexed" in done.stdout and "complete" in done.stdout
    assert "user" not in done.stdout + done.stderr

    only_v2 = json.dumps([entry for entry in json.loads(both) if entry["version"] == 2])
    monkeypatch.setenv("PII_GUARD_INDEX_KEYS", only_v2)
    with Session(engine, info={CRYPTOR_KEY: cryptor}) as session:
        stored = list(session.scalars(select(models.Shopper.email_lookup)))
        assert sorted(value[:3] for value in stored if value is not None) == ["v2:"] * 30
        wanted = lookup_values(models.Shopper, "email", "USER17@example.com", cryptor=cryptor)
        found = session.scalars(
            select(models.Shopper).where(models.Shopper.email_lookup.in_(wanted))
        ).all()
        assert [shopper.id for shopper in found] == [18]
    engine.dispose()
