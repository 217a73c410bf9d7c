"""Walking the PII values of model instances: which strings are PII is read from annotations.

`map_row` applies a function to every PII string of a top-level instance (nested models,
dataclasses, TypedDicts, NamedTuples and containers included) and gives back a copy with the
answers, or the same object when nothing changed. It refuses what it cannot see: PII where
the annotation cannot be rebuilt, and models with PII hidden under `Any` or `object`.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import weakref
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel
from typing_extensions import is_typeddict

from pii_guard.annotations import (
    arms,
    carries_pii,
    element_arguments,
    field_annotation,
    is_opaque,
    is_pii_annotation,
    is_structure,
    mapping_arguments,
    model_pii_problems,
    pii_placement_problems,
    structure_fields,
    walks_into,
)
from pii_guard.binding import ValueSite, declaring_class
from pii_guard.errors import PIIInvalidFieldUsageError, PIIUsageError

Path = tuple[Any, ...]
"""Steps from the row to a value: field names, sequence indexes, mapping keys, `SET_MEMBER`."""

SET_MEMBER = object()
"""The path step of a set element: it has no index, only membership."""

Leaf = Callable[[str, ValueSite, Path], str]
"""Called with each PII string, where it sits, and its path; answers the string to put back."""


def map_row(row: BaseModel, leaf: Leaf) -> BaseModel:
    """`row` with `leaf` applied to each PII string in it (the same object when unchanged)."""
    return _map_model(row, leaf, row, ())


# --- models and structures ---------------------------------------------------------------------

Shape = tuple[list[Any], bool, bool, bool]
"""An annotation's arms, whether a string under it is PII, whether it may hide a model, and
whether it carries PII at all."""
_FieldPlan = tuple[tuple[str, tuple[Any, ...], type, Shape], ...]
_model_plans: weakref.WeakKeyDictionary[type, _FieldPlan | PIIInvalidFieldUsageError] = (
    weakref.WeakKeyDictionary()
)


def _plan(cls: type) -> _FieldPlan:
    """(name, (annotation,), declaring class) of the fields that can hold PII (cached)."""
    plan = _model_plans.get(cls)
    if plan is None:
        plan = _work_out_plan(cls)
        if not issubclass(cls, BaseModel) or cls.__pydantic_complete__:
            _model_plans[cls] = plan
    if isinstance(plan, PIIInvalidFieldUsageError):
        raise PIIInvalidFieldUsageError(str(plan))
    return plan


def _work_out_plan(cls: type) -> _FieldPlan | PIIInvalidFieldUsageError:
    if issubclass(cls, BaseModel):
        annotations = {name: field_annotation(info) for name, info in cls.model_fields.items()}
        problems = model_pii_problems(cls)
    else:
        try:
            annotations = structure_fields(cls)
        except (NameError, TypeError) as error:
            return PIIInvalidFieldUsageError(
                f"cannot read the annotations of {cls.__name__} ({type(error).__name__}: "
                f"{error}), so its PII fields are unknown; make its forward references resolvable"
            )
        problems = [
            problem
            for name, annotation in annotations.items()
            for problem in pii_placement_problems(annotation, f"{cls.__name__}.{name}")
        ]
    if problems:
        return PIIInvalidFieldUsageError("; ".join(problems))
    return tuple(
        (name, (annotation,), declaring_class(cls, name), _work_out_alternatives((annotation,)))
        for name, annotation in annotations.items()
        if walks_into(annotation)
    )


def _map_model(instance: BaseModel, leaf: Leaf, row: object, path: Path) -> BaseModel:
    updates = {}
    values = instance.__dict__
    for name, field_annotations, owner, shape in _plan(type(instance)):
        value = values[name] if name in values else getattr(instance, name)
        site = ValueSite(owner, name, instance, row)
        if shape[1] and type(value) is str:  # the common case: a PII field holding text
            mapped = leaf(value, site, (*path, name))
        else:
            mapped = _map_value(field_annotations, value, leaf, site, (*path, name), shape)
        if mapped is not value:
            updates[name] = mapped
    extra = instance.__pydantic_extra__
    if extra:  # extra="allow": values no annotation describes
        site = ValueSite(type(instance), "(extra)", instance, row)
        for item in extra.values():
            _refuse_hidden_pii(item, site, set())
    return instance.model_copy(update=updates) if updates else instance


def _map_dataclass(instance: Any, leaf: Leaf, row: object, path: Path) -> Any:
    updates = {}
    for name, field_annotations, owner, _ in _plan(type(instance)):
        value = getattr(instance, name)
        site = ValueSite(owner, name, instance, row)
        mapped = _map_value(field_annotations, value, leaf, site, (*path, name))
        if mapped is not value:
            updates[name] = mapped
    if not updates:
        return instance
    # A shallow copy with the new values: no __init__ or __post_init__ runs again, and frozen
    # dataclasses work the same.
    copied = copy.copy(instance)
    for name, value in updates.items():
        object.__setattr__(copied, name, value)
    return copied


def _map_named_tuple(instance: Any, leaf: Leaf, row: object, path: Path) -> Any:
    cls = type(instance)
    updates = {}
    for name, field_annotations, owner, _ in _plan(cls):
        value = getattr(instance, name)
        index = cls._fields.index(name)
        site = ValueSite(owner, name, instance, row)
        mapped = _map_value(field_annotations, value, leaf, site, (*path, index))
        if mapped is not value:
            updates[name] = mapped
    return instance._replace(**updates) if updates else instance


# --- values under an annotation -------------------------------------------------------------


def _map_value(
    annotations: tuple[Any, ...],
    value: Any,
    leaf: Leaf,
    site: ValueSite,
    path: Path,
    shape: Shape | None = None,
) -> Any:
    """`value` with `leaf` applied to each PII string in it (the same object when unchanged)."""
    if value is None:
        return None
    arm_list, text_is_pii, opaque, carries = (
        shape if shape is not None else annotation_shape(annotations)
    )
    if isinstance(value, str):
        if text_is_pii:
            return leaf(value, site, path)
        if carries and not _fits(arm_list, value):
            raise _misfit(site, value)
        return value
    if carries and not _fits(arm_list, value):
        raise _misfit(site, value)
    if opaque and not _named_by(arm_list, value):
        _refuse_hidden_pii(value, site, set())
    if isinstance(value, BaseModel):
        return _map_model(value, leaf, site.row, path)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _map_dataclass(value, leaf, site.row, path)
    if isinstance(value, tuple) and is_structure(type(value)):
        return _map_named_tuple(value, leaf, site.row, path)
    if isinstance(value, Mapping):
        return _map_mapping(arm_list, value, leaf, site, path)
    if isinstance(value, list | tuple | set | frozenset | collections.deque):
        return _map_collection(arm_list, value, leaf, site, path)
    return value


def _map_mapping(
    arm_list: list[Any], value: Mapping[Any, Any], leaf: Leaf, site: ValueSite, path: Path
) -> Any:
    """A mapping read by every arm that describes it: the value type of `dict[K, V]` arms and,
    key by key, the fields of `TypedDict` arms (all of them: a union of TypedDicts cannot
    tell which one a dict is, and encrypting under any of them is safe)."""
    _, value_annotations = mapping_arguments(arm_list)
    typed_plans = [
        {name: (annotations, owner) for name, annotations, owner, _ in _plan(arm)}
        for arm in arm_list
        if is_typeddict(arm)
    ]
    items = {}
    for key, item in value.items():
        annotations = list(value_annotations)
        item_site = site
        for plan in typed_plans:
            if key in plan:
                field_annotations, owner = plan[key]
                annotations.extend(field_annotations)
                if item_site is site:
                    item_site = ValueSite(owner, key, value, site.row)
        items[key] = (
            _map_value(tuple(annotations), item, leaf, item_site, (*path, key))
            if annotations
            else item
        )
    if all(items[key] is item for key, item in value.items()):
        return value
    if isinstance(value, collections.defaultdict):
        return collections.defaultdict(value.default_factory, items)
    if isinstance(value, collections.OrderedDict):
        return collections.OrderedDict(items)
    return items


def _map_collection(
    arm_list: list[Any], value: Any, leaf: Leaf, site: ValueSite, path: Path
) -> Any:
    is_set = isinstance(value, set | frozenset)
    elements = [
        _map_value(
            element_arguments(arm_list, index),
            item,
            leaf,
            site,
            (*path, SET_MEMBER if is_set else index),
        )
        for index, item in enumerate(value)
    ]
    if all(new is old for new, old in zip(elements, value, strict=True)):
        return value
    if isinstance(value, list):
        return elements
    if isinstance(value, collections.deque):
        return collections.deque(elements, maxlen=value.maxlen)
    if isinstance(value, tuple) and hasattr(value, "_make"):
        return value._make(elements)  # a namedtuple without annotations
    return type(value)(elements)


_ALTERNATIVES_CACHE_SIZE = 4096
_alternatives_cache: dict[tuple[Any, ...], Shape] = {}


def annotation_shape(annotations: tuple[Any, ...]) -> Shape:
    """The arms of the annotations, whether a string under them is PII, and whether they may
    hide a model (`Any`).

    Asked once per value of every instance, so the answer is kept per annotation (a handful
    per model); unhashable annotations are worked out every time.
    """
    try:
        return _alternatives_cache[annotations]
    except KeyError:
        pass
    except TypeError:
        return _work_out_alternatives(annotations)
    if len(_alternatives_cache) >= _ALTERNATIVES_CACHE_SIZE:
        _alternatives_cache.clear()  # models made on the fly: never grow without bound
    found = _alternatives_cache[annotations] = _work_out_alternatives(annotations)
    return found


def _work_out_alternatives(annotations: tuple[Any, ...]) -> Shape:
    arm_list = [arm for annotation in annotations for arm in arms(annotation)]
    return (
        arm_list,
        any(is_pii_annotation(arm) for arm in arm_list),
        not annotations or any(is_opaque(arm) for arm in arm_list),
        any(carries_pii(arm) for arm in arm_list),
    )


# --- values that do not match their annotation ---------------------------------------------------


def _fits(arm_list: list[Any], value: Any) -> bool:
    """Whether an arm admits `value`; arms that cannot be judged admit everything."""
    return any(_admits(arm, value) for arm in arm_list)


def _admits(arm: Any, value: Any) -> bool:
    if arm is Any or arm is object or isinstance(arm, TypeVar):
        return True
    if is_pii_annotation(arm):
        return isinstance(value, str)
    if arm is None or arm is type(None):
        return value is None
    origin = get_origin(arm)
    if origin is Literal:
        return value in get_args(arm)
    target = origin if origin is not None else arm
    if not isinstance(target, type):
        return True
    try:
        return isinstance(value, target)
    except TypeError:  # TypedDict, protocols: no instance checks
        return True


def _misfit(site: ValueSite, value: Any) -> PIIUsageError:
    # Set without validation (an assignment, model_construct): where its PII is cannot be told.
    return PIIUsageError(
        f"{site.owner.__name__}.{site.field} holds a {type(value).__name__}, which its "
        "annotation does not admit (set without validation?); pii_guard cannot tell what of "
        "it is PII: assign a value of the declared type"
    )


# --- PII where the annotation cannot show it ---------------------------------------------------


def _named_by(arm_list: list[Any], value: Any) -> bool:
    """Whether an arm names the value's class (so its PII is read from that class)."""
    return any(
        isinstance(arm, type)
        and (issubclass(arm, BaseModel) or is_structure(arm))
        and isinstance(value, arm)
        for arm in arm_list
    )


def _refuse_hidden_pii(value: Any, site: ValueSite, seen: set[int]) -> None:
    """Raise when `value` (under `Any`, `object`, ...) holds a model or structure with PII."""
    if id(value) in seen or isinstance(value, str | bytes | int | float | bool):
        return
    seen.add(id(value))
    cls = type(value)
    if isinstance(value, BaseModel) or (is_structure(cls) and not isinstance(value, type)):
        if carries_pii(cls):
            raise PIIInvalidFieldUsageError(
                f"{site.owner.__name__}.{site.field} holds a {cls.__name__}, which has PII "
                "fields, where its annotation does not name it (Any, object or a bare "
                "container): pii_guard cannot encrypt PII it cannot see; annotate the field "
                f"with {cls.__name__}"
            )
        return
    if isinstance(value, Mapping):
        for item in value.values():
            _refuse_hidden_pii(item, site, seen)
    elif isinstance(value, list | tuple | set | frozenset | collections.deque):
        for item in value:
            _refuse_hidden_pii(item, site, seen)


# --- checking what model_dump made of it ---------------------------------------------------------


def value_at(dumped: Any, path: Path) -> tuple[bool, Any]:
    """(found, value) at `path` of a dumped row; a set member's step answers the set."""
    current = dumped
    for step in path:
        if step is SET_MEMBER:
            return True, current
        try:
            current = current[step]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, current
