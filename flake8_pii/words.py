"""Whole-word search in source text: the analyzer's cheapest test of whether a file can matter.

A substring search per word runs in C over the whole text; the word-boundary check runs in
Python only where a word was found. A regular expression with `\\b` around an alternation tries
a match at every position instead, several times slower on code that never names the words,
which is most code.
"""

from __future__ import annotations

from collections.abc import Iterable

_ASCII_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class WordSearch:
    """Finds any of a set of identifiers as a whole word in `str` or UTF-8 `bytes` text.

    Errs towards a match: in bytes, a non-ASCII neighbour counts as a boundary, so a word next
    to a non-ASCII letter is reported (a file read for nothing) rather than missed.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self.words = tuple(sorted({w for w in words if w}))
        self._encoded = tuple(w.encode("utf-8") for w in self.words)

    def in_text(self, text: str) -> bool:
        for word in self.words:
            start = text.find(word)
            while start >= 0:
                end = start + len(word)
                before = text[start - 1] if start else " "
                after = text[end] if end < len(text) else " "
                if not _is_word_char(before) and not _is_word_char(after):
                    return True
                start = text.find(word, start + 1)
        return False

    def in_bytes(self, data: bytes) -> bool:
        for word in self._encoded:
            start = data.find(word)
            while start >= 0:
                end = start + len(word)
                before = data[start - 1] if start else 0x20
                after = data[end] if end < len(data) else 0x20
                if before not in _ASCII_WORD and after not in _ASCII_WORD:
                    return True
                start = data.find(word, start + 1)
        return False


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"
