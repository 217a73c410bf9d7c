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
# Methods whose string arguments are orderings (`'-email'`).
ORDERING_METHODS = frozenset({"order_by", "aorder_by"})
# Calls whose keyword arguments are lookups combined into a filter: `Q(email=...)`.
Q_NAMES = frozenset({"Q"})
# The attribute of a model class that is its query: `M.objects`.
MANAGER_ATTRIBUTES = frozenset({"objects"})
# Methods of a query that give a query of the same model.
QUERY_RETURNING = frozenset(
    {
        "filter", "exclude", "order_by", "all", "distinct", "select_related",
        "prefetch_related", "only", "defer", "using", "annotate", "reverse", "none",
        "latest_by", "limit", "offset", "where", "filter_by", "query",
    }
)  # fmt: skip
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
# The attribute of a model class that is its query (Flask-SQLAlchemy): `M.query`.
QUERY_ATTRIBUTES = frozenset({"query"})
# Methods of a session that give a query of the model they are given: `session.query(M)`.
SESSION_QUERY_METHODS = frozenset({"query"})
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
