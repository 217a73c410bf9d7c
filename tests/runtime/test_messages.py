"""The runtime speaks the analyzer's words: the same code, the same message text."""

from __future__ import annotations

import subprocess
import sys

from flake8_pii.findings import RULES
from pii_guard.messages import TEMPLATES, message


def test_runtime_templates_equal_the_analyzer_catalogue() -> None:
    for code, template in TEMPLATES.items():
        assert template == RULES[code].template


def test_runtime_messages_read_like_lint_messages() -> None:
    parts = {"subject": "Customer.email", "constraint": "unq_email"}
    for code in TEMPLATES:
        assert message(code, **parts) == RULES[code].message(**parts)


def test_the_runtime_never_imports_the_analyzer_or_its_tools() -> None:
    script = (
        "import sys, pii_guard, pii_guard.cryptors.kms, pii_guard.cryptors.local, "
        "pii_guard.cryptors.fake, pii_guard.cryptors.service\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flake8_pii', 'libcst', 'flake8')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
