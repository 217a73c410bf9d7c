"""flake8 entry point: the PIIChecker plugin class, nothing else."""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, ClassVar

# Read from the installed distribution, not imported from `pii_guard`: flake8 loads this class
# on every run, and the runtime package brings pydantic and the cryptors with it.
try:
    __version__ = version("flake8-pii-guard")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"


class PIIChecker:
    """flake8 plugin that reports PII misuse: every code the engine gives
    (`flake8_pii.findings.RULES`), under the `PII` prefix it is registered with.

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
        from flake8_pii.config import ConfigError
        from flake8_pii.session import project_for_file

        self._filename = filename
        self._lines = lines
        self._path = Path(filename if filename not in ("stdin", "-") else "stdin.py")
        # A broken [tool.pii_guard] must not stop flake8 (an editor would lose every other
        # plugin's findings too): run() reports it, once, and checks nothing in that project.
        self._config_error: str | None = None
        try:
            self._root, self._settings = project_for_file(self._path, self.extra)
        except ConfigError as error:
            self._config_error = str(error)

    @classmethod
    def add_options(cls, manager: Any) -> None:
        from flake8_pii.config import FLAKE8_OPTIONS

        for option in FLAKE8_OPTIONS:
            manager.add_option(
                option.option,
                default="",
                parse_from_config=True,
                comma_separated_list=True,
                help=f"pii-guard: {option.help} (added to [tool.pii_guard] in pyproject.toml)",
            )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        from flake8_pii.once import start_run

        start_run()
        from flake8_pii.config import FLAKE8_OPTIONS

        cls.extra = {
            option.setting: list(getattr(options, _destination(option.option)) or ())
            for option in FLAKE8_OPTIONS
        }

    def run(self) -> Iterator[tuple[int, int, str, type[PIIChecker]]]:
        from flake8_pii.session import project_index

        if self._config_error is not None:
            from flake8_pii.findings import config_error_message
            from flake8_pii.once import first_time

            message = config_error_message(self._config_error)
            if first_time(message):
                yield 1, 0, message, type(self)
            return
        text = "".join(self._lines)
        try:
            index = project_index(self._root, self._settings)
            if not index.mentions_pii(text):
                # most files of most projects: done before the full pass is even imported
                return
            from flake8_pii.engine import analyse_source

            result = analyse_source(text, str(self._path), index)
            findings, error = result.findings, result.error
        except Exception as failure:  # flake8 stops its whole run when a plugin raises
            from flake8_pii.runner import internal_error

            findings, error = (), internal_error(failure)
        if error is not None:
            # flake8 has parsed the file, so this is a limit of pii-guard's own analysis; a
            # finding too, so that a run gated on flake8 fails rather than pass an unchecked file
            from flake8_pii.findings import NOT_ANALYSED, RULES

            print(f"{self._filename}: pii-guard cannot analyse: {error}", file=sys.stderr)
            message = RULES[NOT_ANALYSED].message(reason=error)
            yield _line_without_noqa(self._lines), 0, message, type(self)
        for finding in findings:
            yield finding.line, finding.column - 1, finding.message, type(self)


def _line_without_noqa(lines: Sequence[str]) -> int:
    """Line 1, or the first line after it that flake8 reads no `# noqa` on (flake8 looks for
    one anywhere in the line): a comment about one line must not hide that the whole file went
    unchecked."""
    from flake8_pii.noqa import NOQA

    for number, line in enumerate(lines, start=1):
        if NOQA.search(line) is None:
            return number
    return 1


def _destination(option: str) -> str:
    """Where argparse keeps an option's value: `--pii-extra-types` -> `pii_extra_types`."""
    return option.lstrip("-").replace("-", "_")
