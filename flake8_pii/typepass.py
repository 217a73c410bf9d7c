"""Which model, query, logger or PII value an expression is: a small, explicit type pass.

What it understands (anything else is "unknown", and unknown is never reported):

| expression                                   | type                |
|----------------------------------------------|---------------------|
| a name imported or defined as a model class  | ModelClass(M)       |
| `M.objects`                                  | Query(M)            |
| `q.filter(...)`, `.exclude`, `.order_by`, `.all`, `.decrypt_pii()`, ... on a Query | Query(M) |
| `q.latest()`, `q.earliest()` without arguments (AMSDAL) | Query(M)  |
| `q.get(...)`, `.first()`, `.last()`, `.get_or_none(...)`, `M(...)` | Instance(M) |
| `q.execute()`, `await q.aexecute()`, `list(q)` | Many(M)           |
| `for x in <Many or Query>`, `[... for x in ...]` | x: Instance(M)  |
| parameter or variable annotated `M`, `M | None`, `Optional[M]` | Instance(M) |
| annotated `list[M]`, `Sequence[M]`, `Iterable[M]`, ... | Many(M)    |
| annotated `type[M]`; `QuerySet[M]`           | ModelClass(M); Query(M) |
| `self` in a method of model M                | Instance(M)         |
| `f(...)`, `obj.m(...)` of a project function or method declaring `-> M`, ... | as declared |
| `Repo(...)`, a parameter annotated `Repo`, `self` in Repo's methods (not a model) | Object(Repo) |
| `x.f` with x: Instance(M), f a PII field     | PII(M.f)            |
| `x.f` with f an FK field                     | Instance(target) or Many(target) |
| `many[i]`                                    | Instance(M)         |
| `p.lower()`, `.strip()`, `str(p)`, `f"{p}"`, `p + s`, `p or s` with p PII | PII |
| a local name                                 | its last assignment above the use, read there |
| `logging.getLogger(...)`, `structlog.get_logger(...)`, `loguru.logger` | Logger |
| a dict, list, tuple or set literal, `dict(...)`, holding p PII or Holding | Holding(M.f) |
| `list(h)`, `tuple(h)`, `set(h)`, `sorted(h)` with h Holding | Holding    |
| `x.model_dump()`, `.model_dump_json()`, `.dict()`, `.json()` (keywords  | Holding(M, whole) |
|   that keep every field), `vars(x)`, `x.__dict__`, `dataclasses.asdict(x)` |             |
|   with x: Instance(M), M with PII (`ProjectIndex.dump_shows_pii`)       |                   |
| `E(...)` with PII or Holding among its arguments, E an exception class | Holding(M.f,   |
|   that keeps its arguments (`ProjectIndex.keeps_arguments`)             |   exception=E) |

`Resolver.held(x)` is what of PII `x` shows when written out: PII, Holding, or Holding(M, whole)
for an Instance(M) whose repr shows a PII field (`ProjectIndex.repr_shows_pii`: a pydantic
model that is not a PIIModel, or a dataclass, rendering its fields as pydantic or `dataclass`
write them). A dump is known only for a model that defines no serializer and no dump method of
its own, a repr only for one that defines no `__repr__`/`__str__` (see vocabulary).
| `select(M)` (SQLAlchemy, SQLModel), `x.query(M)`, `M.query` | Query(M) |
| `select(...)`, `x.query(...)` of columns or of several entities | Statement |
| `.where(...)`, `.join(...)`, `.options(...)`, ... on a Query or Statement | the same |
| `M.f` with M: ModelClass, f a field of M      | Column(M, f)        |
| `x.get(M, key)`, `x.get_one(M, key)` (a session's) | Instance(M)    |
| `x.scalars(q)`, `x.exec(q)` (SQLModel) with q: Query(M) | Many(M)   |
| `x.scalar(q)`; `x.execute(q)`                 | Instance(M); Result(M) |
| `r.scalars()`; `r.scalar_one()`, `.scalar()`, ... with r: Result(M) | Many(M); Instance(M) |
| `many.all()`, `.unique()`; `many.first()`, `.one()`, `.one_or_none()` | Many(M); Instance(M) |

In the rows for a session's methods (`x.query(M)`, `x.get(M, key)`, `x.scalars(q)`, ...), `x` is
any value of unknown type: the pass does not type sessions; what tells is the model or query given.

Calls of any other function on a PII value (`len`, `hash`, `hashlib.sha256`, `mask`) and
comparisons (`p is None`) give values that do not identify anybody: unknown.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import libcst as cst

from flake8_pii import vocabulary
from flake8_pii.annotations import Holds, Names, Reading, read_annotation
from flake8_pii.index import ModelInfo, ProjectIndex
from flake8_pii.summary import ModuleSummary


@dataclass(frozen=True)
class ModelClass:
    model: ModelInfo


@dataclass(frozen=True)
class Query:
    model: ModelInfo


@dataclass(frozen=True)
class Instance:
    model: ModelInfo


@dataclass(frozen=True)
class Many:
    model: ModelInfo


@dataclass(frozen=True)
class PII:
    subject: str  # "Model.field"


@dataclass(frozen=True)
class Logger:
    pass


@dataclass(frozen=True)
class Object:
    """An instance of a project class that is not a model (a repository, a service): the
    declared return types of its methods are followed."""

    cls: str  # its qualified name
    # built here (`Repo()`): its class is known exactly; otherwise (`self`, a parameter
    # annotated `Repo`) it may be a subclass, whose overrides of a method are not followed
    exact: bool = False


@dataclass(frozen=True)
class Holding:
    """A value that shows PII when it is rendered or serialised: a container literal holding a
    PII value, a dump of a model instance, an exception built with a PII argument.

    `subject` is `Model.field`, or the model's name when the value shows a whole instance
    (`whole`); `exception` is the exception class as written, when the value is an exception.
    """

    subject: str
    whole: bool = False
    exception: str | None = None
    # a mapping (a dict, a dump, `vars(x)`): iterating it gives its keys, which are not PII
    keyed: bool = False


@dataclass(frozen=True)
class Column:
    """`M.field` on a model class: a column in a SQL expression (`M.email == x`)."""

    model: ModelInfo
    field: str

    @property
    def pii(self) -> bool:
        info = self.model.fields.get(self.field)
        return info is not None and info.pii

    @property
    def subject(self) -> str:
        return f"{self.model.name}.{self.field}"


@dataclass(frozen=True)
class Statement:
    """A SQL statement whose rows are not known to be instances of one model
    (`select(M.id)`, `session.query(M, N)`): its filters and orderings are still read."""


@dataclass(frozen=True)
class Result:
    """What running `select(M)` gives (`session.execute(...)`): rows whose first column is M."""

    model: ModelInfo


ValueType = (
    ModelClass
    | Query
    | Instance
    | Many
    | PII
    | Logger
    | Object
    | Holding
    | Column
    | Statement
    | Result
    | None
)

# How many names `assigned_value` follows (`a = b`, `b = c`, ...) before it stops.
_MAX_NAME_HOPS = 20

# How many values deep `type_of` follows an expression and the assignments it reads before it
# calls the value unknown: a name rebuilt from itself a few thousand times over is followed to
# its start, well inside the large stack's recursion limit (see flake8_pii.deep).
MAX_VALUE_DEPTH = 10_000


@dataclass(frozen=True)
class Point:
    """A place in the walk: a scope and an order within it (and the assignment made there)."""

    scope: Scope
    order: int
    binding: Binding | None


@dataclass(eq=False)
class Binding:
    """One assignment of a name: when it happens in the walk, what it assigns, and (once worked
    out) the type of that value."""

    order: int
    source: object
    value: ValueType = None
    known: bool = False


@dataclass
class Scope:
    """Assignments of one function (or the module), in the order they are written."""

    parent: Scope | None
    model: ModelInfo | None = None  # set on methods of a model: the type of `self`
    assignments: dict[str, list[Binding]] = field(default_factory=dict)

    def bind(self, name: str, order: int, source: object) -> None:
        self.assignments.setdefault(name, []).append(Binding(order, source))


@dataclass(frozen=True)
class IterationOf:
    """A loop or comprehension target: an element of `iterable`."""

    iterable: cst.BaseExpression


@dataclass(frozen=True)
class AnnotationOf:
    annotation: cst.BaseExpression


class Resolver:
    """Answers `type_of(expression)` at the point the visitor has reached in one module."""

    def __init__(self, index: ProjectIndex, summary: ModuleSummary, module: cst.Module) -> None:
        self.index = index
        self.summary = summary
        self.module = module
        self.scope = Scope(parent=None)
        self.order = 0
        self._model_cache: dict[str, ModelInfo | None] = {}
        # (id of node, order) -> (node, its type): every expression is worked out once for each
        # point of the walk it is asked about; the node is kept so that its id stays its own
        self._types: dict[tuple[int, int], tuple[cst.BaseExpression, ValueType]] = {}
        self._codes: dict[int, tuple[cst.CSTNode, str]] = {}
        self._depth = 0
        self._annotation_names: dict[str, Names] = {}
        # what rules worked out once per module (keyed by the rule's own keys)
        self.memo: dict[object, object] = {}
        # qualified name of a project function or method -> the type it declares it returns
        self._returns: dict[str, ValueType] = {}

    # --- scopes, driven by the visitor ----------------------------------------------------

    def tick(self) -> int:
        self.order += 1
        return self.order

    def enter_function(
        self, node: cst.FunctionDef | cst.Lambda, self_model: ModelInfo | None
    ) -> None:
        self.scope = Scope(parent=self.scope, model=self_model)
        params = node.params
        all_params = [*params.posonly_params, *params.params, *params.kwonly_params]
        for position, param in enumerate(all_params):
            name = param.name.value
            if param.annotation is not None:
                self.scope.bind(name, 0, AnnotationOf(param.annotation.annotation))
            elif position == 0 and self_model is not None and isinstance(node, cst.FunctionDef):
                self.scope.bind(name, 0, Instance(self_model))
            else:  # unknown, and no longer the module-level name it hides
                self.scope.bind(name, 0, None)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.scope.bind(star.name.value, 0, None)

    def leave_function(self) -> None:
        assert self.scope.parent is not None
        self.scope = self.scope.parent

    def bind_target(self, target: cst.BaseExpression, source: object) -> None:
        order = self.tick()
        if isinstance(target, cst.Name):
            self.scope.bind(target.value, order, source)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                # unpacking: element types are not tracked, but the names are rebound
                inner = element.value
                if isinstance(inner, cst.Name):
                    self.scope.bind(inner.value, order, None)

    # --- names ----------------------------------------------------------------------------

    def qualified_name(self, node: cst.BaseExpression) -> str | None:
        dotted = dotted_name(node)
        if dotted is None:
            return None
        return self.index.qualify(self.summary, dotted)

    def model_named(self, qualified: str) -> ModelInfo | None:
        if qualified not in self._model_cache:
            self._model_cache[qualified] = self.index.model(qualified)
        return self._model_cache[qualified]

    def code(self, node: cst.CSTNode) -> str:
        """The source of `node` without surrounding whitespace, generated once (every finding
        of a statement asks for it)."""
        known = self._codes.get(id(node))
        if known is None:
            known = self._codes[id(node)] = (node, self.module.code_for_node(node).strip())
        return known[1]

    # --- the type pass --------------------------------------------------------------------

    def type_of(self, node: cst.BaseExpression) -> ValueType:
        """What `node` is at the point of the walk reached, worked out once per node and point:
        long call chains and names rebuilt from themselves stay linear. A node met again while
        it is being worked out, or more than MAX_VALUE_DEPTH values deep, is unknown."""
        key = (id(node), self.order)
        known = self._types.get(key)
        if known is not None:
            return known[1]
        if self._depth >= MAX_VALUE_DEPTH:
            return None
        self._types[key] = (node, None)
        self._depth += 1
        try:
            value = self._type_of(node)
        finally:
            self._depth -= 1
        self._types[key] = (node, value)
        return value

    def _type_of(self, node: cst.BaseExpression) -> ValueType:
        if isinstance(node, cst.Name):
            return self._name_type(node.value)
        if isinstance(node, cst.Attribute):
            return self._attribute_type(node)
        if isinstance(node, cst.Call):
            return self._call_type(node)
        if isinstance(node, cst.Await):
            return self.type_of(node.expression)
        if isinstance(node, cst.Subscript):
            base = self.type_of(node.value)
            return Instance(base.model) if isinstance(base, Many) else None
        if isinstance(node, cst.FormattedString):
            return self._first_pii(
                part.expression
                for part in node.parts
                if isinstance(part, cst.FormattedStringExpression)
            )
        if isinstance(node, cst.BinaryOperation) and isinstance(
            node.operator, cst.Add | cst.Modulo
        ):
            return self._first_pii(_operands(node))
        if isinstance(node, cst.BooleanOperation):
            # `a and b` gives b, or a falsy a (empty, None): only b can identify anybody
            if isinstance(node.operator, cst.And):
                return self._first_pii((node.right,))
            return self._first_pii((node.left, node.right))
        if isinstance(node, cst.IfExp):
            return self._first_pii((node.body, node.orelse))
        if isinstance(node, cst.NamedExpr):
            return self.type_of(node.value)
        return self._container_type(node)

    def _first_pii(
        self, nodes: Iterator[cst.BaseExpression] | Sequence[cst.BaseExpression]
    ) -> ValueType:
        for inner in nodes:
            found = self.type_of(inner)
            if isinstance(found, PII):
                return found
        return None

    def _name_type(self, name: str) -> ValueType:
        bound, visible = self._assignment(name)
        if bound:
            return self._binding_type(*visible) if visible is not None else None
        qualified = self.index.qualify(self.summary, name)
        if qualified is None:
            return None
        return self._qualified_type(qualified)

    def _assignment(self, name: str) -> tuple[bool, tuple[Scope, Binding] | None]:
        """(whether a function or the module assigns `name`, the assignment seen here):
        in the function being visited, the last one above this point; in enclosing scopes, the
        last one anywhere (they ran before the call)."""
        scope: Scope | None = self.scope
        innermost = True
        while scope is not None:
            bindings = scope.assignments.get(name)
            if bindings:
                visible = bisect_right(bindings, self.order, key=_order) if innermost else None
                if visible == 0:
                    return True, None
                return True, (scope, bindings[(visible or len(bindings)) - 1])
            scope = scope.parent
            innermost = False
        return False, None

    def binds(self, name: str) -> bool:
        """Whether the module or an enclosing function assigns `name` (it is no builtin)."""
        return self._assignment(name)[0]

    def assigned(self, node: cst.BaseExpression) -> tuple[cst.BaseExpression, Point | None]:
        """The expression a name holds here, when it was assigned one (`filters = {...}`), and
        the point of the walk where it was assigned, where the names inside it are to be read;
        followed through names assigned from names, each read where it was assigned. `node`
        itself and None otherwise. For rules that read constants kept in variables: dict keys,
        `Q(...)` objects, ordering strings."""
        point: Point | None = None
        scope, order = self.scope, self.order
        for _ in range(_MAX_NAME_HOPS):
            if not isinstance(node, cst.Name):
                break
            with self.reading_at(Point(scope, order, None)):
                _, visible = self._assignment(node.value)
            if visible is None:
                break
            scope, binding = visible
            if not isinstance(binding.source, cst.BaseExpression):
                break
            order = max(binding.order - 1, 0)
            node = binding.source
            point = Point(scope, order, binding)
        return node, point

    def assigned_value(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """`assigned(node)` without the point."""
        return self.assigned(node)[0]

    @contextmanager
    def reading_at(self, point: Point) -> Iterator[None]:
        """Read names as they were at `point` (an assignment's place in the walk)."""
        walk = self.scope, self.order
        self.scope, self.order = point.scope, point.order
        try:
            yield
        finally:
            self.scope, self.order = walk

    def unshadowed_name(self, node: cst.BaseExpression) -> str | None:
        """The qualified name of a dotted name whose first name no function or the module
        rebinds: a local `repo` or `recent` is not the imported module or function."""
        root = node
        while isinstance(root, cst.Attribute):
            root = root.value
        if isinstance(root, cst.Name) and self.binds(root.value):
            return None
        return self.qualified_name(node)

    def _binding_type(self, scope: Scope, binding: Binding) -> ValueType:
        """The type of an assigned value, read where the assignment stands: in `x = x + y` the
        `x` on the right is the one assigned before. Worked out once per assignment."""
        if binding.known:
            return binding.value
        if self._depth >= MAX_VALUE_DEPTH:
            return None
        binding.known = True  # an assignment met again while it is worked out is unknown
        walk = self.scope, self.order
        self.scope, self.order = scope, max(binding.order - 1, 0)
        try:
            binding.value = self._source_type(binding.source)
        finally:
            self.scope, self.order = walk
        return binding.value

    def _qualified_type(self, qualified: str) -> ValueType:
        if qualified in vocabulary.LOGGER_OBJECTS:
            return Logger()
        model = self.model_named(qualified)
        return ModelClass(model) if model is not None else None

    def _source_type(self, source: object) -> ValueType:
        if isinstance(source, ModelClass | Query | Instance | Many | PII | Logger | Object):
            return source
        if isinstance(source, Column | Statement | Result):
            return source
        if isinstance(source, AnnotationOf):
            return self.annotation_type(source.annotation)
        if isinstance(source, IterationOf):
            iterated = self.type_of(source.iterable)
            if isinstance(iterated, Many | Query):
                return Instance(iterated.model)
            return None
        if isinstance(source, cst.BaseExpression):
            return self.type_of(source)
        return None

    def _attribute_type(self, node: cst.Attribute) -> ValueType:
        attr = node.attr.value
        base = self.type_of(node.value)
        if isinstance(base, ModelClass):
            if attr in vocabulary.MANAGER_ATTRIBUTES:
                return Query(base.model)
            return _class_attribute_type(base.model, attr)
        if isinstance(base, Instance):
            info = base.model.fields.get(attr)
            if info is None:
                return self._dump_attribute_type(base, attr)
            if info.pii:
                return PII(f"{base.model.name}.{attr}")
            target = self.model_named(info.target) if info.target else None
            if target is None:
                return None
            return Many(target) if info.many else Instance(target)
        if base is None and not isinstance(node.value, cst.Call):
            qualified = self.unshadowed_name(node)
            if qualified is not None:
                return self._qualified_type(qualified)
        return None

    def _call_type(self, node: cst.Call) -> ValueType:
        func = node.func
        sql = self._sql_call_type(node)
        if sql is not None:
            return sql
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            base = self.type_of(func.value)
            if isinstance(base, ModelClass) and self.index.defines(base.model.qualname, method):
                return self._declared_return(f"{base.model.qualname}.{method}")
            if isinstance(base, Query | ModelClass):
                if method in vocabulary.QUERY_RETURNING or (
                    method in vocabulary.QUERY_RETURNING_WITHOUT_ARGUMENTS and not node.args
                ):
                    return Query(base.model)
                if method in vocabulary.INSTANCE_RETURNING:
                    return Instance(base.model)
                if method in vocabulary.MANY_RETURNING:
                    return Many(base.model)
                if isinstance(base, ModelClass):  # a class method the model declares
                    return self._declared_return(f"{base.model.qualname}.{method}")
                return None
            if isinstance(base, Instance):
                if method in vocabulary.MANY_RETURNING:
                    return base  # `Model.objects.get(...).execute()` gives the one instance
                if method not in vocabulary.DUMP_METHODS:  # dumps: see _holding_call_type
                    return self._declared_return(f"{base.model.qualname}.{method}")
            if isinstance(base, Object):
                if not base.exact and self.index.overridden(base.cls, method):
                    return None  # a subclass declares it again: which one runs is unknown
                return self._declared_return(f"{base.cls}.{method}")
            if isinstance(base, PII):
                return base if method in vocabulary.PII_PRESERVING_METHODS else None
            if isinstance(base, Logger):
                return Logger() if method in vocabulary.LOGGER_METHODS else None
            if (
                isinstance(func.value, cst.SimpleString | cst.FormattedString)
                and method == "format"
            ):
                return self._first_pii(arg.value for arg in node.args)
        callee = self.type_of(func)
        if isinstance(callee, ModelClass):
            return Instance(callee.model)
        qualified = self.qualified_name(func)
        if qualified is None and isinstance(func, cst.Name):
            qualified = func.value  # a builtin
        if qualified in vocabulary.LOGGER_FACTORIES:
            return Logger()
        if qualified in vocabulary.PII_PRESERVING_FUNCTIONS and node.args:
            inner = self.type_of(node.args[0].value)
            return inner if isinstance(inner, PII) else None
        if qualified in vocabulary.MANY_FUNCTIONS and node.args:
            inner = self.type_of(node.args[0].value)
            if isinstance(inner, Query | Many):
                return Many(inner.model)
        held = self._holding_call_type(node)
        if held is not None:
            return held
        project = self.unshadowed_name(func)  # a local `recent` is not the project's `recent`
        if project is not None and self.index.class_summary(project) is not None:
            return Object(project, exact=True)  # a project class that is not a model, built
        return self._declared_return(project)

    def _declared_return(self, qualified: str | None) -> ValueType:
        """What a project function or method gives, by its declared return type (read in the
        module that declares it), worked out once per function."""
        if qualified is None:
            return None
        if qualified not in self._returns:
            self._returns[qualified] = None  # a return type that refers back to itself
            declared = self.index.declared_return(qualified)
            if declared is not None:
                module, source = declared
                reading = read_annotation(source, self._names(module))
                self._returns[qualified] = self._reading_type(reading)
        return self._returns[qualified]

    # --- values that show PII when rendered -------------------------------------------------

    def held(self, node: cst.BaseExpression) -> PII | Holding | None:
        """What of PII `node` shows when it is written out (formatted, logged, raised): a PII
        value, a value holding one, or an instance whose repr shows its PII fields."""
        found = self.type_of(node)
        if isinstance(found, PII | Holding):
            return found
        if isinstance(found, Instance) and self.index.repr_shows_pii(found.model):
            return Holding(found.model.name, whole=True)
        return None

    def _first_held(self, nodes: Iterator[cst.BaseExpression]) -> Holding | None:
        for inner in nodes:
            found = self.held(inner)
            if found is not None:
                return Holding(found.subject, whole=isinstance(found, Holding) and found.whole)
        return None

    def _container_type(self, node: cst.BaseExpression) -> ValueType:
        """A dict, list, tuple or set literal holding a PII value (also nested)."""
        if isinstance(node, cst.Dict):
            return _keyed(
                self._first_held(
                    element.value
                    for element in node.elements
                    if isinstance(element, cst.DictElement)
                )
            )
        if isinstance(node, cst.List | cst.Tuple | cst.Set):
            return self._first_held(element.value for element in node.elements)
        return None

    def _dump_attribute_type(self, base: Instance, attr: str) -> ValueType:
        """`x.__dict__`: every field's value."""
        if attr in vocabulary.DUMP_ATTRIBUTES and self.index.dump_shows_pii(
            base.model, pydantic_only=False
        ):
            return Holding(base.model.name, whole=True, keyed=True)
        return None

    def _holding_call_type(self, node: cst.Call) -> ValueType:
        """`dict(email=p)`, `x.model_dump()`, `vars(x)`, and an exception built with PII."""
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in vocabulary.DUMP_METHODS:
            base = self.type_of(func.value)
            if (
                isinstance(base, Instance)
                and _keeps_every_field(node)
                and self.index.dump_shows_pii(base.model, pydantic_only=True)
            ):
                keyed = func.attr.value in vocabulary.DUMP_MAPPING_METHODS
                return Holding(base.model.name, whole=True, keyed=keyed)
            return None
        name = self.callee_name(func)
        if name is None:
            return None
        if name in vocabulary.DUMP_FUNCTIONS and len(node.args) == 1:
            inner = self.type_of(node.args[0].value)
            if isinstance(inner, Instance) and self.index.dump_shows_pii(
                inner.model, pydantic_only=False
            ):
                keyed = name in vocabulary.DUMP_MAPPING_FUNCTIONS
                return Holding(inner.model.name, whole=True, keyed=keyed)
            return None
        if name == "builtins.dict":
            return _keyed(self._first_held(arg.value for arg in node.args))
        if name in _HOLDING_FUNCTIONS and len(node.args) == 1:
            inner = self.type_of(node.args[0].value)
            # `sorted(d)`, `list(d)` of a mapping give its keys
            return inner if isinstance(inner, Holding) and not inner.keyed else None
        if self.index.keeps_arguments(name):
            found = self._first_held(arg.value for arg in node.args)
            if found is not None:
                return Holding(found.subject, found.whole, exception=self.code(func))
        return None

    def callee_name(self, func: cst.BaseExpression) -> str | None:
        """The qualified name of a callee; `builtins.X` for a bare name that the module neither
        imports nor defines and no scope assigns."""
        qualified = self.qualified_name(func)
        if qualified is not None or not isinstance(func, cst.Name):
            return qualified
        return None if self.binds(func.value) else f"builtins.{func.value}"

    # --- SQLAlchemy, Flask-SQLAlchemy, SQLModel -------------------------------------------

    def _sql_call_type(self, node: cst.Call) -> ValueType:
        """`select(M)`, `session.query(M)`, `session.get(M, id)`, `session.scalars(q)`, ... and
        what statements, results and scalars give; None for any other call (read as before)."""
        func = node.func
        if self.qualified_name(func) in vocabulary.SELECT_FUNCTIONS:
            return self._selecting(node)
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        base = self.type_of(func.value)
        if base is None and method in vocabulary.SELECT_METHODS:
            # Flask-SQLAlchemy's `db.select(M)`: the same select, through the extension object
            selected = self._selecting(node)
            return selected if isinstance(selected, Query) else None
        if isinstance(base, Statement):
            known = vocabulary.STATEMENT_RETURNING | vocabulary.QUERY_RETURNING
            return base if method in known else None
        if isinstance(base, Query) and method in vocabulary.STATEMENT_RETURNING:
            return base
        if isinstance(base, Result):
            return _result_method_type(base, method)
        if isinstance(base, Many):
            if method in vocabulary.SCALARS_MANY_METHODS:
                return base
            return Instance(base.model) if method in vocabulary.SCALARS_ONE_METHODS else None
        if base is None:
            return self._session_call_type(node, method)
        return None

    def _selecting(self, node: cst.Call) -> ValueType:
        """A statement selecting the call's arguments: a query of M when it selects one model
        class (rows are instances of it), a statement when it selects columns or several."""
        positional = [arg.value for arg in node.args if arg.keyword is None and arg.star == ""]
        if len(positional) == 1 and len(node.args) == 1:
            selected = self.type_of(positional[0])
            if isinstance(selected, ModelClass):
                return Query(selected.model)
        return Statement()

    def _session_call_type(self, node: cst.Call, method: str) -> ValueType:
        """A method of something unknown (a session) given a model class or a query of one."""
        if method not in _SESSION_METHODS:
            return None
        if not node.args or node.args[0].keyword is not None or node.args[0].star:
            return None
        first = self.type_of(node.args[0].value)
        if method in vocabulary.SESSION_QUERY_METHODS:
            if isinstance(first, ModelClass | Column):
                return self._selecting(node)
            return None
        if method in vocabulary.SESSION_INSTANCE_METHODS:
            # `session.get(M, id)` always has the key; `mapping.get(M)` and
            # `registry.get(M, default)` are something else: the receiver must be spelled as
            # a session (`session`, `db.session`, `async_session`)
            receiver = node.func.value if isinstance(node.func, cst.Attribute) else None
            spelled = last_name(receiver).lower() if receiver is not None else ""
            if (
                isinstance(first, ModelClass)
                and len(node.args) >= 2
                and spelled.endswith(vocabulary.SESSION_NAME_ENDING)
            ):
                return Instance(first.model)
            return None
        if not isinstance(first, Query):
            return None
        if method in vocabulary.SESSION_SCALARS_METHODS:
            return Many(first.model)
        if method in vocabulary.SESSION_SCALAR_METHODS:
            return Instance(first.model)
        if method in vocabulary.SESSION_EXECUTE_METHODS:
            return Result(first.model)
        return None

    # --- annotations ----------------------------------------------------------------------

    def annotation_type(self, annotation: cst.BaseExpression) -> ValueType:
        """What a parameter or variable annotated with `annotation` is."""
        reading = read_annotation(self.code(annotation), self._names(self.summary))
        return self._reading_type(reading)

    def _names(self, module: ModuleSummary) -> Names:
        """How to read annotations written in `module`: models, and other project classes
        (whose instances are `Object`s)."""
        names = self._annotation_names.get(module.module)
        if names is None:
            names = self._annotation_names[module.module] = Names(
                qualify=lambda dotted: self.index.qualify_annotation(module, dotted),
                is_pii_type=self.index.is_pii_type,
                is_model=lambda qualified: self.index.class_summary(qualified) is not None,
            )
        return names

    def _reading_type(self, reading: Reading) -> ValueType:
        if reading.pii_value and reading.pii is not None:
            return PII(reading.pii)
        if reading.model is None or reading.ambiguous:
            return None
        model = self.model_named(reading.model)
        if model is None:
            return Object(reading.model) if reading.holds is Holds.ONE else None
        return _HOLDING[reading.holds](model) if reading.holds in _HOLDING else None


_HOLDING: dict[Holds, type[Instance | Many | ModelClass | Query]] = {
    Holds.ONE: Instance,
    Holds.MANY: Many,
    Holds.CLASS: ModelClass,
    Holds.QUERY: Query,
}


# Builtins that give a container holding what their argument holds.
def _keyed(found: Holding | None) -> Holding | None:
    return None if found is None else Holding(found.subject, found.whole, keyed=True)


_HOLDING_FUNCTIONS = frozenset(
    {"builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset", "builtins.sorted"}
)


def _keeps_every_field(node: cst.Call) -> bool:
    """A dump call whose arguments leave every field in it (`model_dump(mode="json")`)."""
    return all(
        arg.keyword is not None and arg.keyword.value in vocabulary.DUMP_KEEPING_KEYWORDS
        for arg in node.args
    )


_SESSION_METHODS = (
    vocabulary.SESSION_QUERY_METHODS
    | vocabulary.SESSION_INSTANCE_METHODS
    | vocabulary.SESSION_SCALARS_METHODS
    | vocabulary.SESSION_SCALAR_METHODS
    | vocabulary.SESSION_EXECUTE_METHODS
)


def _class_attribute_type(model: ModelInfo, attr: str) -> ValueType:
    """`M.query` (Flask-SQLAlchemy) is a query of M unless M declares a field of that name;
    `M.field` is a column."""
    if attr in model.fields:
        return Column(model, attr)
    return Query(model) if attr in vocabulary.QUERY_ATTRIBUTES else None


def _result_method_type(result: Result, method: str) -> ValueType:
    """`.scalars()` of a result gives its model's instances, `.scalar_one()` one of them."""
    if method in vocabulary.RESULT_SCALARS_METHODS:
        return Many(result.model)
    if method in vocabulary.RESULT_SCALAR_METHODS:
        return Instance(result.model)
    return result if method in vocabulary.RESULT_RETURNING else None


def _order(binding: Binding) -> int:
    return binding.order


def dotted_name(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a chain of names and attributes; None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base is not None else None
    return None


def last_name(node: cst.BaseExpression) -> str:
    """The name a callee is spelled with last: `Q` for `Q` and for `models.Q`; "" otherwise."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return ""


def _operands(node: cst.BinaryOperation) -> Iterator[cst.BaseExpression]:
    """Both sides, and the elements of a tuple side (`"%s %s" % (a, b)`). A side that is itself
    a sum is one operand: its type is worked out (once) on its own, so a long sum stays linear."""
    for side in (node.left, node.right):
        if isinstance(side, cst.Tuple):
            yield from (element.value for element in side.elements)
        else:
            yield side
