"""The runtime speaks the analyzer's words: the same code, the same message text."""

from __future__ import annotations

import subprocess
import sys
from typing import ClassVar

import pytest

from flake8_pii.findings import RULES
from pii_guard import (
    Lookup,
    PIIInvalidFieldUsageError,
    PIIModel,
    PIIStr,
    UniqueConstraint,
    check_model,
    lookup_of,
)
from pii_guard.messages import LOOKUP_TEMPLATES, TEMPLATES, message


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


def test_runtime_lookup_templates_equal_the_analyzer_catalogue() -> None:
    assert set(LOOKUP_TEMPLATES) == {"PII001", "PII004"}
    for code, template in LOOKUP_TEMPLATES.items():
        assert template == RULES[code].lookup_template
    for code, rule in RULES.items():
        assert (rule.lookup_template is None) == (code not in LOOKUP_TEMPLATES)


def test_messages_name_a_declared_lookup_in_the_same_words() -> None:
    parts = {"subject": "Customer.email", "constraint": "unq_email"}
    with_lookup = {**parts, "lookup": "Customer.email_lookup"}
    for code in TEMPLATES:
        assert message(code, **with_lookup) == RULES[code].message(**with_lookup)
    assert message("PII001", **with_lookup).endswith(
        "filter on its lookup Customer.email_lookup instead"
    )
    assert message("PII004", **with_lookup).endswith(
        "constrain its lookup Customer.email_lookup instead"
    )
    # without one, the text is the general advice
    assert message("PII001", **parts) == message("PII001", **parts, lookup=None)


def test_check_model_names_the_lookup_to_constrain_and_accepts_it() -> None:
    with pytest.raises(PIIInvalidFieldUsageError) as raised:

        class Customer(PIIModel):
            __constraints__: ClassVar[list[UniqueConstraint]] = [
                UniqueConstraint(name="unq_customer_email", fields=["email"])
            ]
            email: PIIStr
            email_lookup: Lookup = lookup_of("email", normalizer="email")

    assert str(raised.value) == (
        "PII004 PII field Customer.email in unique constraint unq_customer_email: ciphertext "
        "is never equal, so uniqueness is not enforced; constrain its lookup "
        "Customer.email_lookup instead"
    )

    class Member(PIIModel):
        __constraints__: ClassVar[list[UniqueConstraint]] = [
            UniqueConstraint(name="unq_member_email", fields=["email_lookup"])
        ]
        email: PIIStr
        email_lookup: Lookup = lookup_of("email", normalizer="email")

    assert check_model(Member) is Member
