"""The autouse fixture of runtime, service and integration tests: a clean pii_guard environment."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pii_guard.config import reset_cryptor


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No pii_guard or AMSDAL variable leaks in from the machine, and no cryptor from a
    previous test."""
    for name in list(os.environ):
        if name.startswith(("PII_GUARD_", "AMSDAL_")):
            monkeypatch.delenv(name)
    reset_cryptor()
    yield
    reset_cryptor()
