"""PII100: the codes of ours in `# noqa` comments that silenced no finding, so can go.

A code is used when it silenced a finding the analyzer made in this file, whatever `--select`
and `--ignore` show afterwards: narrowing one run must not make needed comments look stale.
Only codes of our family (`PII...`, as written) are judged: a bare `# noqa` or another tool's
code is that tool's business. `PII100` in a comment keeps the comment's other codes from being
reported (for a comment another run still needs) and is never reported itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set

from flake8_pii.findings import FAMILY, RULES, UNUSED_NOQA, Finding
from flake8_pii.noqa import ALL, Noqa

# Cheap test before tokenizing: a noqa comment with a code list that mentions our family.
_MENTION = re.compile(rf"# noqa:[^\n]*{FAMILY}", re.IGNORECASE)


def mentions_our_codes(text: str) -> bool:
    """Whether `text` may hold a noqa comment naming a code of ours (false positives allowed)."""
    return _MENTION.search(text) is not None


def unused_noqa(
    path: str, text: str, noqa: Mapping[int, Noqa], used: Set[tuple[int, str]]
) -> list[Finding]:
    """A PII100 finding for each code of ours in `noqa` whose (line, code) is not in `used`."""
    lines = text.splitlines()
    findings = []
    for line in sorted(noqa):
        comment = noqa[line]
        if comment.codes == ALL or UNUSED_NOQA in comment.codes:
            continue
        for code in sorted(comment.codes):
            if code.startswith(FAMILY) and (line, code) not in used:
                findings.append(
                    Finding(
                        path=path,
                        line=line,
                        column=comment.column,
                        code=UNUSED_NOQA,
                        message=RULES[UNUSED_NOQA].message(subject=code),
                        subject=code,
                        statement=lines[line - 1].strip(),
                    )
                )
    return findings
