"""A module written by a test into a folder on `sys.path`, importable there and by the
`pii-guard` subprocesses the test starts (with the folder on their PYTHONPATH)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def importable_module(folder: Path, name: str, source: str) -> Iterator[Path]:
    """Write `source` as module `name` in `folder`, put the folder on `sys.path`, yield it."""
    (folder / f"{name}.py").write_text(source)
    sys.path.insert(0, str(folder))
    try:
        yield folder
    finally:
        sys.path.remove(str(folder))
