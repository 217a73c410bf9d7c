"""Builds the project index: which files can matter, their summaries, kept in the cache.

Summaries are built with `ast` (cheap) and cached in `<root>/.pii_guard_cache/` (see `cache`),
keyed on each file's size and modification time and on the analyzer's digest, so flake8 workers
and repeated runs re-read only files that changed.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from stat import S_ISREG
from typing import Any

from flake8_pii.cache import analyzer_digest, content_hash, project_cache
from flake8_pii.config import Settings
from flake8_pii.deep import retrying_on_large_stack
from flake8_pii.index import ProjectIndex
from flake8_pii.project import module_name, python_file_names
from flake8_pii.summary import ModuleSummary, summarise
from flake8_pii.words import WordSearch

INDEX_ENTRY = "index"

# A star import re-exports names without spelling them, so no trigger word shows in its text.
_STAR_IMPORT = re.compile(rb"\bimport\s*\*")


def build_index(root: Path, settings: Settings, use_cache: bool = True) -> ProjectIndex:
    """Index `root`, reading with `ast` only the files that can matter.

    A file can matter only if it mentions a trigger word: the name of a PII type, or of a
    model that reaches PII, or of a name that re-exports one. Starting from the PII type
    names, files that mention a trigger are summarised and their models add triggers,
    until nothing new is found. On Django (no PII) that parses nothing.
    """
    cache = project_cache(root) if use_cache else None
    cached: dict[str, Any] = cache.read(INDEX_ENTRY) if cache is not None else {}
    made_by = f"{analyzer_digest()}:{settings.digest()}"
    if cached.get("made_by") != made_by:
        cached = {}
    old_files: dict[str, Any] = cached.get("files", {})
    stats: dict[str, tuple[int, int]] = {}
    inside_root = len(os.path.join(str(root), ""))
    for path in python_file_names(str(root), root, settings.exclude):
        try:
            stat = os.stat(path)
        except OSError:
            continue
        if not S_ISREG(stat.st_mode):
            continue  # reading a named pipe would wait for a writer forever
        relative = path[inside_root:].replace(os.sep, "/")
        stats[relative] = (stat.st_mtime_ns, stat.st_size)
    if set(stats) == set(old_files) and all(
        (old_files[rel]["mtime"], old_files[rel]["size"]) == stat for rel, stat in stats.items()
    ):
        files = old_files
    else:
        files = _scan(root, settings, stats, old_files)
        if cache is not None:
            cache.write(INDEX_ENTRY, {"made_by": made_by, "files": files})
    summaries: dict[str, ModuleSummary] = {}
    hashes: dict[str, str] = {}
    for entry in files.values():
        if "summary" not in entry:
            continue
        summary = ModuleSummary.from_json(entry["summary"])
        if summary.module not in summaries:
            summaries[summary.module] = summary
            if entry.get("parsed", True):
                hashes[summary.module] = entry["hash"]
    return ProjectIndex(root, settings, summaries, hashes)


def _summary_of(data: bytes, filename: str, name: str, is_package: bool) -> ModuleSummary | None:
    """The summary of a module's source, or None when Python cannot parse it."""
    try:
        return retrying_on_large_stack(
            lambda: summarise(ast.parse(data, filename=filename), name, is_package)
        )
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _scan(
    root: Path, settings: Settings, stats: dict[str, tuple[int, int]], old: dict[str, Any]
) -> dict[str, Any]:
    """Cache entries for every file: a summary for each file that mentions a trigger word."""
    files: dict[str, Any] = {}
    pending: list[str] = []
    for relative, (mtime, size) in stats.items():
        previous = old.get(relative)
        if (
            previous is not None
            and (previous["mtime"], previous["size"]) == (mtime, size)
            and "summary" in previous
        ):
            files[relative] = previous
            continue
        pending.append(relative)
    texts: dict[str, bytes] = {}
    for relative in pending:
        try:
            texts[relative] = (root / relative).read_bytes()
        except OSError:
            continue
    while True:
        summaries: dict[str, ModuleSummary] = {}
        for entry in files.values():
            summary = ModuleSummary.from_json(entry["summary"])
            summaries.setdefault(summary.module, summary)
        index = ProjectIndex(root, settings, summaries)
        search = WordSearch(index.triggers)
        # once there is a model to re-export, a star import may re-export it
        stars = bool(index.reaching_pii)
        found = [
            rel
            for rel, data in texts.items()
            if search.in_bytes(data) or (stars and _STAR_IMPORT.search(data))
        ]
        if not found:
            break
        for relative in found:
            files[relative] = _summarise(root, relative, texts.pop(relative), stats[relative])
    for relative in texts:
        mtime, size = stats[relative]
        files[relative] = {"mtime": mtime, "size": size}
    return files


def _summarise(root: Path, relative: str, data: bytes, stat: tuple[int, int]) -> dict[str, Any]:
    path = root / relative
    name, is_package = module_name(root, path)
    summary = _summary_of(data, str(path), name, is_package)
    return {
        "mtime": stat[0],
        "size": stat[1],
        "hash": content_hash(data),
        "summary": (summary or ModuleSummary(name)).to_json(),
        "parsed": summary is not None,
    }
