"""The `pii-guard` command line: `pii-guard check [PATH...]`, and `migrate`/`rewrap`/`reindex`,
`keys` and `serve`, which run `pii_guard.commands`, `pii_guard.keycommands` and
`pii_guard.server` (imported only when they run: the analyzer never imports SQLAlchemy or the
ASGI stack).

Exit codes: 0 clean, 1 findings (or files that could not be analysed), 2 usage or configuration
errors.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from flake8_pii import __version__
from flake8_pii.api import check_paths
from flake8_pii.baseline import BaselineError, build_entries, new_findings, read_baseline
from flake8_pii.baseline import write_baseline as save_baseline
from flake8_pii.config import ConfigError
from flake8_pii.findings import RULES, Finding
from flake8_pii.report import (
    FORMATS,
    PathsRelativeTo,
    render_json,
    render_sarif,
    render_text,
    repository_root,
)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
CODE_PREFIX = re.compile(r"^[A-Z]+[0-9]*$")


class UsageError(Exception):
    """Bad arguments: the message says which and how to fix them."""


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
        help="check Python files and folders (default: the current folder)",
        description=f"Report PII misuse in Python source.\n\n{catalogue_text()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--format", choices=FORMATS, default="text", help="output format")
    check.add_argument("--output", metavar="FILE", help="write the report to FILE")
    check.add_argument(
        "--select", metavar="CODES", help="comma-separated codes or prefixes to report"
    )
    check.add_argument(
        "--ignore", metavar="CODES", help="comma-separated codes or prefixes not to report"
    )
    check.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when there are findings"
    )
    check.add_argument(
        "--baseline", metavar="FILE", help="report only findings not recorded in FILE"
    )
    check.add_argument(
        "--write-baseline", metavar="FILE", help="record the findings in FILE and exit 0"
    )
    check.add_argument(
        "--no-cache", action="store_true", help="neither read nor write .pii_guard_cache/"
    )
    check.add_argument(
        "--full-pass",
        action="store_true",
        help="run every rule on every file, also on files that cannot have findings "
        "(much slower; for trying pii-guard itself on a large code base)",
    )
    _add_storage_command(
        commands,
        "migrate",
        help="encrypt legacy plaintext in the PII columns of a database, in batches",
        description="Encrypt the PII values of MODEL's rows that still hold plaintext, in "
        "place, one transaction per batch; values already stored encrypted are left alone, so "
        "a rerun is safe. Uses the cryptor the PII_GUARD_* variables configure.",
    )
    rewrap = _add_storage_command(
        commands,
        "rewrap",
        help="decrypt every stored PII value and encrypt it afresh under the current key",
        description="Decrypt every stored PII value of MODEL's rows and encrypt it again under "
        "the current cryptor and key (after a KMS key change, keep the old key in "
        "PII_GUARD_KMS_DECRYPT_KEY_IDS while this runs), one transaction per batch.",
    )
    _add_storage_command(
        commands,
        "reindex",
        help="recompute the lookups (blind indexes) of stored rows under the newest index key",
        description="Decrypt the PII values of MODEL's rows that have lookup columns (one call "
        "a batch) and write their lookups under the newest index key version; the ciphertext "
        "is kept. When it is complete, older versions can leave PII_GUARD_INDEX_KEYS.",
    )
    keys = commands.add_parser(
        "keys",
        help="make and list the wrapped index keys of lookups",
        description="`new` wraps a new random index key with the configured cryptor and prints "
        "the keyring (PII_GUARD_INDEX_KEYS) with it as the newest version; `list` shows the "
        "versions of the configured keyring and checks that each unwraps.",
    )
    keys.add_argument("action", choices=("new", "list"), help="new or list")
    rules = commands.add_parser(
        "rules",
        help="list the codes pii-guard reports, each with its page",
        description="List every code of the catalogue: its name, what it flags and its page.",
    )
    rules.add_argument(
        "--markdown", action="store_true", help="as the Markdown list of docs/rules/README.md"
    )
    serve = commands.add_parser(
        "serve",
        help="run the PII cryptor service (AMSDAL's protocol) over KMS",
        description="Serve POST /api/v1/encrypt and /api/v1/decrypt for the clients of the TOML "
        "file, each with its own KMS key, permissions and authentication (docs/service.md). "
        "Needs the serve extra.",
    )
    serve.add_argument("--config", required=True, metavar="FILE", help="the service's TOML file")
    serve.add_argument("--host", help="address to listen on (default: [server] host)")
    serve.add_argument("--port", type=int, help="port to listen on (default: [server] port)")
    serve.add_argument("--workers", type=int, help="worker processes (default: [server] workers)")
    rewrap.add_argument(
        "--to-binding",
        metavar="BINDING",
        help="bind the new values this way instead (field, none, row:KEY[,KEY])",
    )
    return parser


def _add_storage_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help: str,
    description: str,
) -> argparse.ArgumentParser:
    command = commands.add_parser(name, help=help, description=description)
    command.add_argument(
        "database_url",
        metavar="DATABASE_URL",
        help="SQLAlchemy URL, such as postgresql+psycopg://app@db/shop (leave the password "
        "out: PGPASSWORD or ~/.pgpass keep it off the command line)",
    )
    command.add_argument(
        "models", nargs="+", metavar="MODEL", help="mapped class as package.module:Class"
    )
    command.add_argument(
        "--batch-size", type=int, default=500, metavar="N", help="rows per transaction (500)"
    )
    command.add_argument(
        "--dry-run", action="store_true", help="count what would change; write nothing"
    )
    command.add_argument(
        "--shard",
        metavar="I/N",
        help="process only shard I of N (rows whose primary key hashes to it); run one worker "
        "per shard, each with its own --progress file",
    )
    command.add_argument(
        "--progress",
        metavar="FILE",
        help="record the last committed key in FILE after each batch, and resume from it",
    )
    command.add_argument(
        "--start-after",
        action="append",
        metavar="KEY",
        help="start after this primary key (once per key column)",
    )
    command.add_argument(
        "--max-batches", type=int, metavar="N", help="stop after N batches (resume later)"
    )
    command.add_argument(
        "--binding",
        default="field",
        metavar="BINDING",
        help="how stored values are bound: field (Model.field, the default), none, or "
        "row:KEY[,KEY] (as row_context)",
    )
    return command


def _codes(option: str, value: str | None) -> tuple[str, ...]:
    """The codes or prefixes of `value`; one that matches no code of the catalogue (a typo such
    as PII01, or another tool's code) is a usage error, not a filter that lets nothing through."""
    if value is None:
        return ()
    codes = tuple(part.strip().upper() for part in value.split(",") if part.strip())
    for code in codes:
        if not CODE_PREFIX.match(code):
            raise UsageError(f"{option}: {code!r} is not a code or prefix such as PII001 or PII")
        if not any(known.startswith(code) for known in RULES):
            raise UsageError(
                f"{option}: {code!r} matches no pii-guard code; the codes are "
                f"{', '.join(sorted(RULES))} (a prefix such as PII or PII00 names several)"
            )
    return codes


def catalogue_text() -> str:
    """One line per code of the catalogue, as `pii-guard rules` and `check --help` show it."""
    return "\n".join(f"  {rule.code}  {rule.summary}  ({rule.name})" for rule in RULES.values())


def catalogue_markdown() -> str:
    """The catalogue as the list of docs/rules/README.md, one link to each code's page."""
    return "".join(f"- [{rule.code}]({rule.code}.md): {rule.summary}\n" for rule in RULES.values())


def is_selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """flake8's rule: the longest matching prefix decides; without --select, all are selected."""
    selected = max((len(p) for p in select if code.startswith(p)), default=-1)
    if not select:
        selected = 0
    ignored = max((len(p) for p in ignore if code.startswith(p)), default=-1)
    return selected >= 0 and selected > ignored


def run_check(args: argparse.Namespace) -> int:
    select = _codes("--select", args.select)
    ignore = _codes("--ignore", args.ignore)
    try:
        result = check_paths(args.paths, use_cache=not args.no_cache, full_pass=args.full_pass)
    except FileNotFoundError as error:
        raise UsageError(f"no such file or folder: {error.args[0]}") from None
    findings: list[Finding] = [f for f in result.findings if is_selected(f.code, select, ignore)]
    relative = PathsRelativeTo(repository_root(Path.cwd()))
    if args.write_baseline:
        save_baseline(Path(args.write_baseline), build_entries(findings, relative))
        print(
            f"pii-guard: recorded {len(findings)} findings in {args.write_baseline}",
            file=sys.stderr,
        )
        return EXIT_CLEAN
    if args.baseline:
        findings = new_findings(findings, read_baseline(Path(args.baseline)), relative)
    if args.format == "json":
        output = render_json(findings, result.errors, relative)
    elif args.format == "sarif":
        output = render_sarif(findings, result.errors, relative, __version__)
    else:
        output = render_text(findings)
    if args.output:
        Path(args.output).write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output)
    for unreadable in result.errors:
        print(f"{unreadable.path}: cannot analyse: {unreadable.message}", file=sys.stderr)
    if args.exit_zero or not (findings or result.errors):
        return EXIT_CLEAN
    return EXIT_FINDINGS


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command in ("migrate", "rewrap", "reindex"):
        from pii_guard.commands import run_command  # SQLAlchemy and the models, only now

        return run_command(args)
    if args.command == "keys":
        from pii_guard.keycommands import run_keys  # the cryptor, only now

        return run_keys(args.action)
    if args.command == "serve":
        from pii_guard.server.main import run_serve  # the ASGI stack, only now

        return run_serve(args)
    if args.command == "rules":
        sys.stdout.write(catalogue_markdown() if args.markdown else catalogue_text() + "\n")
        return EXIT_CLEAN
    try:
        return run_check(args)
    except (UsageError, ConfigError, BaselineError) as error:
        print(f"pii-guard: error: {error}", file=sys.stderr)
        return EXIT_USAGE
