"""The libcst pass over one module: one walk with the scope collector and every rule, then
the deferred questions, then positions and noqa comments for what was reported."""

from __future__ import annotations

import ast
from collections.abc import Mapping

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from flake8_pii.findings import RULES, Finding, ParseFailure
from flake8_pii.index import ModuleEntry, ProjectIndex
from flake8_pii.noqa import is_suppressed
from flake8_pii.resolve import Resolver, Scope, ScopeCollector
from flake8_pii.rules import Context, Report, Rule
from flake8_pii.rules.declarations import DeclarationRules
from flake8_pii.rules.logging import LoggingRules
from flake8_pii.rules.queries import QueryRules
from flake8_pii.walk import walk

RULE_CLASSES: tuple[type[Rule], ...] = (QueryRules, DeclarationRules, LoggingRules)


def analyse(
    display_path: str, text: str, tree: ast.AST | None, index: ProjectIndex, entry: ModuleEntry
) -> tuple[list[Finding], ParseFailure | None]:
    """Findings for `text` (with its `ast` when the caller has one), or why it cannot be read."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        return [], ParseFailure(display_path, error.raw_line, error.raw_column + 1,
                                f"libcst cannot parse this file: {error.message}")
    resolver = Resolver(index, entry)
    collector = ScopeCollector(entry.name)
    context = Context(index, entry, index.config, resolver, Scope(module, None))
    rules = [rule(context) for rule in RULE_CLASSES]
    walk(module, [collector, _Tracker(context, collector), *rules])
    context.run_deferred()
    return _findings(display_path, text, tree, module, context.reports), None


class _Tracker:
    """Keeps the context's scope (as the collector before it sees it) and statement current."""

    def __init__(self, context: Context, collector: ScopeCollector) -> None:
        self.context = context
        self.collector = collector
        self.statements: list[cst.CSTNode | None] = [None]

    def _follow_scope(self, node: cst.CSTNode) -> None:
        if self.collector.stack:
            self.context.scope = self.collector.scope

    def _enter_statement(self, node: cst.CSTNode) -> None:
        self.statements.append(node)
        self.context.statement = node
        if len(self.statements) == 2:
            self.context.top = node

    def _leave_statement(self, node: cst.CSTNode) -> None:
        self.statements.pop()
        self.context.statement = self.statements[-1]

    visit_Module = _follow_scope
    visit_Lambda = leave_Lambda = _follow_scope

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._enter_statement(node)
        self._follow_scope(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._follow_scope(node)
        self._leave_statement(node)

    visit_ClassDef = visit_FunctionDef
    leave_ClassDef = leave_FunctionDef
    visit_SimpleStatementLine = visit_If = visit_For = visit_While = _enter_statement
    visit_With = visit_Try = visit_TryStar = visit_Match = _enter_statement
    leave_SimpleStatementLine = leave_If = leave_For = leave_While = _leave_statement
    leave_With = leave_Try = leave_TryStar = leave_Match = _leave_statement


def _findings(
    display_path: str, text: str, tree: ast.AST | None, module: cst.Module, reports: list[Report]
) -> list[Finding]:
    if not reports:
        return []
    locate = _Locator(module, text, tree)
    lines = text.splitlines()
    findings = []
    for report in reports:
        line, column, end_line = locate(report.node, report.top)
        first, last, statement = _statement_span(module, locate, report, end_line)
        if is_suppressed(lines, report.code, line, first, last):
            continue
        message = RULES[report.code].message(subject=report.subject, **report.parts)
        findings.append(
            Finding(display_path, line, column, report.code, message, report.subject, statement)
        )
    return sorted(set(findings))


class _Locator:
    """Line and column of reported nodes, computing libcst positions only for the module-level
    statements that hold a report: on a whole module that costs more than the rules themselves.

    Positions inside a statement are the same in a module of that statement alone, shifted by
    the statement's first line, which `ast` gives cheaply.
    """

    def __init__(self, module: cst.Module, text: str, tree: ast.AST | None) -> None:
        self.module = module
        self.text = text
        self.tree = tree
        self._first_lines: dict[cst.CSTNode, int] | None = None
        self._positions: dict[cst.CSTNode, tuple[Mapping[cst.CSTNode, CodeRange], int]] = {}

    def __call__(self, node: cst.CSTNode, top: cst.CSTNode | None) -> tuple[int, int, int]:
        """(line, 1-based column, end line) of `node` inside module-level statement `top`."""
        positions, shift = self._for(top)
        where = positions[node]
        return where.start.line + shift, where.start.column + 1, where.end.line + shift

    def _for(self, top: cst.CSTNode | None) -> tuple[Mapping[cst.CSTNode, CodeRange], int]:
        first_lines = self._top_first_lines()
        key = top if top is not None and top in first_lines else self.module
        if key not in self._positions:
            if key is self.module:
                self._positions[key] = (self._resolve(self.module), 0)
            else:
                assert isinstance(key, cst.SimpleStatementLine | cst.BaseCompoundStatement)
                positions = self._resolve(cst.Module(body=[key]))
                self._positions[key] = (positions, first_lines[key] - positions[key].start.line)
        return self._positions[key]

    @staticmethod
    def _resolve(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)

    def _top_first_lines(self) -> dict[cst.CSTNode, int]:
        """The first line of each module-level statement (for a class or function, the line of
        `class`/`def`, as libcst counts it), matched to `ast`'s statements in order."""
        if self._first_lines is None:
            tree = self.tree if isinstance(self.tree, ast.Module) else ast.parse(self.text)
            self._first_lines = {}
            position = 0
            for statement in self.module.body:
                if position >= len(tree.body):
                    break
                self._first_lines[statement] = tree.body[position].lineno
                position += (
                    len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
                )
        return self._first_lines


def _statement_span(
    module: cst.Module, locate: _Locator, report: Report, node_end_line: int
) -> tuple[int, int, str]:
    """First and last line of the statement around a report, and its normalised source."""
    statement = report.statement
    if statement is None:
        return node_end_line, node_end_line, ""
    first, _, end = locate(statement, report.top)
    if isinstance(statement, cst.SimpleStatementLine):
        code = "; ".join(module.code_for_node(small) for small in statement.body)
        last = end
    else:
        # A compound statement: its header ends where its condition or iterable ends.
        code = module.code_for_node(report.node)
        header = _header_expression(statement)
        last = max(node_end_line, locate(header, report.top)[2]) if header else node_end_line
    return first, last, " ".join(code.split())


def _header_expression(statement: cst.CSTNode) -> cst.CSTNode | None:
    if isinstance(statement, cst.For):
        return statement.iter
    if isinstance(statement, cst.If | cst.While):
        return statement.test
    if isinstance(statement, cst.With) and statement.items:
        return statement.items[-1].item
    if isinstance(statement, cst.Match):
        return statement.subject
    return None
