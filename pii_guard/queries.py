"""check_query: warn about (or refuse) filters and ordering on PII fields, before a query runs.

Random-IV ciphertext never equals another encryption of the same value and sorts randomly, so
such a query silently returns the wrong rows. ORM integrations call this with the lookups.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from pii_guard.annotations import fk_target
from pii_guard.errors import PIIQueryError, PIIUsageError
from pii_guard.lookups import lookup_field_of
from pii_guard.messages import message
from pii_guard.models import is_pii_field

logger = logging.getLogger("pii_guard.queries")

LOOKUP_SEPARATOR = "__"

Lookups = Mapping[str, object] | Iterable[str]


def check_query(
    model: type[BaseModel],
    filters: Lookups | None = None,
    exclude: Lookups | None = None,
    order_by: Iterable[str] | None = None,
    *,
    strict: bool = False,
) -> list[str]:
    """The paths that filter or order by a PII field, each logged as one WARNING.

    `filters` and `exclude` are lookups (a mapping of path to value, or the paths alone);
    values are never read. `order_by` paths may start with `-`. With `strict=True`, the
    offending paths raise PIIQueryError instead of being logged. A lookup field (declared with
    `lookup_of`) is a plain keyed hash, never PII: filters and ordering on it pass; the message
    about a PII field that has a declared lookup names the lookup to filter on instead.
    """
    problems: list[tuple[str, str]] = []
    for path in [*_paths(filters, "filters"), *_paths(exclude, "exclude")]:
        if pii_path_field(model, path) is not None:
            lookup = lookup_path(model, path)  # computed only for the paths reported
            subject = f"{model.__name__}.{path}"
            lookup_subject = f"{model.__name__}.{lookup}" if lookup else None
            problems.append((path, message("PII001", subject=subject, lookup=lookup_subject)))
    for path in _paths(order_by, "order_by"):
        field_path = path.lstrip("-+")
        if pii_path_field(model, field_path) is not None:
            problems.append((path, message("PII002", subject=f"{model.__name__}.{field_path}")))
    if strict and problems:
        raise PIIQueryError("; ".join(text for _, text in problems))
    for _, text in problems:
        logger.warning(text)
    return [path for path, _ in problems]


def pii_path_subject(model: type[BaseModel], path: str) -> str | None:
    """`Owner.field` of the PII field a path reaches through FK fields, else None.

    `profile__email__iexact` from Customer reaches Profile.email when `profile` is typed with
    Profile (also through Optional); whatever follows the PII field is a lookup suffix.
    """
    reached = pii_path_field(model, path)
    return None if reached is None else f"{reached.owner.__name__}.{reached.field}"


@dataclass(frozen=True)
class PIIPathField:
    """The PII field a path reaches: the model declaring it, its name, and the path's parts up
    to it (the FK fields followed)."""

    owner: type[BaseModel]
    field: str
    through: tuple[str, ...]


def lookup_path(model: type[BaseModel], path: str) -> str | None:
    """The path to filter on instead: `profile__email_lookup` for `profile__email__iexact`
    when Profile declares `email_lookup: Lookup = lookup_of("email")`; None when the path
    reaches no PII field, or one without a declared lookup."""
    reached = pii_path_field(model, path)
    if reached is None:
        return None
    lookup = lookup_field_of(reached.owner, reached.field)
    if lookup is None:
        return None
    return LOOKUP_SEPARATOR.join((*reached.through, lookup))


def pii_path_field(model: type[BaseModel], path: str) -> PIIPathField | None:
    """The PII field a path reaches through FK fields, else None (lookup fields are `str`:
    never PII)."""
    current = model
    parts = path.split(LOOKUP_SEPARATOR)
    for position, part in enumerate(parts):
        if part not in current.model_fields:
            return None  # a lookup suffix or a name we do not know: not a PII field
        if is_pii_field(current, part):
            return PIIPathField(current, part, tuple(parts[:position]))
        target = fk_target(current, part)
        if target is None:
            return None
        current = target
    return None


def _paths(lookups: Lookups | None, argument: str) -> list[str]:
    if lookups is None:
        return []
    if isinstance(lookups, str):
        raise PIIUsageError(f"{argument} must be a mapping or a list of paths, not one str")
    paths = list(lookups.keys() if isinstance(lookups, Mapping) else lookups)
    for path in paths:
        if not isinstance(path, str):
            raise PIIUsageError(f"{argument} paths must be str, found {type(path).__name__}")
    return paths
