"""flake8 entry point: the PIIChecker plugin class, nothing else."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version

from flake8_pii.engine import check_source, load_project

try:
    __version__ = version("pii-guard")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"


class PIIChecker:
    """flake8 plugin that reports PII misuse (codes PII001-PII005).

    It analyses the text flake8 hands it (`lines`), not the file on disk, and finds the project
    from `filename`, which is the display name when flake8 reads standard input: so editors that
    lint unsaved buffers get findings for what is on screen.
    """

    name = "flake8-pii"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        # Load the project's configuration here: flake8 reports errors raised by the constructor
        # as a clear "critical error" naming the plugin, rather than as a traceback.
        load_project(filename)
        self._tree = tree
        self._filename = filename
        self._lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type[PIIChecker]]]:
        try:
            result = check_source(self._filename, "".join(self._lines), tree=self._tree)
        except Exception as error:  # one file the analyzer trips on must not stop the run
            print(f"{self._filename}: pii-guard internal error, file skipped "
                  f"({type(error).__name__}: {error}); please report it", file=sys.stderr)
            return
        if result.failure is not None:
            # flake8 reports syntax errors itself (E999); this only happens when libcst and ast
            # disagree, which the user should hear about once, without stopping the run.
            failure = result.failure
            print(f"{failure.path}:{failure.line}:{failure.column}: pii-guard skipped this "
                  f"file: {failure.message}", file=sys.stderr)
        for finding in result.findings:
            yield finding.line, finding.column - 1, finding.message, type(self)
