"""Shared timing harness: alternate a figure with its baseline over rounds, report medians."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Samples:
    name: str
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass(frozen=True)
class CommandRun:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str


def run_command(argv: Sequence[str], cwd: str | None = None) -> CommandRun:
    """Run a command, timing it and reading its peak RSS from the kernel's rusage of that child."""
    start = time.perf_counter()
    process = subprocess.Popen(
        list(argv), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    stdout = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return CommandRun(seconds, usage.ru_maxrss / 1024, process.returncode, stdout)


def alternate(rounds: int, contenders: Sequence[tuple[str, Callable[[], float]]]) -> list[Samples]:
    """Run each contender once per round, in turn, so drift on a noisy machine hits all alike."""
    samples = [Samples(name) for name, _ in contenders]
    for _ in range(rounds):
        for sample, (_, run) in zip(samples, contenders, strict=True):
            sample.seconds.append(run())
    return samples


def report(title: str, figure: Samples, baseline: Samples, target: str) -> float:
    ratio = figure.median / baseline.median
    print(
        f"{title}: {figure.name} {figure.median:.3f}s / {baseline.name} {baseline.median:.3f}s"
        f" = {ratio:.2f}x (target {target}; medians of {len(figure.seconds)} rounds)"
    )
    return ratio


def report_speedup(
    title: str,
    figure: Samples,
    figure_count: int,
    baseline: Samples,
    baseline_count: int,
    target: str,
) -> float:
    """How many times faster per value `figure` is than `baseline` (each timed on its own count
    of values, so a slow baseline can run on fewer)."""
    ours = figure.median / figure_count
    theirs = baseline.median / baseline_count
    speedup = theirs / ours
    print(
        f"{title}: {figure.name} {ours * 1e6:.1f}us/value ({figure_count} values) vs "
        f"{baseline.name} {theirs * 1e6:.1f}us/value ({baseline_count} values) = "
        f"{speedup:.1f}x faster (target {target}; medians of {len(figure.seconds)} rounds)"
    )
    return speedup
