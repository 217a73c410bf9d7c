"""Which PII reaches a text that leaves the program (a log line, an exception's message): the
one walk through formatting that the log and exception rules share."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from flake8_pii import vocabulary
from flake8_pii.rules.base import Context
from flake8_pii.typepass import Holding


@dataclass(frozen=True)
class Reached:
    """A PII expression that reaches the text: where to report it, and what it shows
    (`Model.field`, or the model's name for a whole instance or a dump of one)."""

    node: cst.CSTNode
    subject: str
    whole: bool

    def parts(self) -> dict[str, str]:
        """The message parts of a finding about it."""
        parts = {"subject": self.subject}
        if self.whole:
            parts["whole"] = "yes"
        return parts


def pii_reaching(node: cst.BaseExpression, context: Context) -> Iterator[Reached]:
    """Each PII expression that reaches the text: directly, inside formatting (f-strings, `%`,
    `+`, `.format`, `.join`), inside a dict, list, tuple or set written in place, or as a value
    holding PII (a container built earlier, a dump, an instance whose repr shows PII)."""
    if isinstance(node, cst.FormattedString):
        for part in node.parts:
            if isinstance(part, cst.FormattedStringExpression):
                yield from pii_reaching(part.expression, context)
    elif isinstance(node, cst.ConcatenatedString) or (
        isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add | cst.Modulo)
    ):
        yield from pii_reaching(node.left, context)
        yield from pii_reaching(node.right, context)
    elif isinstance(node, cst.Dict):
        for element in node.elements:
            yield from pii_reaching(element.value, context)
    elif isinstance(node, cst.List | cst.Tuple | cst.Set):
        for item in node.elements:
            yield from pii_reaching(item.value, context)
    elif isinstance(node, cst.Call) and _is_format_call(node):
        assert isinstance(node.func, cst.Attribute)
        yield from pii_reaching(node.func.value, context)
        for arg in node.args:
            yield from pii_reaching(arg.value, context)
    elif isinstance(node, cst.IfExp):
        yield from pii_reaching(node.body, context)
        yield from pii_reaching(node.orelse, context)
    elif isinstance(node, cst.BooleanOperation):
        yield from pii_reaching(node.left, context)
        yield from pii_reaching(node.right, context)
    else:
        found = context.resolver.held(node)
        if found is not None:
            whole = isinstance(found, Holding) and found.whole
            yield Reached(node, found.subject, whole)


def _is_format_call(node: cst.Call) -> bool:
    return (
        isinstance(node.func, cst.Attribute)
        and node.func.attr.value in vocabulary.FORMATTING_METHODS
    )
