"""PII006: a PII value passed to an exception.

An exception's arguments are its message: tracebacks, error trackers (Sentry) and the logs that
record failures keep it in plaintext, outside the encryption that protects the value.
"""

from __future__ import annotations

import libcst as cst

from flake8_pii.rules.base import Invalid, Rule
from flake8_pii.rules.reaching import pii_reaching
from flake8_pii.typepass import Holding


class ExceptionRule(Rule):
    """Flags PII values in the arguments of a raised exception that keeps its arguments as its
    message: a builtin exception, `HTTPException`, or a project exception class made only of
    those that changes neither its constructor nor its text."""

    codes = ("PII006",)

    VALID = (
        "def f(c: Customer):\n    raise LookupError(c.id)",
        "def f(c: Customer):\n    raise ValueError(len(c.email))",
        "def f(c: Customer):\n    raise ValueError('bad email')",  # spells a field name
        "def f(p: Plain):\n    raise ValueError(f'no account for {p.email}')",  # no PII type
        "def f(c: Customer):\n    raise ValueError(c)",  # a PIIModel's repr masks PII
        "def f(c: Customer):\n    raise ValueError(hashlib.sha256(c.email.encode()).hexdigest())",
        "class NotFound(Exception):\n"
        "    def __init__(self, email: str) -> None:\n"
        "        super().__init__('no such account')\n"
        "\n"
        "\n"
        "def f(c: Customer):\n"
        "    raise NotFound(c.email)",  # its own constructor: what it keeps is unknown
        "def f(c: Customer):\n    raise make_error(c.email)",  # a function, not a class
        "def f(c: Customer):\n    error = LookupError(c.id)\n    raise error",
        "def f(c: Customer):\n    send_mail(c.email)\n    raise ValueError('mail failed')",
        "def f(c: Customer):\n    raise ValueError(c.model_dump(include={'id'}))",
    )
    INVALID = (
        Invalid(
            "def f(c: Customer):\n    raise ValueError(f'no account for {c.email}')",
            "2:40 PII006 Customer.email",
        ),
        Invalid(
            "class NotFound(LookupError):\n"
            "    pass\n"
            "\n"
            "\n"
            "def f(c: Customer):\n"
            "    raise NotFound('x %s' % c.email)",
            "6:29 PII006 Customer.email",
        ),
        Invalid(
            "class Error(Exception):\n"
            "    '''Raised when a mail cannot be sent.'''\n"
            "\n"
            "\n"
            "def f(c: Customer):\n"
            "    raise Error(c.phone)",
            "6:17 PII006 Customer.phone",
        ),
        Invalid(
            "from fastapi import HTTPException\n"
            "\n"
            "\n"
            "def f(c: Customer):\n"
            "    raise HTTPException(404, detail=f'no account for {c.email}')",
            "5:55 PII006 Customer.email",
        ),
        Invalid(
            "def f(c: Customer):\n    data = {'email': c.email}\n    raise ValueError(data)",
            "3:22 PII006 Customer.email",
        ),
        Invalid(
            "def f(c: Customer):\n    error = LookupError(c.email)\n    raise error",
            "3:11 PII006 Customer.email",
        ),
        Invalid(
            "def f(c: Contact):\n    raise ValueError(c)",
            "2:22 PII006 Contact",
        ),
        Invalid(
            "def f(c: Customer):\n    raise ValueError(c.model_dump())",
            "2:22 PII006 Customer",
        ),
    )

    def visit_Raise(self, node: cst.Raise) -> None:
        raised = node.exc
        if raised is None:
            return
        resolver = self.resolver
        if isinstance(raised, cst.Call):
            name = resolver.callee_name(raised.func)
            if name is None or not resolver.index.keeps_arguments(name):
                return
            sink = resolver.code(raised.func)
            for arg in raised.args:
                for reached in pii_reaching(arg.value, self.context):
                    self.report(reached.node, "PII006", None, sink=sink, **reached.parts())
            return
        found = resolver.type_of(raised)
        if isinstance(found, Holding) and found.exception is not None:
            parts = {"subject": found.subject, "sink": found.exception}
            if found.whole:
                parts["whole"] = "yes"
            self.report(raised, "PII006", None, **parts)
