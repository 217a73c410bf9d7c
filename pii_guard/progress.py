"""A text progress bar for long commands, drawn on a stream (stderr) and never on stdout.

On a terminal the bar is redrawn in place; elsewhere (a log, a CI job) it writes a line at each
tenth of the way, so a log of a large table stays short. No dependency: the commands need no
more than this.
"""

from __future__ import annotations

from typing import TextIO

WIDTH = 30


class ProgressBar:
    """`label [#######-------]  45%  450/1000 rows` for work whose total is known up front."""

    def __init__(self, label: str, total: int, stream: TextIO) -> None:
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self._stream = stream
        self._redraw = stream.isatty()
        self._last_tenth = -1
        self._draw()

    def advance(self, count: int) -> None:
        self.done += count
        self._draw()

    def close(self) -> None:
        if self._redraw:
            self._stream.write("\n")
        elif self._last_tenth < 10:
            self._write(self._line())
        self._stream.flush()

    def _fraction(self) -> float:
        return 1.0 if self.total == 0 else min(self.done / self.total, 1.0)

    def _line(self) -> str:
        fraction = self._fraction()
        filled = round(WIDTH * fraction)
        return (
            f"{self.label} [{'#' * filled}{'-' * (WIDTH - filled)}] {fraction:4.0%}  "
            f"{self.done}/{self.total} rows"
        )

    def _draw(self) -> None:
        if self._redraw:
            self._stream.write("\r" + self._line())
            self._stream.flush()
            return
        tenth = int(self._fraction() * 10)
        if tenth > self._last_tenth:
            self._last_tenth = tenth
            self._write(self._line())

    def _write(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()
