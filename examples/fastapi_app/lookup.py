"""The e-mail lookup column: a keyed hash of the normalised address, the only thing searched.

A PII column holds ciphertext that differs on every encryption, so no query can find a row by
it. This column holds HMAC-SHA256 of the normalised address under a key of the app's own: equal
addresses give equal hashes, the database can index them (and refuse a second registration),
and without the key nobody can test guesses against the stored hashes. pii-guard's blind
indexes are to replace this module.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

LOOKUP_LENGTH = 64  # hex digits of SHA-256


def normalise_email(email: str) -> str:
    """The form two spellings of one address share: trimmed, NFC, case-folded.

    Case-folding the local part too is a choice: almost every mail provider ignores its case,
    and users type it either way.
    """
    return unicodedata.normalize("NFC", email.strip()).casefold()


def email_lookup(email: str, key: bytes) -> str:
    """The lookup value stored beside the encrypted address, and searched for."""
    digest = hmac.new(key, normalise_email(email).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()
