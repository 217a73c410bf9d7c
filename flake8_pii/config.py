"""[tool.pii_guard] settings: what counts as PII, as a log call, as a query; what to skip."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flake8_pii import vocabulary

DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".eggs",
    "__pycache__",
    "node_modules",
    "build",
    "dist",
    "site-packages",
    ".pii_guard_cache",
)


class ConfigError(Exception):
    """A configuration file is not valid; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    """What the analyzer treats as PII types, log calls and queries, and what it skips."""

    pii_types: frozenset[str] = vocabulary.PII_TYPES
    query_methods: frozenset[str] = vocabulary.QUERY_METHODS
    ordering_methods: frozenset[str] = vocabulary.ORDERING_METHODS
    logger_names: frozenset[str] = vocabulary.LOGGER_NAMES
    log_sinks: frozenset[str] = vocabulary.LOG_SINKS
    exclude: tuple[str, ...] = ()
    source: str = field(default="defaults", compare=False)

    def digest(self) -> str:
        """Identifies the settings in cache keys: findings depend on them."""
        text = repr(
            (
                sorted(self.pii_types),
                sorted(self.query_methods),
                sorted(self.ordering_methods),
                sorted(self.logger_names),
                sorted(self.log_sinks),
                self.exclude,
            )
        )
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def extended(
        self,
        pii_types: Iterable[str] = (),
        query_methods: Iterable[str] = (),
        ordering_methods: Iterable[str] = (),
        logger_names: Iterable[str] = (),
        log_sinks: Iterable[str] = (),
        exclude: Iterable[str] = (),
    ) -> Settings:
        return replace(
            self,
            pii_types=self.pii_types | frozenset(pii_types),
            query_methods=self.query_methods | frozenset(query_methods),
            ordering_methods=self.ordering_methods | frozenset(ordering_methods),
            logger_names=self.logger_names | frozenset(logger_names),
            log_sinks=self.log_sinks | frozenset(log_sinks),
            exclude=(*self.exclude, *exclude),
        )


# key in [tool.pii_guard] -> the Settings.extended argument it adds to
KEYS: Mapping[str, str] = {
    "extra-pii-types": "pii_types",
    "extra-query-methods": "query_methods",
    "extra-ordering-methods": "ordering_methods",
    "extra-logger-names": "logger_names",
    "extra-log-sinks": "log_sinks",
    "exclude": "exclude",
}


@dataclass(frozen=True)
class Flake8Option:
    """A flake8 option that adds to one setting, as its [tool.pii_guard] key does."""

    option: str  # `--pii-extra-types`
    key: str  # the [tool.pii_guard] key it adds to
    help: str

    @property
    def setting(self) -> str:
        return KEYS[self.key]


# flake8 has its own `--exclude`; every other key has an option.
FLAKE8_OPTIONS = (
    Flake8Option("--pii-extra-types", "extra-pii-types", "qualified names of more PII types"),
    Flake8Option(
        "--pii-extra-log-sinks", "extra-log-sinks", "qualified names of more functions that log"
    ),
    Flake8Option(
        "--pii-extra-logger-names", "extra-logger-names", "more variable names holding a logger"
    ),
    Flake8Option(
        "--pii-extra-query-methods",
        "extra-query-methods",
        "more query methods whose keywords are lookups",
    ),
    Flake8Option(
        "--pii-extra-ordering-methods",
        "extra-ordering-methods",
        "more query methods whose string arguments are orderings",
    ),
)


# The table's name, and the spelling after the command's name, which is read the same way.
TABLE, TABLE_ALIAS = "pii_guard", "pii-guard"


def load_settings(root: Path) -> Settings:
    """Settings from `root/pyproject.toml` (defaults when it has no [tool.pii_guard]).

    `[tool.pii-guard]` is read as `[tool.pii_guard]`; a file with both is an error.
    """
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return Settings()
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{pyproject}: not valid TOML: {error}") from None
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{pyproject} [tool]: must be a table")
    found = [name for name in (TABLE, TABLE_ALIAS) if name in tool]
    if not found:
        return Settings()
    if len(found) == 2:
        raise ConfigError(
            f"{pyproject}: both [tool.{TABLE}] and [tool.{TABLE_ALIAS}]; "
            f"keep one (they are read the same way)"
        )
    (name,) = found
    return settings_from_table(tool[name], f"{pyproject} [tool.{name}]")


def settings_from_table(table: Any, where: str) -> Settings:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(KEYS))}"
        )
    additions: dict[str, list[str]] = {}
    for key, value in table.items():
        if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            raise ConfigError(f"{where}: {key!r} must be a list of strings")
        additions[KEYS[key]] = value
    return Settings(source=where).extended(**additions)
