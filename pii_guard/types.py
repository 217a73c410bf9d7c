"""The PII types models import: `PIIStr` marks a field, `EncryptedStr` holds a stored value.

A value is ciphertext because it came from storage through the load path, never because of
its shape: `PIIStr` turns text into `EncryptedStr` only when the validation context says the
data was read from storage (`STORED_CONTEXT`, which `load_pii` uses).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, Final

from pydantic import ValidationInfo, ValidatorFunctionWrapHandler, WrapValidator

MASK = "<encrypted>"

STORED_KEY: Final = "pii_guard.stored"
STORED_CONTEXT: Mapping[str, Any] = MappingProxyType({STORED_KEY: True})
"""The pydantic validation context that marks data as read from storage.

`Model.model_validate(row, context=STORED_CONTEXT)` makes each PII value an `EncryptedStr`;
`load_pii` uses it and also checks every value and binds it to its field. Without it, every
`str` is plaintext, whatever it looks like.
"""


@dataclass(frozen=True)
class PIIMarker:
    """`Annotated` metadata that makes a field a PII field; pydantic ignores it in schemas."""

    def __repr__(self) -> str:
        return "PIIMarker()"


PII_MARKER = PIIMarker()


@dataclass(frozen=True)
class StoredOrigin:
    """Where an `EncryptedStr` came from: read from storage, and (after `load_pii`) the
    context it was loaded under, so saving it elsewhere can be refused."""

    bound: bool
    context: str | None = None


_STORED_UNBOUND = StoredOrigin(bound=False)


class EncryptedStr(str):
    """A stored PII value as read back from storage: ciphertext that shows only a mask.

    It is a `str` holding the wire value; every text rendering (`str`, `repr`, `format`,
    f-strings, `%`-formatting) shows a mask instead. Use `.ciphertext` for the stored text and
    `decrypt_pii` for the plaintext. Saving it again writes the same ciphertext only when it
    came from storage (`origin`); one made in code is refused by `encrypt_pii`.
    """

    # No __slots__: each instance carries its origin in its __dict__.
    _origin: StoredOrigin | None = None

    @property
    def ciphertext(self) -> str:
        """The stored wire value, as a plain `str`."""
        return str.__str__(self)

    @property
    def origin(self) -> StoredOrigin | None:
        """How this value came from storage; None when it was made in code."""
        return self._origin

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"EncryptedStr({MASK})"

    def __format__(self, format_spec: str) -> str:
        return format(MASK, format_spec)

    def __reduce__(self) -> tuple[Any, tuple[str, StoredOrigin | None]]:
        return (_restore, (self.ciphertext, self._origin))


def stored_value(ciphertext: str, origin: StoredOrigin) -> EncryptedStr:
    """An `EncryptedStr` read from storage (the load path's constructor)."""
    value = EncryptedStr(ciphertext)
    value._origin = origin
    return value


def bind_origin(value: EncryptedStr, context: str | None) -> None:
    """Record the context a freshly loaded value was checked under (load path only)."""
    value._origin = StoredOrigin(bound=True, context=context)


def _restore(ciphertext: str, origin: StoredOrigin | None) -> EncryptedStr:
    value = EncryptedStr(ciphertext)
    if origin is not None:
        value._origin = origin
    return value


def _validate_pii_text(
    value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
) -> Any:
    if isinstance(value, EncryptedStr):
        # A loaded value copied into another instance keeps its origin (pydantic would
        # otherwise turn it into a plain str, which would then be encrypted as "plaintext").
        return value
    text = handler(value)
    context = info.context
    if isinstance(text, str) and isinstance(context, Mapping):
        marker = context.get(STORED_KEY)
        if isinstance(marker, StoredOrigin):
            return stored_value(text, marker)  # load_pii's own marker, one per call
        if marker:
            return stored_value(text, _STORED_UNBOUND)
    return text


PIIStr = Annotated[str, PII_MARKER, WrapValidator(_validate_pii_text)]
"""A `str` field holding PII: encrypted for storage, masked when read back, never filtered on."""
