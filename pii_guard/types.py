"""The PII types models import: `PIIStr` marks a field, `EncryptedStr` masks a stored value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from pydantic import AfterValidator

from pii_guard.wire import is_wire_value

MASK = "<encrypted>"


@dataclass(frozen=True)
class PIIMarker:
    """`Annotated` metadata that makes a field a PII field; pydantic ignores it in schemas."""

    def __repr__(self) -> str:
        return "PIIMarker()"


PII_MARKER = PIIMarker()


class EncryptedStr(str):
    """A stored PII value as read back from storage: ciphertext that shows only a mask.

    It is a `str` holding the wire value, so saving it again writes the same ciphertext; every
    text rendering (`str`, `repr`, `format`, f-strings, `%`-formatting) shows a mask instead.
    Use `.ciphertext` for the stored text and `decrypt_pii` for the plaintext.
    """

    __slots__ = ()

    @property
    def ciphertext(self) -> str:
        """The stored wire value, as a plain `str`."""
        return str.__str__(self)

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"EncryptedStr({MASK})"

    def __format__(self, format_spec: str) -> str:
        return format(MASK, format_spec)

    def __reduce__(self) -> tuple[type[EncryptedStr], tuple[str]]:
        return (EncryptedStr, (self.ciphertext,))


def _as_encrypted_if_stored(value: str) -> str:
    """Values in wire format come from storage: hold them as masked `EncryptedStr`."""
    if is_wire_value(value) and not isinstance(value, EncryptedStr):
        return EncryptedStr(value)
    return value


PIIStr = Annotated[str, PII_MARKER, AfterValidator(_as_encrypted_if_stored)]
"""A `str` field holding PII: encrypted for storage, masked when read back, never filtered on."""


def is_pii_annotation(annotation: Any) -> bool:
    """Whether `annotation` is a PII type itself (`PIIStr`, or `Annotated[..., PII_MARKER]`)."""
    return get_origin(annotation) is Annotated and any(
        isinstance(meta, PIIMarker) for meta in annotation.__metadata__
    )


def contains_pii_annotation(annotation: Any) -> bool:
    """Whether `annotation` mentions a PII type anywhere (Optional, unions, containers)."""
    if is_pii_annotation(annotation):
        return True
    return any(contains_pii_annotation(arg) for arg in get_args(annotation))
