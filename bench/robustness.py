"""Robustness run: pii-guard over large real code bases, and over generated long chains.

Run by hand from a checkout with the project installed:

    .venv/bin/python bench/robustness.py                  # standard library and Django, chains
    .venv/bin/python bench/robustness.py --only chains    # or: stdlib, django
    .venv/bin/python bench/robustness.py --limit 200      # the first 200 files of each corpus

Each corpus (this interpreter's standard library; Django's sdist, downloaded once by
bench/lint.py's helper) is copied to ~/.cache/pii-guard-bench/robustness/ with a pyproject.toml,
so that it is one project of its own, and checked four ways: in-process per file as
`pii-guard check` does; the same with the full pass (every rule on every file, `STRESS_TYPES`
counted as PII types so that the rules meet PII values in code that never names one); and both
through the real `pii-guard check` executable, its JSON report read back. Each way prints
files, lines, findings, the per-file messages by kind (not valid Python for this interpreter,
undecodable, too deeply nested, beyond libcst's parser) and internal errors, which must be 0.

The chains section times the analysis of one generated module per kind and size, each in a
child process with a time limit, so exponential behaviour shows as a timeout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lint import CACHE, DJANGO_VERSION, django_tree

from flake8_pii.config import load_settings
from flake8_pii.engine import analyse_source
from flake8_pii.index_build import build_index
from flake8_pii.runner import UnreadableFile, discover, read_source
from flake8_pii.session import project_index

WORK = CACHE / "robustness"
BIN = Path(sys.executable).parent
# Counted as PII types in the full pass: every parameter, variable and model field annotated
# with one of them is PII, so that the rules meet PII values in code that never names one.
STRESS_TYPES = ("builtins.str", "builtins.int", "builtins.bytes", "typing.Any")
STRESS_TABLE = "\n[tool.pii_guard]\nextra-pii-types = [{}]\n".format(
    ", ".join(f'"{name}"' for name in STRESS_TYPES)
)
MESSAGE_KINDS = (
    ("syntax error", "not valid Python"),
    ("cannot read the file", "cannot be read"),
    ("too deeply nested", "too deeply nested"),
    ("libcst cannot parse", "beyond libcst's parser"),
    ("internal error", "internal error"),
)


@dataclass
class Tally:
    files: int = 0
    lines: int = 0
    findings: int = 0
    internal_errors: int = 0
    seconds: float = 0.0
    messages: Counter[str] = field(default_factory=Counter)

    def line(self, label: str) -> str:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.messages.items())) or "none"
        lines = f"{self.lines:,} lines, " if self.lines else ""
        return (
            f"  {label:<37} {self.files:>5} files, {lines}{self.findings:>5} findings, "
            f"{self.internal_errors} internal errors, {self.seconds:7.1f} s; messages: {kinds}"
        )


def message_kind(message: str) -> str:
    for start, kind in MESSAGE_KINDS:
        if start in message:
            return kind
    return "other: " + message


# --- corpora ------------------------------------------------------------------------------


def corpus_copy(name: str, source: Path, limit: int | None) -> Path:
    """A copy of the .py files under `source`, with a pyproject.toml at its top."""
    target = WORK / (name if limit is None else f"{name}-first-{limit}")
    if (target / "pyproject.toml").is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    files = sorted(p for p in source.rglob("*.py") if "site-packages" not in p.parts)
    copied = 0
    for path in files:
        if limit is not None and copied >= limit:
            break
        if path.is_symlink() or not path.is_file():
            continue
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        copied += 1
    (target / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n')
    return target


@contextmanager
def stress_config(root: Path) -> Iterator[None]:
    """[tool.pii_guard] extra-pii-types = STRESS_TYPES in the copy's pyproject.toml, for the
    duration of the block."""
    pyproject = root / "pyproject.toml"
    original = pyproject.read_text()
    pyproject.write_text(original + STRESS_TABLE)
    try:
        yield
    finally:
        pyproject.write_text(original)


def in_process(root: Path, full_pass: bool) -> Tally:
    """Every file as `check_paths` handles it, with internal errors counted instead of caught."""
    tally = Tally()
    started = time.perf_counter()
    for display, project in discover([str(root)]):
        tally.files += 1
        try:
            text = read_source(display)
        except UnreadableFile as error:
            tally.messages[message_kind(f"cannot read the file: {error}")] += 1
            continue
        tally.lines += text.count("\n")
        try:
            index = project_index(project, load_settings(project), use_cache=False)
            result = analyse_source(
                text, display, index, use_cache=False, check_syntax=True, full_pass=full_pass
            )
        except Exception:
            tally.internal_errors += 1
            print(f"INTERNAL ERROR in {display}:", file=sys.stderr)
            traceback.print_exc()
            continue
        if result.error is not None:
            tally.messages[message_kind(result.error)] += 1
        tally.findings += len(result.findings)
    tally.seconds = time.perf_counter() - started
    return tally


def executable(root: Path, full_pass: bool) -> Tally:
    """The real `pii-guard check`, its JSON report read back."""
    argv = [str(BIN / "pii-guard"), "check", "--no-cache", "--exit-zero", "--format", "json"]
    if full_pass:
        argv.append("--full-pass")
    started = time.perf_counter()
    process = subprocess.run([*argv, str(root)], capture_output=True, text=True)
    tally = Tally(seconds=time.perf_counter() - started)
    if process.returncode != 0 or "Traceback" in process.stderr:
        tally.internal_errors += 1
        print(f"pii-guard check exited {process.returncode}:\n{process.stderr}", file=sys.stderr)
        return tally
    report = json.loads(process.stdout)
    tally.findings = len(report["findings"])
    for error in report["errors"]:
        kind = message_kind(error["message"])
        tally.messages[kind] += 1
        if kind == "internal error":
            tally.internal_errors += 1
            print(f"INTERNAL ERROR in {error['path']}: {error['message']}", file=sys.stderr)
    tally.files, tally.lines = count_lines(root)
    return tally


def count_lines(root: Path) -> tuple[int, int]:
    files = lines = 0
    for display, _ in discover([str(root)]):
        files += 1
        with suppress(UnreadableFile):
            lines += read_source(display).count("\n")
    return files, lines


def run_corpus(name: str, source: Path, limit: int | None) -> int:
    root = corpus_copy(name, source, limit)
    print(f"{name}: {source} (copied to {root})")
    errors = 0
    for label, run, full in (
        ("in-process, as check does", in_process, False),
        ("pii-guard check", executable, False),
        ("in-process, full pass + stress", in_process, True),
        ("pii-guard check --full-pass + stress", executable, True),
    ):
        if full:
            with stress_config(root):
                tally = run(root, True)
        else:
            tally = run(root, False)
        print(tally.line(label), flush=True)
        errors += tally.internal_errors
    return errors


# --- chains -------------------------------------------------------------------------------

MODELS = """\
from pii_guard import PIIModel, PIIStr


class Customer(PIIModel):
    id: int
    email: PIIStr
"""
HEAD = "import logging\n\nfrom app.models import Customer\n\nlog = logging.getLogger(__name__)\n\n"

CHAINS: dict[str, Callable[[int], str]] = {
    # `x = x + ...` reassigned n times, then logged
    "reassigned": lambda n: (
        "def f(c: Customer):\n    x = c.email\n" + "    x = x + str(c.id)\n" * n + "    print(x)\n"
    ),
    # each name built from the one before, twice, none of them PII: 2**n paths unless each
    # name is worked out once
    "doubled": lambda n: (
        "def f(c: Customer):\n    a0 = str(c.id)\n"
        + "".join(f"    a{i} = a{i - 1} + a{i - 1}\n" for i in range(1, n + 1))
        + f"    print(a{n} + c.email)\n"
    ),
    # a call chain on a value of unknown type
    "call chain": lambda n: "def f(c: Customer, v):\n    print(v" + ".b()" * n + ")\n",
    # a call chain on a PII value
    "PII call chain": lambda n: "def f(c: Customer):\n    print(c.email" + ".strip()" * n + ")\n",
    # one log call with a dict literal of n PII values
    "dict literal": lambda n: (
        "def f(c: Customer):\n    log.info('x', extra={"
        + ", ".join(f"'k{i}': c.email" for i in range(n))
        + "})\n"
    ),
    # one log call of a sum of n terms
    "sum": lambda n: "def f(c: Customer):\n    print(c.email" + " + 'a'" * n + ")\n",
}
CHAIN_SIZES = (10, 20, 40, 100, 250, 500, 900, 2000, 5000)
CHAIN_TIMEOUT = 60.0


def time_chain(kind: str, size: int) -> None:
    """In the child process: build the module, analyse it, print seconds and findings."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text("[project]\nname = 'app'\n")
        (root / "app").mkdir()
        (root / "app" / "__init__.py").write_text("")
        (root / "app" / "models.py").write_text(MODELS)
        text = HEAD + CHAINS[kind](size)
        path = root / "app" / "chain.py"
        path.write_text(text)
        index = build_index(root, load_settings(root), use_cache=False)
        started = time.perf_counter()
        result = analyse_source(text, str(path), index, use_cache=False)
        seconds = time.perf_counter() - started
        outcome = f"{len(result.findings)} findings" if result.error is None else result.error
        print(f"{seconds:.3f} {outcome}")


def run_chains(sizes: tuple[int, ...]) -> None:
    print(f"chains: seconds to analyse one module (limit {CHAIN_TIMEOUT:.0f} s each)")
    for kind in CHAINS:
        cells = []
        for size in sizes:
            try:
                child = subprocess.run(
                    [sys.executable, __file__, "--chain", kind, str(size)],
                    capture_output=True,
                    text=True,
                    timeout=CHAIN_TIMEOUT,
                )
            except subprocess.TimeoutExpired:
                cells.append(f"{size}: > {CHAIN_TIMEOUT:.0f} s")
                break
            if child.returncode != 0:
                cells.append(f"{size}: failed")
                print(textwrap.indent(child.stderr[-2000:], "    "), file=sys.stderr)
                break
            seconds, _, outcome = child.stdout.strip().partition(" ")
            cells.append(f"{size}: {float(seconds):.2f} s ({outcome})")
        print(f"  {kind:<15} " + "; ".join(cells), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["stdlib", "django", "chains"])
    parser.add_argument("--limit", type=int, help="check only the first N files of a corpus")
    parser.add_argument("--chain", nargs=2, metavar=("KIND", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--sizes", help="comma-separated chain sizes", default=",".join(map(str, CHAIN_SIZES))
    )
    args = parser.parse_args()
    if args.chain:
        time_chain(args.chain[0], int(args.chain[1]))
        return 0
    errors = 0
    if args.only in (None, "stdlib"):
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        errors += run_corpus(f"stdlib-{sys.version_info[0]}.{sys.version_info[1]}", stdlib,
                             args.limit)  # fmt: skip
    if args.only in (None, "django"):
        errors += run_corpus(f"django-{DJANGO_VERSION}", django_tree(), args.limit)
    if args.only in (None, "chains"):
        run_chains(tuple(int(size) for size in args.sizes.split(",")))
    print(f"internal errors: {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
