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
import time
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
    """flake8 runs every installed plugin whatever `--select` says, so the baseline is flake8
    without pii-guard (`--select F` shows pyflakes' findings; pycodestyle runs too, as in every
    flake8 run), and the plugin's own share of a run is its time minus that baseline."""
    tree = pii_tree(modules)
    check = [str(BIN / "pii-guard"), "check", "--exit-zero", "shop"]
    select_pii = [str(BIN / "flake8"), "-j1", "--exit-zero", "--select", "PII", "shop"]
    pyflakes = [str(flake8_without_plugin()), "-j1", "--exit-zero", "--select", "F", "shop"]
    lines = sum(len(p.read_bytes().splitlines()) for p in (tree / "shop").rglob("*.py"))
    print(f"corpus (b): generated project, {modules} service modules, {lines} lines")
    pii_cold, pii_warm, check_cold, check_warm, baseline = alternate(
        rounds,
        [
            ("flake8 --select PII (cold)", lambda: timed(select_pii, tree, cold_root=tree)),
            ("flake8 --select PII (warm)", lambda: timed(select_pii, tree)),
            ("pii-guard check (cold)", lambda: timed(check, tree, cold_root=tree)),
            ("pii-guard check (warm)", lambda: timed(check, tree)),
            ("flake8 --select F without pii-guard", lambda: timed(pyflakes, tree)),
        ],
    )
    report("(b) flake8 --select PII", pii_cold, baseline, "<= 3x")
    report("(b) pii-guard check, cold", check_cold, baseline, "<= 2x")
    report("(b) incremental pii-guard check", check_warm, check_cold, "<= 0.2x")
    report("(b) incremental flake8 --select PII", pii_warm, pii_cold, "<= 0.2x")
    cold_share = pii_cold.median - baseline.median
    warm_share = pii_warm.median - baseline.median
    print(
        f"(b) the plugin's share of a flake8 run: warm {warm_share:.3f}s / cold {cold_share:.3f}s"
        f" = {warm_share / cold_share:.2f}x (the rest is flake8's own checks, run every time)"
    )

    clear_cache(tree)
    cold = run_command(check, cwd=str(tree))
    warm = run_command(check, cwd=str(tree))
    same = "identical" if cold.stdout == warm.stdout else "DIFFERENT"
    print(f"(b) findings of a cold and a warm check: {len(cold.stdout.splitlines())}, {same}")
    print(f"(b) peak RSS of a cold pii-guard check: {cold.peak_rss_mb:.0f} MB (target < 300 MB)")


def stdin_run(argv: list[str], cwd: Path, text: str) -> float:
    """Seconds for one run of `argv` reading `text` on standard input, as an editor runs flake8
    on an unsaved buffer."""
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, input=text, capture_output=True, text=True, check=False)
    return time.perf_counter() - started


def bench_editor(rounds: int) -> None:
    """An editor's flake8 run on one small file of a 100-module project, the cache warm: the
    wait a user sees after each keystroke pause."""
    tree = pii_tree(100)
    relative = "shop/services/svc_0007.py"
    text = (tree / relative).read_text()
    with_plugin = [str(BIN / "flake8"), "--stdin-display-name", relative, "-"]
    without = [str(flake8_without_plugin()), "--stdin-display-name", relative, "-"]
    clear_cache(tree)
    run_command([str(BIN / "flake8"), "-j1", "--exit-zero", "--select", "PII", "shop"], str(tree))
    print(f"editor path: {relative} ({len(text.splitlines())} lines) in a 100-module project")
    figure, baseline = alternate(
        rounds,
        [
            ("flake8 + pii-guard, warm", lambda: stdin_run(with_plugin, tree, text)),
            ("flake8 alone", lambda: stdin_run(without, tree, text)),
        ],
    )
    report("editor path, flake8 --stdin-display-name", figure, baseline, "under 0.3 s warm")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modules", type=int, default=1000)
    parser.add_argument("--only", choices=["django", "pii", "editor"], default=None)
    args = parser.parse_args()
    if args.only in (None, "django"):
        bench_django(args.rounds)
    if args.only in (None, "pii"):
        bench_pii(args.rounds, args.modules)
    if args.only in (None, "editor"):
        bench_editor(max(args.rounds, 10))


if __name__ == "__main__":
    main()
