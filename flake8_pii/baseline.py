"""Baseline files: record today's findings, then report only what is new.

A baseline stores fingerprints with counts, so one old finding cannot hide a new identical one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flake8_pii.findings import Finding
from flake8_pii.fingerprint import fingerprint

BASELINE_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class BaselineEntry:
    fingerprint: str
    code: str
    path: str
    subject: str
    count: int


def build_entries(
    findings: Iterable[Finding], relative_path: Callable[[Finding], str]
) -> list[BaselineEntry]:
    """Group findings by fingerprint, counting each, in a stable order."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[Finding, str]] = {}
    for finding in findings:
        rel = relative_path(finding)
        key = fingerprint(finding, rel)
        counts[key] += 1
        first.setdefault(key, (finding, rel))
    entries = [
        BaselineEntry(key, first[key][0].code, first[key][1], first[key][0].subject, count)
        for key, count in counts.items()
    ]
    return sorted(entries, key=lambda e: (e.path, e.code, e.subject, e.fingerprint))


def write_baseline(path: Path, entries: Sequence[BaselineEntry]) -> None:
    document = {
        "version": BASELINE_VERSION,
        "tool": "pii-guard",
        "findings": [
            {
                "fingerprint": e.fingerprint,
                "code": e.code,
                "path": e.path,
                "subject": e.subject,
                "count": e.count,
            }
            for e in entries
        ],
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_baseline(path: Path) -> Counter[str]:
    """Fingerprint -> how many findings with it the baseline accepts."""
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BaselineError(f"{path}: not a readable baseline file ({error})") from None
    if not isinstance(document, dict) or document.get("version") != BASELINE_VERSION:
        raise BaselineError(
            f"{path}: not a pii-guard baseline of version {BASELINE_VERSION}; "
            "write it again with --write-baseline"
        )
    accepted: Counter[str] = Counter()
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise BaselineError(f"{path}: 'findings' must be a list")
    for position, item in enumerate(findings):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("fingerprint"), str)
            and isinstance(item.get("count"), int)
            and item["count"] > 0
        ):
            raise BaselineError(
                f"{path}: findings[{position}] needs a string 'fingerprint' and a positive 'count'"
            )
        accepted[item["fingerprint"]] += item["count"]
    return accepted


def new_findings(
    findings: Sequence[Finding],
    accepted: Counter[str],
    relative_path: Callable[[Finding], str],
) -> list[Finding]:
    """The findings beyond what the baseline accepts; for repeats, the later ones are new."""
    remaining = Counter(accepted)
    fresh: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.path, f.line, f.column, f.code)):
        key = fingerprint(finding, relative_path(finding))
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            fresh.append(finding)
    return fresh
