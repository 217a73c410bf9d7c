"""Decides which files need the rules, and runs them over one module with the project index.

Both adapters (the flake8 plugin and `pii-guard check`) go through `check_source`, so they find
the same things. The cheap decisions come first: in a project that never names a PII type
nothing is analysed; otherwise a module that neither declares keys nor touches a model with PII
(by definition or import) is never parsed with libcst (see `flake8_pii.analysis`).
"""

from __future__ import annotations

import ast
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flake8_pii.cache import SummaryCache
from flake8_pii.config import Config, find_project_root, load_config
from flake8_pii.findings import Finding, ParseFailure
from flake8_pii.index import ProjectIndex
from flake8_pii.summary import ModuleSummary, summarise_tree

_DEEP_STACK_BYTES = 512 * 1024 * 1024
_DEEP_RECURSION_LIMIT = 1_000_000


@dataclass
class FileResult:
    findings: list[Finding] = field(default_factory=list)
    failure: ParseFailure | None = None
    analysed: bool = False


class Projects:
    """The index of each project root seen by this process, built once and reused per file."""

    def __init__(self, *, use_cache: bool = True, config: Config | None = None) -> None:
        self.use_cache = use_cache
        self.config = config
        self._indexes: dict[Path, ProjectIndex] = {}
        self._roots: dict[Path, Path] = {}

    def index_for(self, path: Path) -> ProjectIndex:
        folder = path.parent.resolve()
        root = self._roots.get(folder)
        if root is None:
            root = self._roots[folder] = find_project_root(folder)
        index = self._indexes.get(root)
        if index is None:
            cache = SummaryCache.for_root(root) if self.use_cache else None
            config = self.config or load_config(root)
            index = self._indexes[root] = ProjectIndex(root, config, cache)
        return index


_DEFAULT_PROJECTS = Projects()


def load_project(display_path: str) -> ProjectIndex:
    """The index (and configuration) of the project a file belongs to; raises ConfigError."""
    return _DEFAULT_PROJECTS.index_for(Path(display_path))


def check_source(
    display_path: str,
    text: str,
    *,
    tree: ast.AST | None = None,
    projects: Projects | None = None,
    force: bool = False,
) -> FileResult:
    """Findings for `text`, the current contents of the file shown as `display_path`.

    `tree` is the `ast` of `text` when the caller has it (flake8 does); `force` skips the cheap
    decision and runs every rule (used to exercise the analyzer on large code bases).
    """
    try:
        return _check_source(display_path, text, tree, projects or _DEFAULT_PROJECTS, force)
    except RecursionError:
        # Deeply nested code (thousands of implicitly concatenated strings, say) is valid Python
        # but too deep for libcst's recursive visitors on a default stack: retry it on a thread
        # with a large stack and a matching recursion limit.
        return _on_deep_stack(
            lambda: _check_source(display_path, text, tree, projects or _DEFAULT_PROJECTS, force)
        )


def _on_deep_stack(work: Callable[[], FileResult]) -> FileResult:
    outcome: list[FileResult | BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # handed back to the calling thread below
            outcome.append(error)

    previous_size = threading.stack_size(_DEEP_STACK_BYTES)
    try:
        thread = threading.Thread(target=run, name="pii-guard-deep-file")
    finally:
        threading.stack_size(previous_size)
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous_limit, _DEEP_RECURSION_LIMIT))
    try:
        thread.start()
        thread.join()
    finally:
        sys.setrecursionlimit(previous_limit)
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _check_source(
    display_path: str, text: str, tree: ast.AST | None, projects: Projects, force: bool
) -> FileResult:
    path = Path(display_path)
    index = projects.index_for(path)
    absolute = path.resolve()
    try:
        relative = absolute.relative_to(index.root).as_posix()
    except ValueError:
        relative = absolute.as_posix()
    if index.config.is_excluded(relative):
        return FileResult()

    can_touch_pii = force or index.may_have_pii() or index.names_pii_type(
        text.encode("utf-8", "surrogatepass")
    )
    if not can_touch_pii and tree is not None:
        return FileResult()  # flake8 has parsed the file already and reports its own errors
    summary = _summary(index, text, tree)
    if summary.parse_error is not None:
        return FileResult(failure=_ast_failure(display_path, text, summary.parse_error))
    if not can_touch_pii:
        return FileResult()
    entry = index.set_source(path, text, summary)
    if not force and not index.module_matters(entry):
        return FileResult()

    # libcst is imported only once a file needs it: code bases that never touch PII never pay
    # for it, not even its import.
    from flake8_pii.analysis import analyse

    findings, failure = analyse(display_path, text, tree, index, entry)
    return FileResult(findings=findings, failure=failure, analysed=failure is None)


def _summary(index: ProjectIndex, text: str, tree: ast.AST | None) -> ModuleSummary:
    cached = index.cached_summary_for_text(text)
    if cached is not None:
        return cached
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError) as error:
            return ModuleSummary(parse_error=f"{type(error).__name__}: {error}")
    summary = summarise_tree(tree)
    index.store_summary_for_text(text, summary)
    return summary


def _ast_failure(display_path: str, text: str, message: str) -> ParseFailure:
    try:
        ast.parse(text)
    except SyntaxError as error:
        return ParseFailure(display_path, error.lineno or 1, error.offset or 1,
                            f"{type(error).__name__}: {error.msg}")
    except ValueError as error:
        return ParseFailure(display_path, 1, 1, f"ValueError: {error}")
    return ParseFailure(display_path, 1, 1, message)
