"""Renders a run's findings: text (as flake8 prints), JSON (a stable, documented shape), SARIF."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from flake8_pii.findings import Finding
from flake8_pii.fingerprint import fingerprint
from flake8_pii.runner import FileError
from flake8_pii.sarif import build_sarif

FORMATS = ("text", "json", "sarif")
JSON_VERSION = 1


def repository_root(start: Path) -> Path:
    """The folder that SARIF and baseline paths are relative to: the git work tree holding
    `start`, or `start` itself outside one."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


class PathsRelativeTo:
    """Spells finding paths relative to one folder, with forward slashes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, finding: Finding) -> str:
        return self.of(finding.path)

    def of(self, path: str) -> str:
        absolute = Path(path).resolve()
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            return Path(os.path.relpath(absolute, self.root)).as_posix()


def render_text(findings: Sequence[Finding]) -> str:
    return "".join(f"{f.path}:{f.line}:{f.column}: {f.message}\n" for f in findings)


def render_json(
    findings: Sequence[Finding], errors: Sequence[FileError], relative: PathsRelativeTo
) -> str:
    document = {
        "version": JSON_VERSION,
        "findings": [
            {
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "code": f.code,
                "message": f.message,
                "subject": f.subject,
                "fingerprint": fingerprint(f, relative(f)),
            }
            for f in findings
        ],
        "errors": [{"path": e.path, "message": e.message} for e in errors],
    }
    return json.dumps(document, indent=2) + "\n"


def render_sarif(
    findings: Sequence[Finding],
    errors: Sequence[FileError],
    relative: PathsRelativeTo,
    version: str,
) -> str:
    notifications = [(relative.of(e.path), e.message) for e in errors]
    document = build_sarif(findings, relative.root, relative, version, notifications)
    return json.dumps(document, indent=2) + "\n"
