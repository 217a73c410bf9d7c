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
