"""The `pii-guard` command line."""

from __future__ import annotations

import argparse
import os
import re
import sys
import tokenize
from collections.abc import Iterator, Sequence
from typing import TextIO

from flake8_pii import __version__
from flake8_pii.config import ConfigError
from flake8_pii.engine import FileResult, Projects, check_source
from flake8_pii.files import python_files_under
from flake8_pii.findings import Finding
from flake8_pii.formats import FORMATS

EXIT_CLEAN, EXIT_FOUND, EXIT_USAGE = 0, 1, 2
_CODE_PREFIX = re.compile(r"^[A-Z]+[0-9]*$")


class UsageError(Exception):
    """A mistake in the command line or the configuration; exit status 2."""


def _codes(value: str) -> tuple[str, ...]:
    codes = tuple(c.strip().upper() for c in value.split(",") if c.strip())
    for code in codes:
        if not _CODE_PREFIX.match(code):
            raise argparse.ArgumentTypeError(
                f"{code!r} is not a code or code prefix such as PII001 or PII"
            )
    return codes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pii-guard",
        description="Find PII misuse in Python source: PII fields in queries, keys, "
        "unique constraints and log calls.",
    )
    parser.add_argument("--version", action="version", version=f"pii-guard {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = commands.add_parser(
        "check",
        help="report PII misuse in Python files",
        description="Report PII misuse in the given files and folders (default: the current "
        "folder). Exit status: 0 clean, 1 findings or unparsable files, 2 usage or "
        "configuration error.",
    )
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--select", type=_codes, default=(), metavar="CODES",
                       help="comma-separated codes or prefixes to report (default: all)")
    check.add_argument("--ignore", type=_codes, default=(), metavar="CODES",
                       help="comma-separated codes or prefixes not to report")
    check.add_argument("--format", choices=sorted(FORMATS), default="text",
                       help="output format (default: text)")
    check.add_argument("--exit-zero", action="store_true",
                       help="exit with status 0 even when something is found")
    check.add_argument("--no-cache", action="store_true",
                       help="neither read nor write the .pii_guard_cache folder")
    return parser


def is_selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """flake8's rule: the longest matching prefix wins; an empty --select selects everything."""
    selected = max((len(p) for p in select if code.startswith(p)), default=-1 if select else 0)
    ignored = max((len(p) for p in ignore if code.startswith(p)), default=-1)
    return selected >= 0 and selected > ignored


def python_files(paths: Sequence[str]) -> Iterator[str]:
    """Files named on the command line, and `.py` files under named folders, in order."""
    for given in paths:
        if os.path.isfile(given):
            yield given
            continue
        if not os.path.isdir(given):
            raise UsageError(f"{given}: no such file or folder")
        yield from python_files_under(given)


def read_source(path: str) -> str:
    """The file's text as flake8 reads it: its declared encoding, universal newlines."""
    with tokenize.open(path) as handle:
        return handle.read()


def check_paths(
    paths: Sequence[str],
    *,
    use_cache: bool = True,
    projects: Projects | None = None,
    err: TextIO | None = None,
) -> tuple[list[Finding], int]:
    """All findings under `paths`, and how many files could not be checked."""
    stream = err if err is not None else sys.stderr
    projects = projects or Projects(use_cache=use_cache)
    findings: list[Finding] = []
    failures = 0
    for path in python_files(paths):
        try:
            text = read_source(path)
        except (OSError, SyntaxError, UnicodeDecodeError) as error:
            print(f"{path}:1:1: cannot read this file, skipped: {error}", file=stream)
            failures += 1
            continue
        try:
            result: FileResult = check_source(path, text, projects=projects)
        except ConfigError:
            raise
        except Exception as error:  # one bad file must not stop the run
            print(f"{path}: internal error, file skipped ({type(error).__name__}: {error}); "
                  "please report it", file=stream)
            failures += 1
            continue
        if result.failure is not None:
            failure = result.failure
            print(f"{failure.path}:{failure.line}:{failure.column}: cannot parse this file, "
                  f"skipped: {failure.message}", file=stream)
            failures += 1
        findings.extend(result.findings)
    return findings, failures


def run_check(args: argparse.Namespace) -> int:
    try:
        found, failures = check_paths(args.paths, use_cache=not args.no_cache)
    except (ConfigError, UsageError) as error:
        print(f"pii-guard: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    findings = sorted(
        (f for f in found if is_selected(f.code, args.select, args.ignore)),
        key=lambda f: (f.path, f.line, f.column, f.code),
    )
    sys.stdout.write(FORMATS[args.format](findings))
    if args.exit_zero or not (findings or failures):
        return EXIT_CLEAN
    return EXIT_FOUND


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_CLEAN
    if args.command == "check":
        return run_check(args)
    return EXIT_USAGE
