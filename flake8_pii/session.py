"""One project per file for the life of a process: its root, settings and index, found once.

flake8 calls its plugin once per file; finding the root, reading `pyproject.toml` and building
the index for each would cost more than the analysis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from flake8_pii.config import Settings, load_settings
from flake8_pii.index import ProjectIndex
from flake8_pii.index_build import build_index
from flake8_pii.project import find_root

_INDEXES: dict[tuple[Path, str], ProjectIndex] = {}
_ROOTS: dict[Path, Path] = {}
_SETTINGS: dict[tuple[Path, str], Settings] = {}


def project_for_file(path: Path, extra: Mapping[str, Sequence[str]]) -> tuple[Path, Settings]:
    """The root of the project holding `path` and its settings plus `extra` additions, looked
    up once per folder and read once per process: flake8 calls its plugin once per file."""
    folder = path.parent
    if folder not in _ROOTS:
        _ROOTS[folder] = find_root(path)
    root = _ROOTS[folder]
    key = (root, repr(sorted(extra.items())))
    if key not in _SETTINGS:
        _SETTINGS[key] = load_settings(root).extended(**extra)
    return root, _SETTINGS[key]


def project_index(root: Path, settings: Settings, use_cache: bool = True) -> ProjectIndex:
    """The index of `root`, built (or loaded from the cache) once per process."""
    key = (root, settings.digest())
    if key not in _INDEXES:
        _INDEXES[key] = build_index(root, settings, use_cache=use_cache)
    return _INDEXES[key]
