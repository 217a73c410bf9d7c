"""The app's settings, read once from the environment."""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

DATABASE_URL_VARIABLE = "EXAMPLE_DATABASE_URL"
LOOKUP_KEY_VARIABLE = "EXAMPLE_LOOKUP_KEY"
DEFAULT_DATABASE_URL = "sqlite:///fastapi_app.db"
MINIMUM_KEY_BYTES = 32


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names the variable, never its value."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    lookup_key: bytes  # the HMAC key of the e-mail lookup column

    def __repr__(self) -> str:  # keep the key out of tracebacks and debug output
        return f"Settings(database_url={self.database_url!r}, lookup_key=<hidden>)"

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            database_url=os.environ.get(DATABASE_URL_VARIABLE, DEFAULT_DATABASE_URL),
            lookup_key=_lookup_key(os.environ.get(LOOKUP_KEY_VARIABLE)),
        )


def _lookup_key(encoded: str | None) -> bytes:
    if not encoded:
        raise SettingsError(
            f"set {LOOKUP_KEY_VARIABLE} to a base64 key of {MINIMUM_KEY_BYTES} random bytes "
            "(see examples/fastapi_app/README.md)"
        )
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{LOOKUP_KEY_VARIABLE} is not valid base64") from None
    if len(key) < MINIMUM_KEY_BYTES:
        raise SettingsError(
            f"{LOOKUP_KEY_VARIABLE} decodes to {len(key)} bytes; use {MINIMUM_KEY_BYTES} or more"
        )
    return key
