"""One pass over a parsed module: the type pass's scopes kept current, the rules' hooks called,
and their reports turned into findings (positions, noqa, unused noqa).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst

from flake8_pii import vocabulary
from flake8_pii.findings import RULES, Finding
from flake8_pii.index import ModelInfo, ProjectIndex
from flake8_pii.noqa import noqa_comments, silenced_by
from flake8_pii.positions import Locator
from flake8_pii.rules import all_rules
from flake8_pii.rules.base import Context, Rule
from flake8_pii.summary import ModuleSummary
from flake8_pii.typepass import AnnotationOf, IterationOf, ModelClass, Object, Resolver, last_name
from flake8_pii.unused_noqa import unused_noqa
from flake8_pii.walk import Handler, handlers_of, walk

# Augmented assignments read as the binary operation they stand for: `q |= Q(...)`.
_AUGMENTED: dict[type[cst.BaseAugOp], cst.BaseBinaryOp] = {
    cst.AddAssign: cst.Add(),
    cst.ModuloAssign: cst.Modulo(),
    cst.BitOrAssign: cst.BitOr(),
    cst.BitAndAssign: cst.BitAnd(),
    cst.BitXorAssign: cst.BitXor(),
}
# Decorators after which a method's first parameter is not an instance of its class.
_NOT_SELF = frozenset({"staticmethod", "classmethod"})
# Where a report is, for the Locator: module-level statement, innermost statement, its blocks.
Where = tuple[cst.CSTNode, cst.CSTNode | None, tuple[cst.IndentedBlock, ...]]


def run_rules(
    module: cst.Module,
    tree: ast.Module,
    text: str,
    path: str,
    summary: ModuleSummary,
    index: ProjectIndex,
) -> list[Finding]:
    resolver = Resolver(index, summary, module)
    walker = _Walker(resolver)
    rules = [rule(walker.context) for rule in all_rules()]
    enter, leave = _handlers(walker, rules)
    # one module-level statement at a time, so that each report knows which one holds it
    for statement_at_top in module.body:
        walker.top = statement_at_top
        walk(statement_at_top, enter, leave)
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


def _handlers(
    walker: _Walker, rules: Sequence[Rule]
) -> tuple[dict[str, Handler], dict[str, Handler]]:
    """Per node type, what to call on entering and on leaving it: the walker keeps the scopes
    current around the rules, so a rule's `visit_X` runs after the walker's and its `leave_X`
    before the walker's."""
    enter, leave = handlers_of(walker)
    for rule in rules:
        rule_enter, rule_leave = handlers_of(rule)
        for name, handler in rule_enter.items():
            enter[name] = _chain(enter.get(name), handler)
        for name, handler in rule_leave.items():
            leave[name] = _chain(handler, leave.get(name))
    return enter, leave


def _chain(first: Handler | None, second: Handler | None) -> Handler:
    if first is None or second is None:
        handler = first or second
        assert handler is not None
        return handler

    def both(node: cst.CSTNode) -> None:
        first(node)
        second(node)

    return both


class _Walker:
    """One pass over the module: keeps the resolver's scopes and the statements current."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.class_models: dict[int, ModelInfo | None] = {}
        self.context = Context(resolver, self._report, self.class_models)
        # (statement, the statement holding it): a line of simple statements is both; for a
        # compound statement it is the expression of its header (`if` test, `for` iterable)
        self.statements: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        self.blocks: list[cst.IndentedBlock] = []
        # per enclosing class or function: the model of a class (None for functions)
        self.containers: list[tuple[str, ModelInfo | None, str | None]] = []
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
        qualified = None
        if not self.containers:
            qualified = f"{self.resolver.summary.module}.{node.name.value}"
            model = self.resolver.model_named(qualified)
        self.class_models[id(node)] = model
        self.containers.append(("class", model, qualified))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        if self.resolver.scope.parent is not None:
            self.resolver.bind_target(original_node.name, None)  # hides a module-level name
        self.containers.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        first: ModelInfo | None = None
        # by the name they are spelled with last: `staticmethod`, `builtins.staticmethod`
        decorators = {self.resolver.code(d.decorator).rpartition(".")[2] for d in node.decorators}
        if self.resolver.scope.parent is not None:
            # a function defined inside a function hides a module-level one of its name
            self.resolver.bind_target(node.name, None)
        owner: str | None = None
        if self.containers and self.containers[-1][0] == "class":
            _, model, owner = self.containers[-1]
            if model is not None and "staticmethod" not in decorators:
                first = model
        self.resolver.enter_function(node, first)
        params = node.params.params
        if first is not None and "classmethod" in decorators and params:
            self.resolver.scope.bind(params[0].name.value, 0, ModelClass(first))
        elif first is None and owner is not None and params and not decorators & _NOT_SELF:
            # `self` in a method of a project class that is not a model (a repository)
            self.resolver.scope.bind(params[0].name.value, 0, Object(owner))
        self.containers.append(("function", None, None))

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
            self._changed_in_place(target.target)
            self.resolver.bind_target(target.target, original_node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        annotation = AnnotationOf(original_node.annotation.annotation)
        value = original_node.value
        if value is None or self.resolver.annotation_type(annotation.annotation) is not None:
            self.resolver.bind_target(original_node.target, annotation)
        else:
            self.resolver.bind_target(original_node.target, value)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        operator = _AUGMENTED.get(type(original_node.operator))
        target = original_node.target
        if operator is not None:
            combined = cst.BinaryOperation(
                left=target, operator=operator, right=original_node.value
            )
            self.resolver.bind_target(target, combined)
        elif isinstance(target, cst.Name):
            self.resolver.bind_target(target, None)
        else:
            self._changed_in_place(target)

    def visit_For(self, node: cst.For) -> None:
        self.resolver.bind_target(node.target, IterationOf(node.iter))
        self.statements.append((node.iter, node))

    def leave_For(self, original_node: cst.For) -> None:
        self.statements.pop()

    # comprehension targets are bound before the element that uses them is visited

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._bind_comprehension(node.for_in)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._bind_comprehension(node.for_in)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._bind_comprehension(node.for_in)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._bind_comprehension(node.for_in)

    def _bind_comprehension(self, for_in: cst.CompFor | None) -> None:
        while for_in is not None:
            self.resolver.bind_target(for_in.target, IterationOf(for_in.iter))
            for_in = for_in.inner_for_in

    # other bindings: their values are unknown, but they hide what the name held before

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.resolver.bind_target(node.asname.name, None)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self.resolver.bind_target(node.name.name, None)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        if node.name is not None:
            self.resolver.bind_target(node.name.name, None)

    def leave_Del(self, original_node: cst.Del) -> None:
        target = original_node.target
        if isinstance(target, cst.Name | cst.Tuple | cst.List):
            self.resolver.bind_target(target, None)
        else:
            self._changed_in_place(target)

    def leave_Call(self, original_node: cst.Call) -> None:
        func = original_node.func
        if isinstance(func, cst.Attribute) and func.attr.value in vocabulary.MUTATING_METHODS:
            self._changed_in_place(func)

    def _changed_in_place(self, target: cst.BaseExpression) -> None:
        """`filters["x"] = ...`, `del filters["x"]`, `filters.pop(...)`: a dict, list or set
        kept in a name no longer holds what its literal said."""
        if isinstance(target, cst.Subscript | cst.Attribute) and isinstance(target.value, cst.Name):
            name = target.value
            if _is_container_literal(self.resolver.assigned_value(name)):
                self.resolver.bind_target(name, None)

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


def _is_container_literal(node: cst.BaseExpression) -> bool:
    """A dict, list, set or tuple literal, `dict(...)` or a `Q(...)`: what rules read from the
    name holding it (an instance or anything else is left as it is)."""
    if isinstance(node, cst.Dict | cst.List | cst.Set | cst.Tuple):
        return True
    if isinstance(node, cst.Call):
        name = last_name(node.func)
        return name in {"dict", "list", "set"} or name in vocabulary.Q_NAMES
    return False
