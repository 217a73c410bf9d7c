"""flake8 entry point: the PIIChecker plugin class, nothing else."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pii_guard import __version__


class PIIChecker:
    """flake8 plugin that reports PII misuse (codes PII001-PII005)."""

    name = "flake8-pii"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str = "stdin") -> None:
        self._tree = tree
        self._filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type[PIIChecker]]]:
        return iter(())
