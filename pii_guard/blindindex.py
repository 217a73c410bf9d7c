"""Lookup values: the keyed hash of a PII value under the index keys, for writing and searching.

Writing uses the newest index key version; searching (`lookup_values`) gives one value per
listed version, so a query `lookup IN (...)` finds rows written under any of them while the
keys rotate. The storage functions, the SQLAlchemy flush and `fill_lookups` (AMSDAL's hooks)
all compute through `LookupWriter`, so they agree value for value.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from pii_guard.binding import declaring_class
from pii_guard.config import get_cryptor
from pii_guard.cryptors.base import Cryptor
from pii_guard.errors import FORGET_SECRETS, PIIEncryptionError, PIIUsageError
from pii_guard.indexkeys import IndexKeys, index_keys, lookup_text
from pii_guard.lookups import LookupSpec, declared_lookups
from pii_guard.types import EncryptedStr


@dataclasses.dataclass(frozen=True)
class BoundLookup:
    """A lookup of one class: PII field `field` indexed into `lookup`, keyed for `binding`."""

    field: str
    lookup: str
    spec: LookupSpec
    binding: str  # "Model.field" of the class declaring the PII field: the HKDF info


_mapped: weakref.WeakKeyDictionary[type, tuple[BoundLookup, ...]] = weakref.WeakKeyDictionary()
_bound: weakref.WeakKeyDictionary[type, tuple[BoundLookup, ...]] = weakref.WeakKeyDictionary()


def register_mapped_lookups(cls: type, lookups: tuple[BoundLookup, ...]) -> None:
    """The lookups of a mapped class, as its ORM integration found them (SQLAlchemy)."""
    _mapped[cls] = lookups
    _bound.pop(cls, None)


def bound_lookups(cls: type) -> tuple[BoundLookup, ...]:
    """The lookups `cls` declares: mapped lookup columns, pydantic `lookup_of` fields, or a
    plain class's `__pii_lookups__` mapping of lookup attribute to `LookupSpec`."""
    found = _mapped.get(cls)
    if found is not None:
        return found
    found = _bound.get(cls)
    if found is None:
        found = _work_out(cls)
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or (
            cls.__pydantic_complete__
        ):
            _bound[cls] = found
    return found


def _work_out(cls: type) -> tuple[BoundLookup, ...]:
    if issubclass(cls, BaseModel):
        return tuple(
            BoundLookup(field, lookup, spec, f"{declaring_class(cls, field).__name__}.{field}")
            for field, (lookup, spec) in declared_lookups(cls).items()
        )
    declared = getattr(cls, "__pii_lookups__", None)
    if not isinstance(declared, Mapping):
        return ()
    found = []
    for lookup, spec in declared.items():
        if not isinstance(spec, LookupSpec):
            raise PIIUsageError(
                f"{cls.__name__}.__pii_lookups__ maps {lookup!r} to a {type(spec).__name__}; "
                "map each lookup attribute to LookupSpec(of=..., normalizer=..., bits=...)"
            )
        owner = next(
            (
                klass
                for klass in reversed(cls.__mro__)
                if spec.of in getattr(klass, "__annotations__", {})
            ),
            cls,
        )
        found.append(BoundLookup(spec.of, lookup, spec, f"{owner.__name__}.{spec.of}"))
    return tuple(found)


class LookupWriter:
    """Computes lookup values under the newest index key (keys unwrapped on first need)."""

    def __init__(self, cryptor: Cryptor) -> None:
        self._cryptor = cryptor
        self._keys: IndexKeys | None = None
        # by id: the bound lookups of a class live as long as the class, longer than a writer
        self._plans: dict[int, tuple[bytes, int]] = {}

    @property
    def keys(self) -> IndexKeys:
        if self._keys is None:
            self._keys = index_keys(self._cryptor)
        return self._keys

    def value(self, lookup: BoundLookup, value: object, where: str) -> str | None:
        """The lookup of `value` (plaintext): None for None; a stored value is not plaintext."""
        if value is None:
            return None
        if isinstance(value, EncryptedStr) or not isinstance(value, str):
            raise PIIUsageError(
                f"{where} needs the plaintext of {lookup.binding} to compute its lookup, "
                f"found a {type(value).__name__}"
            )
        plan = self._plans.get(id(lookup))
        if plan is None:  # once per lookup and batch: the field's key under the newest version
            keys = self.keys
            plan = self._plans[id(lookup)] = (
                keys.field_key(keys.newest, lookup.binding),
                keys.newest,
            )
        return lookup_text(plan[0], plan[1], _normalized(lookup, value), lookup.spec.bits)

    def fill(
        self,
        obj: Any,
        lookups: tuple[BoundLookup, ...],
        source: Any = None,
        *,
        check_kept: bool = True,
    ) -> dict[str, str | None]:
        """The lookups to write for `obj`, read from `source` (default: `obj` itself): a
        stored value that was not decrypted keeps the lookup `obj` already has."""
        answers: dict[str, str | None] = {}
        read = source if source is not None else obj
        for lookup in lookups:
            value = getattr(read, lookup.field, None)
            if isinstance(value, EncryptedStr):
                # Kept as stored: so must its lookup be, as it was loaded with it.
                if source is None and check_kept:
                    check_unchanged_lookup(obj, lookup, value)
                continue
            answers[lookup.lookup] = self.value(lookup, value, type(obj).__name__)
        return answers


# The lookup each stored value was loaded with (by value: copies of one ciphertext share it).
_loaded_lookups: weakref.WeakKeyDictionary[EncryptedStr, str | None] = weakref.WeakKeyDictionary()


def remember_loaded_lookups(obj: Any) -> None:
    """Record, for each stored PII value of a freshly loaded `obj`, the lookup stored with it."""
    for lookup in bound_lookups(type(obj)):
        value = getattr(obj, lookup.field, None)
        if isinstance(value, EncryptedStr):
            _loaded_lookups[value] = getattr(obj, lookup.lookup, None)


def check_unchanged_lookup(obj: Any, lookup: BoundLookup, value: EncryptedStr) -> None:
    """Raise unless the lookup of a stored, unchanged value is the one it was loaded with."""
    current = getattr(obj, lookup.lookup, None)
    loaded: object
    try:
        loaded = _loaded_lookups[value]
    except (KeyError, TypeError):
        loaded = current if current is None else _NOT_LOADED
    if current != loaded:
        raise PIIEncryptionError(
            f"{type(obj).__name__}.{lookup.lookup} is not the lookup {lookup.binding} was "
            f"loaded with: a lookup is computed from its field; assign {lookup.field} to change it"
        )


_NOT_LOADED = object()


def find_lookup(model: type, field: str) -> BoundLookup:
    for lookup in bound_lookups(model):
        if lookup.field == field:
            return lookup
    raise PIIUsageError(
        f"{model.__name__}.{field} has no declared lookup: declare one, such as "
        f'{field}_lookup: Lookup = lookup_of("{field}")'
    )


def lookup_values(
    model: type, field: str, value: str, *, cryptor: Cryptor | None = None
) -> list[str]:
    """What to match in the lookup column of `model.field` to find `value`: one value per
    index key version (newest first), so a query is `lookup_column IN (...)`."""
    lookup = find_lookup(model, field)
    if not isinstance(value, str) or isinstance(value, EncryptedStr):
        raise PIIUsageError(
            f"lookup_values({model.__name__}, {field!r}, ...) takes the plaintext to find (a "
            f"str), not a {type(value).__name__}; rows without a value: filter on IS NULL"
        )
    with FORGET_SECRETS:  # the frame below holds the keys and the value
        return _lookup_values(lookup, value, cryptor if cryptor is not None else get_cryptor())


def _lookup_values(lookup: BoundLookup, value: str, cryptor: Cryptor) -> list[str]:
    keys = index_keys(cryptor)
    normalized = _normalized(lookup, value)
    return [
        lookup_text(keys.field_key(version, lookup.binding), version, normalized, lookup.spec.bits)
        for version in keys.versions
    ]


def _normalized(lookup: BoundLookup, value: str) -> str:
    """The text a lookup hashes; errors name the field, never the value."""
    normalized = lookup.spec.normalize(str.__str__(value))
    if not isinstance(normalized, str):
        raise PIIUsageError(
            f"the normalizer of {lookup.binding}'s lookup returned a "
            f"{type(normalized).__name__}, not a str"
        )
    if not normalized.isascii():
        try:
            normalized.encode("utf-8")
        except UnicodeEncodeError:
            raise PIIEncryptionError(
                f"a value of {lookup.binding} cannot be indexed: it holds characters that are "
                "not valid in UTF-8 (lone surrogates)"
            ) from None
    return normalized


def fill_lookups(obj: Any, *, cryptor: Cryptor | None = None) -> Any:
    """Set the lookup attributes of `obj` from its plaintext PII values (for AMSDAL models,
    from `pre_create`/`pre_update`): None for None, unchanged for a stored value. Returns
    `obj`. Works for pydantic models and for plain objects whose class declares
    `__pii_lookups__ = {"email_lookup": LookupSpec("email", "email")}`."""
    lookups = bound_lookups(type(obj))
    if not lookups:
        return obj
    with FORGET_SECRETS:
        writer = LookupWriter(cryptor if cryptor is not None else get_cryptor())
        for name, text in writer.fill(obj, lookups).items():
            setattr(obj, name, text)
    return obj
