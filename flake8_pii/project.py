"""Where a project starts and which of its files are Python modules, with their module names."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from flake8_pii.config import DEFAULT_EXCLUDE

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")


def find_root(path: Path) -> Path:
    """The nearest folder at or above `path` holding pyproject.toml, setup.cfg or .git.

    With none, the folder of the file itself: the analyzer then knows only what it can see.
    """
    start = path if path.is_dir() else path.parent
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return start


def module_name(root: Path, path: Path) -> tuple[str, bool]:
    """The dotted module name of `path` inside `root`, and whether it is a package."""
    try:
        relative = path.resolve().relative_to(root)
    except ValueError:
        relative = Path(path.name)
    parts = list(relative.with_suffix("").parts)
    if parts and parts[0] == "src" and not (root / "src" / "__init__.py").exists():
        parts = parts[1:]
    is_package = bool(parts) and parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


class Excluder:
    """Decides quickly whether a root-relative posix path is excluded: a pattern excludes a
    path when it matches the whole path, one of its folders, or one of its leading parts."""

    def __init__(self, patterns: Sequence[str]) -> None:
        cleaned = [p.rstrip("/") for p in patterns if p.strip("/")]
        self._names = frozenset(p for p in cleaned if not any(c in p for c in "*?[/"))
        globs = [p for p in cleaned if p not in self._names]
        self._glob = re.compile("|".join(fnmatch.translate(p) for p in globs)) if globs else None

    def __call__(self, relative: str) -> bool:
        parts = relative.split("/")
        if self._names.intersection(parts):
            return True
        if self._glob is None:
            return False
        candidates = (*parts, *("/".join(parts[:n]) for n in range(1, len(parts) + 1)))
        return any(self._glob.match(candidate) for candidate in candidates)


def python_files(top: Path, root: Path, exclude: Sequence[str]) -> Iterator[Path]:
    """Every .py file below `top`, skipping excluded and hidden folders, in a stable order."""
    if top.is_file():
        yield top
        return
    for name in python_file_names(str(top), root, exclude):
        yield Path(name)


def python_file_names(top: str, root: Path, exclude: Sequence[str]) -> Iterator[str]:
    """`python_files` under folder `top`, as plain strings: the index walks whole trees on a
    cold start, and most of their files are never looked at again."""
    excluded = Excluder((*DEFAULT_EXCLUDE, *exclude))
    prefix = os.path.join(str(root), "")

    def relative(path: str) -> str:
        inside = path[len(prefix) :] if path.startswith(prefix) else path
        return inside.replace(os.sep, "/")

    for folder, dirs, files in os.walk(top):
        dirs[:] = [
            name
            for name in sorted(dirs)
            if not name.startswith(".") and not excluded(relative(os.path.join(folder, name)))
        ]
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                if not excluded(relative(path)):
                    yield path
