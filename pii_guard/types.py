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

from pydantic import ValidationError, ValidationInfo, ValidatorFunctionWrapHandler, WrapValidator

from pii_guard.hidden_input import without_input

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
    cryptor: str | None = None  # which cryptor object checked it (a token, not the object)


_UNBOUND = StoredOrigin(bound=False)


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


def bind_origin(value: EncryptedStr, origin: StoredOrigin) -> None:
    """Record the context and cryptor a freshly loaded value was checked under (load path)."""
    value._origin = origin


def _derived(method: str) -> Any:
    """A `str` method that, on stored ciphertext, gives text that is no stored value: the
    result stays masked, and, having no origin, `encrypt_pii` refuses to store it."""
    plain = getattr(str, method)

    def derived(self: EncryptedStr, *args: Any, **kwargs: Any) -> Any:
        return _masked(plain(self, *args, **kwargs))

    derived.__name__ = method
    derived.__doc__ = f"`str.{method}` of the ciphertext, still masked and never stored."
    return derived


def _masked(result: Any) -> Any:
    if isinstance(result, str):
        return EncryptedStr(result)
    if isinstance(result, list | tuple):
        return type(result)(_masked(item) for item in result)
    return result


def _radd(self: EncryptedStr, other: Any) -> Any:
    if not isinstance(other, str):
        return NotImplemented
    return EncryptedStr(str.__add__(other, self))


EncryptedStr.__radd__ = _radd  # type: ignore[attr-defined]

for _method in (
    "__add__", "__mul__", "__rmul__", "__getitem__",
    "capitalize", "casefold", "center", "expandtabs", "format", "format_map", "join", "ljust",
    "lower", "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rjust",
    "rpartition", "rsplit", "rstrip", "split", "splitlines", "strip", "swapcase", "title",
    "translate", "upper", "zfill",
):  # fmt: skip
    setattr(EncryptedStr, _method, _derived(_method))


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
    context = info.context
    marker = context.get(STORED_KEY) if isinstance(context, Mapping) else None
    # load_pii's own marker, one per call; the public STORED_CONTEXT carries just True.
    origin = None if not marker else marker if isinstance(marker, StoredOrigin) else _UNBOUND
    if origin is not None and type(value) is str:
        # Stored text as it was stored: string constraints and case changes are for
        # plaintext, and must never alter (or reject) a ciphertext.
        return stored_value(value, origin)
    try:
        text = handler(value)
    except ValidationError as error:
        # Inline rather than validate_hiding_input: this runs once per PII value.
        raise without_input(error) from None
    if origin is not None and isinstance(text, str):
        return stored_value(text, origin)
    return text


PIIStr = Annotated[str, PII_MARKER, WrapValidator(_validate_pii_text)]
"""A `str` field holding PII: encrypted for storage, masked when read back, never filtered on."""
