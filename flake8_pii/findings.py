"""Finding, the code catalogue and every message text the analyzer emits (one place for all texts).

The runtime guard uses the same words ("PII field Customer.email", "random-IV ciphertext") so that
a lint message and a runtime warning read alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

DOCS_BASE_URL = "https://github.com/pii-guard/pii-guard/blob/main/docs/rules"
FAMILY = "PII"
UNUSED_NOQA = "PII100"
# Under flake8 only (`pii-guard check` exits 2 instead): the project's settings are not valid.
CONFIG_ERROR = "PII000"
# Under flake8 only (`pii-guard check` names the file on stderr and exits 1): a file that could
# not be analysed.
NOT_ANALYSED = "PII900"


@dataclass(frozen=True)
class Rule:
    """One code of the catalogue: what it is called, what it says, where its page is.

    `level` and `tags` describe it in SARIF: a misuse of PII is an error, a stale comment is not.
    """

    code: str
    name: str
    summary: str
    why: str
    template: str
    # the text when the field has a declared lookup (part `lookup`: `Model.email_lookup`)
    lookup_template: str | None = None
    level: str = "error"
    tags: tuple[str, ...] = ("security", "privacy")
    # the text when the value shows a whole instance (part `whole`; `subject` is the model)
    whole_template: str | None = None
    # reported by the tool about its own work (a noqa comment, a file it could not analyse),
    # not by a rule of `flake8_pii.rules`
    tool: bool = False
    # reported by the flake8 plugin only, which has no other way to fail a run
    flake8_only: bool = False

    @property
    def help_uri(self) -> str:
        return f"{DOCS_BASE_URL}/{self.code}.md"

    def message(self, **parts: str) -> str:
        template = self.template
        if parts.get("lookup") and self.lookup_template is not None:
            template = self.lookup_template
        if parts.get("whole") and self.whole_template is not None:
            template = self.whole_template
        return f"{self.code} {template.format(**parts)}"


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            code="PII001",
            name="pii-field-in-filter",
            summary="A PII field is used in a query filter.",
            why=(
                "PII values are stored as random-IV ciphertext, so equal plaintexts never have "
                "equal stored values and a filter on them never matches."
            ),
            template=(
                "filter on PII field {subject}: random-IV ciphertext never matches; "
                "filter on a lookup key such as a keyed hash instead"
            ),
            lookup_template=(
                "filter on PII field {subject}: random-IV ciphertext never matches; "
                "filter on its lookup {lookup} instead"
            ),
        ),
        Rule(
            code="PII002",
            name="pii-field-in-ordering",
            summary="A PII field is used for ordering.",
            why=(
                "Ciphertext order is random, so ordering by a PII field sorts nothing a user "
                "can see and hints that plaintext is expected in storage."
            ),
            template=(
                "ordering by PII field {subject}: ciphertext order is random; "
                "order by a non-PII field instead"
            ),
        ),
        Rule(
            code="PII003",
            name="pii-field-in-primary-key",
            summary="A PII field is part of a primary key.",
            why=(
                "A primary key must be deterministic and is copied into every reference to the "
                "row; encrypted PII is neither deterministic nor safe to copy around."
            ),
            template=(
                "PII field {subject} in __primary_key__: keys must be deterministic and are "
                "copied into references; use a surrogate key"
            ),
        ),
        Rule(
            code="PII004",
            name="pii-field-in-unique-constraint",
            summary="A PII field is part of a unique constraint.",
            why=(
                "Two encryptions of the same value differ, so the database never sees a "
                "duplicate and the constraint enforces nothing."
            ),
            template=(
                "PII field {subject} in unique constraint {constraint}: ciphertext is never "
                "equal, so uniqueness is not enforced; constrain a keyed hash of the value instead"
            ),
            lookup_template=(
                "PII field {subject} in unique constraint {constraint}: ciphertext is never "
                "equal, so uniqueness is not enforced; constrain its lookup {lookup} instead"
            ),
        ),
        Rule(
            code="PII005",
            name="pii-value-logged",
            summary="A PII value is passed to a log call.",
            why=(
                "Log lines are stored and shipped in plaintext, outside the encryption that "
                "protects the value in the database."
            ),
            template=(
                "PII value {subject} passed to {sink}: logs keep plaintext; "
                "log a non-identifying id or a masked value instead"
            ),
            whole_template=(
                "PII fields of {subject} passed to {sink} in a whole instance or a dump of one: "
                "logs keep plaintext; log a non-identifying id instead"
            ),
        ),
        Rule(
            code="PII006",
            name="pii-value-in-exception",
            summary="A PII value is passed to an exception.",
            why=(
                "An exception's arguments are its message: tracebacks, error trackers and "
                "logs keep it in plaintext, outside the encryption that protects the value."
            ),
            template=(
                "PII value {subject} passed to exception {sink}: tracebacks and error "
                "trackers keep plaintext; put a non-identifying id in the message instead"
            ),
            whole_template=(
                "PII fields of {subject} passed to exception {sink} in a whole instance or a "
                "dump of one: tracebacks and error trackers keep plaintext; put a "
                "non-identifying id in the message instead"
            ),
        ),
        Rule(
            code=UNUSED_NOQA,
            name="unused-noqa",
            summary="A noqa comment names a PII code that silences nothing.",
            why=(
                "A suppression with nothing to suppress hides no finding today, but silently "
                "hides the next real one written on that statement."
            ),
            template=(
                "unused noqa for {subject}: no {subject} finding here to silence; "
                "remove {subject} from the comment"
            ),
            level="warning",
            tags=("maintainability",),
            tool=True,
        ),
        Rule(
            code=NOT_ANALYSED,
            name="not-analysed",
            summary="A file that pii-guard could not analyse (flake8 only).",
            why=(
                "A file the analyzer could not read through was not checked at all: a run "
                "that passed it silently would pass whatever mistakes it holds."
            ),
            template="file not analysed, so not checked for PII misuse: {reason}",
            tags=("reliability",),
            tool=True,
            flake8_only=True,
        ),
    )
}


def catalogue_digest() -> str:
    """A digest of every code's message texts: cached findings carry their messages, so a
    changed text must change the key they are cached under."""
    texts = [
        "\x1e".join(
            (rule.code, rule.template, rule.lookup_template or "", rule.whole_template or "")
        )
        for rule in RULES.values()
    ]
    return hashlib.blake2b("\x1f".join(texts).encode(), digest_size=16).hexdigest()


def config_error_message(error: str) -> str:
    """What flake8 shows, once, for a project whose [tool.pii_guard] is not valid."""
    return f"{CONFIG_ERROR} settings not valid, no PII checks in this project: {error}"


@dataclass(frozen=True, order=True)
class Finding:
    """One reported mistake: where, which code, the full message, and what it is about.

    `line` and `column` are 1-based, as flake8 prints them (the plugin yields column - 1).
    `subject` is `Model.field`; `statement` is the normalised source of the enclosing statement.
    Both feed the baseline fingerprint, which must survive edits elsewhere in the file.
    """

    path: str
    line: int
    column: int
    code: str
    message: str
    subject: str = ""
    statement: str = ""
