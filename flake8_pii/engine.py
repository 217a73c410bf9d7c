"""Runs the rules over one module with the project index and yields its findings.

The cheap decision comes first: a module that defines no model with PII, declares no keys and
imports nothing that leads to a model with PII cannot have a finding, and is never parsed with
libcst. The findings of a module that is analysed are cached, keyed on its text, the summaries of
every project module it imports (transitively), the settings and the message texts; the cache
always holds its unused-noqa findings (PII100), which only callers that ask for them get.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libcst as cst

from flake8_pii.cache import ProjectCache, content_hash, project_cache
from flake8_pii.deep import MAX_NESTING, deepest_nesting, on_large_stack, ran_out_of_stack
from flake8_pii.findings import RULES, UNUSED_NOQA, Finding, catalogue_digest
from flake8_pii.index import ModelInfo, ProjectIndex
from flake8_pii.noqa import noqa_comments, silenced_by
from flake8_pii.positions import Locator
from flake8_pii.project import module_name
from flake8_pii.resolve import AnnotationOf, IterationOf, ModelClass, Resolver
from flake8_pii.rules.base import Context, Rule
from flake8_pii.rules.declarations import DeclarationRule
from flake8_pii.rules.logging import LoggingRule
from flake8_pii.rules.queries import QueryRule
from flake8_pii.summary import ModuleSummary, summarise
from flake8_pii.unused_noqa import mentions_our_codes, unused_noqa
from flake8_pii.walk import walk

# Where a report is, for the Locator: module-level statement, innermost statement, its blocks.
Where = tuple[cst.CSTNode, cst.CSTNode | None, tuple[cst.IndentedBlock, ...]]
ENGINE_VERSION = "3"
ALL_RULES: tuple[type[Rule], ...] = (QueryRule, DeclarationRule, LoggingRule)
TOO_DEEP = "too deeply nested to analyse"
_LIBCST_POSITION = re.compile(r"^(?:parser|tokenizer) error: (?:error at \d+:\d+: )?")


@dataclass(frozen=True)
class FileResult:
    """The findings of one file, or why it could not be analysed."""

    findings: tuple[Finding, ...] = ()
    error: str | None = None


def analyse_source(
    text: str,
    path: str,
    index: ProjectIndex,
    use_cache: bool = True,
    check_syntax: bool = False,
    report_unused_noqa: bool = False,
    full_pass: bool = False,
) -> FileResult:
    """Findings for `text`, the content of `path` (which need not be saved to disk).

    `check_syntax` reports a file that does not parse even when it names nothing that leads
    to PII (flake8 reports those itself as E999; the command line must say so itself).
    `report_unused_noqa` adds PII100 findings for noqa codes of ours that silenced nothing.
    `full_pass` runs every rule on every file, also on those that cannot have findings (slow;
    it exercises the analyzer on code bases that never name a PII type).

    Code too deeply nested for the default stack is analysed again on a large one; what is too
    deep even for that gives an error, never an exception.
    """
    options = _Options(use_cache, check_syntax, report_unused_noqa, full_pass)

    def work() -> FileResult:
        return _analyse(text, path, index, options)

    try:
        result = work()
    except Exception as error:
        if not ran_out_of_stack(error):
            raise
        try:
            result = on_large_stack(work)
        except Exception as error_on_large_stack:
            if not ran_out_of_stack(error_on_large_stack):
                raise
            result = FileResult(error=TOO_DEEP)
    if report_unused_noqa:
        return result
    return FileResult(tuple(f for f in result.findings if f.code != UNUSED_NOQA), result.error)


@dataclass(frozen=True)
class _Options:
    use_cache: bool
    check_syntax: bool
    report_unused_noqa: bool
    full_pass: bool


def _analyse(text: str, path: str, index: ProjectIndex, options: _Options) -> FileResult:
    if not options.full_pass and not index.mentions_pii(text):
        return _nothing_to_find(text, path, options)
    absolute = Path(path).resolve()
    name, is_package = module_name(index.root, absolute)
    tree: ast.Module | None = None
    summary = index.known_summary(name, text)
    if summary is None:
        tree, error = _parse(text, path)
        if tree is None:
            return FileResult(error=error)
        summary = summarise(tree, name, is_package)
    index = index.with_module(summary)
    if not options.full_pass and not can_have_findings(summary, index):
        return _nothing_to_find(text, path, options)
    cache: ProjectCache | None = project_cache(index.root) if options.use_cache else None
    entry = ""
    if cache is not None:
        key = content_hash(
            "\x1f".join(
                (
                    ENGINE_VERSION,
                    catalogue_digest(),  # cached findings hold their messages
                    content_hash(text.encode("utf-8", "surrogatepass")),
                    index.dependency_digest(summary),
                    index.settings.digest(),
                )
            ).encode()
        )
        entry = f"findings/{key}"
        cached = cache.read(entry)
        if "findings" in cached:
            return FileResult(tuple(_finding_from_json(path, item) for item in cached["findings"]))
    if tree is None:
        tree, error = _parse(text, path)
        if tree is None:
            return FileResult(error=error)
    depth, line = deepest_nesting(tree)
    if depth > MAX_NESTING:
        return FileResult(
            error=f"{TOO_DEEP}: code nested {depth} levels deep at line {line} "
            f"(pii-guard analyses up to {MAX_NESTING})"
        )
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        # Python parsed the file above: this is a limit of libcst, not a mistake in the file
        reason = _LIBCST_POSITION.sub("", (error.message.splitlines() or [""])[0])[:200]
        return FileResult(
            error=f"libcst cannot parse this file at {error.raw_line}:{error.raw_column + 1}, "
            f"though Python can ({reason})"
        )
    findings = _run_rules(module, tree, text, path, summary, index)
    if cache is not None:
        cache.write(entry, {"findings": [_finding_to_json(f) for f in findings]})
    return FileResult(tuple(findings))


def _nothing_to_find(text: str, path: str, options: _Options) -> FileResult:
    """The result for a file that cannot have a finding: any noqa code of ours in it is unused.

    Cheap on purpose, since most files of a project end here: the noqa comments are tokenized
    only when a text search finds one naming our family.
    """
    judge = options.report_unused_noqa and mentions_our_codes(text)
    error = _parse(text, path)[1] if options.check_syntax or judge else None
    if error is not None:
        return FileResult(error=error if options.check_syntax else None)
    if not judge:
        return FileResult()
    return FileResult(tuple(unused_noqa(path, text, noqa_comments(text), used=frozenset())))


def _parse(text: str, path: str) -> tuple[ast.Module | None, str | None]:
    """The `ast` of `text`, or why Python cannot parse it. RecursionError propagates, so that
    the file is tried again on a large stack."""
    try:
        return ast.parse(text, filename=path), None
    except SyntaxError as error:
        if error.lineno is None:  # NUL bytes
            return None, f"syntax error: {error.msg}"
        return None, f"syntax error at {error.lineno}:{error.offset}: {error.msg}"
    except ValueError as error:  # NUL bytes, on some Python versions
        return None, f"syntax error: {error}"
    except MemoryError:  # the parser's own limit on nesting, whatever the stack
        return None, f"{TOO_DEEP}: Python's parser runs out of memory"


def can_have_findings(summary: ModuleSummary, index: ProjectIndex) -> bool:
    """Whether the module defines, declares or imports anything that leads to PII."""
    if summary.declares_keys:
        return True
    reaching = index.reaching_pii
    if any(f"{summary.module}.{name}" in reaching for name in summary.classes):
        return True
    leads = index.names_leading_to_pii
    for target in (*summary.imports.values(), *summary.star_imports):
        if target in leads or index.resolve(target) in reaching or index.is_pii_type(target):
            return True
    return False


def _run_rules(
    module: cst.Module,
    tree: ast.Module,
    text: str,
    path: str,
    summary: ModuleSummary,
    index: ProjectIndex,
) -> list[Finding]:
    resolver = Resolver(index, summary, module)
    walker = _Walker(resolver, [rule() for rule in ALL_RULES])
    # one module-level statement at a time, so that each report knows which one holds it
    for statement_at_top in module.body:
        walker.top = statement_at_top
        walk(statement_at_top, walker)
    locate = Locator(module, text, tree)
    noqa = noqa_comments(text)
    findings = []
    used: set[tuple[int, str]] = set()
    for node, code, parts, statement, where in walker.reports:
        line, column, _ = locate(node, *where)
        first, _, last = locate(statement, *where)
        silenced = silenced_by(code, (line, first, last), noqa)
        if silenced is not None:
            comment, codes = silenced
            used.update((comment.line, c) for c in codes)
            continue
        findings.append(
            Finding(
                path=path,
                line=line,
                column=column,
                code=code,
                message=RULES[code].message(**parts),
                subject=parts.get("subject", ""),
                statement=resolver.code(statement),
            )
        )
    findings.extend(unused_noqa(path, text, noqa, used))
    return sorted(set(findings))


class _Walker:
    """One pass over the module: keeps the resolver's scopes current and calls the rules."""

    def __init__(self, resolver: Resolver, rules: Sequence[Rule]) -> None:
        self.resolver = resolver
        self.rules = rules
        self.context = Context(resolver, self._report)
        # (statement, the statement holding it): a line of simple statements is both; for a
        # compound statement it is the expression of its header (`if` test, `for` iterable)
        self.statements: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        self.blocks: list[cst.IndentedBlock] = []
        # per enclosing class or function: the model of a class (None for functions)
        self.containers: list[tuple[str, ModelInfo | None]] = []
        self.top: cst.CSTNode = resolver.module
        self.reports: list[tuple[cst.CSTNode, str, dict[str, str], cst.CSTNode, Where]] = []

    def _report(
        self,
        node: cst.CSTNode,
        code: str,
        parts: dict[str, str],
        statement: cst.CSTNode | None,
    ) -> None:
        where: Where = (self.top, None, ())
        if statement is None and self.statements:
            statement, owner = self.statements[-1]
            where = (self.top, owner, tuple(self.blocks))
        self.reports.append((node, code, parts, statement or node, where))

    # classes and functions

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        model = None
        if not self.containers:
            model = self.resolver.model_named(f"{self.resolver.summary.module}.{node.name.value}")
        for rule in self.rules:
            rule.visit_class(node, model, self.context)
        self.containers.append(("class", model))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.containers.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        first: ModelInfo | None = None
        decorators = {self.resolver.code(d.decorator) for d in node.decorators}
        if self.containers and self.containers[-1][0] == "class":
            model = self.containers[-1][1]
            if model is not None and "staticmethod" not in decorators:
                first = model
        self.resolver.enter_function(node, first)
        if first is not None and "classmethod" in decorators and node.params.params:
            self.resolver.scope.bind(node.params.params[0].name.value, 0, ModelClass(first))
        self.containers.append(("function", None))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.resolver.leave_function()
        self.containers.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.resolver.enter_function(node, None)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.resolver.leave_function()

    # bindings

    def leave_Assign(self, original_node: cst.Assign) -> None:
        for target in original_node.targets:
            self.resolver.bind_target(target.target, original_node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        annotation = AnnotationOf(original_node.annotation.annotation)
        value = original_node.value
        if value is None or self.resolver.annotation_type(annotation.annotation) is not None:
            self.resolver.bind_target(original_node.target, annotation)
        else:
            self.resolver.bind_target(original_node.target, value)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        if isinstance(original_node.operator, cst.AddAssign | cst.ModuloAssign):
            combined = cst.BinaryOperation(
                left=original_node.target, operator=cst.Add(), right=original_node.value
            )
            self.resolver.bind_target(original_node.target, combined)

    def visit_For(self, node: cst.For) -> None:
        self.resolver.bind_target(node.target, IterationOf(node.iter))
        self.statements.append((node.iter, node))

    def leave_For(self, original_node: cst.For) -> None:
        self.statements.pop()

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.resolver.bind_target(node.target, IterationOf(node.iter))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.resolver.bind_target(node.target, node.value)

    # statements, for what a finding's statement is and where its noqa may stand

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.statements.append((node, node))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.blocks.append(node)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self.blocks.pop()

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self.statements.pop()

    def visit_If(self, node: cst.If) -> None:
        self.statements.append((node.test, node))

    def leave_If(self, original_node: cst.If) -> None:
        self.statements.pop()

    def visit_While(self, node: cst.While) -> None:
        self.statements.append((node.test, node))

    def leave_While(self, original_node: cst.While) -> None:
        self.statements.pop()

    def visit_With(self, node: cst.With) -> None:
        self.statements.append((node.items[0].item, node))

    def leave_With(self, original_node: cst.With) -> None:
        self.statements.pop()

    # the rules' hooks

    def visit_Call(self, node: cst.Call) -> None:
        for rule in self.rules:
            rule.visit_call(node, self.context)


def _finding_to_json(finding: Finding) -> list[Any]:
    return [
        finding.line,
        finding.column,
        finding.code,
        finding.message,
        finding.subject,
        finding.statement,
    ]


def _finding_from_json(path: str, item: list[Any]) -> Finding:
    line, column, code, message, subject, statement = item
    return Finding(path, line, column, code, message, subject, statement)


__all__ = ["ALL_RULES", "FileResult", "analyse_source", "can_have_findings"]
