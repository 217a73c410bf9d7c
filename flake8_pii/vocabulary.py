"""The ORM, typing and logging names the analyzer understands: one table, read by every pass.

A name added here is understood everywhere at once (the index, the type pass and the rules), and
it changes the analyzer's digest, so cached findings made without it are not reused.
Settings (`[tool.pii_guard]`, `--pii-extra-*`) add to the sets marked as extendable.
"""

from __future__ import annotations

# --- PII and lookup declarations -----------------------------------------------------------

# Types that mark a field as PII (extendable: `extra-pii-types`).
PII_TYPES = frozenset(
    {
        "pii_guard.PIIStr",
        "pii_guard.types.PIIStr",
        "amsdal.models.PIIStr",
        "amsdal_models.classes.fields.pii.PIIStr",
    }
)
# A field whose default calls one of these declares a lookup (blind index) of the PII field the
# call names: `email_lookup: Lookup = lookup_of("email", normalizer="email")`.
LOOKUP_DECLARERS = frozenset(
    {"pii_guard.lookup_of", "pii_guard.lookups.lookup_of", "pii_guard.sqlalchemy.lookup_column"}
)
# A field annotated with this type holds a lookup value: a keyed hash, never PII.
LOOKUP_TYPES = frozenset({"pii_guard.Lookup", "pii_guard.lookups.Lookup"})
# Class attributes that declare keys and uniqueness on a model.
KEY_DECLARATIONS = ("__primary_key__", "__constraints__")
UNIQUE_CONSTRAINT_NAMES = frozenset({"UniqueConstraint"})

# --- annotations ---------------------------------------------------------------------------

# Subscripted types that stand for their arguments: `Optional[M]` is an M (for `Annotated`,
# only the first argument is the type).
WRAPPER_ANNOTATIONS = frozenset(
    {"Optional", "Union", "Annotated", "Required", "NotRequired", "Final", "ClassVar", "Mapped"}
)
# Subscripted types that hold many of their first argument: `list[M]` is many M.
CONTAINER_ANNOTATIONS = frozenset(
    {"list", "List", "Sequence", "Iterable", "Iterator", "set", "Set", "frozenset",
     "FrozenSet", "tuple", "Tuple", "Collection", "MutableSequence", "AsyncIterator",
     "AsyncIterable", "Generator", "AsyncGenerator", "Reversible"}
)  # fmt: skip
# Tuples: many of their argument only when written `tuple[M, ...]`.
TUPLE_ANNOTATIONS = frozenset({"tuple", "Tuple"})
# Subscripted types whose argument is the class itself: `type[M]`.
CLASS_ANNOTATIONS = frozenset({"type", "Type"})
# Subscripted types that are a query of their argument, by the end of their name:
# `QuerySet[M]`, `Query[M]`.
QUERY_ANNOTATION_SUFFIXES = ("QuerySet", "Query")

# --- queries -------------------------------------------------------------------------------

# Methods of a query (or of a model's manager) whose keyword arguments are field lookups
# (extendable: `extra-query-methods`).
QUERY_METHODS = frozenset(
    {
        "filter", "exclude", "get", "get_or_none", "aget", "aget_or_none", "get_or_create",
        "aget_or_create", "update_or_create", "aupdate_or_create", "filter_by",
    }
)  # fmt: skip
# Methods whose string arguments are orderings (`'-email'`) (extendable: `extra-ordering-methods`).
ORDERING_METHODS = frozenset(
    {"order_by", "aorder_by", "latest", "earliest", "alatest", "aearliest"}
)
# Calls whose keyword arguments are lookups combined into a filter: `Q(email=...)`.
Q_NAMES = frozenset({"Q"})
# The attribute of a model class that is its query: `M.objects`.
MANAGER_ATTRIBUTES = frozenset({"objects"})
# Methods of a query that give a query of the same model.
QUERY_RETURNING = frozenset(
    {
        "filter", "exclude", "order_by", "all", "distinct", "select_related",
        "prefetch_related", "only", "defer", "using", "annotate", "reverse", "none",
        "latest_by", "limit", "offset", "where", "filter_by", "query", "decrypt_pii",
    }
)  # fmt: skip
# Methods of a query that give a query when called without arguments (AMSDAL's `latest()`, the
# latest version of each object) and one instance with them (`latest("created")`).
QUERY_RETURNING_WITHOUT_ARGUMENTS = frozenset({"latest", "earliest"})
# Methods of a query that give one instance of its model.
INSTANCE_RETURNING = frozenset(
    {
        "get", "get_or_none", "first", "last", "latest", "earliest", "one", "one_or_none",
        "aget", "aget_or_none", "afirst", "alast", "alatest", "aearliest", "create", "acreate",
    }
)  # fmt: skip
# Methods of a query that give many instances of its model.
MANY_RETURNING = frozenset({"execute", "aexecute", "fetch", "fetch_all", "to_list"})
# Methods that change a dict, list or set in place: a literal kept in a name is no longer known.
MUTATING_METHODS = frozenset(
    {"pop", "popitem", "update", "setdefault", "clear", "append", "extend", "insert", "remove",
     "add", "discard", "__setitem__", "__delitem__", "sort", "reverse"}
)  # fmt: skip
# Builtins that turn a query into many instances.
MANY_FUNCTIONS = frozenset({"list", "tuple", "sorted"})

# --- PII values ----------------------------------------------------------------------------

# Methods of a string that give a string still identifying the person.
PII_PRESERVING_METHODS = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "title", "casefold", "capitalize",
     "swapcase", "encode", "format_map", "zfill", "center", "ljust", "rjust", "expandtabs",
     "format"}
)  # fmt: skip
# Functions that give their first argument back as text.
PII_PRESERVING_FUNCTIONS = frozenset({"str", "repr", "format", "ascii"})
# Methods of a string whose arguments end up in it: `'{}'.format(p)`, `', '.join(ps)`.
FORMATTING_METHODS = frozenset({"format", "join"})

# --- logging -------------------------------------------------------------------------------

# Calls that give a logger.
LOGGER_FACTORIES = frozenset(
    {
        "logging.getLogger",
        "logging.getLoggerClass",
        "logging.LoggerAdapter",
        "structlog.get_logger",
        "structlog.getLogger",
        "structlog.wrap_logger",
        "structlog.stdlib.get_logger",
        "loguru.logger.bind",
        "loguru.logger.opt",
        "loguru.logger.patch",
    }
)
# Objects that are loggers.
LOGGER_OBJECTS = frozenset({"loguru.logger", "logging.root"})
# Methods of a logger that give a logger.
LOGGER_METHODS = frozenset({"bind", "new", "opt", "patch", "getChild", "with_fields"})
# Methods of a logger that write a line.
LOG_METHODS = frozenset(
    {
        "debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log",
        "msg", "trace", "success", "ainfo", "adebug", "awarning", "aerror", "aexception",
        "acritical",
    }
)  # fmt: skip
# Modules whose functions of the same names log: `logging.info(...)`.
LOGGING_MODULES = frozenset({"logging", "structlog", "loguru", "loguru.logger"})
# Names that hold a logger by convention, besides values the analyzer sees come from a logger
# factory (extendable: `extra-logger-names`).
LOGGER_NAMES = frozenset({"logger", "log", "_logger", "_log", "LOGGER", "LOG"})
# Functions that write their arguments to a log or the console (extendable: `extra-log-sinks`).
LOG_SINKS = frozenset({"print", "pprint.pprint", "warnings.warn"})
# Methods of a logger that attach their keyword arguments to every later line it writes:
# `log.bind(email=...)` (structlog, loguru), `log.new(...)` (structlog), and loguru's
# `logger.contextualize(...)`.
LOGGER_BINDING_METHODS = frozenset({"bind", "new", "contextualize"})
# Functions that attach their keyword arguments to every later line of the context.
LOG_BINDING_FUNCTIONS = frozenset(
    {
        "structlog.contextvars.bind_contextvars",
        "structlog.threadlocal.bind_threadlocal",
    }
)

# --- how a model instance renders ----------------------------------------------------------

# Bases whose `repr` and `str` mask PII fields: a model inheriting from one of them (through any
# chain of project classes) may be logged whole.
PII_MASKING_BASES = frozenset({"pii_guard.PIIModel", "pii_guard.models.PIIModel"})
# Bases whose `repr` and `str` show every field as `name=value`, and whose dump methods give
# every field's value.
FIELD_SHOWING_BASES = frozenset(
    {
        "pydantic.BaseModel",
        "pydantic.main.BaseModel",
        "sqlmodel.SQLModel",
        "sqlmodel.main.SQLModel",
        *PII_MASKING_BASES,
    }
)
# Bases that add nothing to how an instance renders.
NEUTRAL_BASES = frozenset(
    {"builtins.object", "typing.Generic", "abc.ABC", "typing_extensions.Generic"}
)
# Class decorators that write a `repr` showing every field (unless given `repr=False`).
DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass", "pydantic.dataclasses.dataclass"})
# Methods that change how an instance renders; a class defining one renders in a way the
# analyzer cannot see.
RENDERING_METHODS = frozenset(
    {"__repr__", "__str__", "__format__", "__repr_args__", "__repr_str__", "__rich_repr__",
     "__pretty__", "__getattribute__", "__getattr__"}
)  # fmt: skip
# Method decorators that change what a dump holds (by the end of their name).
SERIALIZER_DECORATORS = frozenset({"field_serializer", "model_serializer", "computed_field"})
# Methods of a pydantic model that give every field's value (plaintext PII included, also on a
# PIIModel), and the keyword arguments that leave the set of fields as it is.
DUMP_METHODS = frozenset({"model_dump", "model_dump_json", "dict", "json"})
DUMP_KEEPING_KEYWORDS = frozenset(
    {"mode", "by_alias", "round_trip", "warnings", "indent", "serialize_as_any", "ensure_ascii"}
)
# The dump methods and functions whose result is a mapping (iterating it gives field names).
DUMP_MAPPING_METHODS = frozenset({"model_dump", "dict"})
DUMP_MAPPING_FUNCTIONS = frozenset({"builtins.vars", "dataclasses.asdict"})
# Functions that give every field's value of their argument: `vars(x)`, `dataclasses.asdict(x)`.
DUMP_FUNCTIONS = frozenset({"builtins.vars", "dataclasses.asdict", "dataclasses.astuple"})
# The attribute that holds every field's value.
DUMP_ATTRIBUTES = frozenset({"__dict__"})

# --- exceptions ----------------------------------------------------------------------------

# Builtin exceptions: their arguments are their message, shown in tracebacks and by `str`.
BUILTIN_EXCEPTIONS = frozenset(
    f"builtins.{name}"
    for name in (
        "Exception", "BaseException", "ArithmeticError", "AssertionError", "AttributeError",
        "BufferError", "EOFError", "ImportError", "LookupError", "IndexError", "KeyError",
        "MemoryError", "NameError", "NotImplementedError", "OSError", "IOError",
        "EnvironmentError", "OverflowError", "PermissionError", "FileNotFoundError",
        "FileExistsError", "ConnectionError", "TimeoutError", "RecursionError",
        "ReferenceError", "RuntimeError", "StopIteration", "SyntaxError", "SystemError",
        "TypeError", "ValueError", "UnicodeError", "ZeroDivisionError", "ProcessLookupError",
        "ChildProcessError", "InterruptedError", "IsADirectoryError", "NotADirectoryError",
        "BlockingIOError", "BrokenPipeError", "ConnectionAbortedError",
        "ConnectionRefusedError", "ConnectionResetError", "FloatingPointError",
        "ModuleNotFoundError", "UnboundLocalError", "Warning", "UserWarning",
        "RuntimeWarning", "DeprecationWarning",
    )
)  # fmt: skip
# Library exceptions that keep every argument, positional or keyword, in their message or in
# the response they become (`HTTPException(404, detail=...)`).
ARGUMENT_KEEPING_EXCEPTIONS = frozenset(
    {"fastapi.HTTPException", "fastapi.exceptions.HTTPException",
     "starlette.exceptions.HTTPException"}
)  # fmt: skip
# Methods that, defined on an exception class, may change what its arguments become.
EXCEPTION_CONSTRUCTORS = frozenset({"__init__", "__new__", "__str__", "__repr__", "__reduce__"})

# --- SQLAlchemy 2.0 / 1.x, Flask-SQLAlchemy, SQLModel --------------------------------------

# Column types whose columns hold PII: `mapped_column(PIIString(400))`, `Column(PIIString)`.
PII_COLUMN_TYPES = frozenset({"pii_guard.sqlalchemy.PIIString"})
# Calls that declare a column when a class attribute is assigned one, by the name they are
# called with last (`Column`, `sa.Column`, Flask-SQLAlchemy's `db.Column`, `mapped_column`).
COLUMN_DECLARERS = frozenset({"Column", "mapped_column"})
# SQLModel's field declaration, whose `primary_key=` and `unique=` declare keys like a column's.
FIELD_DECLARERS = frozenset({"sqlmodel.Field", "sqlmodel.main.Field"})
# Functions that build a SELECT statement: `select(M)` is a query of M.
SELECT_FUNCTIONS = frozenset(
    {
        "sqlalchemy.select", "sqlalchemy.future.select", "sqlalchemy.sql.select",
        "sqlalchemy.sql.expression.select", "sqlmodel.select", "sqlmodel.sql.expression.select",
    }
)  # fmt: skip
# Methods of an extension object that build a SELECT statement, given one model class:
# Flask-SQLAlchemy's `db.select(M)`.
SELECT_METHODS = frozenset({"select"})
# The attribute of a model class that is its query (Flask-SQLAlchemy): `M.query`.
QUERY_ATTRIBUTES = frozenset({"query"})
# Methods of a session that give a query of the model they are given: `session.query(M)`.
SESSION_QUERY_METHODS = frozenset({"query"})
# How a session's name ends (`session`, `db.session`, `async_session`): `get(M, key)` is read as
# a session's only on such a name, since `registry.get(M, default)` is a mapping's.
SESSION_NAME_ENDING = "session"
# Methods of a session that give one instance of the model given first: `session.get(M, 1)`.
SESSION_INSTANCE_METHODS = frozenset({"get", "get_one"})
# Methods of a session that run a statement: what they give, by what they give.
# many instances: `session.scalars(select(M))`, SQLModel's `session.exec(select(M))`
SESSION_SCALARS_METHODS = frozenset({"scalars", "exec"})
SESSION_SCALAR_METHODS = frozenset({"scalar"})  # one instance: `session.scalar(select(M))`
SESSION_EXECUTE_METHODS = frozenset({"execute"})  # a result of rows
# Methods of a SELECT statement that give a statement selecting the same thing.
STATEMENT_RETURNING = frozenset(
    {
        "where", "filter", "filter_by", "order_by", "join", "outerjoin", "join_from",
        "select_from", "group_by", "having", "limit", "offset", "distinct", "options",
        "execution_options", "with_for_update", "correlate", "params", "enable_assertions",
    }
)  # fmt: skip
# Methods of a result of rows (`session.execute(...)`) that give its first column's values.
RESULT_SCALARS_METHODS = frozenset({"scalars"})
# Methods of a result of rows that give one value of its first column.
RESULT_SCALAR_METHODS = frozenset({"scalar", "scalar_one", "scalar_one_or_none"})
# Methods of a result of rows that give the same result.
RESULT_RETURNING = frozenset({"unique", "yield_per", "execution_options"})
# Methods of many instances from a result (`session.scalars(...)`) that give many of them.
SCALARS_MANY_METHODS = frozenset({"all", "unique", "fetchall", "fetchmany", "yield_per"})
# Methods of many instances from a result that give one of them.
SCALARS_ONE_METHODS = frozenset({"first", "one", "one_or_none"})
# Methods of a query whose positional arguments are SQL expressions that filter rows.
EXPRESSION_FILTER_METHODS = frozenset({"where", "filter", "having"})
# Methods of a column that compare it with a value (a PII column compared is a filter that never
# matches); `is_(None)` and `isnot(None)` test presence, which ciphertext keeps, and are left out.
COMPARISON_METHODS = frozenset(
    {
        "in_", "not_in", "notin_", "like", "ilike", "not_like", "notlike", "not_ilike",
        "notilike", "startswith", "endswith", "contains", "istartswith", "iendswith",
        "icontains", "between", "match", "regexp_match", "is_distinct_from",
        "is_not_distinct_from", "isnot_distinct_from",
    }
)  # fmt: skip
# Functions combining SQL conditions: their arguments are conditions too.
CONDITION_COMBINERS = frozenset({"and_", "or_", "not_"})
# Methods of a column, and functions of one, that give an ordering of it: `M.email.desc()`.
ORDERING_MODIFIERS = frozenset(
    {"desc", "asc", "nulls_first", "nulls_last", "nullsfirst", "nullslast"}
)
# Calls that declare an index or a unique constraint, by the name they are called with last.
INDEX_NAMES = frozenset({"Index"})
# The class attribute of a declarative model that holds its constraints and indexes.
TABLE_ARGS = "__table_args__"
