"""Cached findings of one module: the key they are stored under, and their JSON form.

The key covers everything the findings depend on: the analyzer (its version and a digest of its
source: rules, vocabulary, message texts), the module's text, the summaries of every project
module it imports (transitively) and the settings.
"""

from __future__ import annotations

from typing import Any

from flake8_pii.cache import ProjectCache, analyzer_digest, content_hash
from flake8_pii.findings import Finding, catalogue_digest
from flake8_pii.index import ProjectIndex
from flake8_pii.summary import ModuleSummary


def entry_name(text: str, summary: ModuleSummary, index: ProjectIndex) -> str:
    """The cache entry holding the findings of `text`, the module `summary` of `index`."""
    key = content_hash(
        "\x1f".join(
            (
                analyzer_digest(),
                catalogue_digest(),  # the texts in effect, which the cached findings hold
                content_hash(text.encode("utf-8", "surrogatepass")),
                index.dependency_digest(summary),
                index.settings.digest(),
            )
        ).encode()
    )
    return f"findings/{key}"


def read_findings(cache: ProjectCache, entry: str, path: str) -> tuple[Finding, ...] | None:
    """The findings cached under `entry`, reported at `path`; None when there are none."""
    cached = cache.read(entry)
    if "findings" not in cached:
        return None
    return tuple(_finding_from_json(path, item) for item in cached["findings"])


def write_findings(cache: ProjectCache, entry: str, findings: list[Finding]) -> None:
    cache.write(entry, {"findings": [_finding_to_json(f) for f in findings]})


def _finding_to_json(finding: Finding) -> list[Any]:
    return [
        finding.line,
        finding.column,
        finding.code,
        finding.message,
        finding.subject,
        finding.statement,
    ]


def _finding_from_json(path: str, item: list[Any]) -> Finding:
    line, column, code, message, subject, statement = item
    return Finding(path, line, column, code, message, subject, statement)
