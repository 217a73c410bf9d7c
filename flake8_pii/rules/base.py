"""What a rule is: a small visitor that asks the type pass about nodes and reports findings.

Rules never parse, never print and never read files: the engine walks the module once and calls
each rule's `visit_<Node>` and `leave_<Node>` methods (any libcst node type), with the scopes of
the type pass current at that node. A rule reports through `self.report`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst

from flake8_pii.index import ModelInfo
from flake8_pii.typepass import Resolver

_EXPECTED = re.compile(r"^(?P<line>\d+):(?P<column>\d+) (?P<code>PII\d{3}) (?P<subject>\S+)$")


@dataclass(frozen=True)
class Expected:
    """One finding an example must give: where (1-based, as flake8 prints it) and about what."""

    line: int
    column: int
    code: str
    subject: str

    def __str__(self) -> str:
        return f"{self.line}:{self.column} {self.code} {self.subject}"


class Invalid:
    """An example a rule must flag: its source, and each finding it gives, in order, written
    `line:column CODE Model.field` (`"1:25 PII001 Customer.email"`), lines counted from the
    example's first."""

    def __init__(self, source: str, *expected: str) -> None:
        self.source = source
        self.expected = tuple(_parse_expected(text) for text in expected)

    def __repr__(self) -> str:
        return f"Invalid({self.source!r}, {', '.join(repr(str(e)) for e in self.expected)})"


def _parse_expected(text: str) -> Expected:
    match = _EXPECTED.match(text)
    if match is None:
        raise ValueError(f"an expected finding reads 'line:column CODE Model.field', not {text!r}")
    return Expected(int(match["line"]), int(match["column"]), match["code"], match["subject"])


Report = Callable[[cst.CSTNode, str, dict[str, str], cst.CSTNode | None], None]


class Context:
    """What a rule may use while the engine walks one module."""

    def __init__(
        self,
        resolver: Resolver,
        report: Report,
        class_models: dict[int, ModelInfo | None],
    ) -> None:
        self.resolver = resolver
        self._report = report
        self._class_models = class_models

    def report(
        self, node: cst.CSTNode, code: str, statement: cst.CSTNode | None = None, **parts: str
    ) -> None:
        self._report(node, code, parts, statement)

    def model_of(self, node: cst.ClassDef) -> ModelInfo | None:
        """The index entry of a class being visited, when it is a model (top-level classes)."""
        return self._class_models.get(id(node))


class Rule:
    """One family of codes. Subclasses define `visit_<Node>(self, node)` and
    `leave_<Node>(self, node)` for the libcst node types they look at.

    `VALID` lists code that must not be reported, `INVALID` code that must; together they
    document the rule and are run as its tests, each in a module that starts with
    `flake8_pii.rules.examples.HEADER` next to the models of `flake8_pii.rules.examples.MODELS`.
    """

    codes: ClassVar[tuple[str, ...]] = ()
    VALID: ClassVar[tuple[str, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()

    def __init__(self, context: Context) -> None:
        self.context = context
        self.resolver = context.resolver

    def report(
        self, node: cst.CSTNode, code: str, statement: cst.CSTNode | None = None, **parts: str
    ) -> None:
        """Report `code` at `node`; `parts` fill the message (`subject` is Model.field).

        `statement` is the statement the finding belongs to, when the engine has not reached
        it yet (class bodies); it names the finding in baselines and carries its noqa.
        """
        self.context.report(node, code, statement, **parts)
