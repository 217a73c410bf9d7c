"""The analyzer's public API: what the command line, flake8 adapters, tests and benchmarks call.

`check_paths` checks files and folders as `pii-guard check` does; `check_source` checks one
text (saved or not) as the flake8 plugin does, in the project that holds its path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flake8_pii.config import Settings, load_settings
from flake8_pii.engine import FileResult, analyse_source
from flake8_pii.findings import Finding
from flake8_pii.index_build import build_index
from flake8_pii.runner import FileError, UnreadableFile, discover, internal_error, read_source
from flake8_pii.session import project_for_file, project_index


@dataclass
class RunResult:
    """The findings of a run, the files that could not be analysed, and how many were read."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: int = 0


def check_source(
    text: str,
    path: str | Path,
    *,
    use_cache: bool = True,
    report_unused_noqa: bool = False,
    full_pass: bool = False,
) -> FileResult:
    """Findings for `text`, the content of `path` (which need not be saved), read in the
    project holding `path`: its root, `[tool.pii_guard]` settings and other modules.

    Without the cache, the project is indexed afresh for this call; with it, once per process
    (as flake8 runs the plugin), from `.pii_guard_cache/` when that is current.
    Raises ConfigError for a broken [tool.pii_guard].
    """
    root, settings = project_for_file(Path(path).resolve(), {})
    if use_cache:
        index = project_index(root, settings)
    else:
        index = build_index(root, settings, use_cache=False)
    return analyse_source(
        text,
        str(path),
        index,
        use_cache=use_cache,
        check_syntax=True,
        report_unused_noqa=report_unused_noqa,
        full_pass=full_pass,
    )


def check_paths(paths: Sequence[str], use_cache: bool = True, full_pass: bool = False) -> RunResult:
    """Findings and unreadable files for every Python file under `paths`.

    `full_pass` runs every rule on every file (see `analyse_source`).

    Raises ConfigError for a broken [tool.pii_guard] and FileNotFoundError for a missing path.
    """
    result = RunResult()
    settings_by_root: dict[Path, Settings] = {}
    for display, root in discover(paths):
        if root not in settings_by_root:
            settings_by_root[root] = load_settings(root)
        result.files += 1
        try:
            text = read_source(display)
        except UnreadableFile as error:
            result.errors.append(FileError(display, f"cannot read the file: {error}"))
            continue
        try:
            index = project_index(root, settings_by_root[root], use_cache=use_cache)
            analysed = analyse_source(
                text,
                display,
                index,
                use_cache=use_cache,
                check_syntax=True,
                report_unused_noqa=True,
                full_pass=full_pass,
            )
        except Exception as error:  # a mistake in pii-guard costs one file, not the run
            result.errors.append(FileError(display, internal_error(error)))
            continue
        if analysed.error is not None:
            result.errors.append(FileError(display, analysed.error))
        result.findings.extend(analysed.findings)
    result.findings.sort(key=lambda f: (f.path, f.line, f.column, f.code))
    return result


__all__ = ["FileError", "FileResult", "RunResult", "check_paths", "check_source"]
