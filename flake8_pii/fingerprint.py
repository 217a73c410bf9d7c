"""The stable identity of a finding: what the baseline and SARIF's partialFingerprints match on.

It deliberately leaves out the line and column, so a finding keeps its identity when code above it
moves, and uses the rule, the file, the Model.field and the statement with its spacing folded.
"""

from __future__ import annotations

import hashlib
import io
import tokenize

from flake8_pii.findings import Finding

FINGERPRINT_KEY = "piiGuardFinding/v1"


_LAYOUT_TOKENS = frozenset(
    {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
)


def normalise_statement(statement: str) -> str:
    """The statement's tokens joined by single spaces: layout and comments do not count."""
    try:
        tokens = tokenize.generate_tokens(io.StringIO(statement.strip()).readline)
        return " ".join(tok.string for tok in tokens if tok.type not in _LAYOUT_TOKENS)
    except (tokenize.TokenError, SyntaxError):
        return " ".join(statement.split())


def fingerprint(finding: Finding, relative_path: str) -> str:
    """A hex digest of (code, path relative to the root, subject, normalised statement)."""
    parts = (
        finding.code,
        relative_path.replace("\\", "/"),
        finding.subject,
        normalise_statement(finding.statement),
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
