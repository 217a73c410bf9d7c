"""The rules: one libcst visitor per rule family, sharing the context of the module checked.

Each rule class lists VALID and INVALID snippets (in the manner of Fixit) that double as tests.
Snippets are checked as `app/snippet.py` in a project whose `app/models.py` is EXAMPLE_MODELS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from flake8_pii.config import Config
from flake8_pii.index import ModuleEntry, ProjectIndex
from flake8_pii.resolve import Resolver, Scope

EXAMPLE_MODELS = '''\
from typing import ClassVar, Optional

from pii_guard import PIIModel, PIIStr, UniqueConstraint


class Customer(PIIModel):
    id: int
    email: PIIStr
    name: str
    phone: Optional[PIIStr] = None


class Order(PIIModel):
    id: int
    customer: Customer
    reference: str


class Shipment(PIIModel):
    id: int
    order: Order | None = None


class Product(PIIModel):
    id: int
    email: str
    title: str
'''


@dataclass(frozen=True)
class Valid:
    code: str


@dataclass(frozen=True)
class Invalid:
    """A snippet and what it must produce: (code, subject) pairs in source order."""

    code: str
    expected: tuple[tuple[str, str], ...]


@dataclass
class Report:
    """A finding before it has a position: the node to point at and the enclosing statement."""

    code: str
    node: cst.CSTNode
    subject: str
    statement: cst.CSTNode | None
    top: cst.CSTNode | None
    parts: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    """What every rule may ask while walking one module; rules only append to `reports`.

    `scope`, `statement` (the innermost) and `top` (the module-level statement) follow the
    walk. Questions about values need every binding of the scope, so rules ask them in a check
    passed to `defer`, which runs after the walk with the scope and statements of the moment it
    was deferred.
    """

    index: ProjectIndex
    entry: ModuleEntry
    config: Config
    resolver: Resolver
    scope: Scope
    statement: cst.CSTNode | None = None
    top: cst.CSTNode | None = None
    reports: list[Report] = field(default_factory=list)
    deferred: list[
        tuple[Scope, cst.CSTNode | None, cst.CSTNode | None, Callable[[], None]]
    ] = field(default_factory=list)

    def report(self, code: str, node: cst.CSTNode, subject: str, **parts: str) -> None:
        self.reports.append(Report(code, node, subject, self.statement, self.top, parts))

    def defer(self, check: Callable[[], None]) -> None:
        self.deferred.append((self.scope, self.statement, self.top, check))

    def run_deferred(self) -> None:
        for scope, statement, top, check in self.deferred:
            self.scope, self.statement, self.top = scope, statement, top
            check()
        self.deferred.clear()


class Rule:
    """Base of every rule: `visit_<Node>`/`leave_<Node>` methods over libcst nodes, called by
    `flake8_pii.walk` in one pass shared with the other rules."""

    CODES: tuple[str, ...] = ()
    VALID: tuple[Valid, ...] = ()
    INVALID: tuple[Invalid, ...] = ()

    def __init__(self, context: Context) -> None:
        self.context = context
