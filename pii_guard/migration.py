"""`migrate` and `rewrap` of stored PII: a mapped class's rows walked by primary key in batches.

Each batch is its own transaction: the primary keys of the next rows of the shard are read,
those rows are loaded (locked with `FOR UPDATE` where the database has it), changed through the
SQLAlchemy integration (one cryptor call a batch) and committed. Then the last key walked is
recorded, so a run stopped anywhere resumes after the last committed batch:

- **migrate** encrypts the PII values that still hold legacy plaintext and leaves stored values
  alone, so running it again over rows it already did (a batch committed just before a crash,
  before its progress was recorded) changes nothing;
- **rewrap** decrypts every stored value and encrypts it afresh under the current cryptor (after
  a KMS key change, with the old key among `PII_GUARD_KMS_DECRYPT_KEY_IDS`), optionally to
  another binding. A stored value does not say which master key wrapped its data key without a
  call to the key service, so rewrap does not skip values: a rerun rewraps a row again, which
  leaves it just as correct, and the progress record makes a rerun start where it stopped.

- **reindex** decrypts the values of rows with lookup columns (one call a batch) and writes their
  lookups under the newest index key version, keeping the ciphertext; a rerun writes the same.

A shard (`2/8`) holds the rows whose primary key hashes to it: shards of one count partition a
table, so workers given different shards never touch the same row.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, Select, func, inspect, select, tuple_
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import flag_modified

from pii_guard.binding import ContextFunction, field_context
from pii_guard.blindindex import LookupWriter, bound_lookups
from pii_guard.config import get_cryptor
from pii_guard.cryptors.base import Cryptor
from pii_guard.errors import PIIUsageError
from pii_guard.sqlalchemy import (
    ALLOW_PLAINTEXT_KEY,
    CONTEXT_KEY,
    CRYPTOR_KEY,
    decrypt,
    pii_attributes,
    set_recomputed_lookup,
)

Command = Literal["migrate", "rewrap", "reindex"]
Key = tuple[Any, ...]
PROGRESS_FORMAT = "pii-guard progress 1"


class ProgressFileError(PIIUsageError):
    """The progress file cannot be read, or records another command or shard."""


@dataclasses.dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (1-based): the rows whose primary key hashes to it."""

    index: int = 1
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, slash, count = text.partition("/")
        try:
            shard = cls(int(index), int(count))
        except ValueError:
            shard = cls(0, 0)
        if not slash or not 1 <= shard.index <= shard.count:
            raise PIIUsageError(
                f"--shard {text!r}: give I/N with 1 <= I <= N, such as 2/8 (the second of 8)"
            )
        return shard

    def holds(self, key: Key) -> bool:
        if self.count == 1:
            return True
        canonical = json.dumps([[type(part).__name__, str(part)] for part in key])
        digest = hashlib.blake2b(canonical.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclasses.dataclass(frozen=True)
class Options:
    """How a command walks the rows; the defaults process every row of the table."""

    batch_size: int = 500
    dry_run: bool = False
    shard: Shard = Shard()
    start_after: Sequence[str] | None = None
    max_batches: int | None = None
    progress_file: Path | None = None
    cryptor: Cryptor | None = None
    binding: ContextFunction | None = field_context
    to_binding: ContextFunction | None = field_context  # rewrap: the binding to write with


@dataclasses.dataclass
class Report:
    """What a command did to one model's rows, so far (filled in batch by batch)."""

    name: str
    walked: int = 0  # rows of every shard whose keys were read
    rows: int = 0  # rows of this shard loaded
    changed_rows: int = 0
    changed_values: int = 0
    batches: int = 0
    complete: bool = False
    after: list[str] | None = None  # the last key walked, as text (where to resume)


BatchChange = Callable[[Session, Sequence[object], Options], tuple[int, int]]


def _migrate_batch(
    session: Session, objects: Sequence[object], options: Options
) -> tuple[int, int]:
    """Encrypt the values still holding legacy plaintext (read as plain `str`)."""
    rows = values = 0
    for obj in objects:
        plain = [key for key, _ in pii_attributes(type(obj)) if type(getattr(obj, key)) is str]
        if plain:
            rows += 1
            values += len(plain)
            if not options.dry_run:
                for key in plain:
                    flag_modified(obj, key)  # the flush encrypts every flagged value at once
    return rows, values


def _rewrap_batch(session: Session, objects: Sequence[object], options: Options) -> tuple[int, int]:
    """Decrypt every value of the batch in one call; the flush encrypts them afresh in one."""
    holding = [
        obj
        for obj in objects
        if any(getattr(obj, key) is not None for key, _ in pii_attributes(type(obj)))
    ]
    values = sum(
        getattr(obj, key) is not None for obj in holding for key, _ in pii_attributes(type(obj))
    )
    if options.dry_run or not holding:
        return len(holding), values
    plaintexts = decrypt(holding, cryptor=_cryptor(session), context=options.binding)
    for obj, plain in zip(holding, plaintexts, strict=True):
        for key, value in plain.items():
            if value is not None:
                setattr(obj, key, value)
    return len(holding), values


def _reindex_batch(
    session: Session, objects: Sequence[object], options: Options
) -> tuple[int, int]:
    """Decrypt the batch's values in one call and write its lookups under the newest key."""
    holding = [obj for obj in objects if bound_lookups(type(obj))]
    if not holding:
        return 0, 0
    cryptor = _cryptor(session)
    plaintexts = decrypt(holding, cryptor=cryptor, context=options.binding)
    writer = LookupWriter(cryptor)
    rows = values = 0
    for obj, plain in zip(holding, plaintexts, strict=True):
        answers = writer.fill(obj, bound_lookups(type(obj)), SimpleNamespace(**plain))
        changed = {name: text for name, text in answers.items() if getattr(obj, name) != text}
        if changed:
            rows += 1
            values += len(changed)
            if not options.dry_run:
                for name, text in changed.items():
                    set_recomputed_lookup(obj, name, text)
    return rows, values


CHANGES: dict[Command, BatchChange] = {
    "migrate": _migrate_batch,
    "rewrap": _rewrap_batch,
    "reindex": _reindex_batch,
}


def _cryptor(session: Session) -> Cryptor:
    chosen: Cryptor = session.info[CRYPTOR_KEY]
    return chosen


def run(
    command: Command,
    engine: Engine,
    model: type,
    name: str,
    options: Options,
    *,
    report: Report | None = None,
    on_batch: Callable[[Report, int], None] | None = None,
) -> Report:
    """Run `command` over the rows of `model` (named `name` in the progress file and reports).

    `report` is filled in as batches commit, so a caller still has it when a batch raises;
    `on_batch(report, walked)` is called after each batch (for a progress bar).
    """
    if options.batch_size < 1:
        raise PIIUsageError("--batch-size must be at least 1")
    report = report if report is not None else Report(name)
    walk = _Walk.of(model)
    if command == "reindex" and not bound_lookups(model):
        raise PIIUsageError(
            f"{model.__name__} has no lookup columns to reindex (declare them with "
            "lookup_column, or lookup_of on a SQLModel table)"
        )
    progress = _ProgressFile(options.progress_file, command, options.shard)
    recorded = progress.entry(name)
    if recorded is not None and options.start_after is not None:
        raise ProgressFileError(
            f"{name} already has a position in {options.progress_file}: give --start-after "
            "or a progress file that has it, not both"
        )
    if recorded is not None and recorded.get("complete"):
        report.complete = True
        return report
    after_text = recorded.get("after") if recorded is not None else options.start_after
    after = None if after_text is None else walk.key_from_text(after_text)
    report.after = None if after is None else walk.key_to_text(after)
    cryptor = options.cryptor if options.cryptor is not None else get_cryptor()
    info: dict[str, Any] = {
        CRYPTOR_KEY: cryptor,
        CONTEXT_KEY: options.binding if command == "migrate" else options.to_binding,
        # migrate reads legacy plaintext as plain str; rewrap follows PII_GUARD_ALLOW_PLAINTEXT
        **({ALLOW_PLAINTEXT_KEY: True} if command == "migrate" else {}),
    }
    change = CHANGES[command]
    while options.max_batches is None or report.batches < options.max_batches:
        with Session(engine, info=info, autoflush=False) as session:
            keys, walked, last, exhausted = walk.next_keys(session, after, options)
            objects = walk.load(session, keys, lock=not options.dry_run)
            rows, values = change(session, objects, options)
            if not options.dry_run:
                session.commit()  # the flush encrypts: one cryptor call for the batch
        after = last if last is not None else after
        report.walked += walked
        report.rows += len(objects)
        report.changed_rows += rows
        report.changed_values += values
        report.batches += 1
        report.complete = exhausted
        report.after = None if after is None else walk.key_to_text(after)
        if not options.dry_run:
            progress.record(name, report.after, report.complete)
        if on_batch is not None:
            on_batch(report, walked)
        if exhausted:
            break
    return report


def count_rows(engine: Engine, model: type, after: Sequence[str] | None) -> int:
    """How many rows of `model` (every shard) lie after the key `after`."""
    walk = _Walk.of(model)
    start = None if after is None else walk.key_from_text(after)
    with Session(engine) as session:
        query = select(func.count()).select_from(model)
        if start is not None:
            query = query.where(walk.after(start))
        return int(session.scalar(query) or 0)


def resume_point(path: Path | None, command: Command, shard: Shard, name: str) -> list[str] | None:
    """The key a run of `command` over `name` resumes after, from the progress file."""
    entry = _ProgressFile(path, command, shard).entry(name)
    if entry is None:
        return None
    after = entry.get("after")
    return None if after is None else list(after)


@dataclasses.dataclass(frozen=True)
class _Walk:
    """A mapped class with PII columns, walked in the order of its primary key."""

    model: type
    key_columns: tuple[ColumnElement[Any], ...]

    @classmethod
    def of(cls, model: type) -> _Walk:
        mapper: Mapper[Any] = inspect(model)
        if not pii_attributes(model):
            raise PIIUsageError(
                f"{model.__name__} has no PII columns (annotate them with PIIStr, or map them "
                "with PIIString)"
            )
        return cls(model, tuple(mapper.primary_key))

    def after(self, key: Key) -> ColumnElement[bool]:
        if len(self.key_columns) == 1:
            later: ColumnElement[bool] = self.key_columns[0] > key[0]
        else:
            later = tuple_(*self.key_columns) > tuple_(*key)
        return later

    def next_keys(
        self, session: Session, after: Key | None, options: Options
    ) -> tuple[list[Key], int, Key | None, bool]:
        """Up to `batch_size` keys of the shard after `after`: (keys, keys walked, last key
        walked, whether the table ends there)."""
        own: list[Key] = []
        walked = 0
        last = after
        while True:
            query = select(*self.key_columns).order_by(*self.key_columns)
            if last is not None:
                query = query.where(self.after(last))
            page = [tuple(row) for row in session.execute(query.limit(options.batch_size))]
            for key in page:
                last = key
                walked += 1
                if options.shard.holds(key):
                    own.append(key)
                    if len(own) == options.batch_size:
                        return own, walked, last, False
            if len(page) < options.batch_size:
                return own, walked, last, True

    def load(self, session: Session, keys: list[Key], *, lock: bool) -> Sequence[object]:
        if not keys:
            return []
        if len(self.key_columns) == 1:
            chosen = self.key_columns[0].in_([key[0] for key in keys])
        else:
            chosen = tuple_(*self.key_columns).in_(keys)
        query: Select[Any] = select(self.model).where(chosen).order_by(*self.key_columns)
        if lock:
            query = query.with_for_update()  # no other writer changes a row between read and write
        return session.scalars(query).all()

    def key_to_text(self, key: Key) -> list[str]:
        return [str(part) for part in key]

    def key_from_text(self, texts: Sequence[str]) -> Key:
        if len(texts) != len(self.key_columns):
            names = ", ".join(str(column.key) for column in self.key_columns)
            raise PIIUsageError(
                f"{self.model.__name__}'s primary key has {len(self.key_columns)} column(s) "
                f"({names}); the start key given has {len(texts)}"
            )
        key = []
        for column, text in zip(self.key_columns, texts, strict=True):
            try:
                python_type = column.type.python_type
                key.append(python_type(text))
            except (NotImplementedError, TypeError, ValueError):
                raise PIIUsageError(
                    f"the start key {text!r} is not a value of {self.model.__name__}."
                    f"{column.key} ({column.type})"
                ) from None
        return tuple(key)


class _ProgressFile:
    """Where each model's walk stopped, for one command and shard: JSON, replaced atomically
    after every committed batch."""

    def __init__(self, path: Path | None, command: Command, shard: Shard) -> None:
        self.path = path
        self.command = command
        self.shard = str(shard)
        self.models: dict[str, dict[str, Any]] = {}
        if path is not None and path.exists():
            self._read(path)

    def _read(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ProgressFileError(
                f"cannot read the progress file {path}: {type(error).__name__}"
            ) from None
        if not isinstance(data, dict) or data.get("format") != PROGRESS_FORMAT:
            raise ProgressFileError(f"{path} is not a pii-guard progress file")
        if data.get("command") != self.command or data.get("shard") != self.shard:
            raise ProgressFileError(
                f"{path} records a {data.get('command')} run of shard {data.get('shard')}, not "
                f"{self.command} of shard {self.shard}: give each run its own progress file"
            )
        models = data.get("models")
        self.models = models if isinstance(models, dict) else {}

    def entry(self, name: str) -> dict[str, Any] | None:
        found = self.models.get(name)
        return found if isinstance(found, dict) else None

    def record(self, name: str, after: list[str] | None, complete: bool) -> None:
        if self.path is None:
            return
        self.models[name] = {"after": after, "complete": complete}
        data = {
            "format": PROGRESS_FORMAT,
            "command": self.command,
            "shard": self.shard,
            "models": self.models,
        }
        folder = self.path.parent
        handle, temporary = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream, indent=1)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


__all__ = [
    "Options",
    "ProgressFileError",
    "Report",
    "Shard",
    "count_rows",
    "resume_point",
    "run",
]
