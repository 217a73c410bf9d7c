"""Lookup and ordering paths in source (`owner__email__iexact`, `-email`) -> `Model.field`.

The reading itself is the runtime's (`pii_guard.paths`), so `check_query` and the analyzer agree
on every path; this module answers its questions from the project index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flake8_pii.index import ModelInfo
from pii_guard.paths import Field, pii_field_in_path

ModelLookup = Callable[[str], ModelInfo | None]


@dataclass(frozen=True)
class PIIPath:
    """A path that reaches a PII field: the field as `Model.field`, and its declared lookup as
    `Model.email_lookup` (None when the model declares none)."""

    subject: str
    lookup: str | None


def pii_path(model: ModelInfo, path: str, models: ModelLookup) -> PIIPath | None:
    """The PII field `path` reaches from `model` through FK fields, read as at runtime."""

    def step(current: ModelInfo, name: str) -> Field[ModelInfo] | None:
        info = current.fields.get(name)
        if info is None:
            return None
        return Field(info.pii, models(info.target) if info.target else None)

    reached = pii_field_in_path(model, path, step)
    if reached is None:
        return None
    owner = reached.owner
    lookup = owner.lookup_for(reached.field)
    return PIIPath(
        f"{owner.name}.{reached.field}",
        f"{owner.name}.{lookup}" if lookup else None,
    )
