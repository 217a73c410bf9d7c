"""What a rule is: a small visitor over calls and classes that asks the resolver and reports.

Rules never parse, never print and never read files: the engine walks the module once and
hands each rule the nodes it asks for, with a `Context` to resolve types and report findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst

from flake8_pii.index import ModelInfo
from flake8_pii.resolve import Resolver


@dataclass(frozen=True)
class Invalid:
    """An example a rule must flag: the source, and the codes it reports, in order."""

    code: str
    expected: tuple[str, ...]


Report = Callable[[cst.CSTNode, str, dict[str, str], cst.CSTNode | None], None]


class Context:
    """What a rule may use while the engine walks one module."""

    def __init__(self, resolver: Resolver, report: Report) -> None:
        self.resolver = resolver
        self._report = report
        self.class_stack: list[tuple[cst.ClassDef, ModelInfo | None]] = []

    def report(
        self, node: cst.CSTNode, code: str, statement: cst.CSTNode | None = None, **parts: str
    ) -> None:
        """Report `code` at `node`; `parts` fill the message (`subject` is Model.field).

        `statement` is the statement the finding belongs to, when the engine has not reached
        it yet (class bodies); it names the finding in baselines and carries its noqa.
        """
        self._report(node, code, parts, statement)


class Rule:
    """One family of codes. Subclasses override the hooks they need.

    `VALID` lists code that must not be reported, `INVALID` code that must; together they
    document the rule and are run as its tests. Examples import from `models`, a fixture
    module that defines `Customer` (PII: email, phone), `Address` (PII: street; FK customer),
    `Order` (no PII; FK customer, FK address) and `Member` (PII: email, with its declared
    lookup `email_lookup`).
    """

    codes: ClassVar[tuple[str, ...]] = ()
    VALID: ClassVar[tuple[str, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()

    def visit_call(self, node: cst.Call, context: Context) -> None:
        """Called for every call, in source order."""

    def visit_class(self, node: cst.ClassDef, model: ModelInfo | None, context: Context) -> None:
        """Called for every class; `model` is its index entry when it is a model."""
