"""Where an exception still shows a secret: every way a logger, a web framework or an error
tracker renders or records it.

`secrets_in(error, secrets)` walks `str` and `repr`, a pydantic error's `.errors()` and
`.json()`, the exception's arguments, `__cause__` and `__context__` (recursively), and the
local variables of every frame of each traceback that belongs to pii_guard (the caller's
frames hold what the caller passed in, by definition). It looks for each secret as text, as
bytes and as base64, inside strings, bytes, containers, dataclasses, models and exceptions.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ValidationError

_MAX_DEPTH = 8


def secrets_in(
    error: BaseException, secrets: Iterable[str | bytes], *, frames: bool = True
) -> list[str]:
    """Where each secret was found (empty when nowhere), as `where: secret` lines.

    `frames=False` skips frame locals: for a secret the caller passed in itself (the text it
    asked to encrypt), which the frames of its own call hold by definition."""
    needles = _needles(secrets)
    found: list[str] = []
    seen_errors: set[int] = set()

    def look(value: Any, where: str, depth: int = 0, seen: set[int] | None = None) -> None:
        seen = set() if seen is None else seen
        if depth > _MAX_DEPTH or id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, str | bytes | bytearray | memoryview):
            data = bytes(value) if not isinstance(value, str) else value.encode("utf-8", "replace")
            found.extend(f"{where}: {shown}" for needle, shown in needles if needle in data)
        elif isinstance(value, BaseException):
            walk_error(value, where)
        elif isinstance(value, Mapping):
            for key, item in list(value.items()):
                look(key, f"{where}[key]", depth + 1, seen)
                look(item, f"{where}[{key!r}]", depth + 1, seen)
        elif isinstance(value, list | tuple | set | frozenset):
            for position, item in enumerate(list(value)):
                look(item, f"{where}[{position}]", depth + 1, seen)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                look(getattr(value, field.name), f"{where}.{field.name}", depth + 1, seen)
        elif isinstance(value, BaseModel):
            look(dict(value.__dict__), f"{where}.__dict__", depth + 1, seen)

    def walk_error(current: BaseException, where: str) -> None:
        if id(current) in seen_errors:
            return
        seen_errors.add(id(current))
        name = f"{where}<{type(current).__name__}>"
        look(str(current), f"{name} str")
        look(repr(current), f"{name} repr")
        look(current.args, f"{name} args")
        look(dict(vars(current)), f"{name} attributes")
        if isinstance(current, ValidationError):
            look(current.errors(), f"{name} .errors()")
            look(current.json(), f"{name} .json()")
        for frame_name, local_name, local in _pii_guard_locals(current.__traceback__, frames):
            look(local, f"{name} frame {frame_name} local {local_name}")
        if current.__cause__ is not None:
            walk_error(current.__cause__, f"{name}.__cause__")
        if current.__context__ is not None:
            walk_error(current.__context__, f"{name}.__context__")

    walk_error(error, "error")
    return found


def _needles(secrets: Iterable[str | bytes]) -> list[tuple[bytes, str]]:
    needles = []
    for secret in secrets:
        raw = secret.encode() if isinstance(secret, str) else secret
        shown = repr(secret[:12])
        needles.append((raw, shown))
        if isinstance(secret, bytes):
            # The first 24 characters of its base64 form, as a wire value or JSON would hold it.
            needles.append((base64.b64encode(raw)[:24], f"base64 of {shown}"))
    return needles


def _pii_guard_locals(tb: TracebackType | None, frames: bool) -> Iterator[tuple[str, str, Any]]:
    while frames and tb is not None:
        frame = tb.tb_frame
        if str(frame.f_globals.get("__name__", "")).startswith("pii_guard"):
            for name, value in frame.f_locals.items():
                yield frame.f_code.co_name, name, value
        tb = tb.tb_next
