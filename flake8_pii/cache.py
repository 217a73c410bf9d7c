"""On-disk cache of module summaries, keyed on a hash of each file's contents.

One small JSON file per summary, written to a temporary name and renamed into place, so several
flake8 worker processes can fill the cache at once without locks and a reader never sees half a
file. Deleting the folder is always safe: it only costs a re-parse.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from flake8_pii.summary import ModuleSummary

CACHE_DIR_NAME = ".pii_guard_cache"
# Bump when the summary format or the summariser's behaviour changes: old entries are then ignored.
SCHEMA = "summaries-v1"

_README = (
    "This folder is created by pii-guard to remember what it learnt about each file.\n"
    "It is safe to delete at any time.\n"
)


def content_key(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class SummaryCache:
    """Summaries of file contents under `<project root>/.pii_guard_cache/summaries-v1/`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / SCHEMA
        self._writable = True

    @classmethod
    def for_root(cls, root: Path) -> SummaryCache:
        return cls(root / CACHE_DIR_NAME)

    def load(self, key: str) -> ModuleSummary | None:
        try:
            with open(self.folder / f"{key}.json", encoding="utf-8") as handle:
                return ModuleSummary.from_json(json.load(handle))
        except (OSError, ValueError, KeyError, TypeError):
            # Missing, unreadable or from an incompatible writer: treat as a miss.
            return None

    def store(self, key: str, summary: ModuleSummary) -> None:
        if not self._writable:
            return
        try:
            self._ensure_folder()
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(summary.to_json(), handle, separators=(",", ":"))
                os.replace(temporary, self.folder / f"{key}.json")
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            # A read-only checkout still works, just without a cache.
            self._writable = False

    def _ensure_folder(self) -> None:
        if self.folder.is_dir():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        top = self.folder.parent
        for name, text in (
            (".gitignore", "# created by pii-guard\n*\n"),
            ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"),
            ("README.txt", _README),
        ):
            marker = top / name
            if not marker.exists():
                marker.write_text(text, encoding="utf-8")
