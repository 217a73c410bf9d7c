"""Names -> qualified names -> models, and the small type-of-value pass over one module.

The pass answers "which model, query, logger or PII value is this expression?" for exactly the
forms in the table below and answers "unknown" for everything else, so rules stay quiet rather than
guess. Local variables are read flow-insensitively: a name has a value only when every assignment
to it in its scope agrees.

| expression                                   | value                                           |
|----------------------------------------------|-------------------------------------------------|
| `Customer` (imported or defined model)       | the model class                                 |
| `Customer.objects`                           | a manager of Customer                           |
| `<manager or query>.filter(...)`, `.all()`…  | a query of many Customers                       |
| `<manager or query>.get(...)`, `.first()`…   | a query of one Customer (an instance in Django) |
| `<query>.execute()`, `await <q>.aexecute()`  | the instances (many) or the instance (one)      |
| `Customer(...)`, `Customer.objects.create()` | an instance                                     |
| parameter or variable annotated `Customer`   | an instance; `list[Customer]` etc: instances    |
| `self` in a method of a model                | an instance                                     |
| `for c in <instances or query of many>`      | `c` is an instance (also `enumerate(...)`)      |
| `<instances>[0]`                             | an instance                                     |
| `<instance>.email` (PII field)               | a PII value Customer.email                      |
| `<instance>.owner` (FK field)                | an instance of the FK's model                   |
| parameter or variable annotated `PIIStr`     | a PII value                                     |
| f-string, `+`, `%`, `.format`, `str()`,      | a PII value when a part is one                  |
| `.lower()`-style str methods, `a or b`       |                                                 |
| `logging.getLogger()`, `structlog.get_logger()`, `loguru.logger`, `.bind()` | a logger        |

Anything else (`len(x)`, `hash(x)`, `x is None`, unknown calls, slices) is not a PII value.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

from flake8_pii.index import ModelInfo, ModuleEntry, ProjectIndex
from flake8_pii.summary import UNKNOWN, TypeRef


class Kind(enum.Enum):
    CLASS = "class"
    MANAGER = "manager"
    QUERY_MANY = "query of many"
    QUERY_ONE = "query of one"
    INSTANCE = "instance"
    INSTANCES = "instances"


@dataclass(frozen=True)
class ModelValue:
    model: str
    kind: Kind


@dataclass(frozen=True)
class PIIValue:
    subject: str


@dataclass(frozen=True)
class LoggerValue:
    pass


Value = ModelValue | PIIValue | LoggerValue | None

MANY_METHODS = frozenset(
    {
        "filter", "exclude", "order_by", "all", "distinct", "only", "defer", "using", "none",
        "select_related", "prefetch_related", "annotate", "reverse", "latest_by", "limit",
        "offset", "select_for_update",
    }
)
ONE_METHODS = frozenset({"get", "get_or_none", "first", "last", "latest", "earliest"})
EXECUTE_METHODS = frozenset({"execute", "aexecute"})
CREATE_METHODS = frozenset({"create", "acreate"})
CONSTRUCTOR_METHODS = frozenset(
    {"model_validate", "model_validate_json", "model_construct", "parse_obj", "from_orm"}
)
COPY_METHODS = frozenset({"model_copy", "copy"})
LOGGER_FACTORIES = frozenset(
    {
        "logging.getLogger", "logging.getLoggerClass", "structlog.get_logger",
        "structlog.getLogger", "structlog.stdlib.get_logger", "structlog.wrap_logger",
    }
)
LOGGER_OBJECTS = frozenset({"loguru.logger", "logging.root"})
LOGGER_DERIVING_METHODS = frozenset({"bind", "new", "opt", "getChild", "patch", "bind_contextvars"})
# Calls that keep a str recognisably the same value.
STR_PRESERVING_METHODS = frozenset(
    {
        "lower", "upper", "strip", "lstrip", "rstrip", "casefold", "title", "capitalize",
        "swapcase", "expandtabs", "center", "ljust", "rjust", "zfill", "removeprefix",
        "removesuffix", "encode", "decode",
    }
)
# Binary operators that build a string from their operands.
_JOINING = (cst.Add, cst.Modulo)
STR_PRESERVING_FUNCTIONS = frozenset({"str", "repr", "ascii", "format"})


@dataclass(eq=False)
class Scope:
    """A function, lambda, class body or module, with every binding of each local name."""

    node: cst.CSTNode
    parent: Scope | None
    is_class: bool = False
    class_qualname: str | None = None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


@dataclass(frozen=True)
class Binding:
    """How a name got its value: "value" of an expression, "element" of an iterable,
    an "annotation", "self" of a model method (`owner` is the class), or "unknown"."""

    how: str
    node: cst.CSTNode | None = None
    scope: Scope | None = None
    owner: str | None = None


def dotted(node: cst.BaseExpression) -> str:
    """`a.b.c` for a Name/Attribute chain, "" otherwise."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return ""
    parts.append(node.value)
    return ".".join(reversed(parts))


def cst_type_ref(node: cst.BaseExpression, depth: int = 0) -> TypeRef:
    """The libcst counterpart of `summary.type_ref`, for annotations in the checked file."""
    if depth > 20:
        return UNKNOWN
    if isinstance(node, cst.Name | cst.Attribute):
        name = dotted(node)
        return ["n", name] if name else UNKNOWN
    if isinstance(node, cst.Subscript):
        args = [
            cst_type_ref(e.slice.value, depth + 1)
            for e in node.slice
            if isinstance(e.slice, cst.Index)
        ]
        return ["s", cst_type_ref(node.value, depth + 1), args]
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return ["u", [cst_type_ref(node.left, depth + 1), cst_type_ref(node.right, depth + 1)]]
    if isinstance(node, cst.SimpleString):
        text = node.evaluated_value
        if isinstance(text, str):
            try:
                return cst_type_ref(cst.parse_expression(text.strip()), depth + 1)
            except cst.ParserSyntaxError:
                return UNKNOWN
    return UNKNOWN


class ScopeCollector:
    """Records every binding of every name, per scope, in the same walk as the rules.

    Rules defer their questions about values to the end of the walk, when every binding in
    every scope is known (see `Context.defer`).
    """

    def __init__(self, module_name: str) -> None:
        self.module_name = module_name
        self.scopes: dict[cst.CSTNode, Scope] = {}
        self.stack: list[Scope] = []

    @property
    def scope(self) -> Scope:
        return self.stack[-1]

    def _push(self, scope: Scope) -> None:
        self.scopes[scope.node] = scope
        self.stack.append(scope)

    def visit_Module(self, node: cst.Module) -> None:
        self._push(Scope(node, None))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope.bind(node.name.value, Binding("unknown"))
        outer = self.scope
        if isinstance(outer.node, cst.Module):
            qualname: str | None = f"{self.module_name}.{node.name.value}"
        elif outer.is_class and outer.class_qualname:
            qualname = f"{outer.class_qualname}.{node.name.value}"
        else:
            qualname = None
        self._push(Scope(node, outer, is_class=True, class_qualname=qualname))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        outer = self.scope
        outer.bind(node.name.value, Binding("unknown"))
        scope = Scope(node, outer)
        self._push(scope)
        params = node.params
        positional = [*params.posonly_params, *params.params]
        decorators = {dotted(d.decorator) for d in node.decorators}
        first_is_self = (
            outer.is_class
            and outer.class_qualname is not None
            and positional
            and "staticmethod" not in decorators
        )
        annotated = [*positional, *params.kwonly_params]
        for position, param in enumerate(annotated):
            name = param.name.value
            if position == 0 and first_is_self:
                how = "class" if "classmethod" in decorators else "self"
                scope.bind(name, Binding(how, owner=outer.class_qualname))
            elif param.annotation is not None:
                scope.bind(name, Binding("annotation", param.annotation.annotation, scope))
            else:
                scope.bind(name, Binding("unknown"))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                scope.bind(star.name.value, Binding("unknown"))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        scope = Scope(node, self.scope)
        self._push(scope)
        for param in node.params.params:
            scope.bind(param.name.value, Binding("unknown"))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.stack.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target, Binding("value", node.value, self.scope))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        binding = Binding("annotation", node.annotation.annotation, self.scope)
        self._bind_target(node.target, binding)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind_target(node.target, Binding("value", node.value, self.scope))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, Binding("value", node.value, self.scope))

    def visit_For(self, node: cst.For) -> None:
        self._bind_loop(node.target, node.iter)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind_loop(node.target, node.iter)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_target(node.asname.name, Binding("unknown"))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind_target(node.name.name, Binding("unknown"))

    def _bind_loop(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.scope.bind(target.value, Binding("element", iterable, self.scope))
            return
        if (
            isinstance(target, cst.Tuple)
            and len(target.elements) == 2
            and isinstance(iterable, cst.Call)
            and dotted(iterable.func) == "enumerate"
            and iterable.args
        ):
            first, second = (e.value for e in target.elements)
            self._bind_target(first, Binding("unknown"))
            self._bind_target(second, Binding("element", iterable.args[0].value, self.scope))
            return
        self._bind_target(target, Binding("unknown"))

    def _bind_target(self, target: cst.BaseExpression, binding: Binding) -> None:
        if isinstance(target, cst.Name):
            self.scope.bind(target.value, binding)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._bind_target(element.value, Binding("unknown"))
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, Binding("unknown"))


class Resolver:
    """Answers what an expression is, for the rules of one module."""

    def __init__(self, index: ProjectIndex, entry: ModuleEntry) -> None:
        self.index = index
        self.entry = entry
        self._values: dict[tuple[int, int], Value] = {}
        self._names: dict[int, Value] = {}

    # -- names ---------------------------------------------------------------------------------

    def qualified(self, node: cst.BaseExpression, scope: Scope) -> str:
        """The qualified name of a Name/Attribute chain whose head is not a local variable."""
        name = dotted(node)
        if not name:
            return ""
        head = name.split(".", 1)[0]
        if self._local_bindings(head, scope) is not None:
            return ""
        return self.index.qualify(self.entry, name)

    def model(self, qualname: str) -> ModelInfo | None:
        return self.index.model(qualname)

    def _local_bindings(self, name: str, scope: Scope) -> list[Binding] | None:
        current: Scope | None = scope
        while current is not None:
            skip = current.is_class and current is not scope
            if not skip and name in current.bindings:
                if current.parent is None and self._is_module_class(name, current):
                    return None
                return current.bindings[name]
            current = current.parent
        return None

    def _is_module_class(self, name: str, module_scope: Scope) -> bool:
        """Module-level classes resolve through the index, not as local variables."""
        bindings = module_scope.bindings[name]
        return all(b.how == "unknown" for b in bindings) and (
            name in self.entry.summary.classes
        )

    # -- values --------------------------------------------------------------------------------

    def value_of(self, node: cst.BaseExpression, scope: Scope) -> Value:
        """What `node`, read in `scope`, is; worked out once per node (chained calls would
        otherwise be evaluated again at every level)."""
        key = (id(node), id(scope))
        if key in self._values:
            return self._values[key]
        self._values[key] = None  # a node met again while being worked out is unknown
        self._values[key] = value = self._value_of(node, scope)
        return value

    def _value_of(self, node: cst.BaseExpression, scope: Scope) -> Value:
        if isinstance(node, cst.Name):
            return self._name_value(node, scope)
        if isinstance(node, cst.Attribute):
            return self._attribute_value(node, scope)
        if isinstance(node, cst.Call):
            called = self._call_value(node, scope)
            if called is not None:
                return called
        elif isinstance(node, cst.Await):
            return self.value_of(node.expression, scope)
        elif isinstance(node, cst.NamedExpr):
            return self.value_of(node.value, scope)
        elif isinstance(node, cst.Subscript):
            return self._subscript_value(node, scope)
        elif isinstance(node, cst.IfExp):
            return _agree([self.value_of(node.body, scope), self.value_of(node.orelse, scope)])
        pii = next(self.pii_parts(node, scope), None)
        return PIIValue(pii[1]) if pii is not None else None

    def _name_value(self, node: cst.Name, scope: Scope) -> Value:
        bindings = self._local_bindings(node.value, scope)
        if bindings is None:
            return self._global_value(self.index.qualify(self.entry, node.value))
        # Each local name is worked out once: `x = x + y` repeated would otherwise take
        # exponential time. A name met again while it is being worked out is unknown.
        key = id(bindings)
        if key in self._names:
            return self._names[key]
        self._names[key] = None
        values: list[Value] = []
        for binding in bindings:
            values.append(self._binding_value(binding, node.value))
            if values[-1] is None:
                break
        self._names[key] = value = _agree(values)
        return value

    def _global_value(self, qualname: str) -> Value:
        if qualname in LOGGER_OBJECTS:
            return LoggerValue()
        symbol = self.index.resolve(qualname)
        if symbol.kind == "class" and self.index.model(symbol.qualname) is not None:
            return ModelValue(symbol.qualname, Kind.CLASS)
        if symbol.qualname in LOGGER_OBJECTS:
            return LoggerValue()
        return None

    def _binding_value(self, binding: Binding, name: str) -> Value:
        scope = binding.scope
        if binding.how in ("self", "class") and binding.owner is not None:
            if self.index.model(binding.owner) is None:
                return None
            return ModelValue(binding.owner, Kind.INSTANCE if binding.how == "self" else Kind.CLASS)
        if binding.node is None or scope is None:
            return None
        assert isinstance(binding.node, cst.BaseExpression)
        if binding.how == "value":
            return self.value_of(binding.node, scope)
        if binding.how == "element":
            return _element_of(self.value_of(binding.node, scope))
        if binding.how == "annotation":
            return self.annotation_value(binding.node, scope, name)
        return None

    def annotation_value(self, node: cst.BaseExpression, scope: Scope, name: str) -> Value:
        ref = cst_type_ref(node)
        if ref[0] == "s" and ref[1][0] == "n" and ref[1][1].rsplit(".", 1)[-1] in ("type", "Type"):
            inner = self.index.type_info(self.entry, ref[2][0]) if ref[2] else None
            if inner is not None and inner.models and not inner.models[0][1]:
                return ModelValue(inner.models[0][0], Kind.CLASS)
            return None
        info = self.index.type_info(self.entry, ref)
        if info.pii and not info.models:
            return PIIValue(f"{name} (annotated as PII)")
        if len(info.models) == 1 and not info.pii:
            model, many = info.models[0]
            if self.index.model(model) is not None:
                return ModelValue(model, Kind.INSTANCES if many else Kind.INSTANCE)
        return None

    def _attribute_value(self, node: cst.Attribute, scope: Scope) -> Value:
        qualname = self.qualified(node, scope)
        if qualname:
            found = self._global_value(qualname)
            if found is not None:
                return found
        base = self.value_of(node.value, scope)
        if not isinstance(base, ModelValue):
            return None
        attr = node.attr.value
        if base.kind is Kind.CLASS:
            return ModelValue(base.model, Kind.MANAGER) if attr == "objects" else None
        if base.kind not in (Kind.INSTANCE, Kind.QUERY_ONE):
            return None
        model = self.index.model(base.model)
        field_info = model.fields.get(attr) if model is not None else None
        if field_info is None or model is None:
            return None
        if field_info.pii:
            return PIIValue(f"{model.name}.{attr}")
        if field_info.target is not None and self.index.model(field_info.target) is not None:
            kind = Kind.INSTANCES if field_info.many else Kind.INSTANCE
            return ModelValue(field_info.target, kind)
        return None

    def _call_value(self, node: cst.Call, scope: Scope) -> Value:
        func = node.func
        if not isinstance(func, cst.Attribute | cst.Name):
            return None
        if self.qualified(func, scope) in LOGGER_FACTORIES:
            return LoggerValue()
        if isinstance(func, cst.Attribute):
            receiver = self.value_of(func.value, scope)
            method = func.attr.value
            if isinstance(receiver, LoggerValue):
                return receiver if method in LOGGER_DERIVING_METHODS else None
            if isinstance(receiver, ModelValue):
                return _method_result(receiver, method, self.index.config.query_methods)
        target = self.value_of(func, scope)
        if isinstance(target, ModelValue) and target.kind is Kind.CLASS:
            return ModelValue(target.model, Kind.INSTANCE)
        return None

    def _subscript_value(self, node: cst.Subscript, scope: Scope) -> Value:
        base = self.value_of(node.value, scope)
        if not isinstance(base, ModelValue) or base.kind not in (Kind.INSTANCES, Kind.QUERY_MANY):
            return None
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            return ModelValue(base.model, Kind.INSTANCE)
        return base

    # -- PII values ----------------------------------------------------------------------------

    def pii_parts(
        self, node: cst.BaseExpression, scope: Scope
    ) -> Iterator[tuple[cst.BaseExpression, str]]:
        """Each sub-expression of `node` that carries a PII value into the result, with subject."""
        if isinstance(node, cst.Name | cst.Attribute | cst.Subscript | cst.Await | cst.NamedExpr):
            value = self.value_of(node, scope)
            if isinstance(value, PIIValue):
                yield node, value.subject
            return
        if isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    yield from self.pii_parts(part.expression, scope)
        elif isinstance(node, cst.ConcatenatedString | cst.BooleanOperation) or (
            isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _JOINING)
        ):
            yield from self.pii_parts(node.left, scope)
            yield from self.pii_parts(node.right, scope)
        elif isinstance(node, cst.IfExp):
            yield from self.pii_parts(node.body, scope)
            yield from self.pii_parts(node.orelse, scope)
        elif isinstance(node, cst.Tuple | cst.List | cst.Set):
            for element in node.elements:
                yield from self.pii_parts(element.value, scope)
        elif isinstance(node, cst.Dict):
            for item in node.elements:
                yield from self.pii_parts(item.value, scope)
        elif isinstance(node, cst.ListComp | cst.SetComp | cst.GeneratorExp):
            yield from self.pii_parts(node.elt, scope)
        elif isinstance(node, cst.DictComp):
            yield from self.pii_parts(node.value, scope)
        elif isinstance(node, cst.Call):
            yield from self._call_pii_parts(node, scope)

    def _call_pii_parts(
        self, node: cst.Call, scope: Scope
    ) -> Iterator[tuple[cst.BaseExpression, str]]:
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in ("format", "format_map", "join"):
                for arg in node.args:
                    yield from self.pii_parts(arg.value, scope)
                return
            if method in STR_PRESERVING_METHODS:
                yield from self.pii_parts(func.value, scope)
            return
        if isinstance(func, cst.Name) and func.value in STR_PRESERVING_FUNCTIONS and node.args:
            if self._local_bindings(func.value, scope) is None:
                yield from self.pii_parts(node.args[0].value, scope)
            return
        if isinstance(func, cst.Name) and func.value == "dict":
            for arg in node.args:
                if arg.keyword is not None or arg.star == "**":
                    yield from self.pii_parts(arg.value, scope)


def _agree(values: Sequence[Value]) -> Value:
    """The value every binding agrees on; PII when all are PII (the first subject)."""
    if not values or any(v is None for v in values):
        return None
    first = values[0]
    if isinstance(first, PIIValue) and all(isinstance(v, PIIValue) for v in values):
        return first
    return first if all(v == first for v in values) else None


def _element_of(value: Value) -> Value:
    if isinstance(value, ModelValue) and value.kind in (Kind.INSTANCES, Kind.QUERY_MANY):
        return ModelValue(value.model, Kind.INSTANCE)
    return None


def _method_result(receiver: ModelValue, method: str, query_methods: frozenset[str]) -> Value:
    kind = receiver.kind
    if kind in (Kind.MANAGER, Kind.QUERY_MANY):
        if method in ONE_METHODS:
            return ModelValue(receiver.model, Kind.QUERY_ONE)
        if method in MANY_METHODS or method in query_methods:
            return ModelValue(receiver.model, Kind.QUERY_MANY)
        if method in CREATE_METHODS:
            return ModelValue(receiver.model, Kind.INSTANCE)
        if method in EXECUTE_METHODS:
            return ModelValue(receiver.model, Kind.INSTANCES)
        return None
    if kind is Kind.QUERY_ONE and method in EXECUTE_METHODS:
        return ModelValue(receiver.model, Kind.INSTANCE)
    if kind is Kind.CLASS and method in CONSTRUCTOR_METHODS | CREATE_METHODS:
        return ModelValue(receiver.model, Kind.INSTANCE)
    if kind is Kind.INSTANCE and method in COPY_METHODS:
        return ModelValue(receiver.model, Kind.INSTANCE)
    return None
