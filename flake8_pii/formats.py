"""Renderers of findings, one per `--format` value."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flake8_pii.findings import Finding


def render_text(findings: Sequence[Finding]) -> str:
    """`path:line:col: CODE message`, one a line, exactly as flake8 prints them."""
    return "".join(f"{f.path}:{f.line}:{f.column}: {f.message}\n" for f in findings)


FORMATS: dict[str, Callable[[Sequence[Finding]], str]] = {"text": render_text}
