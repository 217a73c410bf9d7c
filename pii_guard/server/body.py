"""Bodies: a request's -> the list of values, within the client's limits (BadRequest says what is
wrong); a list of values -> the answer's JSON.

Messages name positions and limits, never a value: the body is PII.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pii_guard.server.settings import Limits

# A ciphertext is longer than its plaintext: base64 (4/3), the wrapped data key, IV and tag.
_CIPHERTEXT_ALLOWANCE = 2048


@dataclass(frozen=True)
class BadRequest(Exception):
    status: int
    message: str
    position: int | None = None

    def answer(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message}
        if self.position is not None:
            body["position"] = self.position
        return body


async def read_limited(
    chunks: AsyncIterator[bytes], declared_length: str | None, limit: int
) -> bytes:
    """The whole body, or BadRequest 413 as soon as it is known to exceed `limit` bytes."""
    too_large = BadRequest(413, f"the body is larger than this client's limit of {limit} bytes")
    if declared_length is not None and declared_length.isdigit() and int(declared_length) > limit:
        raise too_large
    received = bytearray()
    async for chunk in chunks:
        received += chunk
        if len(received) > limit:
            raise too_large
    return bytes(received)


def parse_values(body: bytes, operation: str, limits: Limits) -> list[str]:
    """The "values" list of a JSON body `{"values": [str, ...]}`, checked against `limits`."""
    try:
        document: Any = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadRequest(400, 'the body is not JSON; send {"values": [...]}') from None
    if not isinstance(document, dict) or "values" not in document:
        raise BadRequest(400, 'the body must be a JSON object with a "values" list')
    values = document["values"]
    if not isinstance(values, list):
        raise BadRequest(400, '"values" must be a list of strings')
    if len(values) > limits.max_values:
        raise BadRequest(
            413,
            f"{len(values)} values in one request; this client's limit is {limits.max_values}",
        )
    longest = limits.max_value_chars
    if operation == "decrypt":
        longest = longest * 2 + _CIPHERTEXT_ALLOWANCE
    # The usual case, checked in C; the loop below only runs to name the position at fault.
    if set(map(type, values)) <= {str} and max(map(len, values), default=0) <= longest:
        return values
    for position, value in enumerate(values):
        if not isinstance(value, str):
            raise BadRequest(
                400, f"the value at position {position} is {_kind(value)}, not a string", position
            )
        if len(value) > longest:
            raise BadRequest(
                413,
                f"the value at position {position} is longer than this client's limit of "
                f"{longest} characters",
                position,
            )
    return values


# Characters a JSON string holds as they are: printable ASCII but the quote and the backslash.
_PLAIN = bytes(range(0x20, 0x7F)).replace(b'"', b"").replace(b"\\", b"")


def values_answer(values: list[str]) -> bytes:
    """`{"values": [...]}` as JSON bytes.

    Wire values (and most plaintexts) need no escaping: their JSON is the values between quotes,
    joined, several times faster than the json module's character by character escaping of the
    16 KB of 50 ciphertexts. Anything else goes through the json module.
    """
    joined = '","'.join(values)
    if values and joined.isascii():
        encoded = joined.encode("ascii")
        # Without the plain characters, only the separators' quotes may be left.
        if encoded.translate(None, _PLAIN) == b'"' * (2 * len(values) - 2):
            return b'{"values":["' + encoded + b'"]}'
    return json.dumps(
        {"values": values}, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    return "an object"
