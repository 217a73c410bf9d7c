"""Summarise one module with `ast`: its imports, classes, field annotations and type aliases.

A summary depends only on the file's text (never on where the file lives), so it can be cached
under a hash of the contents and shared by every process and every copy of the file.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

# A type reference is a small JSON-able tree:
#   ["n", "a.b.C"]            a dotted name
#   ["s", base, [args...]]    a subscript such as Optional[X] or dict[str, X]
#   ["u", [args...]]          a union written X | Y
#   ["?"]                     anything else (literals, calls, ...)
TypeRef = list[Any]
UNKNOWN: TypeRef = ["?"]

DECLARATION_NAMES = frozenset({"__primary_key__", "__constraints__"})


@dataclass(frozen=True)
class ImportRecord:
    """One imported binding. `name` is None for `import module`, "*" for star imports."""

    level: int
    module: str
    name: str | None
    asname: str | None
    toplevel: bool


@dataclass
class ClassSummary:
    bases: list[str] = field(default_factory=list)
    fields: dict[str, TypeRef] = field(default_factory=dict)


@dataclass
class ModuleSummary:
    imports: list[ImportRecord] = field(default_factory=list)
    classes: dict[str, ClassSummary] = field(default_factory=dict)
    aliases: dict[str, TypeRef] = field(default_factory=dict)
    has_declarations: bool = False
    parse_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "imports": [
                [i.level, i.module, i.name, i.asname, i.toplevel] for i in self.imports
            ],
            "classes": {
                name: {"bases": c.bases, "fields": c.fields} for name, c in self.classes.items()
            },
            "aliases": self.aliases,
            "has_declarations": self.has_declarations,
            "parse_error": self.parse_error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleSummary:
        return cls(
            imports=[ImportRecord(*row) for row in data["imports"]],
            classes={
                name: ClassSummary(bases=list(c["bases"]), fields=dict(c["fields"]))
                for name, c in data["classes"].items()
            },
            aliases=dict(data["aliases"]),
            has_declarations=bool(data["has_declarations"]),
            parse_error=data["parse_error"],
        )


def summarise_source(source: str | bytes) -> ModuleSummary:
    """Parse `source` with `ast` and summarise it; a file that does not parse gets an empty one."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError) as error:
        return ModuleSummary(parse_error=f"{type(error).__name__}: {error}")
    return summarise_tree(tree)


def summarise_tree(tree: ast.AST) -> ModuleSummary:
    summary = ModuleSummary()
    if isinstance(tree, ast.Module):
        _summarise_block(tree.body, summary, toplevel=True)
    return summary


def _summarise_block(body: list[ast.stmt], summary: ModuleSummary, *, toplevel: bool) -> None:
    """Walk statements; module-level blocks (if/try/with) keep `toplevel` so their names count."""
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            _add_import(stmt, summary, toplevel)
        elif isinstance(stmt, ast.ClassDef):
            if toplevel:
                summary.classes[stmt.name] = _summarise_class(stmt, summary)
            else:
                _summarise_nested(stmt.body, summary)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            _summarise_nested(stmt.body, summary)
        elif isinstance(stmt, ast.If | ast.Try | ast.TryStar | ast.With | ast.AsyncWith):
            for block in _sub_blocks(stmt):
                _summarise_block(block, summary, toplevel=toplevel)
        elif isinstance(stmt, ast.For | ast.AsyncFor | ast.While | ast.Match):
            _summarise_nested_stmt(stmt, summary)
        elif toplevel and isinstance(stmt, ast.Assign | ast.AnnAssign):
            _add_alias(stmt, summary)


def _sub_blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    if isinstance(stmt, ast.If):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, ast.Try | ast.TryStar):
        return [stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody]
    if isinstance(stmt, ast.With | ast.AsyncWith):
        return [stmt.body]
    return []


def _summarise_nested(body: list[ast.stmt], summary: ModuleSummary) -> None:
    """Imports inside functions still tell which modules a file uses."""
    for stmt in body:
        _summarise_nested_stmt(stmt, summary)


def _summarise_nested_stmt(stmt: ast.stmt, summary: ModuleSummary) -> None:
    for node in ast.walk(stmt):
        if isinstance(node, ast.Import | ast.ImportFrom):
            _add_import(node, summary, toplevel=False)
        elif isinstance(node, ast.ClassDef):
            summary.has_declarations = summary.has_declarations or _declares(node)


def _add_import(stmt: ast.Import | ast.ImportFrom, summary: ModuleSummary, toplevel: bool) -> None:
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            summary.imports.append(ImportRecord(0, alias.name, None, alias.asname, toplevel))
        return
    for alias in stmt.names:
        summary.imports.append(
            ImportRecord(stmt.level, stmt.module or "", alias.name, alias.asname, toplevel)
        )


def _declares(node: ast.ClassDef) -> bool:
    for stmt in node.body:
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, ast.AnnAssign):
            targets = [stmt.target]
        if any(isinstance(t, ast.Name) and t.id in DECLARATION_NAMES for t in targets):
            return True
    return False


def _summarise_class(node: ast.ClassDef, summary: ModuleSummary) -> ClassSummary:
    summary.has_declarations = summary.has_declarations or _declares(node)
    result = ClassSummary(bases=[b for b in map(dotted_name, node.bases) if b])
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            ref = type_ref(stmt.annotation)
            if not _is_classvar(ref):
                result.fields[stmt.target.id] = ref
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            _summarise_nested([stmt], summary)
    return result


def _is_classvar(ref: TypeRef) -> bool:
    head = ref[1] if ref[0] == "n" else ref[1][1] if ref[0] == "s" and ref[1][0] == "n" else ""
    return isinstance(head, str) and head.rsplit(".", 1)[-1] == "ClassVar"


def _add_alias(stmt: ast.Assign | ast.AnnAssign, summary: ModuleSummary) -> None:
    """Record `Email = PIIStr`-style aliases; only expressions that look like types."""
    value = stmt.value
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    if value is None or len(targets) != 1 or not isinstance(targets[0], ast.Name):
        return
    if isinstance(value, ast.Name | ast.Attribute | ast.Subscript):
        ref = type_ref(value)
        if ref != UNKNOWN:
            summary.aliases[targets[0].id] = ref


def dotted_name(node: ast.expr) -> str:
    """`a.b.C` for a Name/Attribute chain, "" for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


def type_ref(node: ast.expr | None, depth: int = 0) -> TypeRef:
    """Convert an annotation into a TypeRef; string annotations are parsed as expressions."""
    if node is None or depth > 20:
        return UNKNOWN
    if isinstance(node, ast.Name | ast.Attribute):
        name = dotted_name(node)
        return ["n", name] if name else UNKNOWN
    if isinstance(node, ast.Subscript):
        slice_ = node.slice
        items = slice_.elts if isinstance(slice_, ast.Tuple) else [slice_]
        return ["s", type_ref(node.value, depth + 1), [type_ref(i, depth + 1) for i in items]]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return ["u", [type_ref(node.left, depth + 1), type_ref(node.right, depth + 1)]]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            parsed = ast.parse(node.value.strip(), mode="eval")
        except SyntaxError:
            return UNKNOWN
        return type_ref(parsed.body, depth + 1)
    if isinstance(node, ast.Constant) and node.value is None:
        return ["n", "None"]
    return UNKNOWN
