"""`# noqa` comments: which lines silence which codes, read with flake8's own syntax."""

from __future__ import annotations

import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from io import StringIO

# flake8's NOQA_INLINE_REGEXP, with or without a code list (`: A1,B2`, `:A1 B2`). A code list it
# cannot read (a space before the colon, two after it) leaves a bare noqa: it silences every code.
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
SEPARATORS = re.compile(r"[,\s]+")

ALL = frozenset({"*"})


@dataclass(frozen=True)
class Noqa:
    """One `# noqa` comment: where it starts (1-based) and the codes it names (`ALL` if none)."""

    line: int
    column: int
    codes: frozenset[str]

    def silencing(self, code: str) -> frozenset[str]:
        """The codes of this comment that silence `code` (flake8 matches by prefix)."""
        if self.codes == ALL:
            return ALL
        return frozenset(c for c in self.codes if code.startswith(c))


def noqa_comments(text: str) -> dict[int, Noqa]:
    """1-based line -> its `# noqa` comment, for comments only (never inside strings)."""
    result: dict[int, Noqa] = {}
    if NOQA.search(text) is None:  # most files have none: skip tokenizing them
        return result
    try:
        tokens = list(tokenize.generate_tokens(StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return result
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = NOQA.search(token.string)
        if match is None:
            continue
        listed = match.group("codes")
        # kept as written: flake8 compares codes case-sensitively, so `pii001` names nothing of ours
        codes = frozenset(c for c in SEPARATORS.split(listed) if c) if listed else ALL
        line, column = token.start
        result[line] = Noqa(line, column + match.start() + 1, codes)
    return result


def silenced_by(
    code: str, lines: Iterable[int], noqa: dict[int, Noqa]
) -> tuple[Noqa, frozenset[str]] | None:
    """The first comment on `lines` that silences `code`, with the codes of it that do."""
    for line in lines:
        comment = noqa.get(line)
        if comment is not None:
            codes = comment.silencing(code)
            if codes:
                return comment, codes
    return None
