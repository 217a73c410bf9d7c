"""SQLAlchemy 2.0 and SQLModel: PII columns hold ciphertext, encrypted in one call per flush.

Importing this module (the `sqlalchemy` extra) turns on, for every session and mapped class:

- mapping: the column of a PII attribute (`email: Mapped[PIIStr]`, SQLModel's `email: PIIStr`,
  or `mapped_column(PIIString())`) stores through `PIIString`; one used as a primary key or in a
  unique constraint or index is refused when the class is defined, as `check_model` does;
- flush: every plaintext PII value pending in the session goes to the cryptor in ONE call
  (`before_flush`); the attribute then holds the stored `EncryptedStr`;
- load: each value read back is checked and bound to its field as `load_pii` does, and stays
  masked; plaintext comes back only from `decrypt(objects)`, one cryptor call for all;
- `PIIString` refuses to send the database anything that is not such a stored value (a Core
  insert of plaintext, a filter on the column), so a path around the session fails closed.

- lookups: `email_lookup: Mapped[str | None] = lookup_column("email", normalizer="email")` (or
  SQLModel's `email_lookup: Lookup = lookup_of("email")`) is filled in the same flush with the
  blind index of the plaintext; filter with `lookup_values` and put unique indexes on it.

A session can carry its own cryptor, binding and migration mode: `session.info` keys
`"pii_guard.cryptor"`, `"pii_guard.context"` and `"pii_guard.allow_plaintext"`.
"""

from __future__ import annotations

import sys
import typing
import weakref
from collections.abc import Callable, Iterable
from typing import Any, get_args, get_origin

from sqlalchemy import Insert, String, UniqueConstraint, Update, event, inspect
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import NoInspectionAvailable
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column, object_session
from sqlalchemy.sql.elements import BindParameter, ClauseElement, Null
from sqlalchemy.sql.schema import Column, Table
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.types import TypeDecorator

from pii_guard.annotations import contains_pii_annotation, field_annotation
from pii_guard.binding import ContextFunction, ValueSite, binding_for, field_context
from pii_guard.blindindex import BoundLookup, LookupWriter, bound_lookups, register_mapped_lookups
from pii_guard.config import get_cryptor, load_settings
from pii_guard.cryptors.base import Cryptor
from pii_guard.errors import (
    FORGET_SECRETS,
    PIIConfigurationError,
    PIIDecryptionError,
    PIIEncryptionError,
    PIIGuardError,
    PIIInvalidFieldUsageError,
    PIIUsageError,
)
from pii_guard.lookups import LookupSpec, declared_lookups, lookup_of
from pii_guard.messages import message
from pii_guard.storage import cryptor_token, plaintext_to_encrypt, stored_or_legacy
from pii_guard.types import (
    MASK,
    EncryptedStr,
    StoredOrigin,
    bind_origin,
    stored_value,
)
from pii_guard.wire import is_wire_value, looks_like_wire_value

LOOKUP_INFO_KEY = "pii_guard.lookup"
LOOKUP_LENGTH = 64  # "v<version>:" and 43 base64 characters of a whole HMAC-SHA256
CRYPTOR_KEY = "pii_guard.cryptor"
CONTEXT_KEY = "pii_guard.context"
ALLOW_PLAINTEXT_KEY = "pii_guard.allow_plaintext"

# Values straight from a result row, before the load event has checked and bound them.
_FROM_DATABASE = StoredOrigin(bound=False)


class PIIString(TypeDecorator[str]):
    """A PII column: stored values only, never plaintext.

    Binding accepts only an `EncryptedStr` the session's flush (or the load path) made; reading
    gives `EncryptedStr`. `length` sizes a `VARCHAR`: see docs/adopting.md for how long a stored
    value is for a given input.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, EncryptedStr) and value.origin is not None and value.origin.bound:
            return value.ciphertext
        raise PIIEncryptionError(
            "a value that is not a stored PII value was about to reach a PII column: save "
            "objects through a Session (pii_guard encrypts them at flush); to find rows by a "
            "PII value, filter on a lookup column, never on the PII column"
        )

    def process_literal_param(self, value: Any, dialect: Dialect) -> str:
        raise PIIEncryptionError("PII values are never rendered into SQL text")

    def process_result_value(self, value: Any, dialect: Dialect) -> EncryptedStr | None:
        if value is None:
            return None
        return stored_value(str(value), _FROM_DATABASE)


def lookup_column(
    of: str,
    *,
    normalizer: str | Callable[[str], str] = "exact",
    bits: int | None = None,
    **options: Any,
) -> Any:
    """A lookup column for PII attribute `of`: a nullable `String` the flush fills with the
    blind index of `of`'s plaintext. Query it with `pii_guard.lookup_values`; `unique=True` or
    `index=True` are allowed here (never on the PII column). `options` go to `mapped_column`."""
    spec = next(meta for meta in lookup_of(of, normalizer=normalizer, bits=bits).metadata)
    info = {**options.pop("info", {}), LOOKUP_INFO_KEY: spec}
    options.setdefault("nullable", True)
    return mapped_column(String(LOOKUP_LENGTH), info=info, **options)


# --- mapping ------------------------------------------------------------------------------------

_pii_attributes: weakref.WeakKeyDictionary[type, tuple[tuple[str, type], ...]] = (
    weakref.WeakKeyDictionary()
)


@event.listens_for(Mapper, "after_mapper_constructed")
def _map_pii_columns(mapper: Mapper[Any], cls: type) -> None:
    names = _pii_annotated(cls)
    columns: dict[str, Column[Any]] = {}
    for key, prop in getattr(mapper, "_props", {}).items():
        for column in getattr(prop, "columns", ()):
            if not isinstance(column, Column):
                continue
            if key in names and not isinstance(column.type, PIIString):
                # Mapped[PIIStr] would map to String, and store plaintext: store it as PII.
                column.type = PIIString(getattr(column.type, "length", None))
            if isinstance(column.type, PIIString):
                columns[key] = column
    table = mapper.local_table
    if isinstance(table, Table):
        _refuse_what_cannot_hold_ciphertext(cls.__name__, table, columns)
    inherited = set(getattr(cls, "__pii_fields__", ()))
    type.__setattr__(cls, "__pii_fields__", frozenset(set(columns) | inherited))
    _map_lookups(mapper, cls, set(columns) | inherited)


def _map_lookups(mapper: Mapper[Any], cls: type, pii: set[str]) -> None:
    """Record the lookup columns of `cls` (`lookup_column`, or SQLModel's `lookup_of`); a
    lookup of an attribute that is not PII is refused."""
    specs: dict[str, LookupSpec] = {}
    props = getattr(mapper, "_props", {})
    for key, prop in props.items():
        for column in getattr(prop, "columns", ()):
            spec = getattr(column, "info", {}).get(LOOKUP_INFO_KEY)
            if isinstance(spec, LookupSpec):
                specs[key] = spec
    if isinstance(getattr(cls, "model_fields", None), dict):
        for _, (lookup, spec) in declared_lookups(cls).items():
            specs.setdefault(lookup, spec)
    found = []
    for lookup, spec in specs.items():
        if spec.of not in pii:
            raise PIIInvalidFieldUsageError(
                f"lookup {cls.__name__}.{lookup} indexes {cls.__name__}.{spec.of}, which is not "
                "a PII column; name a PII attribute of the class"
            )
        parent = getattr(props.get(spec.of), "parent", mapper)
        owner = getattr(parent, "class_", cls)
        found.append(BoundLookup(spec.of, lookup, spec, f"{owner.__name__}.{spec.of}"))
    register_mapped_lookups(cls, tuple(found))


def _pii_annotated(cls: type) -> set[str]:
    """Attributes whose annotation is a PII type (`Mapped[PIIStr]`, a SQLModel field), declared
    on the class, its mixins or its abstract bases."""
    model_fields = getattr(cls, "model_fields", None)
    if isinstance(model_fields, dict):  # SQLModel: pydantic has resolved the annotations
        return {name for name, info in model_fields.items() if _is_pii(field_annotation(info))}
    found: set[str] = set()
    for klass in cls.__mro__:
        namespace = (
            dict(vars(sys.modules[klass.__module__])) if klass.__module__ in sys.modules else {}
        )
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            resolved = _resolve(annotation, namespace, klass)
            if resolved is _UNRESOLVED:
                if "PII" in str(annotation):
                    raise PIIInvalidFieldUsageError(
                        f"cannot resolve the annotation of {cls.__name__}.{name}, so whether it "
                        "is PII is unknown; import its names at module level"
                    )
                continue
            if _is_pii(resolved):
                found.add(name)
    return found


_UNRESOLVED = object()


def _resolve(annotation: Any, namespace: dict[str, Any], klass: type) -> Any:
    """An annotation with strings and forward references evaluated, `Mapped[...]` unwrapped."""
    for _ in range(5):  # "Mapped['PIIStr']": a string, then a ForwardRef inside
        if isinstance(annotation, typing.ForwardRef):
            annotation = annotation.__forward_arg__
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace, dict(vars(klass)))
            except Exception:
                return _UNRESOLVED
        if get_origin(annotation) is Mapped:
            annotation = get_args(annotation)[0]
            continue
        if isinstance(annotation, typing.ForwardRef | str):
            continue
        return annotation
    return _UNRESOLVED


def _is_pii(annotation: Any) -> bool:
    # A PII string itself, not a relationship to a model that has PII.
    return contains_pii_annotation(annotation) and not _is_container_of_models(annotation)


def _is_container_of_models(annotation: Any) -> bool:
    return any(isinstance(arg, type) and hasattr(arg, "__table__") for arg in get_args(annotation))


def _refuse_what_cannot_hold_ciphertext(
    name: str, table: Table, pii_columns: dict[str, Column[Any]]
) -> None:
    """Keys and unique constraints (ciphertext never repeats, PII003/PII004), and values the
    database or SQLAlchemy would write without pii_guard (server and Python defaults)."""
    problems: dict[str, str] = {}  # one message per column
    for key, column in pii_columns.items():
        subject = f"{name}.{key}"
        if column.primary_key:
            problems[subject] = message("PII003", subject=subject)
        elif column.unique:
            problems[subject] = message("PII004", subject=subject, constraint="unique=True")
        elif any(
            getattr(column, option) is not None
            for option in ("server_default", "server_onupdate", "default", "onupdate", "computed")
        ):
            problems[subject] = (
                f"PII field {subject} has a default, an onupdate or a computed value: the "
                "database or SQLAlchemy would write it without encrypting it; set the value "
                "in Python before saving"
            )
    by_name = {column.name: key for key, column in pii_columns.items()}
    problems.update(_unique_problems(name, table, by_name, problems))
    if problems:
        raise PIIInvalidFieldUsageError("; ".join(problems.values()))


def _unique_problems(
    name: str, table: Table, pii: dict[str, str], known: dict[str, str] | None = None
) -> dict[str, str]:
    found: dict[str, str] = {}
    unique_sets = [
        (str(constraint.name or "(unnamed)"), constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ] + [
        (str(index.name or "(unnamed unique index)"), index.columns)
        for index in table.indexes
        if index.unique
    ]
    for constraint_name, columns in unique_sets:
        for column in columns:
            if column.name in pii:
                subject = f"{name}.{pii[column.name]}"
                if subject not in (known or {}):
                    found.setdefault(
                        subject, message("PII004", subject=subject, constraint=constraint_name)
                    )
    return found


@event.listens_for(Table, "before_create")
def _refuse_late_unique_constraints(table: Table, connection: Any, **_: Any) -> None:
    """Unique indexes and constraints added after mapping are refused before the DDL runs."""
    pii = {
        column.name: column.key for column in table.columns if isinstance(column.type, PIIString)
    }
    problems = _unique_problems(table.name, table, pii)
    if problems:
        raise PIIInvalidFieldUsageError("; ".join(problems.values()))


def _refuse_models_mapped_before_import() -> None:
    mapper_module = sys.modules.get("sqlalchemy.orm.mapper")
    registries = getattr(mapper_module, "_mapper_registries", {})
    unprotected = []
    for registry in list(registries):
        for mapper in list(getattr(registry, "mappers", ())):
            for key in _pii_annotated(mapper.class_):
                prop = getattr(mapper, "_props", {}).get(key)
                if any(
                    isinstance(column, Column) and not isinstance(column.type, PIIString)
                    for column in getattr(prop, "columns", ())
                ):
                    unprotected.append(f"{mapper.class_.__name__}.{key}")
    if unprotected:
        raise PIIConfigurationError(
            f"{', '.join(sorted(unprotected))} were mapped before pii_guard.sqlalchemy was "
            "imported, as plain text columns: import pii_guard.sqlalchemy before defining models"
        )


_refuse_models_mapped_before_import()


def pii_attributes(cls: type) -> tuple[tuple[str, type], ...]:
    """(attribute, the mapped class that declares it) of the PII columns of `cls`."""
    found = _pii_attributes.get(cls)
    if found is None:
        try:
            mapper: Mapper[Any] = inspect(cls)
        except NoInspectionAvailable:  # not a mapped class
            found = ()
        else:
            found = tuple(
                (prop.key, prop.parent.class_)
                for prop in mapper.column_attrs
                if any(isinstance(column.type, PIIString) for column in prop.columns)
            )
        _pii_attributes[cls] = found
    return found


# --- statements: what reaches a PII column must be a stored value --------------------------------


@event.listens_for(Engine, "before_execute")
def _refuse_expressions_for_pii_columns(
    connection: Any, statement: Any, multiparams: Any, params: Any, options: Any
) -> None:
    """An INSERT or UPDATE that gives a PII column a SQL expression (`func.lower(x)`, another
    column, a literal of another type, a SELECT of plain columns) would write it without
    `PIIString` seeing it: refused. Plain values and bound stored values pass."""
    if not isinstance(statement, Insert | Update):
        return
    table = statement.table
    table_name = str(getattr(table, "name", table))
    columns = getattr(table, "c", None)
    if columns is None:
        return
    pii = {c.key for c in columns if isinstance(c.type, PIIString)} | {
        c.name for c in columns if isinstance(c.type, PIIString)
    }
    if not pii:
        return
    assignments: list[tuple[Any, Any]] = list((statement._values or {}).items())
    for rows in getattr(statement, "_multi_values", None) or ():
        for row in rows:
            assignments.extend(row.items() if hasattr(row, "items") else ())
    assignments.extend(getattr(statement, "_ordered_values", None) or ())
    for target, value in assignments:
        name = target if isinstance(target, str) else getattr(target, "key", None)
        if name in pii and not _is_value(value):
            raise PIIEncryptionError(
                f"a statement gives PII column {table_name}.{name} a SQL expression, which would "
                "be written without encryption: assign the value in Python and save the object"
            )
    select_names = getattr(statement, "_select_names", None)
    if isinstance(statement, Insert) and statement.select is not None and select_names:
        for name, column in zip(select_names, statement.select.selected_columns, strict=False):
            if name in pii and not isinstance(getattr(column, "type", None), PIIString):
                raise PIIEncryptionError(
                    f"INSERT ... SELECT fills PII column {table_name}.{name} from a column that "
                    "is not PII, which would be written without encryption"
                )


def _is_value(value: Any) -> bool:
    """A Python value, NULL, or a bind parameter that the column's PIIString will process."""
    if not isinstance(value, ClauseElement):
        return True
    if isinstance(value, Null):
        return True
    return isinstance(value, BindParameter) and isinstance(value.type, NullType | PIIString)


@event.listens_for(Engine, "handle_error")
def _hide_refused_parameters(context: Any) -> None:
    """A statement pii_guard refused may carry the plaintext it refused: SQLAlchemy's error
    must not show its parameters, whatever the engine's `hide_parameters`."""
    error = context.sqlalchemy_exception
    if isinstance(context.original_exception, PIIGuardError) and error is not None:
        error.hide_parameters = True
        error.params = None


# --- flush: one cryptor call for every pending value ---------------------------------------------


def _session_cryptor(session: Session) -> Cryptor:
    chosen = session.info.get(CRYPTOR_KEY)
    return chosen if chosen is not None else get_cryptor()


def _session_binding(session: Session, cryptor: Cryptor) -> ContextFunction | None:
    context = session.info.get(CONTEXT_KEY, field_context)
    return binding_for(context, cryptor)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    with FORGET_SECRETS:  # a failure keeps no plaintext in the frames below
        _encrypt_pending(session)


def _encrypt_pending(session: Session) -> None:
    pending = [obj for obj in (*session.new, *session.dirty) if pii_attributes(type(obj))]
    if not pending:
        return
    cryptor = _session_cryptor(session)
    bind = _session_binding(session, cryptor)
    token = cryptor_token(cryptor)
    targets: list[tuple[object, str, str | None]] = []
    values: list[str] = []
    lookups: list[tuple[object, dict[str, str | None]]] = []
    writer: LookupWriter | None = None
    for obj in pending:
        state = obj.__dict__
        declared = bound_lookups(type(obj))
        if declared:
            _refuse_lookups_set_directly(obj, declared)
            # Only values present in the object: an expired attribute is not None.
            present = tuple(lookup for lookup in declared if lookup.field in state)
            if present:
                writer = writer if writer is not None else LookupWriter(cryptor)
                # Kept values' lookups were checked above, by attribute history.
                lookups.append((obj, writer.fill(obj, present, check_kept=False)))
        for key, owner in pii_attributes(type(obj)):
            value = state.get(key)
            if value is None:
                continue
            site = ValueSite(owner, key, obj, obj)
            context = None if bind is None else bind(site)
            plaintext = plaintext_to_encrypt(value, context, token, cryptor, site)
            if plaintext is not None:
                targets.append((obj, key, context))
                values.append(plaintext)
    if not values:
        _write_lookups(lookups)
        return
    if bind is None:
        encrypted = cryptor.encrypt(values)
    else:
        encrypted = cryptor.encrypt(values, [context for _, _, context in targets])
    if len(encrypted) != len(values) or not all(map(is_wire_value, encrypted)):
        raise PIIEncryptionError("the cryptor did not answer one stored value per value")
    origins: dict[str | None, StoredOrigin] = {}
    for (obj, key, context), wire in zip(targets, encrypted, strict=True):
        origin = origins.get(context)
        if origin is None:
            origin = origins[context] = StoredOrigin(True, context, token)
        setattr(obj, key, stored_value(wire, origin))
    _write_lookups(lookups)


# Lookups that pii_guard itself recomputed from decrypted values (reindex), by object.
_recomputed: weakref.WeakKeyDictionary[object, set[str]] = weakref.WeakKeyDictionary()


def set_recomputed_lookup(obj: object, name: str, text: str | None) -> None:
    """Set lookup attribute `name` of a loaded object to a value computed from its decrypted
    PII value (what `pii-guard reindex` does); the next flush writes it."""
    setattr(obj, name, text)
    _recomputed.setdefault(obj, set()).add(name)


def _refuse_lookups_set_directly(obj: object, declared: tuple[BoundLookup, ...]) -> None:
    """A lookup changes only with its PII value: one set by itself (by a user, or copied from
    another row) would make this row match searches for another value."""
    attributes = inspect(obj).attrs
    recomputed = _recomputed.pop(obj, set())
    for lookup in declared:
        if lookup.lookup in recomputed:
            continue
        value = obj.__dict__.get(lookup.field)
        derived = type(value) is str or (value is None and lookup.field in obj.__dict__)
        if not derived and attributes[lookup.lookup].history.has_changes():
            raise PIIEncryptionError(
                f"{type(obj).__name__}.{lookup.lookup} was set while {lookup.field} was not: a "
                f"lookup is computed from its field when saving; assign {lookup.field} instead"
            )


def _write_lookups(lookups: list[tuple[object, dict[str, str | None]]]) -> None:
    for obj, answers in lookups:
        for name, text in answers.items():
            if obj.__dict__.get(name, MASK) != text:  # not loaded, or another value
                setattr(obj, name, text)


# --- load: check and bind what was read ----------------------------------------------------------


@event.listens_for(Mapper, "load")
def _bind_loaded(target: object, context: Any) -> None:
    _check_loaded(target)


@event.listens_for(Mapper, "refresh")
def _bind_refreshed(target: object, context: Any, attrs: Iterable[str] | None) -> None:
    _check_loaded(target)


def _check_loaded(target: object) -> None:
    attributes = pii_attributes(type(target))
    if not attributes:
        return
    session = object_session(target)
    cryptor = _session_cryptor(session) if session is not None else get_cryptor()
    bind = _session_binding(session, cryptor) if session is not None else None
    allow_plaintext = _allows_plaintext(session)
    token = cryptor_token(cryptor)
    state = target.__dict__
    for key, owner in attributes:
        value = state.get(key)
        if not isinstance(value, EncryptedStr) or value.origin is not _FROM_DATABASE:
            continue
        text = value.ciphertext
        site = ValueSite(owner, key, target, target)
        try:
            is_stored = stored_or_legacy(
                text,
                cryptor,
                allow_plaintext,
                "set PII_GUARD_ALLOW_PLAINTEXT=1 only while migrating legacy plaintext",
            )
        except PIIDecryptionError as error:
            where = f"{owner.__name__}.{key} of the row with key {inspect(target).identity}"
            raise PIIDecryptionError(error.reason, field=where) from None
        if is_stored:
            bind_origin(value, StoredOrigin(True, None if bind is None else bind(site), token))
        else:
            state[key] = text  # legacy plaintext, while migrating: a plain str


def _allows_plaintext(session: Session | None) -> bool:
    if session is None:
        return load_settings().allow_plaintext
    allowed = session.info.get(ALLOW_PLAINTEXT_KEY)
    if allowed is None:
        allowed = session.info[ALLOW_PLAINTEXT_KEY] = load_settings().allow_plaintext
    return bool(allowed)


# --- plaintext on request ----------------------------------------------------------------------


def decrypt(
    objects: Iterable[object],
    *,
    cryptor: Cryptor | None = None,
    context: ContextFunction | None = field_context,
) -> list[dict[str, str | None]]:
    """The plaintext PII values of mapped objects (query results), one dict per object, in ONE
    cryptor call (with KMS, one `Decrypt` per distinct data key). The objects stay masked."""
    with FORGET_SECRETS:  # a failure keeps no plaintext in the frames below
        return _decrypt(objects, cryptor, context)


def _decrypt(
    objects: Iterable[object], cryptor: Cryptor | None, context: ContextFunction | None
) -> list[dict[str, str | None]]:
    listed = list(objects)
    chosen = cryptor if cryptor is not None else _cryptor_of(listed)
    bind = binding_for(context, chosen)
    answers: list[dict[str, str | None]] = []
    pending: list[tuple[dict[str, str | None], str]] = []
    values: list[str] = []
    contexts: list[str | None] = []
    for position, obj in enumerate(listed):
        plain: dict[str, str | None] = {}
        for key, owner in pii_attributes(type(obj)):
            value = getattr(obj, key)  # loads an expired attribute
            if value is None or isinstance(value, EncryptedStr):
                plain[key] = None
                if value is not None:
                    pending.append((plain, key))
                    values.append(value.ciphertext)
                    contexts.append(None if bind is None else bind(ValueSite(owner, key, obj, obj)))
            elif looks_like_wire_value(value):
                raise PIIUsageError(
                    f"{owner.__name__}.{key} of the object at position {position} holds text in "
                    "a stored shape that was not read through a session: load it with a query"
                )
            else:
                plain[key] = value  # plaintext not yet flushed, or legacy plaintext
        answers.append(plain)
    if values:
        found = chosen.decrypt(values) if bind is None else chosen.decrypt(values, contexts)
        for (plain, key), text in zip(pending, found, strict=True):
            plain[key] = text
    return answers


def _cryptor_of(objects: list[object]) -> Cryptor:
    for obj in objects:
        session = object_session(obj)
        if session is not None:
            return _session_cryptor(session)
    return get_cryptor()
