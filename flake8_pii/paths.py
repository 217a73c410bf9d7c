"""Lookup and ordering paths (`owner__email__iexact`, `-email`) resolved through FK fields."""

from __future__ import annotations

from collections.abc import Callable

from flake8_pii.index import ModelInfo

ModelLookup = Callable[[str], ModelInfo | None]


def pii_field_in_path(
    model: ModelInfo, path: str, lookup: ModelLookup
) -> tuple[ModelInfo, str] | None:
    """(the model holding it, the field) of the PII field the path reaches, or None.

    Walks `__`-separated parts through FK fields; the first part that is not a field ends the
    path (it is a lookup suffix such as `iexact`, or something the index does not know). A
    lookup field (`email_lookup`) is a keyed hash, not PII: a path to it reaches none.
    """
    current = model
    parts = path.lstrip("-+").split("__")
    for position, part in enumerate(parts):
        info = current.fields.get(part)
        if info is None:
            return None
        if info.pii:
            # `isnull` works on ciphertext: None stays None when values are encrypted
            if parts[position + 1 :] == ["isnull"]:
                return None
            return current, part
        if info.target is None:
            return None
        target = lookup(info.target)
        if target is None:
            return None
        current = target
    return None
