"""The `pii-guard` command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pii_guard import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pii-guard",
        description="Find PII misuse in Python source: PII fields in queries, keys, "
        "unique constraints and log calls.",
    )
    parser.add_argument("--version", action="version", version=f"pii-guard {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return 0
