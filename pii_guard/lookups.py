"""Blind indexes: declaring a lookup field, the keyed hash of a PII field's normalised value.

A lookup is the only thing a query or a unique constraint may use to find a PII value: random-IV
ciphertext never repeats, a keyed hash of the normalised value does. A model declares one per PII
field it must be found by:

    class Customer(PIIModel):
        email: PIIStr
        email_lookup: Lookup = lookup_of("email", normalizer="email")
"""

from __future__ import annotations

import unicodedata
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationInfo, ValidatorFunctionWrapHandler, WrapValidator

from pii_guard.errors import PIIUsageError
from pii_guard.types import STORED_KEY


@dataclass(frozen=True)
class LookupMarker:
    """`Annotated` metadata of the `Lookup` type: the field holds a lookup value, not PII."""

    def __repr__(self) -> str:
        return "LookupMarker()"


def _refuse_given_lookups(
    value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
) -> Any:
    # A lookup is derived from its PII field when saving, never taken from input: one given
    # by a user could make their row match a search for someone else's value.
    context = info.context
    if value is None or (isinstance(context, Mapping) and context.get(STORED_KEY)):
        return handler(value)
    raise ValueError(
        "a lookup field is computed from its PII field when the row is saved; leave it unset"
    )


Lookup = Annotated[str | None, LookupMarker(), WrapValidator(_refuse_given_lookups)]
"""The type of a lookup field: the stored lookup value (computed when saving; None before)."""


def _exact(value: str) -> str:
    return value


def _email(value: str) -> str:
    # Unicode's caseless identifier match: compatibility forms (fullwidth letters) and
    # composed or decomposed accents all give one text, so look-alike spellings collide.
    folded = unicodedata.normalize("NFKD", value.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def _digits(value: str) -> str:
    # Any script's decimal digits as ASCII ones; superscripts and other non-decimal "digits"
    # are dropped.
    return "".join(
        str(digit)
        for digit in (unicodedata.decimal(character, None) for character in value)
        if digit is not None
    )


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "exact": _exact,
    "email": _email,  # trimmed, compatibility-normalised, case-folded
    "digits": _digits,  # phone numbers: digits only
}


@dataclass(frozen=True)
class LookupSpec:
    """What a lookup field indexes: the PII field `of`, how its value is normalised, and how
    many bits of the keyed hash are kept (None: all of them)."""

    of: str
    normalizer: str | Callable[[str], str] = "exact"
    bits: int | None = None

    def normalize(self, value: str) -> str:
        if callable(self.normalizer):
            return self.normalizer(value)
        return NORMALIZERS[self.normalizer](value)


def lookup_of(
    field: str, *, normalizer: str | Callable[[str], str] = "exact", bits: int | None = None
) -> Any:
    """The default of a lookup field, naming the PII field it indexes.

    `normalizer` is a name from `NORMALIZERS` (`exact`, `email`, `digits`) or a callable;
    `bits` truncates the keyed hash (a multiple of 8, at least 8) to trade collisions for less
    leakage (see docs/lookups.md for how to choose it for a row count).
    """
    if not isinstance(field, str) or not field:
        raise PIIUsageError("lookup_of needs the name of the PII field it indexes")
    if isinstance(normalizer, str) and normalizer not in NORMALIZERS:
        raise PIIUsageError(
            f"lookup_of: unknown normalizer {normalizer!r}; use one of "
            f"{', '.join(NORMALIZERS)} or a callable"
        )
    if not isinstance(normalizer, str) and not callable(normalizer):
        raise PIIUsageError("lookup_of: normalizer must be a name or a callable")
    if bits is not None and (
        isinstance(bits, bool) or not isinstance(bits, int) or bits < 8 or bits % 8 or bits > 256
    ):
        raise PIIUsageError("lookup_of: bits must be a multiple of 8 from 8 to 256, or None")
    info: Any = Field(default=None)
    info.metadata.append(LookupSpec(of=field, normalizer=normalizer, bits=bits))
    return info


_declared: weakref.WeakKeyDictionary[type[BaseModel], dict[str, tuple[str, LookupSpec]]] = (
    weakref.WeakKeyDictionary()
)


def declared_lookups(model: type[BaseModel]) -> dict[str, tuple[str, LookupSpec]]:
    """PII field -> (its lookup field, what the lookup indexes), as declared on `model`."""
    found = _declared.get(model)
    if found is None:
        found = {}
        for name, info in model.model_fields.items():
            for meta in info.metadata:
                if isinstance(meta, LookupSpec):
                    found.setdefault(meta.of, (name, meta))
        if model.__pydantic_complete__:
            _declared[model] = found
    return found


def lookup_field_of(model: type[BaseModel], pii_field: str) -> str | None:
    """The lookup field declared for `model.pii_field`, or None."""
    declared = declared_lookups(model).get(pii_field)
    return None if declared is None else declared[0]


def lookup_problems(model: type[BaseModel], pii_fields: tuple[str, ...]) -> list[str]:
    """Lookups declared for a field that does not exist or is not PII."""
    problems = []
    for name, info in model.model_fields.items():
        for meta in info.metadata:
            if isinstance(meta, LookupSpec) and meta.of not in pii_fields:
                what = "is not a PII field" if meta.of in model.model_fields else "does not exist"
                problems.append(
                    f"lookup {model.__name__}.{name} indexes {model.__name__}.{meta.of}, which "
                    f"{what}; name a PII field of the model"
                )
    return problems
