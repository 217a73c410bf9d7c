"""Lookup and ordering paths (`owner__email__iexact`, `-email`): which PII field they reach.

One reading for both halves: `pii_guard.queries.check_query` walks paths through the pydantic
models themselves, the analyzer (`flake8_pii.lookups`) through its index of the source; each
hands this module a `step` that answers for one field of one model. It imports nothing else, so
the analyzer uses it without loading pydantic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

SEPARATOR = "__"
# Ordering signs: `-email` sorts descending, `+email` ascending, `?` randomly (no field).
_SIGNS = "-+"
_RANDOM = "?"
# A lookup suffix that tests presence, which works on ciphertext: None stays None encrypted.
PRESENCE_SUFFIXES = frozenset({"isnull"})

ModelT = TypeVar("ModelT")


@dataclass(frozen=True)
class Field(Generic[ModelT]):
    """What a path needs to know of one field: is it PII, and which model does it refer to."""

    pii: bool
    target: ModelT | None = None


@dataclass(frozen=True)
class Reached(Generic[ModelT]):
    """The PII field a path reaches: the model it was found on, its name, and the FK fields
    followed to get there (`("customer", "profile")` for `customer__profile__email`)."""

    owner: ModelT
    field: str
    through: tuple[str, ...]


Step = Callable[[ModelT, str], "Field[ModelT] | None"]


def field_path(path: str) -> str | None:
    """The fields of a filter or ordering path without its ordering sign; None for `?`."""
    stripped = path.lstrip(_SIGNS)
    return None if stripped == _RANDOM or not stripped else stripped


def pii_field_in_path(model: ModelT, path: str, step: Step[ModelT]) -> Reached[ModelT] | None:
    """The PII field `path` reaches from `model` through FK fields, or None.

    `step(model, name)` gives the field `name` of `model`, or None when it has none of that name.
    The first part that is not a field ends the path: it is a lookup suffix (`iexact`) or a name
    the caller does not know. Whatever follows a PII field is a lookup suffix and the path
    reaches that field, except a presence test (`email__isnull`), which works on ciphertext.
    """
    fields = field_path(path)
    if fields is None:
        return None
    current = model
    parts = fields.split(SEPARATOR)
    for position, part in enumerate(parts):
        found = step(current, part)
        if found is None:
            return None
        if found.pii:
            rest = parts[position + 1 :]
            if len(rest) == 1 and rest[0] in PRESENCE_SUFFIXES:
                return None
            return Reached(current, part, tuple(parts[:position]))
        if found.target is None:
            return None
        current = found.target
    return None
