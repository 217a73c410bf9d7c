"""The one reader of typing annotations: PII types, FK targets, union arms, containers.

Everything that asks "is this value PII, and where inside it" reads annotations through here,
so the model check, the storage walker and the query guard agree on what a field holds.
"""

from __future__ import annotations

import collections
import collections.abc as abc
import dataclasses
import types
import typing
from typing import Annotated, Any, Union, get_args, get_origin

import typing_extensions
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from typing_extensions import is_typeddict

from pii_guard.types import PII_MARKER, PIIMarker


def unalias(annotation: Any) -> Any:
    """The annotation behind `type` aliases (`TypeAliasType`) and the TypedDict key markers
    (`Required`, `NotRequired`, `ReadOnly`), which say nothing about the value's type."""
    for _ in range(100):  # an alias of an alias...; a bound guards against cycles
        if type(annotation).__name__ == "TypeAliasType" and hasattr(annotation, "__value__"):
            annotation = annotation.__value__
        elif get_origin(annotation) in _KEY_MARKERS:
            annotation = get_args(annotation)[0]
        else:
            break
    return annotation


_KEY_MARKERS = frozenset(
    marker
    for module in (typing, typing_extensions)
    for marker in (
        getattr(module, "Required", None),
        getattr(module, "NotRequired", None),
        getattr(module, "ReadOnly", None),
    )
    if marker is not None
)


def is_pii_annotation(annotation: Any) -> bool:
    """Whether `annotation` is a PII type itself (`PIIStr`, or `Annotated[..., PII_MARKER]`)."""
    annotation = unalias(annotation)
    return get_origin(annotation) is Annotated and any(
        isinstance(meta, PIIMarker) for meta in annotation.__metadata__
    )


def contains_pii_annotation(annotation: Any) -> bool:
    """Whether `annotation` mentions a PII type anywhere (Optional, unions, containers)."""
    annotation = unalias(annotation)
    if is_pii_annotation(annotation):
        return True
    return any(contains_pii_annotation(arg) for arg in get_args(annotation))


def field_annotation(info: FieldInfo) -> Any:
    """A pydantic field's annotation with the PII marker back where pydantic took it from."""
    # pydantic moves a top-level Annotated's metadata into the FieldInfo.
    if any(isinstance(meta, PIIMarker) for meta in info.metadata):
        return Annotated[info.annotation, PII_MARKER]
    return info.annotation


def arms(annotation: Any) -> list[Any]:
    """The alternatives of an annotation: unions flattened, non-PII Annotated unwrapped."""
    annotation = unalias(annotation)
    origin = get_origin(annotation)
    if origin is Annotated:
        if is_pii_annotation(annotation):
            return [annotation]
        return arms(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [arm for arg in get_args(annotation) for arm in arms(arg)]
    return [annotation]


def mapping_arguments(arm_list: list[Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The key and value annotations of the mapping arms (`dict[K, V]`, `Mapping[K, V]`)."""
    keys: list[Any] = []
    values: list[Any] = []
    for arm in arm_list:
        args = get_args(arm)
        origin = get_origin(arm)
        if len(args) == 2 and isinstance(origin, type) and issubclass(origin, abc.Mapping):
            keys.append(args[0])
            values.append(args[1])
    return tuple(keys), tuple(values)


def element_arguments(arm_list: list[Any], index: int) -> tuple[Any, ...]:
    """The annotations of element `index` of the sequence and set arms."""
    found: list[Any] = []
    for arm in arm_list:
        origin = get_origin(arm)
        args = get_args(arm)
        if not args or not isinstance(origin, type) or issubclass(origin, abc.Mapping | str):
            continue
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if index < len(args):
                found.append(args[index])  # tuple[A, B]: each position has its own type
        else:
            found.append(args[0])
    return tuple(found)


def is_structure(cls: Any) -> bool:
    """Whether `cls` is a dataclass, TypedDict or NamedTuple: fields with annotations of
    their own, which the storage walker reads like a model's."""
    return isinstance(cls, type) and (
        dataclasses.is_dataclass(cls) or is_typeddict(cls) or _is_named_tuple(cls)
    )


def structure_fields(cls: type) -> dict[str, Any]:
    """Field name -> annotation (with `Annotated` metadata) of a dataclass, TypedDict or
    NamedTuple."""
    hints = typing.get_type_hints(cls, include_extras=True)
    if dataclasses.is_dataclass(cls):
        return {field.name: hints.get(field.name, Any) for field in dataclasses.fields(cls)}
    return dict(hints)


def _is_named_tuple(cls: type) -> bool:
    return issubclass(cls, tuple) and hasattr(cls, "_fields") and hasattr(cls, "_make")


def carries_pii(annotation: Any, _seen: frozenset[Any] = frozenset()) -> bool:
    """Whether values under `annotation` can hold PII: a PII type, or a model or structure
    with PII fields, anywhere inside (through unions and containers). A structure whose
    annotations cannot be read counts as carrying PII: the walker then says so."""
    annotation = unalias(annotation)
    if is_pii_annotation(annotation):
        return True
    if isinstance(annotation, type) and annotation not in _seen:
        seen = _seen | {annotation}
        if issubclass(annotation, BaseModel):
            return any(
                carries_pii(field_annotation(info), seen)
                for info in annotation.model_fields.values()
            )
        if is_structure(annotation):
            try:
                fields = structure_fields(annotation)
            except (NameError, TypeError):
                return True
            return any(carries_pii(a, seen) for a in fields.values())
        return False
    return any(carries_pii(arg, _seen) for arg in get_args(annotation))


def _safe_structure_fields(cls: type) -> dict[str, Any]:
    try:
        return structure_fields(cls)
    except (NameError, TypeError):
        return {}  # forward references that do not resolve: nothing we can read


def walks_into(annotation: Any) -> bool:
    """Whether the storage walker must look inside values under `annotation`: it carries
    PII, names a model (whose PII is found through it), or may hide a model (`Any`)."""
    return carries_pii(annotation) or bool(referenced_models(annotation)) or is_opaque(annotation)


# Types whose values pydantic never builds from a PII-free annotation but that can hold any
# object, models included: PII in them cannot be seen from the annotation.
_OPAQUE = (Any, object)


def is_opaque(annotation: Any) -> bool:
    """Whether `annotation` lets a value hold objects whose type the annotation does not name
    (`Any`, `object`, a bare `dict` or `list`, `dict[str, Any]`)."""
    if annotation in _OPAQUE or isinstance(annotation, typing.TypeVar):
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return is_opaque(get_args(annotation)[0])
    if annotation in _BARE_CONTAINERS:
        return True
    return any(is_opaque(arg) for arg in get_args(annotation) if arg is not Ellipsis)


_BARE_CONTAINERS = (dict, list, tuple, set, frozenset, collections.deque, abc.Mapping, abc.Sequence)

# The containers the storage walker rebuilds with ciphertext in them.
WALKABLE_ORIGINS: frozenset[Any] = frozenset(
    {
        list,
        tuple,
        set,
        frozenset,
        collections.deque,
        dict,
        collections.OrderedDict,
        collections.defaultdict,
        abc.Mapping,
        abc.MutableMapping,
        abc.Sequence,
        abc.MutableSequence,
        abc.Set,
        abc.MutableSet,
    }
)


def pii_placement_problems(annotation: Any, where: str) -> list[str]:
    """Why PII under `annotation` cannot be encrypted (empty when it can): PII as a mapping
    key, or inside a type whose values the walker cannot rebuild (`Iterable`, `Callable`)."""
    return _placement(annotation, where, frozenset())


def _placement(annotation: Any, where: str, seen: frozenset[Any]) -> list[str]:
    annotation = unalias(annotation)
    if is_pii_annotation(annotation):
        return []
    if isinstance(annotation, type):
        if annotation in seen or not is_structure(annotation):
            return []  # models are checked as models, when they are defined or saved
        fields = _safe_structure_fields(annotation)
        seen = seen | {annotation}
        return [
            problem
            for name, inner in fields.items()
            for problem in _placement(inner, f"{where} ({annotation.__name__}.{name})", seen)
        ]
    if not carries_pii(annotation):
        return []
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _placement(args[0], where, seen)
    if origin is Union or origin is types.UnionType:
        return [p for arg in args for p in _placement(arg, where, seen)]
    if origin not in WALKABLE_ORIGINS:
        name = getattr(origin, "__name__", None) or repr(origin)
        return [
            f"{where} puts a PII type inside {name}[...], whose values pii_guard cannot "
            "encrypt; use list, tuple, set, deque or dict instead"
        ]
    if isinstance(origin, type) and issubclass(origin, abc.Mapping) and len(args) == 2:
        if carries_pii(args[0]):
            return [
                f"{where} uses a PII type as a mapping key: keys are not encrypted; key by a "
                "non-PII value"
            ]
        return _placement(args[1], where, seen)
    return [p for arg in args if arg is not Ellipsis for p in _placement(arg, where, seen)]


def model_pii_problems(model: type[BaseModel]) -> list[str]:
    """Why a model's PII could not be kept out of storage: PII where it cannot be encrypted,
    a field that overrides a PII field of a base with a non-PII type (rows would be dumped by
    one and walked by the other), a computed field that returns PII (dumped unencrypted)."""
    name = model.__name__
    problems = [
        problem
        for field_name, info in model.model_fields.items()
        for problem in pii_placement_problems(
            field_annotation(info), f"PII field {name}.{field_name}"
        )
    ]
    for base in model.__mro__[1:]:
        if not (isinstance(base, type) and issubclass(base, BaseModel)) or base is BaseModel:
            continue
        for field_name, info in base.model_fields.items():
            mine = model.model_fields.get(field_name)
            if (
                mine is not None
                and carries_pii(field_annotation(info))
                and not carries_pii(field_annotation(mine))
            ):
                problems.append(
                    f"{name}.{field_name} overrides PII field {base.__name__}.{field_name} with "
                    "a type that is not PII; keep the PII type in the subclass"
                )
    for field_name, computed in model.model_computed_fields.items():
        if carries_pii(computed.return_type):
            problems.append(
                f"computed field {name}.{field_name} returns PII, which model_dump would store "
                "unencrypted; make it a method, or store the value in a PII field"
            )
    return list(dict.fromkeys(problems))


def referenced_models(annotation: Any) -> tuple[type[BaseModel], ...]:
    """The models an annotation names, through Optional, unions, Annotated and containers."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return (annotation,)
    found: list[type[BaseModel]] = []
    for arg in get_args(annotation):
        for model in referenced_models(arg):
            if model not in found:
                found.append(model)
    return tuple(found)


def fk_target(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The model `model.name` refers to when it is an FK field (the first one, for unions)."""
    info = model.model_fields.get(name)
    if info is None:
        return None
    targets = referenced_models(info.annotation)
    return targets[0] if targets else None
