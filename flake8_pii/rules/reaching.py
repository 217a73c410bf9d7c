"""Which PII reaches a text that leaves the program (a log line, an exception's message): the
one walk through formatting that the log and exception rules share."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from flake8_pii import vocabulary
from flake8_pii.rules.base import Context
from flake8_pii.typepass import PII, Holding


@dataclass(frozen=True)
class Reached:
    """A PII expression that reaches the text: where to report it, and what it shows
    (`Model.field`, or the model's name for a whole instance or a dump of one)."""

    node: cst.CSTNode
    subject: str
    whole: bool
    keyed: bool = False  # a mapping: joining or listing it shows its keys only

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
    elif isinstance(node, cst.Call) and _is_format_call(node, context):
        assert isinstance(node.func, cst.Attribute)
        yield from pii_reaching(node.func.value, context)
        joining = node.func.attr.value == "join"
        for arg in node.args:
            for reached in pii_reaching(arg.value, context):
                # `", ".join(d)` of a mapping joins its keys
                if not (joining and reached.keyed):
                    yield reached
    elif isinstance(node, cst.IfExp):
        yield from pii_reaching(node.body, context)
        yield from pii_reaching(node.orelse, context)
    elif isinstance(node, cst.BooleanOperation):
        # `a and b` gives b, or a falsy a (empty, None): only b can identify anybody
        if not isinstance(node.operator, cst.And):
            yield from pii_reaching(node.left, context)
        yield from pii_reaching(node.right, context)
    else:
        found = context.resolver.held(node)
        if found is not None:
            whole = isinstance(found, Holding) and found.whole
            keyed = isinstance(found, Holding) and found.keyed
            yield Reached(node, found.subject, whole, keyed)


def _is_format_call(node: cst.Call, context: Context) -> bool:
    """`"...".format(...)` or `", ".join(...)` on a string (also one kept in a name); the same
    method names on anything else (a project's masking helper) are calls it cannot see into."""
    func = node.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in vocabulary.FORMATTING_METHODS:
        return False
    receiver = context.resolver.assigned_value(func.value)
    return isinstance(
        receiver, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString
    ) or isinstance(context.resolver.type_of(func.value), PII)
