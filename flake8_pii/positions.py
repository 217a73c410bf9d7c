"""Where reported nodes are, without libcst's position pass over the whole module.

That pass generates the code of every node of the module, which costs more than all the rules
together, while findings sit in a few statements. So positions are computed on a small module
made of the statement that holds a finding alone, inside empty blocks with the same indentation
as the original, and shifted to the line the statement starts on, which `ast` tells cheaply.
Whenever that shortcut does not apply, the module-level statement around the node is used, and
failing that the whole module: the answer is always libcst's own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from typing import cast

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

Positions = Mapping[cst.CSTNode, CodeRange]
# A statement whose header alone can be laid out as a small module (its body left out).
HeaderStatement = cst.If | cst.For | cst.While | cst.With
_PASS_BLOCK = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Pass()])])


class Locator:
    """(line, 1-based column, end line) of nodes of one module."""

    def __init__(self, module: cst.Module, text: str, tree: ast.Module | None = None) -> None:
        self.module = module
        self.text = text
        self.tree = tree  # the module's `ast`, when the caller has it already
        self._lines: dict[cst.CSTNode, int] | None = None
        self._no_shortcut: set[int] = set()  # elif headers; statements under `match`
        self._computed: dict[tuple[cst.CSTNode, bool], tuple[Positions, int]] = {}

    def __call__(
        self,
        node: cst.CSTNode,
        top: cst.CSTNode,
        owner: cst.CSTNode | None = None,
        blocks: Sequence[cst.IndentedBlock] = (),
    ) -> tuple[int, int, int]:
        """Where `node` is. `top` is the module-level statement holding it; `owner`, if known,
        the innermost statement holding it (a line of simple statements, or a compound
        statement whose header holds it) and `blocks` the indented blocks around `owner`."""
        for key, layout in ((owner, blocks), (top, None)):
            if key is None:
                continue
            positions, shift = self._positions(key, layout)
            where = positions.get(node)
            if where is not None:
                return where.start.line + shift, where.start.column + 1, where.end.line + shift
        positions, shift = self._positions(self.module, None)
        where = positions[node]
        return where.start.line, where.start.column + 1, where.end.line

    def _positions(
        self, key: cst.CSTNode, blocks: Sequence[cst.IndentedBlock] | None
    ) -> tuple[Positions, int]:
        cache_key = (key, blocks is not None)
        if cache_key not in self._computed:
            self._computed[cache_key] = self._compute(key, blocks)
        return self._computed[cache_key]

    def _compute(
        self, key: cst.CSTNode, blocks: Sequence[cst.IndentedBlock] | None
    ) -> tuple[Positions, int]:
        if key is self.module:
            return _resolve(self.module), 0
        lines = self._statement_lines()
        if key not in lines or (blocks is not None and id(key) in self._no_shortcut):
            return {}, 0
        statement: cst.BaseStatement
        if isinstance(key, HeaderStatement) and blocks is not None:
            statement = _header_only(key)
        elif isinstance(key, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            statement = key
        else:
            return {}, 0
        wrapped = statement
        for block in reversed(blocks or ()):
            wrapped = cst.If(
                test=cst.Name("True"), body=cst.IndentedBlock(body=[wrapped], indent=block.indent)
            )
        alone = self.module.with_changes(header=(), body=[wrapped], footer=())
        positions = _resolve(alone)
        return positions, lines[key] - positions[statement].start.line

    def _statement_lines(self) -> dict[cst.CSTNode, int]:
        """The first line of every statement, as `ast` gives it (for a decorated class or
        function, the line of `class`/`def`, as libcst counts it too). Empty if the two
        parsers do not see the same statements, so that whole-module positions are used."""
        if self._lines is None:
            self._lines = {}
            tree = self.tree
            if tree is None:
                try:
                    tree = ast.parse(self.text)
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    return self._lines
            ours = list(self._cst_statements(self.module.body))
            theirs = list(_ast_statements(tree.body))
            if len(ours) != len(theirs):
                return self._lines
            for (statement, is_first), theirs_statement in zip(ours, theirs, strict=True):
                if is_first:
                    self._lines[statement] = theirs_statement.lineno
        return self._lines

    def _cst_statements(
        self, statements: Sequence[cst.CSTNode], in_match: bool = False
    ) -> Iterator[tuple[cst.CSTNode, bool]]:
        """Each statement in source order, as `ast` counts them: a line of simple statements
        counts once per simple statement (yielded with True on its first one only).

        Statements under `match` are indented by the `match` node, not by a block, so they
        are marked to be located within their module-level statement instead."""
        for statement in statements:
            if in_match:
                self._no_shortcut.add(id(statement))
            if isinstance(statement, cst.SimpleStatementLine | cst.SimpleStatementSuite):
                for position in range(len(statement.body)):
                    yield statement, position == 0
                continue
            yield statement, True
            inner_in_match = in_match or isinstance(statement, cst.Match)
            for inner in self._inner_statements(statement):
                yield from self._cst_statements(inner, inner_in_match)

    def _inner_statements(self, statement: cst.CSTNode) -> Iterator[Sequence[cst.CSTNode]]:
        body = getattr(statement, "body", None)
        if isinstance(body, cst.IndentedBlock):
            yield body.body
        elif isinstance(body, cst.SimpleStatementSuite):
            yield [body]
        for handler in getattr(statement, "handlers", ()):
            yield from self._inner_statements(handler)
        for case in getattr(statement, "cases", ()):
            yield from self._inner_statements(case)
        orelse = getattr(statement, "orelse", None)
        if isinstance(orelse, cst.If):
            self._no_shortcut.add(id(orelse))  # laid out alone, it would read `if`
            yield [orelse]
        elif orelse is not None:
            yield from self._inner_statements(orelse)
        finalbody = getattr(statement, "finalbody", None)
        if finalbody is not None:
            yield from self._inner_statements(finalbody)


def _ast_statements(statements: Sequence[ast.AST]) -> Iterator[ast.stmt]:
    for statement in statements:
        if isinstance(statement, ast.stmt):
            yield statement
        for child in ast.iter_child_nodes(statement):
            if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
                yield from _ast_statements([child])


def _header_only(statement: HeaderStatement) -> cst.BaseCompoundStatement:
    """The statement with an empty body: its header's layout is unchanged."""
    if isinstance(statement, cst.With):
        return statement.with_changes(body=_PASS_BLOCK)
    return statement.with_changes(body=_PASS_BLOCK, orelse=None)


def _resolve(module: cst.Module) -> Positions:
    """libcst's positions for `module`, from its position provider's code generation alone:
    `MetadataWrapper.resolve` adds a visit of the whole tree that this provider never uses.
    Falls back to the wrapper if the provider's internals ever change."""
    provider = PositionProvider()
    try:
        provider._gen_impl(module)
        return cast(Positions, provider._computed)
    except AttributeError:  # pragma: no cover - a libcst without these internals
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
