"""Fixtures of the integration tests: real databases (SQLite, and a PostgreSQL server the tests
start), the local KMS endpoint, a clean environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from tests.runtime.conftest import CountedKMS, counted_kms
from tests.support import postgres
from tests.support.environment import clean_environment  # noqa: F401  (autouse)
from tests.support.kms_server import KMSServer


@pytest.fixture
def kms(kms_server: KMSServer, kms_key_id: str) -> CountedKMS:
    return counted_kms(kms_server.endpoint_url, kms_key_id)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    reason = postgres.missing()
    if reason is not None:
        pytest.skip(reason)
    with postgres.running_postgres() as server:
        yield server.url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A real database, empty, its engine hiding statement parameters in errors."""
    url = "sqlite://" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    created = create_engine(url, hide_parameters=True)
    yield created
    created.dispose()
