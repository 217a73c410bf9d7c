"""flake8 entry point: the PIIChecker plugin class, nothing else."""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pii_guard import __version__


class PIIChecker:
    """flake8 plugin that reports PII misuse (codes PII001-PII005).

    It analyses the text flake8 hands it (`lines`), not the file on disk, and finds the project
    from the file name, so editors that lint an unsaved buffer over standard input with
    `--stdin-display-name` get findings for what is on screen.

    It does not report unused noqa codes (PII100): under flake8, noqa is flake8's to apply and
    judge, after the plugin has returned and with options the plugin never sees
    (`--disable-noqa`, per-file ignores), and every code of every plugin shares one comment, so
    a tool-wide checker is the place for it. `pii-guard check` reports PII100.
    """

    name = "flake8-pii"
    version = __version__
    extra: ClassVar[dict[str, list[str]]] = {}

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self._filename = filename
        self._lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        for option, what in (
            ("--pii-extra-types", "qualified names of more PII types"),
            ("--pii-extra-log-sinks", "qualified names of more functions that write logs"),
            ("--pii-extra-logger-names", "more variable names that hold a logger"),
            ("--pii-extra-query-methods", "more query methods whose keywords are lookups"),
        ):
            manager.add_option(
                option,
                default="",
                parse_from_config=True,
                comma_separated_list=True,
                help=f"pii-guard: {what} (added to [tool.pii_guard] in pyproject.toml)",
            )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        cls.extra = {
            "pii_types": list(options.pii_extra_types or ()),
            "log_sinks": list(options.pii_extra_log_sinks or ()),
            "logger_names": list(options.pii_extra_logger_names or ()),
            "query_methods": list(options.pii_extra_query_methods or ()),
        }

    def run(self) -> Iterator[tuple[int, int, str, type[PIIChecker]]]:
        # Imported here, and the full pass only for modules that can lead to PII: flake8 loads
        # every plugin on every run, and most files of most projects never touch PII.
        from flake8_pii.index import index_for_file

        path = Path(self._filename if self._filename not in ("stdin", "-") else "stdin.py")
        index = index_for_file(path, self.extra)
        text = "".join(self._lines)
        if not index.mentions_pii(text):
            return
        from flake8_pii.engine import analyse_source

        for finding in analyse_source(text, str(path), index).findings:
            yield finding.line, finding.column - 1, finding.message, type(self)
