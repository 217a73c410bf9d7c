"""The analyzer's settings: defaults plus `[tool.pii_guard]` of the project's pyproject.toml."""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pii_guard.errors import PIIGuardError

BUILTIN_PII_TYPES = frozenset(
    {
        "pii_guard.PIIStr",
        "pii_guard.types.PIIStr",
        "amsdal.models.PIIStr",
        "amsdal_models.classes.fields.pii.PIIStr",
    }
)
# Lookup-taking query methods: their keyword arguments are field paths.
BUILTIN_QUERY_METHODS = frozenset(
    {"filter", "exclude", "get", "get_or_none", "get_or_create", "update_or_create"}
)
# Methods whose positional string arguments name fields to order by.
BUILTIN_ORDERING_METHODS = frozenset({"order_by", "latest", "earliest"})
# Names a logger is conventionally kept under, when its origin cannot be seen.
BUILTIN_LOGGER_NAMES = frozenset({"logger", "log", "_logger", "_log", "LOGGER", "LOG"})

PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")


class ConfigError(PIIGuardError):
    """`[tool.pii_guard]` has an unknown key or a value of the wrong type."""


@dataclass(frozen=True)
class Config:
    pii_types: frozenset[str] = BUILTIN_PII_TYPES
    log_sinks: frozenset[str] = frozenset()
    logger_names: frozenset[str] = BUILTIN_LOGGER_NAMES
    query_methods: frozenset[str] = BUILTIN_QUERY_METHODS
    ordering_methods: frozenset[str] = BUILTIN_ORDERING_METHODS
    exclude: tuple[str, ...] = ()

    def is_excluded(self, relative_path: str) -> bool:
        """True when a path relative to the project root matches an `exclude` pattern."""
        posix = PurePosixPath(relative_path)
        for pattern in self.exclude:
            stripped = pattern.rstrip("/")
            if fnmatch.fnmatch(posix.as_posix(), stripped) or any(
                fnmatch.fnmatch(parent.as_posix(), stripped) for parent in posix.parents
            ):
                return True
        return False


# key -> (Config attribute, what it holds, whether it extends a built-in default)
_LIST_KEYS: dict[str, tuple[str, str]] = {
    "pii-types": ("pii_types", "qualified names of extra PII types, e.g. \"myapp.types.Email\""),
    "log-sinks": ("log_sinks", "qualified names of extra log functions, e.g. \"myapp.audit.emit\""),
    "logger-names": ("logger_names", "extra variable names that hold a logger"),
    "query-methods": ("query_methods", "extra lookup-taking query method names"),
    "ordering-methods": ("ordering_methods", "extra ordering method names"),
    "exclude": ("exclude", "glob patterns of paths, relative to the project root"),
}
KNOWN_KEYS = tuple(_LIST_KEYS)


def find_project_root(path: Path) -> Path:
    """The nearest folder at or above `path` holding pyproject.toml, setup.cfg or .git."""
    start = path if path.is_dir() else path.parent
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return start


def load_config(root: Path) -> Config:
    """Read `[tool.pii_guard]` from `root/pyproject.toml`; defaults when there is none."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return Config()
    try:
        with open(pyproject, "rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{pyproject}: not valid TOML: {error}") from None
    section = document.get("tool", {}).get("pii_guard", {})
    return config_from_mapping(section, source=f"{pyproject} [tool.pii_guard]")


def config_from_mapping(section: Any, source: str = "[tool.pii_guard]") -> Config:
    if not isinstance(section, dict):
        raise ConfigError(f"{source}: expected a table of settings")
    unknown = sorted(set(section) - set(_LIST_KEYS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown key {', '.join(map(repr, unknown))}; "
            f"known keys are {', '.join(KNOWN_KEYS)}"
        )
    defaults = Config()
    values: dict[str, Any] = {}
    for key, (attribute, meaning) in _LIST_KEYS.items():
        if key not in section:
            continue
        raw = section[key]
        if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
            raise ConfigError(
                f"{source}: {key} must be a list of non-empty strings ({meaning}), "
                f"got {type(raw).__name__}"
            )
        if attribute == "exclude":
            values[attribute] = tuple(raw)
        else:
            values[attribute] = getattr(defaults, attribute) | frozenset(raw)
    return Config(**values)
