"""The analyzer's one reader of annotations: what a field or a variable annotation says it holds.

The index asks it whether a field is PII or refers to a model (an FK field); the type pass asks
it what a parameter or variable is. Both read with the same tables of wrappers and containers
(`flake8_pii.vocabulary`), so a field and a variable annotated alike are understood alike.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TypeGuard

from flake8_pii import vocabulary


class Holds(Enum):
    """How an annotation holds the model it names."""

    ONE = "one"  # `M`, `M | None`, `Optional[M]`, `Mapped[M]`
    MANY = "many"  # `list[M]`, `Sequence[M]`, ...
    CLASS = "class"  # `type[M]`
    QUERY = "query"  # `QuerySet[M]`, `Query[M]`
    INSIDE = "inside"  # somewhere inside another generic: `dict[str, M]`


@dataclass(frozen=True)
class Reading:
    """What one annotation says.

    `pii` is the PII type as spelled when one appears anywhere in it (`list[PIIStr]` too);
    `pii_value` whether the annotated value itself is PII (through wrappers only). `model` is
    the qualified name of the first model it names, held as `holds` says.
    """

    pii: str | None = None
    pii_value: bool = False
    model: str | None = None
    holds: Holds = Holds.ONE
    # it names two different models (`Customer | Plain`): which one a value is, is unknown
    ambiguous: bool = False

    @property
    def holds_many(self) -> bool:
        return self.model is not None and self.holds is not Holds.ONE


NOTHING = Reading()


@dataclass(frozen=True)
class Names:
    """How to read the names in an annotation, in the module where it is written."""

    qualify: Callable[[str], str | None]  # dotted source -> qualified name
    is_pii_type: Callable[[str], bool]
    is_model: Callable[[str], bool]


def read_annotation(source: str, names: Names) -> Reading:
    """What the annotation written as `source` holds (quoted forward references included).

    An annotation too deeply nested to read (Python's own parser or this reader running out of
    stack or memory) says nothing: it is unknown, and only that annotation is.
    """
    try:
        return _unquoted(source, names, Holds.ONE)
    except (RecursionError, MemoryError):
        return NOTHING


def _read(node: ast.expr, names: Names, holds: Holds) -> Reading:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _unquoted(node.value, names, holds)
    if _is_union(node):
        # Read arm by arm, not by recursion: a union may have thousands of arms.
        return _read_all(_union_arms(node), names, holds)
    if isinstance(node, ast.Name | ast.Attribute):
        qualified = names.qualify(ast.unparse(node))
        if qualified is None:
            return NOTHING
        if names.is_pii_type(qualified):
            return Reading(pii=ast.unparse(node), pii_value=holds is Holds.ONE)
        if names.is_model(qualified):
            return Reading(model=qualified, holds=holds)
        return NOTHING
    if isinstance(node, ast.Subscript):
        spelled = ast.unparse(node.value)
        outer = names.qualify(spelled) or spelled
        if names.is_pii_type(outer):
            return Reading(pii=spelled, pii_value=holds is Holds.ONE)
        short = outer.rpartition(".")[2]
        elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if not elements:
            return NOTHING
        if short in vocabulary.WRAPPER_ANNOTATIONS:
            return _read_all(elements[:1] if short == "Annotated" else elements, names, holds)
        if holds is not Holds.ONE:
            return _read_all(elements, names, Holds.INSIDE)
        if short in vocabulary.TUPLE_ANNOTATIONS and not _homogeneous(elements):
            return _read_all(elements, names, Holds.INSIDE)  # `tuple[Customer, Plain]`
        if short in vocabulary.CONTAINER_ANNOTATIONS:
            first = _read(elements[0], names, Holds.MANY)
            return _merge(first, _read_all(elements[1:], names, Holds.INSIDE))
        if short in vocabulary.CLASS_ANNOTATIONS:
            return _read(elements[0], names, Holds.CLASS)
        if short.endswith(vocabulary.QUERY_ANNOTATION_SUFFIXES):
            return _read(elements[0], names, Holds.QUERY)
        return _read_all(elements, names, Holds.INSIDE)
    return NOTHING


def _is_union(node: ast.expr) -> TypeGuard[ast.BinOp]:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr)


def _union_arms(node: ast.expr) -> list[ast.expr]:
    """The arms of a `|` chain, left to right, however it is nested."""
    arms: list[ast.expr] = []
    pending = [node]
    while pending:
        current = pending.pop()
        if _is_union(current):
            pending.append(current.right)
            pending.append(current.left)
        else:
            arms.append(current)
    return arms


def _unquoted(source: str, names: Names, holds: Holds) -> Reading:
    """A quoted annotation (a forward reference), read as if it were not quoted."""
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        return NOTHING
    return _read(tree, names, holds)


def _read_all(elements: list[ast.expr], names: Names, holds: Holds) -> Reading:
    reading = NOTHING
    for element in elements:
        reading = _merge(reading, _read(element, names, holds))
    return reading


def _homogeneous(elements: list[ast.expr]) -> bool:
    """`tuple[M, ...]` holds many M; `tuple[M, N]` holds one of each, by position."""
    return len(elements) == 1 or (
        len(elements) == 2
        and isinstance(elements[1], ast.Constant)
        and elements[1].value is Ellipsis
    )


def _merge(first: Reading, second: Reading) -> Reading:
    """Both readings: the first PII type and the first model found, each as it was held; two
    different models make the reading ambiguous."""
    model, holds = (first.model, first.holds) if first.model else (second.model, second.holds)
    return Reading(
        pii=first.pii or second.pii,
        pii_value=first.pii_value or second.pii_value,
        model=model,
        holds=holds,
        ambiguous=first.ambiguous
        or second.ambiguous
        or (first.model is not None and second.model is not None and first.model != second.model),
    )
