"""Run the analyzer over large real code bases and count internal errors (there must be none).

    python bench/robustness.py                 # this interpreter's standard library + Django
    python bench/robustness.py PATH...         # any folders
    python bench/robustness.py --stress PATH   # also treat `str` and `int` as PII types

Every file gets the full libcst pass (the cheap per-file decision is skipped), so every rule and
the type-of-value pass meet every construct in the corpus. Files that are not valid Python for
this interpreter are counted separately: they are reported to users, not internal errors.
Django's sdist is downloaded with pip into bench/.cache/ (ignored by git) on first use.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import sysconfig
import tarfile
import time
import traceback
from dataclasses import replace
from pathlib import Path

from flake8_pii.cli import python_files, read_source
from flake8_pii.config import BUILTIN_PII_TYPES, Config
from flake8_pii.engine import Projects, check_source

DJANGO_VERSION = "5.2.19"
CACHE = Path(__file__).resolve().parent / ".cache"


def django_source() -> Path:
    target = CACHE / f"django-{DJANGO_VERSION}"
    if target.is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
         ":all:", f"django=={DJANGO_VERSION}", "-d", str(CACHE)],
        check=True,
    )
    with tarfile.open(CACHE / f"django-{DJANGO_VERSION}.tar.gz") as archive:
        archive.extractall(CACHE, filter="data")
    return target


def run(folder: Path, stress: bool) -> int:
    config = replace(Config(), pii_types=BUILTIN_PII_TYPES | {"str", "int"}) if stress else None
    projects = Projects(use_cache=False, config=config)
    files = lines = unreadable = unparsable = errors = findings = 0
    started = time.perf_counter()
    for path in python_files([str(folder)]):
        files += 1
        try:
            text = read_source(path)
        except (OSError, SyntaxError, UnicodeDecodeError):
            unreadable += 1
            continue
        lines += text.count("\n")
        try:
            result = check_source(path, text, projects=projects, force=True)
        except Exception:
            errors += 1
            print(f"INTERNAL ERROR in {path}:", file=sys.stderr)
            traceback.print_exc()
            continue
        unparsable += result.failure is not None
        findings += len(result.findings)
    seconds = time.perf_counter() - started
    print(f"{folder}: {files} files, {lines} lines, {seconds:.1f} s; unreadable {unreadable}, "
          f"not valid Python {unparsable}, findings {findings}, internal errors {errors}")
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--stress", action="store_true", help="treat str and int as PII types")
    args = parser.parse_args()
    paths = args.paths or [Path(sysconfig.get_paths()["stdlib"]), django_source()]
    errors = sum(run(path, args.stress) for path in paths)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
