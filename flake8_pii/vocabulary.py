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
