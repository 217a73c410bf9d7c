"""Which files make up a project: Python files under a folder, minus environments and caches."""

from __future__ import annotations

import os
from collections.abc import Iterator

# Folders never worth walking into: environments, caches, build output, VCS data.
SKIPPED_FOLDERS = frozenset(
    {"__pycache__", "node_modules", "build", "dist", "site-packages", "venv", "env"}
)


def is_skipped_folder(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_FOLDERS or name.endswith(".egg-info")


def python_files_under(folder: str) -> Iterator[str]:
    """`.py` and `.pyi` files under `folder`, in a stable order."""
    for current, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(d for d in subfolders if not is_skipped_folder(d))
        for name in sorted(files):
            if name.endswith((".py", ".pyi")):
                yield os.path.join(current, name)
