"""The stored form of a PII value: `#01#<encrypted_key>:<iv>:<ciphertext>:<tag>#10#`.

Every part is standard, canonical base64. Parsing is strict (a re-encoded part must equal the
stored part), so any change to the stored text is either rejected here or by the AEAD tag.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from pii_guard.errors import PIIDecryptionError

PREFIX = "#01#"
SUFFIX = "#10#"
SEPARATOR = ":"
IV_BYTES = 12
TAG_BYTES = 16


@dataclass(frozen=True)
class Envelope:
    """The four binary parts of one envelope-encrypted value."""

    encrypted_key: bytes
    iv: bytes
    ciphertext: bytes
    tag: bytes

    def __repr__(self) -> str:
        # Binary parts are not secret, but a short repr keeps logs readable and uniform.
        return f"Envelope(encrypted_key=<{len(self.encrypted_key)} bytes>, ...)"


def wrap(inner: str) -> str:
    """`inner` between the wire markers (the fake cryptor's whole format)."""
    return f"{PREFIX}{inner}{SUFFIX}"


def unwrap(value: str) -> str:
    """The text between the wire markers; PIIDecryptionError when the markers are missing."""
    if not is_wire_value(value):
        raise PIIDecryptionError(f"not a stored PII value (expected {PREFIX}...{SUFFIX})")
    return value[len(PREFIX) : -len(SUFFIX)]


def is_wire_value(value: object) -> bool:
    """Whether `value` has the stored shape `#01#...#10#` (any cryptor's output)."""
    return (
        isinstance(value, str)
        and len(value) >= len(PREFIX) + len(SUFFIX)
        and value.startswith(PREFIX)
        and value.endswith(SUFFIX)
    )


def build_wire(envelope: Envelope) -> str:
    """The stored text of an envelope."""
    parts = (envelope.encrypted_key, envelope.iv, envelope.ciphertext, envelope.tag)
    return wrap(SEPARATOR.join(base64.b64encode(part).decode("ascii") for part in parts))


def parse_wire(value: str) -> Envelope:
    """The envelope stored in `value`; PIIDecryptionError naming what is malformed."""
    parts = unwrap(value).split(SEPARATOR)
    if len(parts) != 4:
        raise PIIDecryptionError(
            f"expected 4 parts (key:iv:ciphertext:tag), found {len(parts)}; "
            "truncated, or written by a cryptor without envelope encryption"
        )
    names = ("encrypted key", "iv", "ciphertext", "tag")
    encrypted_key, iv, ciphertext, tag = (
        _decode_part(name, part) for name, part in zip(names, parts, strict=True)
    )
    if not encrypted_key:
        raise PIIDecryptionError("the encrypted key part is empty")
    if len(iv) != IV_BYTES:
        raise PIIDecryptionError(f"the iv is {len(iv)} bytes, expected {IV_BYTES}")
    if len(tag) != TAG_BYTES:
        raise PIIDecryptionError(f"the tag is {len(tag)} bytes, expected {TAG_BYTES}")
    return Envelope(encrypted_key=encrypted_key, iv=iv, ciphertext=ciphertext, tag=tag)


def is_envelope(value: object) -> bool:
    """Whether `value` is a well-formed envelope (it may still fail authentication)."""
    if not isinstance(value, str):
        return False
    try:
        parse_wire(value)
    except PIIDecryptionError:
        return False
    return True


def _decode_part(name: str, part: str) -> bytes:
    try:
        decoded = base64.b64decode(part, validate=True)
    except (binascii.Error, ValueError):
        raise PIIDecryptionError(f"the {name} part is not valid base64") from None
    if base64.b64encode(decoded).decode("ascii") != part:
        raise PIIDecryptionError(f"the {name} part is not canonical base64")
    return decoded
