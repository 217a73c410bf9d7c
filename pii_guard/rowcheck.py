"""The last check before a row leaves `encrypt_pii`: every PII leaf, read by declared types.

The walker decides what to encrypt from the live instances; this reads the dumped row from the
model's own annotations instead, so a leaf the walker missed (or a serializer changed) raises
instead of reaching storage as plaintext.
"""

from __future__ import annotations

import collections
import dataclasses
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel
from typing_extensions import is_typeddict

from pii_guard.annotations import (
    carries_pii,
    element_arguments,
    field_annotation,
    is_pii_annotation,
    is_structure,
    mapping_arguments,
    structure_fields,
)
from pii_guard.errors import PIIEncryptionError
from pii_guard.walk import Shape, annotation_shape

IsStored = Callable[[str], bool]


class RowNotStored(Exception):
    """Raised inside the check with the `Model.field` whose value is not stored text."""


def check_row(
    model: type[BaseModel], row: Mapping[str, Any], is_stored: IsStored, position: int
) -> None:
    """Raise PIIEncryptionError unless every PII leaf of `row` is stored text (or None)."""
    try:
        _check_fields(model, row, is_stored)
    except RowNotStored as where:
        raise PIIEncryptionError(
            f"{where} of the instance at position {position} is not ciphertext in the dumped "
            "row (a serializer, or a value pii_guard could not see); refusing to return the row"
        ) from None


_Fields = tuple[tuple[str, tuple[str, ...], tuple[Any, ...], Shape], ...]
_fields_cache: weakref.WeakKeyDictionary[type, _Fields] = weakref.WeakKeyDictionary()


def _pii_fields(cls: type) -> _Fields:
    """(name, the keys it may be dumped under, (annotation,)) of the fields carrying PII."""
    cached = _fields_cache.get(cls)
    if cached is None:
        entries = []
        if issubclass(cls, BaseModel):
            for name, info in cls.model_fields.items():
                annotation = field_annotation(info)
                if carries_pii(annotation):
                    keys = tuple(
                        dict.fromkeys(k for k in (name, info.serialization_alias, info.alias) if k)
                    )
                    entries.append((name, keys, (annotation,), annotation_shape((annotation,))))
        else:
            for name, annotation in structure_fields(cls).items():
                if carries_pii(annotation):
                    entries.append((name, (name,), (annotation,), annotation_shape((annotation,))))
        cached = tuple(entries)
        _fields_cache[cls] = cached
    return cached


def _check_fields(cls: type, dumped: Mapping[str, Any], is_stored: IsStored) -> None:
    for name, keys, field_annotations, shape in _pii_fields(cls):
        for key in keys:
            if key in dumped:
                value = dumped[key]
                if type(value) is str and shape[1]:  # the common case: a PII field's text
                    if not is_stored(value):
                        raise RowNotStored(f"{cls.__name__}.{name}")
                else:
                    _check(field_annotations, value, is_stored, f"{cls.__name__}.{name}", shape)
                break


def _check(
    annotations: tuple[Any, ...],
    dumped: Any,
    is_stored: IsStored,
    where: str,
    shape: Shape | None = None,
) -> None:
    if dumped is None:
        return
    arm_list, text_is_pii, _, _ = shape if shape is not None else annotation_shape(annotations)
    if isinstance(dumped, str):
        if text_is_pii and not is_stored(dumped):
            raise RowNotStored(where)
        return
    structures = [arm for arm in arm_list if _is_structure_class(arm)]
    if isinstance(dumped, Mapping):
        for structure in _matching(structures, dumped):
            _check_fields(structure, dumped, is_stored)
        _, value_annotations = mapping_arguments(arm_list)
        if value_annotations:
            for item in dumped.values():
                _check(value_annotations, item, is_stored, where)
        return
    if isinstance(dumped, list | tuple | set | frozenset | collections.deque):
        named = [arm for arm in structures if issubclass(arm, tuple)]
        for index, item in enumerate(dumped):
            inner = list(element_arguments(arm_list, index))
            for structure in named:
                fields = list(structure_fields(structure).values())
                if index < len(fields):
                    inner.append(fields[index])
            if inner:
                _check(tuple(inner), item, is_stored, where)
        return
    if text_is_pii and all(is_pii_annotation(arm) or arm is type(None) for arm in arm_list):
        raise RowNotStored(where)  # a PII field dumped as something that is not text


def _is_structure_class(arm: Any) -> bool:
    return isinstance(arm, type) and (issubclass(arm, BaseModel) or is_structure(arm))


def _matching(structures: list[type], dumped: Mapping[str, Any]) -> list[type]:
    """The structures a dumped mapping can be: those whose field names are exactly its keys,
    else those that hold all its keys, else all of them (checking more is safe)."""
    if len(structures) < 2:
        return structures
    keys = set(dumped)
    named = [(structure, _field_names(structure)) for structure in structures]
    exact = [structure for structure, names in named if names == keys]
    if exact:
        return exact
    holding = [structure for structure, names in named if keys <= names]
    return holding or structures


def _field_names(structure: type) -> set[str]:
    if issubclass(structure, BaseModel):
        return {
            key
            for name, info in structure.model_fields.items()
            for key in (name, info.serialization_alias, info.alias)
            if key
        }
    if dataclasses.is_dataclass(structure) or is_typeddict(structure):
        return set(structure_fields(structure))
    return set()
