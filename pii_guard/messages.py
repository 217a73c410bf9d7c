"""The runtime's message texts: the analyzer's words, so a warning reads like the lint finding.

These templates equal the analyzer's catalogue for the same codes (a test keeps them so);
they are copied rather than imported because the runtime never imports the analyzer.
"""

from __future__ import annotations

TEMPLATES: dict[str, str] = {
    "PII001": (
        "filter on PII field {subject}: random-IV ciphertext never matches; "
        "filter on a lookup key such as a keyed hash instead"
    ),
    "PII002": (
        "ordering by PII field {subject}: ciphertext order is random; "
        "order by a non-PII field instead"
    ),
    "PII003": (
        "PII field {subject} in __primary_key__: keys must be deterministic and are "
        "copied into references; use a surrogate key"
    ),
    "PII004": (
        "PII field {subject} in unique constraint {constraint}: ciphertext is never "
        "equal, so uniqueness is not enforced; constrain a keyed hash of the value instead"
    ),
}


# The texts for a PII field with a declared lookup (`lookup` is `Model.field_lookup`): the fix
# is then known, so the message names it.
LOOKUP_TEMPLATES: dict[str, str] = {
    "PII001": (
        "filter on PII field {subject}: random-IV ciphertext never matches; "
        "filter on its lookup {lookup} instead"
    ),
    "PII004": (
        "PII field {subject} in unique constraint {constraint}: ciphertext is never "
        "equal, so uniqueness is not enforced; constrain its lookup {lookup} instead"
    ),
}


def message(code: str, **parts: str | None) -> str:
    """`CODE text`, exactly as the analyzer reports it; with a `lookup` part (the declared
    lookup of the field, `Model.email_lookup`) the text names it as the fix."""
    template = TEMPLATES[code]
    if parts.get("lookup") and code in LOOKUP_TEMPLATES:
        template = LOOKUP_TEMPLATES[code]
    return f"{code} {template.format(**parts)}"
