"""The stored form of a PII value: `#01#<encrypted_key>:<iv>:<ciphertext>:<tag>#10#`.

Every part is standard, canonical base64. Parsing is strict (a re-encoded part must equal the
stored part), so any change to the stored text is either rejected here or by the AEAD tag.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Sequence
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
    return build_wire_from_parts(
        encode_part(envelope.encrypted_key), envelope.iv, envelope.ciphertext, envelope.tag
    )


def encode_part(data: bytes) -> str:
    """One part in standard base64 (a batch encodes its encrypted key once with this)."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def build_wire_from_parts(encrypted_key: str, iv: bytes, ciphertext: bytes, tag: bytes) -> str:
    """The stored text from an already encoded key and the binary rest."""
    # Runs once per value: the encoder is called inline rather than through encode_part.
    return (
        f"{PREFIX}{encrypted_key}{SEPARATOR}{_b2a(iv, newline=False).decode()}{SEPARATOR}"
        f"{_b2a(ciphertext, newline=False).decode()}{SEPARATOR}"
        f"{_b2a(tag, newline=False).decode()}{SUFFIX}"
    )


def build_wire_values(
    encrypted_key: str, ivs: Sequence[bytes], sealed: Sequence[bytes]
) -> list[str]:
    """The stored texts of a batch under one data key (`encrypted_key` already encoded): each
    IV with its AES-GCM output (the ciphertext, then the tag)."""
    head = f"{PREFIX}{encrypted_key}{SEPARATOR}"
    # Runs once per value: the encoder is called inline rather than through encode_part.
    return [
        f"{head}{_b2a(iv, newline=False).decode()}{SEPARATOR}"
        f"{_b2a(output[:-TAG_BYTES], newline=False).decode()}{SEPARATOR}"
        f"{_b2a(output[-TAG_BYTES:], newline=False).decode()}{SUFFIX}"
        for iv, output in zip(ivs, sealed, strict=True)
    ]


def parse_wire(value: str) -> Envelope:
    """The envelope stored in `value`; PIIDecryptionError naming what is malformed."""
    encrypted_key, iv, ciphertext, tag = parse_wire_parts(value)
    return Envelope(
        encrypted_key=decode_encrypted_key(encrypted_key), iv=iv, ciphertext=ciphertext, tag=tag
    )


def parse_wire_parts(value: str) -> tuple[str, bytes, bytes, bytes]:
    """The encrypted key still in base64 (a batch decodes each distinct key once), and the
    decoded iv, ciphertext and tag; PIIDecryptionError naming what is malformed."""
    # The common case in few steps (it runs once per stored value); anything unusual is
    # handed to `_explain_malformed`, which applies the same rules one by one. A part is
    # canonical when encoding its bytes gives back its text: that rules out padding after a
    # complete block and non-zero unused bits, so one envelope has exactly one stored text.
    # The split is bounded: a value with millions of colons builds a list of five strings.
    if value.startswith(PREFIX) and value.endswith(SUFFIX):
        parts = value[_INNER].split(SEPARATOR, 4)
        if len(parts) == 4:
            encrypted_key, iv_text, ciphertext_text, tag_text = parts
            try:
                iv = _a2b(iv_text, strict_mode=True)
                ciphertext = _a2b(ciphertext_text, strict_mode=True)
                tag = _a2b(tag_text, strict_mode=True)
            except (binascii.Error, ValueError):
                pass
            else:
                if (
                    encrypted_key
                    and len(iv) == IV_BYTES
                    and len(tag) == TAG_BYTES
                    and _b2a(iv, newline=False) == iv_text.encode()
                    and _b2a(ciphertext, newline=False) == ciphertext_text.encode()
                    and _b2a(tag, newline=False) == tag_text.encode()
                ):
                    return encrypted_key, iv, ciphertext, tag
    return _explain_malformed(value)


def _explain_malformed(value: str) -> tuple[str, bytes, bytes, bytes]:
    inner = unwrap(value)
    parts = inner.split(SEPARATOR, 4)
    if len(parts) != 4:
        raise PIIDecryptionError(
            f"expected 4 parts (key:iv:ciphertext:tag), found {inner.count(SEPARATOR) + 1}; "
            "truncated, or written by a cryptor without envelope encryption"
        )
    encrypted_key, iv_text, ciphertext_text, tag_text = parts
    if not encrypted_key:
        raise PIIDecryptionError("the encrypted key part is empty")
    iv = _decode_part("iv", iv_text)
    if len(iv) != IV_BYTES:
        raise PIIDecryptionError(f"the iv is {len(iv)} bytes, expected {IV_BYTES}")
    ciphertext = _decode_part("ciphertext", ciphertext_text)
    tag = _decode_part("tag", tag_text)
    if len(tag) != TAG_BYTES:
        raise PIIDecryptionError(f"the tag is {len(tag)} bytes, expected {TAG_BYTES}")
    return encrypted_key, iv, ciphertext, tag


def decode_encrypted_key(encrypted_key: str) -> bytes:
    """The encrypted data key of a part returned by `parse_wire_parts`."""
    decoded = _decode_part("encrypted key", encrypted_key)
    if not decoded:
        raise PIIDecryptionError("the encrypted key part is empty")
    return decoded


def is_envelope(value: object) -> bool:
    """Whether `value` is a well-formed envelope (it may still fail authentication)."""
    if not isinstance(value, str):
        return False
    try:
        parse_wire(value)
    except PIIDecryptionError:
        return False
    return True


_INNER = slice(len(PREFIX), -len(SUFFIX))
_a2b = binascii.a2b_base64
_b2a = binascii.b2a_base64


def _decode_part(name: str, part: str) -> bytes:
    try:
        decoded = _a2b(part, strict_mode=True)
    except (binascii.Error, ValueError):
        raise PIIDecryptionError(f"the {name} part is not valid base64") from None
    # Strict decoding still accepts "=" after a complete block and ignores the unused bits
    # before the padding; the stored text must be the one encoding pii_guard writes.
    if _b2a(decoded, newline=False) != part.encode():
        raise PIIDecryptionError(
            f"the {name} part is not canonical base64 (extra padding or non-zero unused "
            "bits): the stored text was changed after it was written"
        )
    return decoded


_STORED_SHAPE = re.compile(r"#\d\d#")


def looks_like_wire_value(value: str) -> bool:
    """Whether text has any stored shape (`#NN#...`, `...#10#`), damaged ones included: a
    truncated, padded or future-version value must never pass for plaintext."""
    stripped = value.strip()
    return bool(_STORED_SHAPE.match(stripped)) or stripped.endswith(SUFFIX)
