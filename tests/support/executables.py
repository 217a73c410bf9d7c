"""Locate the real console scripts installed beside the interpreter that runs the tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def installed_script(name: str) -> str:
    """The path of console script `name` in this interpreter's environment (PATH as fallback)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed in {sys.prefix} nor on PATH")
    return found
