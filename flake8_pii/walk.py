"""A read-only walk over a libcst tree that calls a visitor's `visit_<Node>`/`leave_<Node>`.

libcst's own traversal rebuilds every node on the way back up (it serves transformers too),
which costs several times more than reading the tree. This walk only reads, and skips the
fields that hold whitespace, comments and punctuation, which no rule looks at.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import libcst as cst

Handler = Callable[[Any], object]

# Fields that hold only whitespace, comments or punctuation.
_SKIPPED_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators", "header",
        "footer", "equal", "colon", "dot", "trailing_whitespace", "newline", "operator",
        "asynchronous", "star_tok", "arrow", "default_indent", "default_newline", "encoding",
        "whitespace", "lbracket", "rbracket", "lbrace", "rbrace",
    }
)  # fmt: skip
_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}
_HANDLERS: dict[type[object], tuple[dict[str, str], dict[str, str]]] = {}


def _fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    names = _FIELDS.get(node_type)
    if names is None:
        names = _FIELDS[node_type] = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
    return names


def _handler_names(visitor_type: type[object]) -> tuple[dict[str, str], dict[str, str]]:
    """Node type name -> method name, for `visit_X` and for `leave_X`, found once per class."""
    found = _HANDLERS.get(visitor_type)
    if found is None:
        names = [n for n in dir(visitor_type) if n.startswith(("visit_", "leave_"))]
        found = _HANDLERS[visitor_type] = (
            {n[6:]: n for n in names if n.startswith("visit_")},
            {n[6:]: n for n in names if n.startswith("leave_")},
        )
    return found


def handlers_of(visitor: object) -> tuple[dict[str, Handler], dict[str, Handler]]:
    """Node type name -> the visitor's bound `visit_X`, and the same for `leave_X`."""
    visit_names, leave_names = _handler_names(type(visitor))
    enter: dict[str, Handler] = {k: getattr(visitor, v) for k, v in visit_names.items()}
    leave: dict[str, Handler] = {k: getattr(visitor, v) for k, v in leave_names.items()}
    return enter, leave


def walk(root: cst.CSTNode, enter: Mapping[str, Handler], leave: Mapping[str, Handler]) -> None:
    """Call `enter[X](node)` on entering and `leave[X](node)` on leaving every node of type X
    under `root` (`root` included), children in the order of their fields."""
    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    push = stack.append
    while stack:
        node, leaving = stack.pop()
        name = type(node).__name__
        if leaving:
            leave[name](node)
            continue
        handler = enter.get(name)
        if handler is not None:
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
