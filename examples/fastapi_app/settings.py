"""The app's settings, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

DATABASE_URL_VARIABLE = "EXAMPLE_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///fastapi_app.db"


@dataclass(frozen=True)
class Settings:
    database_url: str

    @classmethod
    def from_environment(cls) -> Settings:
        # pii-guard reads its own settings (cryptor, index keys) from PII_GUARD_* variables.
        return cls(database_url=os.environ.get(DATABASE_URL_VARIABLE, DEFAULT_DATABASE_URL))
