"""Binding: the authenticated context a PII value is sealed with, so a moved value fails.

A context function receives the `ValueSite` of each value (the class that declares its field,
the field, the object holding it and the top-level instance of the row) and answers a `str`,
or None for no context. `field_context` (the default) binds to `Model.field`; `row_context`
adds the row's key, so a value copied into another row fails authentication too.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from pii_guard.annotations import carries_pii, field_annotation
from pii_guard.errors import PIIUsageError


@dataclass(frozen=True, slots=True)
class ValueSite:
    """Where one PII value sits: `owner.field` of `instance`, inside the row `row`."""

    owner: type
    field: str
    instance: object
    row: object  # the top-level instance: a pydantic model, or a mapped SQLAlchemy object

    def __repr__(self) -> str:
        # Never the instance or row: they hold plaintext.
        return f"ValueSite({self.owner.__name__}.{self.field})"


ContextFunction = Callable[[ValueSite], "str | None"]
"""Gives the authenticated context of a value from where it sits (None: no context)."""


def field_context(site: ValueSite) -> str:
    """`Model.field` of the class that declares the field, so a value only decrypts in its own
    field, also when it is read through a subclass or the declaring class.

    A class can set `__pii_context__ = "stable-name"` to keep its values readable after it is
    renamed (its own attribute: subclasses do not inherit it). Classes are told apart by name:
    two models of the same name in different modules share a context unless one sets it.
    """
    return f"{_context_name(site.owner)}.{site.field}"


def binding_for(context: ContextFunction | None, cryptor: object) -> ContextFunction | None:
    """The context function to use with `cryptor`: the default field binding only where the
    cryptor can bind (the AMSDAL service protocol and the fake cryptor cannot)."""
    if context is field_context and not getattr(cryptor, "supports_context", False):
        return None
    return context


def row_context(*key_fields: str) -> ContextFunction:
    """A context function binding each value to `Model.field` and the row's key.

    `key_fields` name fields of the top-level instance (the row): its primary key, and a
    tenant field where rows belong to tenants. The key must be known before the row is
    saved (use client-generated keys such as UUIDs, not database sequences).
    """
    if not key_fields or not all(isinstance(name, str) and name for name in key_fields):
        raise PIIUsageError("row_context needs the names of the row's key fields")

    def context(site: ValueSite) -> str:
        row_model = type(site.row)
        values = []
        for name in key_fields:
            if not _has_field(row_model, name):
                raise PIIUsageError(
                    f"row_context: {row_model.__name__} has no field {name!r} to bind to"
                )
            if _is_pii_field(row_model, name):
                raise PIIUsageError(
                    f"row_context: {row_model.__name__}.{name} is a PII field; bind to a key "
                    "that is not PII (it reads as ciphertext once loaded)"
                )
            value = getattr(site.row, name)
            if value is None:
                raise PIIUsageError(
                    f"row_context: {row_model.__name__}.{name} is None; the row key must "
                    "be set before values are encrypted or decrypted"
                )
            values.append([type(value).__name__, str(value)])  # typed: 1 is not "1"
        return f"{field_context(site)}@{json.dumps(values, ensure_ascii=False)}"

    context.__qualname__ = f"row_context({', '.join(map(repr, key_fields))})"
    return context


_context_names: weakref.WeakKeyDictionary[type, str] = weakref.WeakKeyDictionary()


def _has_field(cls: type, name: str) -> bool:
    if issubclass(cls, BaseModel):
        return name in cls.model_fields
    return hasattr(cls, name)  # a mapped class: its columns are class attributes


def _is_pii_field(cls: type, name: str) -> bool:
    if issubclass(cls, BaseModel):
        return carries_pii(field_annotation(cls.model_fields[name]))
    # Mapped classes list theirs when pii_guard.sqlalchemy maps them.
    return name in getattr(cls, "__pii_fields__", ())


def _context_name(owner: type) -> str:
    # Asked once per value; a missing class attribute is slow to look up on pydantic models.
    known = _context_names.get(owner)
    if known is None:
        # Only the class's own: a subclass inheriting it would share its base's values.
        name = owner.__dict__.get("__pii_context__")
        known = _context_names[owner] = name if isinstance(name, str) and name else owner.__name__
    return known


_declaring: weakref.WeakKeyDictionary[type, dict[str, type]] = weakref.WeakKeyDictionary()


def declaring_class(cls: type, field: str) -> type:
    """The class of `cls`'s hierarchy that first declares `field` (the most basic one)."""
    known = _declaring.get(cls)
    if known is None:
        known = _declaring[cls] = {}
    found = known.get(field)
    if found is None:
        found = cls
        for base in reversed(cls.__mro__):
            if field in _own_fields(base):
                found = base
                break
        known[field] = found
    return found


def _own_fields(cls: type) -> Any:
    if isinstance(cls, type) and issubclass(cls, BaseModel) and cls is not BaseModel:
        return cls.__pydantic_fields__
    return getattr(cls, "__dataclass_fields__", None) or getattr(cls, "_fields", ()) or ()
