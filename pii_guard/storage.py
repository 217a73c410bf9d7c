"""The storage boundary: rows with ciphertext out of live instances, plaintext copies back in.

Each function sends every PII value of every instance (nested models and containers included)
to the cryptor in ONE call. Live instances are never changed.
"""

from __future__ import annotations

import dataclasses
import types
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from pii_guard.annotations import referenced_models
from pii_guard.config import get_cryptor
from pii_guard.cryptors.base import Cryptor
from pii_guard.errors import PIIEncryptionError, PIIInvalidFieldUsageError, PIIUsageError
from pii_guard.types import PII_MARKER, EncryptedStr, PIIMarker, contains_pii_annotation
from pii_guard.wire import is_wire_value

ModelT = TypeVar("ModelT", bound=BaseModel)

ContextFunction = Callable[[type[BaseModel], str], str | None]
"""Gives the authenticated context of a value from its model and field (None: no context)."""


def field_context(model: type[BaseModel], field: str) -> str:
    """`Model.field` as the authenticated context, so a value only decrypts in its own field.

    A model can set `__pii_context__ = "stable-name"` to keep its values readable after the
    class is renamed.
    """
    owner = getattr(model, "__pii_context__", None) or model.__name__
    return f"{owner}.{field}"


def encrypt_pii(
    instances: Iterable[BaseModel],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = None,
) -> list[dict[str, Any]]:
    """Storage rows (`model_dump()`) in which every PII value is ciphertext.

    Values already `EncryptedStr` (loaded and not changed) keep their stored ciphertext;
    `None` stays `None`. Raises instead of ever returning a plaintext PII value.
    """
    plan = _plan_encryption(instances, cryptor, context)
    if not plan.pending:
        return _rows(plan, [])
    if plan.contexts is None:
        encrypted = plan.cryptor.encrypt(plan.pending)
    else:
        encrypted = plan.cryptor.encrypt(plan.pending, plan.contexts)
    return _rows(plan, encrypted)


async def aencrypt_pii(
    instances: Iterable[BaseModel],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = None,
) -> list[dict[str, Any]]:
    """`encrypt_pii` whose cryptor call does not block the event loop."""
    plan = _plan_encryption(instances, cryptor, context)
    if not plan.pending:
        return _rows(plan, [])
    if plan.contexts is None:
        encrypted = await plan.cryptor.aencrypt(plan.pending)
    else:
        encrypted = await plan.cryptor.aencrypt(plan.pending, plan.contexts)
    return _rows(plan, encrypted)


def decrypt_pii(
    instances: Iterable[ModelT],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = None,
) -> list[ModelT]:
    """Copies of `instances` whose `EncryptedStr` values are plaintext again (one call)."""
    plan = _plan_decryption(instances, cryptor, context)
    if not plan.pending:
        return _copies(plan, [])
    if plan.contexts is None:
        return _copies(plan, plan.cryptor.decrypt(plan.pending))
    return _copies(plan, plan.cryptor.decrypt(plan.pending, plan.contexts))


async def adecrypt_pii(
    instances: Iterable[ModelT],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = None,
) -> list[ModelT]:
    """`decrypt_pii` whose cryptor call does not block the event loop."""
    plan = _plan_decryption(instances, cryptor, context)
    if not plan.pending:
        return _copies(plan, [])
    if plan.contexts is None:
        return _copies(plan, await plan.cryptor.adecrypt(plan.pending))
    return _copies(plan, await plan.cryptor.adecrypt(plan.pending, plan.contexts))


def rewrap(
    instances: Iterable[BaseModel],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = None,
    to_cryptor: Cryptor | None = None,
    to_context: ContextFunction | None = None,
) -> list[dict[str, Any]]:
    """Storage rows in which every PII value of the loaded `instances` is encrypted afresh.

    For migrations: after the KMS key (or the alias's target) changed, to retire old data keys,
    to move to another cryptor (`to_cryptor`) or to start binding values to a context
    (`to_context`); each defaults to the one the values were read with. One decrypt call for
    the whole batch, then one encrypt call: with KMS, one `Decrypt` per distinct old data key
    and one `GenerateDataKey`. Values still stored as plaintext (written before the field was
    PII) are encrypted too. On any failure nothing is returned and nothing is changed.
    """
    plaintexts = decrypt_pii(instances, cryptor=cryptor, context=context)
    return encrypt_pii(
        plaintexts,
        cryptor=to_cryptor if to_cryptor is not None else cryptor,
        context=to_context if to_context is not None else context,
    )


async def arewrap(
    instances: Iterable[BaseModel],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = None,
    to_cryptor: Cryptor | None = None,
    to_context: ContextFunction | None = None,
) -> list[dict[str, Any]]:
    """`rewrap` whose cryptor calls do not block the event loop."""
    plaintexts = await adecrypt_pii(instances, cryptor=cryptor, context=context)
    return await aencrypt_pii(
        plaintexts,
        cryptor=to_cryptor if to_cryptor is not None else cryptor,
        context=to_context if to_context is not None else context,
    )


# --- planning: one pass collects the values, a second puts the cryptor's answers back --------

Leaf = Callable[[str, type[BaseModel], str], str]


@dataclasses.dataclass
class _Plan:
    """The instances of one call, and the values (with contexts) to send to the cryptor."""

    cryptor: Cryptor
    context: ContextFunction | None
    instances: list[Any]
    pending: list[str] = dataclasses.field(default_factory=list)
    contexts: list[str | None] | None = None
    # encrypting only: per PII value, its stored ciphertext to keep, or None to encrypt it
    keep: list[str | None] = dataclasses.field(default_factory=list)

    @classmethod
    def start(
        cls, instances: Iterable[Any], cryptor: Cryptor | None, context: ContextFunction | None
    ) -> _Plan:
        return cls(
            cryptor=cryptor if cryptor is not None else get_cryptor(),
            context=context,
            instances=_instances(instances),
            contexts=None if context is None else [],
        )

    def send(self, value: str, model: type[BaseModel], field: str) -> None:
        self.pending.append(value)
        if self.contexts is not None and self.context is not None:
            self.contexts.append(self.context(model, field))


def _plan_encryption(
    instances: Iterable[BaseModel], cryptor: Cryptor | None, context: ContextFunction | None
) -> _Plan:
    plan = _Plan.start(instances, cryptor, context)

    def collect(value: str, model: type[BaseModel], field: str) -> str:
        if isinstance(value, EncryptedStr) and plan.cryptor.is_ciphertext(value.ciphertext):
            plan.keep.append(value.ciphertext)
        else:
            plan.keep.append(None)
            plan.send(str.__str__(value), model, field)
        return value

    for instance in plan.instances:
        _map_model(instance, collect)
    return plan


def _rows(plan: _Plan, encrypted: Sequence[str]) -> list[dict[str, Any]]:
    if len(encrypted) != len(plan.pending):
        raise PIIEncryptionError(
            f"the cryptor answered {len(encrypted)} values for {len(plan.pending)}"
        )
    for position, value in enumerate(encrypted):
        if not is_wire_value(value):
            raise PIIEncryptionError(
                f"the cryptor answered the value at position {position} in a form that is "
                "not a stored PII value (#01#...#10#); refusing to store it"
            )
    answers = iter(encrypted)
    kept = iter(plan.keep)

    def replace(value: str, model: type[BaseModel], field: str) -> str:
        stored = next(kept)
        return str.__str__(stored if stored is not None else next(answers))

    return [_map_model(instance, replace).model_dump() for instance in plan.instances]


def _plan_decryption(
    instances: Iterable[Any], cryptor: Cryptor | None, context: ContextFunction | None
) -> _Plan:
    plan = _Plan.start(instances, cryptor, context)

    def collect(value: str, model: type[BaseModel], field: str) -> str:
        if isinstance(value, EncryptedStr):
            plan.send(value.ciphertext, model, field)
        return value

    for instance in plan.instances:
        _map_model(instance, collect)
    return plan


def _copies(plan: _Plan, plaintexts: Sequence[str]) -> list[Any]:
    if len(plaintexts) != len(plan.pending) or not all(isinstance(p, str) for p in plaintexts):
        raise PIIUsageError(
            f"the cryptor answered {len(plaintexts)} values for {len(plan.pending)}, "
            "or values that are not str"
        )
    answers = iter(plaintexts)

    def replace(value: str, model: type[BaseModel], field: str) -> str:
        return str.__str__(next(answers)) if isinstance(value, EncryptedStr) else value

    result = []
    for instance in plan.instances:
        copied = _map_model(instance, replace)
        result.append(copied if copied is not instance else instance.model_copy())
    return result


def _instances(instances: Iterable[Any]) -> list[Any]:
    if isinstance(instances, BaseModel):
        raise PIIUsageError("pass a list of model instances, not a single instance")
    listed = list(instances)
    for position, instance in enumerate(listed):
        if not isinstance(instance, BaseModel):
            raise PIIUsageError(
                f"the item at position {position} is a {type(instance).__name__}, "
                "not a pydantic model instance"
            )
    return listed


# --- walking models: which values are PII is read from the field annotations ----------------

_walked_fields: weakref.WeakKeyDictionary[type[BaseModel], dict[str, Any]] = (
    weakref.WeakKeyDictionary()
)


def _fields_to_walk(model: type[BaseModel]) -> dict[str, Any]:
    """Field name -> annotation, for the fields that can hold PII values (cached per class)."""
    cached = _walked_fields.get(model)
    if cached is None:
        cached = {}
        for name, info in model.model_fields.items():
            annotation = _field_annotation(info)
            if contains_pii_annotation(annotation) or referenced_models(annotation):
                cached[name] = annotation
        _walked_fields[model] = cached
    return cached


def _field_annotation(info: FieldInfo) -> Any:
    # pydantic moves a top-level Annotated's metadata into the FieldInfo: put the marker back.
    if any(isinstance(meta, PIIMarker) for meta in info.metadata):
        return Annotated[info.annotation, PII_MARKER]
    return info.annotation


def _map_model(instance: ModelT, leaf: Leaf) -> ModelT:
    model = type(instance)
    updates = {}
    for name, annotation in _fields_to_walk(model).items():
        value = getattr(instance, name)
        mapped = _map_value((annotation,), value, leaf, model, name)
        if mapped is not value:
            updates[name] = mapped
    return instance.model_copy(update=updates) if updates else instance


def _map_value(
    annotations: tuple[Any, ...], value: Any, leaf: Leaf, model: type[BaseModel], field: str
) -> Any:
    """`value` with `leaf` applied to each PII string in it (the same object when unchanged)."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return _map_model(value, leaf)
    arms, text_is_pii = _alternatives(annotations)
    if isinstance(value, str):
        return leaf(value, model, field) if text_is_pii else value
    if isinstance(value, Mapping):
        key_annotations, value_annotations = _mapping_arguments(arms)
        if any(contains_pii_annotation(a) for a in key_annotations):
            raise PIIInvalidFieldUsageError(
                f"PII field {model.__name__}.{field} uses a PII type as a mapping key: keys are "
                "not encrypted; key by a non-PII value"
            )
        items = {k: _map_value(value_annotations, v, leaf, model, field) for k, v in value.items()}
        if all(items[k] is v for k, v in value.items()):
            return value
        return items
    if isinstance(value, list | tuple | set | frozenset):
        elements = [
            _map_value(_element_arguments(arms, index), item, leaf, model, field)
            for index, item in enumerate(value)
        ]
        if all(new is old for new, old in zip(elements, value, strict=True)):
            return value
        if isinstance(value, list):
            return elements
        return type(value)(elements)
    return value


_ALTERNATIVES_CACHE_SIZE = 4096
_alternatives_cache: dict[tuple[Any, ...], tuple[list[Any], bool]] = {}


def _alternatives(annotations: tuple[Any, ...]) -> tuple[list[Any], bool]:
    """The arms of the annotations, and whether a string under them is PII.

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


def _work_out_alternatives(annotations: tuple[Any, ...]) -> tuple[list[Any], bool]:
    arms = [arm for annotation in annotations for arm in _arms(annotation)]
    return arms, any(_is_pii_arm(arm) for arm in arms)


def _arms(annotation: Any) -> list[Any]:
    """The alternatives of an annotation: unions flattened, non-PII Annotated unwrapped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        if any(isinstance(meta, PIIMarker) for meta in annotation.__metadata__):
            return [annotation]
        return _arms(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [arm for arg in get_args(annotation) for arm in _arms(arg)]
    return [annotation]


def _is_pii_arm(arm: Any) -> bool:
    return get_origin(arm) is Annotated and any(
        isinstance(meta, PIIMarker) for meta in arm.__metadata__
    )


def _mapping_arguments(arms: list[Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    keys: list[Any] = []
    values: list[Any] = []
    for arm in arms:
        args = get_args(arm)
        origin = get_origin(arm)
        if len(args) == 2 and isinstance(origin, type) and issubclass(origin, Mapping):
            keys.append(args[0])
            values.append(args[1])
    return tuple(keys), tuple(values)


def _element_arguments(arms: list[Any], index: int) -> tuple[Any, ...]:
    found: list[Any] = []
    for arm in arms:
        origin = get_origin(arm)
        args = get_args(arm)
        if not args or not isinstance(origin, type) or issubclass(origin, Mapping | str):
            continue
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if index < len(args):
                found.append(args[index])  # tuple[A, B]: each position has its own type
        else:
            found.append(args[0])
    return tuple(found)
