"""`# noqa` comments, read the way flake8 reads them, extended to whole statements."""

from __future__ import annotations

import re

# flake8's own pattern: a bare noqa comment silences every code, one with a code list only those.
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


def line_suppresses(line: str, code: str) -> bool:
    """True when a noqa comment on `line` covers `code` (codes match by prefix, like flake8)."""
    if "noqa" not in line.lower():
        return False
    for match in NOQA.finditer(line):
        codes = match.group("codes")
        if codes is None:
            return True
        if any(code.upper().startswith(c.upper()) for c in _CODE.findall(codes)):
            return True
    return False


def is_suppressed(lines: list[str], code: str, line: int, first: int, last: int) -> bool:
    """A finding on `line` inside a statement spanning `first`..`last` (all 1-based)."""
    for number in {line, first, last}:
        if 1 <= number <= len(lines) and line_suppresses(lines[number - 1], code):
            return True
    return False
