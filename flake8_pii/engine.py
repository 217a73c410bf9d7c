"""Analyses one source text: prefilter, cache, parse, the rule pass; gives findings or an error.

The cheap decision comes first (`prefilter`): a module that cannot have a finding is never parsed
with libcst. The findings of a module that is analysed are cached (`findings_cache`); the cache
always holds its unused-noqa findings (PII100), which only callers that ask for them get.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from flake8_pii.cache import ProjectCache, project_cache
from flake8_pii.deep import MAX_NESTING, deepest_nesting, on_large_stack, ran_out_of_stack
from flake8_pii.findings import UNUSED_NOQA, Finding
from flake8_pii.findings_cache import entry_name, read_findings, write_findings
from flake8_pii.index import ProjectIndex
from flake8_pii.noqa import noqa_comments
from flake8_pii.prefilter import can_have_findings
from flake8_pii.project import module_name
from flake8_pii.summary import summarise
from flake8_pii.unused_noqa import mentions_our_codes, unused_noqa

TOO_DEEP = "too deeply nested to analyse"
_LIBCST_POSITION = re.compile(r"^(?:parser|tokenizer) error: (?:error at \d+:\d+: )?")


@dataclass(frozen=True)
class FileResult:
    """The findings of one file, or why it could not be analysed."""

    findings: tuple[Finding, ...] = ()
    error: str | None = None


def analyse_source(
    text: str,
    path: str,
    index: ProjectIndex,
    use_cache: bool = True,
    check_syntax: bool = False,
    report_unused_noqa: bool = False,
    full_pass: bool = False,
) -> FileResult:
    """Findings for `text`, the content of `path` (which need not be saved to disk).

    `check_syntax` reports a file that does not parse even when it names nothing that leads
    to PII (flake8 reports those itself as E999; the command line must say so itself).
    `report_unused_noqa` adds PII100 findings for noqa codes of ours that silenced nothing.
    `full_pass` runs every rule on every file, also on those that cannot have findings (slow;
    it exercises the analyzer on code bases that never name a PII type).

    Code too deeply nested for the default stack is analysed again on a large one; what is too
    deep even for that gives an error, never an exception.
    """
    options = _Options(use_cache, check_syntax, report_unused_noqa, full_pass)

    def work() -> FileResult:
        return _analyse(text, path, index, options)

    try:
        result = work()
    except Exception as error:
        if not ran_out_of_stack(error):
            raise
        try:
            result = on_large_stack(work)
        except Exception as error_on_large_stack:
            if not ran_out_of_stack(error_on_large_stack):
                raise
            result = FileResult(error=TOO_DEEP)
    if report_unused_noqa:
        return result
    return FileResult(tuple(f for f in result.findings if f.code != UNUSED_NOQA), result.error)


@dataclass(frozen=True)
class _Options:
    use_cache: bool
    check_syntax: bool
    report_unused_noqa: bool
    full_pass: bool


def _analyse(text: str, path: str, index: ProjectIndex, options: _Options) -> FileResult:
    if not options.full_pass and not index.mentions_pii(text):
        return _nothing_to_find(text, path, options)
    absolute = Path(path).resolve()
    name, is_package = module_name(index.root, absolute)
    tree: ast.Module | None = None
    summary = index.known_summary(name, text)
    if summary is None:
        tree, error = _parse(text, path)
        if tree is None:
            return FileResult(error=error)
        summary = summarise(tree, name, is_package)
    index = index.with_module(summary)
    if not options.full_pass and not can_have_findings(summary, index):
        return _nothing_to_find(text, path, options)
    cache: ProjectCache | None = project_cache(index.root) if options.use_cache else None
    entry = ""
    if cache is not None:
        entry = entry_name(text, summary, index)
        cached = read_findings(cache, entry, path)
        if cached is not None:
            return FileResult(cached)
    if tree is None:
        tree, error = _parse(text, path)
        if tree is None:
            return FileResult(error=error)
    depth, line = deepest_nesting(tree)
    if depth > MAX_NESTING:
        return FileResult(
            error=f"{TOO_DEEP}: code nested {depth} levels deep at line {line} "
            f"(pii-guard analyses up to {MAX_NESTING})"
        )
    # libcst and the rules load only here, when the cache has no answer: an editor's run on
    # an unchanged buffer never pays for them
    import libcst as cst

    from flake8_pii.rule_pass import run_rules

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        # Python parsed the file above: this is a limit of libcst, not a mistake in the file
        reason = _LIBCST_POSITION.sub("", (error.message.splitlines() or [""])[0])[:200]
        return FileResult(
            error=f"libcst cannot parse this file at {error.raw_line}:{error.raw_column + 1}, "
            f"though Python can ({reason})"
        )
    findings = run_rules(module, tree, text, path, summary, index)
    if cache is not None:
        write_findings(cache, entry, findings)
    return FileResult(tuple(findings))


def _nothing_to_find(text: str, path: str, options: _Options) -> FileResult:
    """The result for a file that cannot have a finding: any noqa code of ours in it is unused.

    Cheap on purpose, since most files of a project end here: the noqa comments are tokenized
    only when a text search finds one naming our family.
    """
    judge = options.report_unused_noqa and mentions_our_codes(text)
    error = _parse(text, path)[1] if options.check_syntax or judge else None
    if error is not None:
        return FileResult(error=error if options.check_syntax else None)
    if not judge:
        return FileResult()
    return FileResult(tuple(unused_noqa(path, text, noqa_comments(text), used=frozenset())))


def _parse(text: str, path: str) -> tuple[ast.Module | None, str | None]:
    """The `ast` of `text`, or why Python cannot parse it. RecursionError propagates, so that
    the file is tried again on a large stack."""
    try:
        return ast.parse(text, filename=path), None
    except SyntaxError as error:
        if error.lineno is None:  # NUL bytes
            return None, f"syntax error: {error.msg}"
        return None, f"syntax error at {error.lineno}:{error.offset}: {error.msg}"
    except ValueError as error:  # NUL bytes, on some Python versions
        return None, f"syntax error: {error}"
    except MemoryError:  # the parser's own limit on nesting, whatever the stack
        return None, f"{TOO_DEEP}: Python's parser runs out of memory"


__all__ = ["FileResult", "analyse_source"]
