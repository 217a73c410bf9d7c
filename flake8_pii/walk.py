"""A read-only walk over a libcst tree that calls the `visit_<Node>`/`leave_<Node>` methods of
several visitors in one pass.

libcst's own traversal rebuilds every node as it goes (it serves transformers too) and builds its
batched dispatch tables with `inspect` on every call; for reading a tree that costs several times
more than the walk itself. This walk skips whitespace and punctuation, which no rule looks at.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import libcst as cst

Handler = Callable[[Any], None]

# Fields that hold only whitespace, comments or punctuation.
_SKIPPED_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators", "header",
        "footer", "equal", "colon", "dot", "trailing_whitespace", "newline", "operator",
        "asynchronous", "star_tok", "arrow", "default_indent", "default_newline", "encoding",
        "whitespace",
    }
)
_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}
_METHODS: dict[type[object], tuple[tuple[str, str], ...]] = {}


def _fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    names = _FIELDS.get(node_type)
    if names is None:
        names = _FIELDS[node_type] = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
    return names


def _methods(visitor_type: type[object]) -> tuple[tuple[str, str], ...]:
    """(prefix, node type name) for each `visit_X`/`leave_X` method, found once per class."""
    found = _METHODS.get(visitor_type)
    if found is None:
        found = _METHODS[visitor_type] = tuple(
            (name[:5], name[6:])
            for name in dir(visitor_type)
            if name.startswith(("visit_", "leave_")) and callable(getattr(visitor_type, name))
        )
    return found


def walk(root: cst.CSTNode, visitors: Sequence[object]) -> None:
    """Call each visitor's `visit_X(node)` on entering and `leave_X(node)` on leaving every node
    of type X under `root`, visitors in the given order, children in source order."""
    enter: dict[str, list[Handler]] = {}
    leave: dict[str, list[Handler]] = {}
    for visitor in visitors:
        for prefix, node_name in _methods(type(visitor)):
            table = enter if prefix == "visit" else leave
            table.setdefault(node_name, []).append(getattr(visitor, f"{prefix}_{node_name}"))
    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    push = stack.append
    while stack:
        node, leaving = stack.pop()
        name = type(node).__name__
        if leaving:
            for handler in leave[name]:
                handler(node)
            continue
        handlers = enter.get(name)
        if handlers is not None:
            for handler in handlers:
                handler(node)
        if name in leave:
            push((node, True))
        for field in reversed(_fields(type(node))):
            value = getattr(node, field)
            if isinstance(value, cst.CSTNode):
                push((value, False))
            elif isinstance(value, tuple | list):
                for child in reversed(value):
                    if isinstance(child, cst.CSTNode):
                        push((child, False))

