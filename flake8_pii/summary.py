"""What the index keeps of one module, read with `ast`: imports, classes, bases, annotated fields.

A summary is plain data (it is cached as JSON) and syntax only: nothing is resolved here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from flake8_pii import vocabulary


@dataclass(frozen=True)
class ClassSummary:
    name: str
    bases: tuple[str, ...]
    # field name -> annotation source, in declaration order; ClassVar annotations left out
    fields: tuple[tuple[str, str], ...]
    # (field name, callee source, field named by the call) for each field whose default is a
    # call naming a field by a string: `email_lookup: Lookup = lookup_of("email")` gives
    # ("email_lookup", "lookup_of", "email"); the index decides which callees declare lookups
    defaults: tuple[tuple[str, str, str], ...] = ()
    # method name -> its return annotation source, for methods that declare one
    returns: tuple[tuple[str, str], ...] = ()
    # How an instance renders, for the index to judge: the class's decorators (source), the
    # names of the methods it defines and the decorators of those (`@field_serializer`, as
    # source), and the fields whose declaration may hide them from a repr or a dump (a default
    # call with a `repr=` or `exclude=` keyword, or such a keyword or a serializer in the
    # annotation).
    decorators: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    # (field name, column type source) for each class attribute declared with a column
    # (`email = Column(PIIString(400))`, `email: Mapped[str] = mapped_column(PIIString)`); the
    # type is "" when the call names none; the index decides which types hold PII
    columns: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> list[Any]:
        return [
            self.name,
            list(self.bases),
            [list(pair) for pair in self.fields],
            [list(triple) for triple in self.defaults],
            [list(self.decorators), list(self.methods), list(self.hidden)],
            [list(pair) for pair in self.returns],
            [list(pair) for pair in self.columns],
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> ClassSummary:
        return cls(
            data[0],
            tuple(data[1]),
            tuple((f, a) for f, a in data[2]),
            tuple((f, c, n) for f, c, n in data[3]),
            decorators=tuple(data[4][0]),
            methods=tuple(data[4][1]),
            hidden=tuple(data[4][2]),
            returns=tuple((m, r) for m, r in data[5]),
            columns=tuple((f, t) for f, t in data[6]),
        )


@dataclass(frozen=True)
class ModuleSummary:
    """One module: `imports` maps each local name to the qualified name it stands for."""

    module: str
    imports: dict[str, str] = field(default_factory=dict)
    star_imports: tuple[str, ...] = ()
    classes: dict[str, ClassSummary] = field(default_factory=dict)
    declares_keys: bool = False
    # module-level function name -> its return annotation source, when it declares one
    functions: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "imports": self.imports,
            "star": list(self.star_imports),
            "classes": [c.to_json() for c in self.classes.values()],
            "keys": self.declares_keys,
            "functions": self.functions,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleSummary:
        classes = [ClassSummary.from_json(item) for item in data["classes"]]
        return cls(
            module=data["module"],
            imports=dict(data["imports"]),
            star_imports=tuple(data["star"]),
            classes={c.name: c for c in classes},
            declares_keys=bool(data["keys"]),
            functions=dict(data["functions"]),
        )


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module named by `from <level dots><target> import ...` inside `module`."""
    if level == 0:
        return target or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    base = ".".join(parts)
    if target:
        return f"{base}.{target}" if base else target
    return base


def statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included, without walking expressions (much cheaper than
    `ast.walk`: imports and classes are statements)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, name, None)
            if isinstance(inner, list):
                stack.extend(reversed(inner))


def collect_imports(
    body: list[ast.stmt], module: str, is_package: bool
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Import aliases anywhere in the module (functions too: users import inside them).

    A name imported from two different places (in two functions, or in `try`/`except`) is
    left out: which one it stands for depends on where it is used, and a wrong guess would
    report what is not there.
    """
    imports: dict[str, str] = {}
    ambiguous: set[str] = set()
    star: list[str] = []

    def add(local: str, target: str) -> None:
        if imports.get(local, target) != target:
            ambiguous.add(local)
        imports[local] = target

    for node in statements(body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    add(alias.asname, alias.name)
                else:
                    top = alias.name.split(".")[0]
                    add(top, top)
        elif isinstance(node, ast.ImportFrom):
            source = resolve_relative(module, is_package, node.level, node.module)
            for alias in node.names:
                if alias.name == "*":
                    star.append(source)
                else:
                    add(alias.asname or alias.name, f"{source}.{alias.name}")
    for local in ambiguous:
        del imports[local]
    return imports, tuple(star)


def _is_classvar(annotation: ast.expr) -> bool:
    target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    if isinstance(target, ast.Name):
        return target.id == "ClassVar"
    return isinstance(target, ast.Attribute) and target.attr == "ClassVar"


def _field_named_by_call(value: ast.expr | None) -> tuple[str, str] | None:
    """(callee source, field name) for a default such as `lookup_of("email", ...)` or
    `pg.lookup_of(field="email")`: a call of a dotted name whose first argument (or `field=`)
    is a string."""
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Name | ast.Attribute):
        return None
    named: ast.expr | None = value.args[0] if value.args else None
    for keyword in value.keywords:
        if keyword.arg == "field":
            named = keyword.value
    if isinstance(named, ast.Constant) and isinstance(named.value, str):
        return ast.unparse(value.func), named.value
    return None


def _column_type(value: ast.expr | None) -> str | None:
    """The type source of a column declaration (`PIIString` for `Column("e", PIIString(400))`
    or `mapped_column(type_=PIIString)`; "" when it names none), or None when `value` does not
    declare a column: a call named last `Column` or `mapped_column`."""
    if not isinstance(value, ast.Call):
        return None
    callee = value.func
    last = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", None)
    if last not in vocabulary.COLUMN_DECLARERS:
        return None
    candidates = [keyword.value for keyword in value.keywords if keyword.arg == "type_"]
    candidates += [
        arg for arg in value.args if not (isinstance(arg, ast.Constant) and arg.value is None)
    ]
    for candidate in candidates:
        if isinstance(candidate, ast.Constant) and isinstance(candidate.value, str):
            continue  # the column's name in the database
        if isinstance(candidate, ast.Call):
            candidate = candidate.func
        return ast.unparse(candidate) if isinstance(candidate, ast.Name | ast.Attribute) else ""
    return ""


def _columns(statement: ast.stmt) -> tuple[str, str] | None:
    """(field name, column type source) when the statement declares a column of the class."""
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        name, value = statement.target.id, statement.value
    elif (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ):
        name, value = statement.targets[0].id, statement.value
    else:
        return None
    column_type = _column_type(value)
    if column_type is None or name.startswith("__"):
        return None
    return name, column_type


def summarise_class(node: ast.ClassDef) -> tuple[ClassSummary, bool]:
    fields: list[tuple[str, str]] = []
    defaults: list[tuple[str, str, str]] = []
    columns = [column for statement in node.body if (column := _columns(statement))]
    declares_keys = False
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name = statement.target.id
            if name in vocabulary.KEY_DECLARATIONS:
                declares_keys = True
            if not _is_classvar(statement.annotation) and not name.startswith("__"):
                fields.append((name, ast.unparse(statement.annotation)))
                call = _field_named_by_call(statement.value)
                if call is not None:
                    defaults.append((name, *call))
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name) and target.id in vocabulary.KEY_DECLARATIONS:
                    declares_keys = True
    bases = tuple(ast.unparse(base) for base in node.bases)
    decorators, methods, hidden = _rendering(node)
    summary = ClassSummary(
        node.name,
        bases,
        tuple(fields),
        tuple(defaults),
        returns=tuple(_returns(node.body).items()),
        decorators=decorators,
        methods=methods,
        hidden=hidden,
        columns=tuple(columns),
    )
    return summary, declares_keys


def _returns(body: list[ast.stmt]) -> dict[str, str]:
    """Function name -> return annotation source, for the functions defined directly in `body`
    that declare one (a later definition of a name wins, as in Python)."""
    returns: dict[str, str] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.returns is None:
                returns.pop(node.name, None)
            else:
                returns[node.name] = ast.unparse(node.returns)
    return returns


def _rendering(node: ast.ClassDef) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(class decorators, methods and their decorators, fields that may be hidden) of a class:
    what decides whether its repr and its dumps show its fields."""
    decorators = tuple(ast.unparse(decorator) for decorator in node.decorator_list)
    methods: list[str] = []
    hidden: list[str] = []
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            methods.append(statement.name)
            for decorator in statement.decorator_list:
                callee = decorator.func if isinstance(decorator, ast.Call) else decorator
                methods.append(f"@{ast.unparse(callee)}")
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and (
                _may_hide(statement.annotation)
                or (statement.value is not None and _may_hide(statement.value))
            )
        ):
            hidden.append(statement.target.id)
    return decorators, tuple(methods), tuple(hidden)


def _may_hide(node: ast.expr) -> bool:
    """Whether a field declaration may keep the field out of a repr or a dump: a call in it
    with a `repr=` or `exclude=` keyword, or a serializer (`PlainSerializer(...)`)."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            if any(keyword.arg in ("repr", "exclude") for keyword in inner.keywords):
                return True
            if "serializer" in ast.unparse(inner.func).lower():
                return True
    return False


def summarise(tree: ast.Module, module: str, is_package: bool) -> ModuleSummary:
    imports, star = collect_imports(tree.body, module, is_package)
    classes: dict[str, ClassSummary] = {}
    declares_keys = False
    top_level = {id(node) for node in tree.body}
    for node in statements(tree.body):
        if isinstance(node, ast.ClassDef):
            summary, keys = summarise_class(node)
            declares_keys = declares_keys or keys
            if id(node) not in top_level:
                # a class defined in a function may be one of several of its name: its methods'
                # return types are not followed
                summary = replace(summary, returns=())
            # a top-level class wins over a nested one of the same name
            if id(node) in top_level or summary.name not in classes:
                classes[summary.name] = summary
    defined = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    # a name both imported (in a function, say) and defined by the module: which one a use
    # means depends on where it stands, so the import is not taken for it
    imports = {local: target for local, target in imports.items() if local not in defined}
    return ModuleSummary(module, imports, star, classes, declares_keys, _returns(tree.body))
