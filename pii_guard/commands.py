"""`pii-guard migrate`, `rewrap` and `reindex`: parsed arguments to runs, reports and exit codes.

Exit codes: 0 done (or stopped by `--max-batches`), 1 a batch failed (the batches before it
are committed; rerun to resume), 2 usage or configuration errors, 130 interrupted. Nothing
printed holds a stored or plaintext value: database errors are reported by their class,
SQLSTATE and statement, never the driver's message, which can quote a row.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from pii_guard.binding import ContextFunction, field_context, row_context
from pii_guard.config import get_cryptor
from pii_guard.errors import PIIConfigurationError, PIIGuardError, PIIUsageError
from pii_guard.migration import (
    Command,
    Options,
    Report,
    Shard,
    count_rows,
    resume_point,
    run,
)
from pii_guard.progress import ProgressBar

EXIT_DONE, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
VERBS = {
    "migrate": ("encrypted", "would be encrypted"),
    "rewrap": ("rewrapped", "would be rewrapped"),
    "reindex": ("reindexed", "would be reindexed"),
}


def run_command(
    args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run `pii-guard migrate|rewrap|reindex` with the arguments `flake8_pii.cli` parsed."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    command: Command = args.command
    try:
        models = [(name, import_model(name)) for name in args.models]
        options = _options(args, len(models))
        engine = _engine(args.database_url)
    except (PIIUsageError, PIIConfigurationError) as error:
        print(f"pii-guard {command}: error: {error}", file=err)
        return EXIT_USAGE
    try:
        for name, model in models:
            code = _run_model(command, engine, name, model, options, out, err)
            if code != EXIT_DONE:
                return code
    finally:
        engine.dispose()
    return EXIT_DONE


def _run_model(
    command: Command,
    engine: Engine,
    name: str,
    model: type,
    options: Options,
    out: TextIO,
    err: TextIO,
) -> int:
    report = Report(name)
    try:
        _check_table(engine, model)
        start = resume_point(options.progress_file, command, options.shard, name)
        total = count_rows(engine, model, start if start is not None else options.start_after)
        bar = ProgressBar(f"{command} {model.__name__}", total, err)
        try:
            run(
                command,
                engine,
                model,
                name,
                options,
                report=report,
                on_batch=lambda _, walked: bar.advance(walked),
            )
        finally:
            bar.close()
    except KeyboardInterrupt:
        print(f"pii-guard {command}: interrupted; {_resume_hint(report, options)}", file=err)
        return EXIT_INTERRUPTED
    except (PIIUsageError, PIIConfigurationError) as error:
        print(f"pii-guard {command}: error: {name}: {error}", file=err)
        return EXIT_USAGE
    except PIIGuardError as error:
        print(f"pii-guard {command}: error: {name}: {error}", file=err)
        print(_stopped(command, report, options), file=err)
        return EXIT_FAILED
    except SQLAlchemyError as error:
        print(f"pii-guard {command}: error: {name}: {_database_error(error)}", file=err)
        print(_stopped(command, report, options), file=err)
        return EXIT_FAILED
    print(_summary(command, report, options), file=out)
    return EXIT_DONE


def import_model(spec: str) -> type:
    """The mapped class named `pkg.module:Class`."""
    module_name, colon, class_name = spec.partition(":")
    if not colon or not module_name or not class_name:
        raise PIIUsageError(f"{spec!r}: name a model as package.module:Class")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise PIIUsageError(f"{spec!r}: cannot import {module_name!r} ({error})") from None
    found: Any = module
    for part in class_name.split("."):
        found = getattr(found, part, None)
    if not isinstance(found, type) or getattr(found, "__mapper__", None) is None:
        raise PIIUsageError(f"{spec!r}: {module_name} has no mapped class {class_name!r}")
    return found


def parse_binding(text: str) -> ContextFunction | None:
    """`field` (Model.field, the default), `none`, or `row:KEY[,KEY...]` (row_context)."""
    if text == "field":
        return field_context
    if text == "none":
        return None
    kind, colon, keys = text.partition(":")
    names = [name.strip() for name in keys.split(",") if name.strip()]
    if kind == "row" and colon and names:
        return row_context(*names)
    raise PIIUsageError(
        f"binding {text!r}: give field, none, or row:KEY[,KEY...] (the row's key columns)"
    )


def _options(args: argparse.Namespace, model_count: int) -> Options:
    if args.batch_size < 1:
        raise PIIUsageError("--batch-size must be at least 1")
    if args.max_batches is not None and args.max_batches < 1:
        raise PIIUsageError("--max-batches must be at least 1")
    if args.start_after and model_count > 1:
        raise PIIUsageError("--start-after applies to one model: name only that model")
    binding = parse_binding(args.binding)
    to_binding = binding
    if getattr(args, "to_binding", None) is not None:
        to_binding = parse_binding(args.to_binding)
    return Options(
        batch_size=args.batch_size,
        dry_run=args.dry_run,
        shard=Shard.parse(args.shard) if args.shard else Shard(),
        start_after=args.start_after or None,
        max_batches=args.max_batches,
        progress_file=Path(args.progress) if args.progress else None,
        cryptor=get_cryptor(),
        binding=binding,
        to_binding=to_binding,
    )


def _engine(url: str) -> Engine:
    try:
        # hide_parameters: a failed statement's message never carries row values
        return create_engine(url, hide_parameters=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        # Never echo the URL: it can hold a password.
        raise PIIUsageError(
            f"the database URL is not one SQLAlchemy can use ({type(error).__name__}); give "
            "a URL such as postgresql+psycopg://user@host/db or sqlite:///path.db"
        ) from None


def _check_table(engine: Engine, model: type) -> None:
    table = model.__table__  # type: ignore[attr-defined]
    if not inspect(engine).has_table(table.name, schema=table.schema):
        raise PIIUsageError(
            f"the database has no table {table.name!r} for {model.__name__}: check the URL"
        )


def _database_error(error: SQLAlchemyError) -> str:
    original = getattr(error, "orig", None)
    if original is None:
        return f"database error ({type(error).__name__})"
    described = type(original).__name__
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "sqlite_errorname", None)
    if sqlstate:
        described += f", {sqlstate}"
    statement = getattr(error, "statement", None)
    if statement:
        # The driver's message can quote row values (PostgreSQL's DETAIL); the statement cannot.
        return f"database error ({described}) in: {' '.join(str(statement).split())}"
    # No statement: connecting failed, and the message (host, port, refusal) quotes no row.
    first_line = str(original).strip().splitlines()[0] if str(original).strip() else ""
    return f"cannot reach the database ({described}): {first_line}"


def _resume_hint(report: Report, options: Options) -> str:
    if options.dry_run:
        return "a dry run wrote nothing"
    if options.progress_file is not None:
        return f"rerun the same command to resume (the progress is in {options.progress_file})"
    if report.after is None:
        return "no batch was committed: rerun the same command"
    where = " ".join(f"--start-after {shlex.quote(part)}" for part in report.after)
    return f"rerun with {where} to resume after the last committed batch"


def _stopped(command: Command, report: Report, options: Options) -> str:
    done = f"{report.batches} batch(es) committed before the failure"
    if options.dry_run:
        done = "a dry run wrote nothing"
    return f"pii-guard {command}: {report.name}: {done}; {_resume_hint(report, options)}"


def _summary(command: Command, report: Report, options: Options) -> str:
    done, would = VERBS[command]
    verb = would if options.dry_run else done
    shard = "" if options.shard.count == 1 else f" (shard {options.shard})"
    line = (
        f"{report.name}{shard}: {report.rows} rows read, {report.changed_rows} rows "
        f"{verb} ({report.changed_values} values) in {report.batches} batch(es)"
    )
    if options.dry_run:
        return line + "; dry run: nothing written"
    if report.complete and report.batches == 0:
        return f"{report.name}{shard}: already complete in {options.progress_file}; nothing to do"
    if not report.complete:
        return line + f"; stopped at --max-batches: {_resume_hint(report, options)}"
    return line + "; complete"
