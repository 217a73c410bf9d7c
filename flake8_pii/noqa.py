"""`# noqa` comments: which lines silence which codes (flake8's syntax)."""

from __future__ import annotations

import re
import tokenize
from collections.abc import Iterable, Sequence
from io import StringIO

# flake8's own pattern: `# noqa`, `# noqa: A1,B2`, `# NOQA:A1 B2`
NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>([A-Z][0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
CODE = re.compile(r"[A-Z][0-9]+", re.IGNORECASE)

ALL = frozenset({"*"})


def noqa_lines(lines: Sequence[str]) -> dict[int, frozenset[str]]:
    """1-based line -> codes silenced there (`{"*"}` for a bare `# noqa`), from comments only."""
    result: dict[int, frozenset[str]] = {}
    try:
        tokens = list(tokenize.generate_tokens(StringIO("".join(lines)).readline))
    except (tokenize.TokenError, SyntaxError):
        return result
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = NOQA.search(token.string)
        if match is None:
            continue
        codes = match.group("codes")
        silenced = frozenset(c.upper() for c in CODE.findall(codes)) if codes else ALL
        result[token.start[0]] = result.get(token.start[0], frozenset()) | silenced
    return result


def is_silenced(code: str, lines: Iterable[int], noqa: dict[int, frozenset[str]]) -> int | None:
    """The first of `lines` whose noqa comment silences `code`, if any."""
    for line in lines:
        codes = noqa.get(line)
        if codes is not None and ("*" in codes or any(code.startswith(c) for c in codes)):
            return line
    return None
