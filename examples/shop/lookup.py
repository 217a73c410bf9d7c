"""Deterministic lookup keys for PII values: what to filter and constrain on instead."""

import hashlib
import hmac
import os

_SECRET = os.environ.get("SHOP_LOOKUP_SECRET", "dev-only").encode()


def email_lookup(address: str) -> str:
    return hmac.new(_SECRET, address.strip().lower().encode(), hashlib.sha256).hexdigest()
