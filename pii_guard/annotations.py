"""Reading field annotations: which models a field refers to (FK fields)."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel


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
