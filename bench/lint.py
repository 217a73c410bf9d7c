"""Linter benchmark: the plugin's cost on real code without PII, and on a PII-heavy project.

Run by hand from a checkout with the project installed (`.venv/bin/python bench/lint.py`).
Each figure is measured against its baseline in the same run, alternating, and printed as a ratio.
Downloads and generated trees live in ~/.cache/pii-guard-bench, outside the repository.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import alternate, report, run_command
from corpus import generate

CACHE = Path.home() / ".cache" / "pii-guard-bench"
DJANGO_VERSION = "5.2.19"
ANALYZER_CACHE_DIR = ".pii_guard_cache"
BIN = Path(sys.executable).parent


def django_tree() -> Path:
    """Django's source from its sdist on PyPI, downloaded once."""
    target = CACHE / f"django-{DJANGO_VERSION}"
    if (target / "django").is_dir():
        return target
    downloads = CACHE / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"django=={DJANGO_VERSION}",
            "-d",
            str(downloads),
        ],
        check=True,
    )
    sdist = next(downloads.glob(f"[dD]jango-{DJANGO_VERSION}.tar.gz"))
    with tarfile.open(sdist) as archive:
        archive.extractall(CACHE, filter="data")
    extracted = CACHE / sdist.name.removesuffix(".tar.gz")
    if extracted != target:
        extracted.rename(target)
    return target


def flake8_without_plugin() -> Path:
    """A second environment with the same flake8 and no pii-guard: the baseline on Django."""
    env_dir = CACHE / "venv-flake8-only"
    exe = env_dir / "bin" / "flake8"
    if not exe.exists():
        import flake8

        venv.create(env_dir, with_pip=True)
        subprocess.run(
            [str(env_dir / "bin" / "pip"), "install", "--quiet", f"flake8=={flake8.__version__}"],
            check=True,
        )
    return exe


def pii_tree(modules: int) -> Path:
    root = CACHE / f"pii-project-{modules}"
    if not (root / "shop").is_dir():
        generate(root, modules=modules)
    return root


def clear_cache(root: Path) -> None:
    shutil.rmtree(root / ANALYZER_CACHE_DIR, ignore_errors=True)


def timed(argv: list[str], cwd: Path, cold_root: Path | None = None) -> float:
    if cold_root is not None:
        clear_cache(cold_root)
    return run_command(argv, cwd=str(cwd)).seconds


def bench_django(rounds: int) -> None:
    tree = django_tree()
    package = str(tree / "django")
    with_plugin = [str(BIN / "flake8"), "-j1", "--exit-zero", package]
    without = [str(flake8_without_plugin()), "-j1", "--exit-zero", package]
    lines = sum(len(p.read_bytes().splitlines()) for p in (tree / "django").rglob("*.py"))
    print(f"corpus (a): Django {DJANGO_VERSION}, {lines} lines")
    figure, baseline = alternate(
        rounds,
        [
            ("flake8 + pii-guard", lambda: timed(with_plugin, tree, cold_root=tree)),
            ("flake8 alone", lambda: timed(without, tree)),
        ],
    )
    report("(a) default flake8 run, cold", figure, baseline, "<= 1.10x")


def bench_pii(rounds: int, modules: int) -> None:
    tree = pii_tree(modules)
    flake8 = str(BIN / "flake8")
    check = [str(BIN / "pii-guard"), "check", "--exit-zero", "shop"]
    select_pii = [flake8, "-j1", "--exit-zero", "--select", "PII", "shop"]
    select_f = [flake8, "-j1", "--exit-zero", "--select", "F", "shop"]
    print(f"corpus (b): generated project, {modules} service modules")
    pii, pyflakes, cold = alternate(
        rounds,
        [
            ("flake8 --select PII (cold)", lambda: timed(select_pii, tree, cold_root=tree)),
            ("flake8 --select F", lambda: timed(select_f, tree)),
            ("pii-guard check (cold)", lambda: timed(check, tree, cold_root=tree)),
        ],
    )
    report("(b) flake8 --select PII", pii, pyflakes, "<= 3x")
    report("(b) pii-guard check, cold", cold, pyflakes, "<= 2x")

    def warm(argv: list[str]) -> float:
        timed(argv, tree)  # make sure the cache is filled by this same command
        return timed(argv, tree)

    warm_check, cold_check = alternate(
        rounds,
        [
            ("pii-guard check (warm)", lambda: warm(check)),
            ("pii-guard check (cold)", lambda: timed(check, tree, cold_root=tree)),
        ],
    )
    report("(b) incremental pii-guard check", warm_check, cold_check, "<= 0.2x")
    warm_flake8, cold_flake8 = alternate(
        rounds,
        [
            ("flake8 --select PII (warm)", lambda: warm(select_pii)),
            ("flake8 --select PII (cold)", lambda: timed(select_pii, tree, cold_root=tree)),
        ],
    )
    report("(b) incremental flake8 --select PII", warm_flake8, cold_flake8, "<= 0.2x")

    clear_cache(tree)
    peak = run_command(check, cwd=str(tree)).peak_rss_mb
    print(f"(b) peak RSS of a cold pii-guard check: {peak:.0f} MB (target < 300 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modules", type=int, default=1000)
    parser.add_argument("--only", choices=["django", "pii"], default=None)
    args = parser.parse_args()
    if args.only in (None, "django"):
        bench_django(args.rounds)
    if args.only in (None, "pii"):
        bench_pii(args.rounds, args.modules)


if __name__ == "__main__":
    main()
