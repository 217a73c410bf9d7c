"""Which fields of a model are PII, and the class-definition check of keys and constraints."""

from __future__ import annotations

import collections
import dataclasses
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)

from pii_guard.annotations import (
    carries_pii,
    contains_pii_annotation,
    field_annotation,
    model_pii_problems,
)
from pii_guard.errors import PIIInvalidFieldUsageError
from pii_guard.hidden_input import validate_hiding_input, without_input
from pii_guard.lookups import lookup_field_of, lookup_problems
from pii_guard.messages import message
from pii_guard.types import EncryptedStr, PIIMarker

_pii_fields: weakref.WeakKeyDictionary[type[BaseModel], tuple[str, ...]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class UniqueConstraint:
    """A unique constraint over model fields, declared in `__constraints__` (AMSDAL's style)."""

    name: str
    fields: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(self.fields))


def is_pii_field(model: type[BaseModel], name: str) -> bool:
    """Whether `model.name` is a PII field (its annotation contains a PII type)."""
    info = model.model_fields.get(name)
    if info is None:
        return False
    # pydantic moves a top-level Annotated's metadata into the FieldInfo.
    return any(isinstance(meta, PIIMarker) for meta in info.metadata) or (
        contains_pii_annotation(info.annotation)
    )


def get_pii_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The PII field names of `model` in declaration order, inherited ones included.

    Cached per class once the class is complete; before that (annotations pydantic could not
    resolve yet) the answer covers only the fields resolved so far.
    """
    cached = _pii_fields.get(model)
    if cached is None:
        cached = tuple(name for name in model.model_fields if is_pii_field(model, name))
        if model.__pydantic_complete__:
            _pii_fields[model] = cached
    return cached


def _names(value: object) -> Iterable[str]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable):
        return tuple(str(item) for item in value)
    return ()


def check_model(model: type[BaseModel]) -> type[BaseModel]:
    """Raise PIIInvalidFieldUsageError when a PII field is in `__primary_key__` or a unique
    constraint of `__constraints__`, or could reach storage unencrypted (see
    `model_pii_problems`); returns the model, so it also works as a decorator."""
    problems = model_pii_problems(model)
    problems += lookup_problems(model, get_pii_fields(model))
    pii = set(get_pii_fields(model))
    name = model.__name__
    for key_field in _names(getattr(model, "__primary_key__", None)):
        if key_field in pii:
            problems.append(message("PII003", subject=f"{name}.{key_field}"))
    for constraint in getattr(model, "__constraints__", None) or ():
        constraint_fields = getattr(constraint, "fields", None)
        if constraint_fields is None:
            continue  # not a unique constraint (AMSDAL also declares indexes here)
        constraint_name = str(getattr(constraint, "name", "") or "(unnamed)")
        for constrained in _names(constraint_fields):
            if constrained in pii:
                problems.append(
                    message(
                        "PII004",
                        subject=f"{name}.{constrained}",
                        constraint=constraint_name,
                        lookup=f"{name}.{lookup}"
                        if (lookup := lookup_field_of(model, constrained))
                        else None,
                    )
                )
    if problems:
        raise PIIInvalidFieldUsageError("; ".join(problems))
    return model


class _Hidden:
    """Stands in for a plaintext PII value in a model's `repr` and `str`."""

    def __repr__(self) -> str:
        return "<PII hidden>"


_HIDDEN = _Hidden()


def _shows_plaintext(value: object) -> bool:
    """Whether rendering `value` would show text that is not masked ciphertext."""
    if isinstance(value, str):
        return not isinstance(value, EncryptedStr)
    if isinstance(value, Mapping):
        return any(_shows_plaintext(item) for item in value.values())
    if isinstance(value, list | tuple | set | frozenset | collections.deque):
        return any(_shows_plaintext(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_shows_plaintext(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, BaseModel) and not isinstance(value, PIIModel):
        # A PIIModel masks itself; a plain model would show its PII in its repr.
        return any(_shows_plaintext(item) for item in value.__dict__.values())
    return False


_masked_fields: weakref.WeakKeyDictionary[type[BaseModel], frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def _fields_to_mask(model: type[BaseModel]) -> frozenset[str]:
    """Fields whose values can hold PII: PII fields, and fields holding models, dataclasses,
    TypedDicts or NamedTuples with PII fields (a nested PIIModel masks itself)."""
    cached = _masked_fields.get(model)
    if cached is None:
        cached = frozenset(
            name
            for name, info in model.model_fields.items()
            if carries_pii(field_annotation(info))
        )
        if model.__pydantic_complete__:
            _masked_fields[model] = cached
    return cached


class PIIModel(BaseModel):
    """A pydantic `BaseModel` whose subclasses are checked with `check_model` when defined.

    A class whose annotations could not all be resolved yet (forward references) is checked
    again when pydantic completes it (pydantic 2.12 and newer call that hook).

    Its `repr` and `str` show `<PII hidden>` for PII fields holding plaintext, and its
    validation errors hold no input (`str`, `.errors()`, `.json()`, also when it is validated
    inside a plain model or a `TypeAdapter`), so logging a live instance or a failed
    validation never writes a PII value.
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    __primary_key__: ClassVar[list[str]]
    __constraints__: ClassVar[list[UniqueConstraint]]

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        pii = _fields_to_mask(type(self))
        for name, value in super().__repr_args__():
            yield name, _HIDDEN if name in pii and _shows_plaintext(value) else value

    @model_validator(mode="wrap")
    @classmethod
    def _hide_input_in_errors(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        return validate_hiding_input(handler, data)

    @classmethod
    def model_validate_json(
        cls, json_data: str | bytes | bytearray, *args: Any, **kwargs: Any
    ) -> Self:
        """pydantic's, with invalid JSON not quoted either (it fails before any validator)."""
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as error:
            failure = without_input(error)
        del json_data  # this frame is part of the traceback
        raise failure  # outside the except block: pydantic's error is not its __context__

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        check_model(cls)

    @classmethod
    def __pydantic_on_complete__(cls) -> None:
        super().__pydantic_on_complete__()
        check_model(cls)

