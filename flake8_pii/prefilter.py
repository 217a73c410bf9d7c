"""Can a module have a finding at all? Decided from its summary, before libcst is involved.

A module that defines no model with PII, declares no keys and imports nothing that leads to a
model with PII cannot have a finding; most modules of a project end here (see DESIGN's costs).
"""

from __future__ import annotations

from flake8_pii.index import ProjectIndex
from flake8_pii.summary import ModuleSummary


def can_have_findings(summary: ModuleSummary, index: ProjectIndex) -> bool:
    """Whether the module defines, declares or imports anything that leads to PII."""
    if summary.declares_keys:
        return True
    reaching = index.reaching_pii
    if any(f"{summary.module}.{name}" in reaching for name in summary.classes):
        return True
    leads = index.names_leading_to_pii
    for target in (*summary.imports.values(), *summary.star_imports):
        if target in leads or index.resolve(target) in reaching or index.is_pii_type(target):
            return True
    return False
