"""Checks files and folders: finds their projects, loads settings and indexes, runs the engine."""

from __future__ import annotations

import io
import os
import tokenize
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG

from flake8_pii.config import Settings, load_settings
from flake8_pii.project import find_root, python_files


@dataclass(frozen=True)
class FileError:
    """A file that could not be analysed, and why (never its content)."""

    path: str
    message: str


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


class UnreadableFile(Exception):
    """A path that is not a file pii-guard can read as Python source; the message says why."""


def read_source(path: str) -> str:
    """The text of a Python file as flake8 reads it, universal newlines: in its declared encoding
    (PEP 263) or UTF-8, and as latin-1 when that fails (bytes that are not valid UTF-8 without a
    coding line, an unknown or wrong declaration), so both give the same findings.

    Raises UnreadableFile, with the reason in words.
    """
    try:
        if not S_ISREG(os.stat(path).st_mode):
            raise UnreadableFile("not a regular file")  # a named pipe would block the read
        data = Path(path).read_bytes()
    except OSError as error:
        raise UnreadableFile(error.strerror or type(error).__name__) from None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError):  # flake8's fallback, in processor.py
        text = data.decode("latin-1")
    except LookupError:  # a codec that is not a text encoding, such as `hex`
        raise UnreadableFile(
            f"its coding declaration names {encoding}, not a text encoding"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def internal_error(error: Exception) -> str:
    """What to tell a user when pii-guard itself failed on a file: the exception's type and
    where in pii-guard it was raised (never its message, which may quote the file)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if f"{os.sep}flake8_pii{os.sep}" in f.filename]
    where = ""
    if ours:
        frame = ours[-1]
        where = f" in {Path(frame.filename).name}:{frame.lineno}"
    return f"internal error ({type(error).__name__}{where}); please report it"
