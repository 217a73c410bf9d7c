"""Checks files and folders: finds their projects, loads settings and indexes, runs the engine."""

from __future__ import annotations

import io
import os
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flake8_pii.config import Settings, load_settings
from flake8_pii.engine import analyse_source
from flake8_pii.findings import Finding
from flake8_pii.index import project_index
from flake8_pii.project import find_root, python_files


@dataclass(frozen=True)
class FileError:
    """A file that could not be analysed, and why (never its content)."""

    path: str
    message: str


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: int = 0


def discover(paths: Sequence[str]) -> list[tuple[str, Path]]:
    """(display path, root) for every Python file named or found below the paths given.

    Display paths are spelled as flake8 spells them: joined onto the argument as given.
    """
    found: list[tuple[str, Path]] = []
    settings_by_root: dict[Path, Settings] = {}
    for argument in paths:
        top = Path(argument)
        if not top.exists():
            raise FileNotFoundError(argument)
        root = find_root(top)
        settings = settings_by_root.setdefault(root, load_settings(root))
        if top.is_file():
            found.append((argument, root))
            continue
        for path in python_files(top.resolve(), root, settings.exclude):
            relative = path.relative_to(top.resolve())
            found.append((os.path.join(argument, *relative.parts), find_root(path)))
    return found


def read_source(path: str) -> str:
    """The text of a Python file in its declared encoding (PEP 263), universal newlines."""
    data = Path(path).read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")


def check_paths(paths: Sequence[str], use_cache: bool = True) -> RunResult:
    """Findings and unreadable files for every Python file under `paths`.

    Raises ConfigError for a broken [tool.pii_guard] and FileNotFoundError for a missing path.
    """
    result = RunResult()
    settings_by_root: dict[Path, Settings] = {}
    for display, root in discover(paths):
        if root not in settings_by_root:
            settings_by_root[root] = load_settings(root)
        result.files += 1
        try:
            text = read_source(display)
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as error:
            reason = error.strerror if isinstance(error, OSError) else type(error).__name__
            result.errors.append(FileError(display, f"cannot read the file: {reason}"))
            continue
        index = project_index(root, settings_by_root[root], use_cache=use_cache)
        analysed = analyse_source(
            text, display, index, use_cache=use_cache, check_syntax=True, report_unused_noqa=True
        )
        if analysed.error is not None:
            result.errors.append(FileError(display, analysed.error))
        result.findings.extend(analysed.findings)
    result.findings.sort(key=lambda f: (f.path, f.line, f.column, f.code))
    return result
