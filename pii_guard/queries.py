"""check_query: warn about (or refuse) filters and ordering on PII fields, before a query runs.

Random-IV ciphertext never equals another encryption of the same value and sorts randomly, so
such a query silently returns the wrong rows. ORM integrations call this with the lookups.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from pydantic import BaseModel

from pii_guard.annotations import fk_target
from pii_guard.errors import PIIQueryError, PIIUsageError
from pii_guard.lookups import lookup_field_of
from pii_guard.messages import message
from pii_guard.models import is_pii_field
from pii_guard.paths import Field, Reached, pii_field_in_path

logger = logging.getLogger("pii_guard.queries")

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
        reached = pii_path_field(model, path)
        if reached is not None:
            lookup = lookup_field_of(reached.owner, reached.field)
            parts = _subjects(reached, lookup)
            problems.append((path, message("PII001", **parts)))
    for path in _paths(order_by, "order_by"):
        reached = pii_path_field(model, path)
        if reached is not None:
            problems.append((path, message("PII002", **_subjects(reached, None))))
    if strict and problems:
        raise PIIQueryError("; ".join(text for _, text in problems))
    for _, text in problems:
        logger.warning(text)
    return [path for path, _ in problems]


PIIPathField = Reached[type[BaseModel]]


def pii_path_field(model: type[BaseModel], path: str) -> PIIPathField | None:
    """The PII field a filter or ordering path reaches through FK fields, else None, read by
    the same rules as the analyzer's (`flake8_pii.lookups`): lookup fields are `str`, never PII,
    and `isnull` on a PII field tests presence, which works on ciphertext."""
    return pii_field_in_path(model, path, _field)


def _field(model: type[BaseModel], name: str) -> Field[type[BaseModel]] | None:
    if name not in model.model_fields:
        return None
    return Field(pii=is_pii_field(model, name), target=fk_target(model, name))


def _subjects(reached: PIIPathField, lookup: str | None) -> dict[str, str | None]:
    """The message parts naming a reached field and its declared lookup, as the analyzer
    names them: `Profile.email`, `Profile.email_lookup`."""
    owner = reached.owner.__name__
    return {
        "subject": f"{owner}.{reached.field}",
        "lookup": f"{owner}.{lookup}" if lookup else None,
    }


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
