"""PII005: PII values passed to log calls and print."""

from __future__ import annotations

import libcst as cst

from flake8_pii.resolve import LoggerValue, dotted
from flake8_pii.rules import Invalid, Rule, Valid

LOG_METHODS = frozenset(
    {
        "debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log",
        "msg", "trace", "success", "bind", "new",
        "adebug", "ainfo", "awarning", "aerror", "aexception", "acritical",
    }
)
STDLIB_LOG_FUNCTIONS = frozenset(
    f"logging.{name}"
    for name in ("debug", "info", "warning", "warn", "error", "exception", "critical", "fatal",
                 "log")
)
# Keyword arguments of log calls that configure the call rather than carry data.
CONTROL_KEYWORDS = frozenset({"exc_info", "stack_info", "stacklevel"})


class LoggingRules(Rule):
    """PII005: a PII value reaches a log call (logging, structlog, loguru, print, or a
    configured sink) directly or inside an f-string, concatenation, `.format`, a dict, a keyword
    argument, or through a local variable. Log lines are kept and shipped in plaintext.
    """

    CODES = ("PII005",)
    VALID = (
        Valid("import logging\ndef f(c: Customer):\n    logging.info('customer %s', c.id)"),
        Valid("def f(c: Customer):\n    print(len(c.email), c.email is None, bool(c.phone))"),
        Valid("import hashlib\ndef f(c: Customer):\n    print(hashlib.sha256(c.email.encode()))"),
        Valid("def f(p: Product):\n    print(p.email)"),
        Valid("def f(c):\n    print(c.email)"),
        Valid("print('email')"),
        Valid(
            "def f(c: Customer):\n    email = c.email\n    email = mask(email)\n    print(email)"
        ),
        Valid("def f(c: Customer, log):\n    log.info('%s', c.id)"),
        Valid("def f(c: Customer):\n    print(f'{len(c.email)} chars', hash(c.phone))"),
        Valid("import logging\ndef f(c: Customer):\n    logging.info('x', extra={'id': c.id})"),
        Valid("def f(c: Customer):\n    def g(c):\n        print(c.email)\n    return g"),
        Valid("print({'email': 1, 'phone': 'redacted'})"),
        Valid("def f(c: Customer, o: Order):\n    print(c.email == o.reference, not c.phone)"),
    )
    INVALID = (
        Invalid(
            "import logging\nlogger = logging.getLogger(__name__)\n"
            "def f(c: Customer):\n    logger.info('signup %s', c.email)",
            (("PII005", "Customer.email"),),
        ),
        Invalid(
            "import logging as lg\ndef f(c: Customer):\n    lg.warning(f'bad {c.email!r}')",
            (("PII005", "Customer.email"),),
        ),
        Invalid(
            "def f(o: Order):\n    print('to ' + o.customer.email)",
            (("PII005", "Customer.email"),),
        ),
        Invalid(
            "def f():\n    for o in Order.objects.filter(id=1).execute():\n"
            "        print('{} {}'.format(o.id, o.customer.phone))",
            (("PII005", "Customer.phone"),),
        ),
        Invalid(
            "import structlog\nlog = structlog.get_logger()\n"
            "def f(c: Customer):\n    log.info('login', email=c.email)",
            (("PII005", "Customer.email"),),
        ),
        Invalid(
            "from loguru import logger\n"
            "async def f():\n    c = await Customer.objects.get(id=1).aexecute()\n"
            "    logger.error('x', extra={'who': c.email})",
            (("PII005", "Customer.email"),),
        ),
        Invalid(
            "def f(c: Customer):\n    who = f'{c.name} <{c.email}>'\n    print(who.lower())",
            (("PII005", "Customer.email"),),
        ),
        Invalid(
            "def f(email: PIIStr, logger):\n    logger.exception('failed for %s', email)",
            (("PII005", "email (annotated as PII)"),),
        ),
        Invalid(
            "def f(customers: list[Customer]):\n    for i, c in enumerate(customers):\n"
            "        print(i, c.email)",
            (("PII005", "Customer.email"),),
        ),
        Invalid(
            "def f(customers: list[Customer]):\n"
            "    print('sent to', [c.email for c in customers])",
            (("PII005", "Customer.email"),),
        ),
        Invalid(
            "import logging\nlog = logging.getLogger()\n"
            "def f(c: Customer):\n    log.info('%(who)s', {'who': c.phone or 'unknown'})",
            (("PII005", "Customer.phone"),),
        ),
        Invalid(
            "import app.models as m\ndef f(x):\n    c = m.Customer(email=x)\n    print(c.email)",
            (("PII005", "Customer.email"),),
        ),
        Invalid(
            "class Member(Customer):\n    def greet(self):\n"
            "        print('hello ' + self.email.strip())",
            (("PII005", "Member.email"),),
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if node.args and self._may_be_sink(node.func):
            self.context.defer(lambda: self._check_call(node))

    def _may_be_sink(self, func: cst.BaseExpression) -> bool:
        """A cheap look at the callee's name, before any question about values."""
        if isinstance(func, cst.Attribute):
            return func.attr.value in LOG_METHODS or bool(self.context.config.log_sinks)
        return isinstance(func, cst.Name)

    def _check_call(self, node: cst.Call) -> None:
        sink = self._sink(node)
        if sink is None:
            return
        resolver = self.context.resolver
        scope = self.context.scope
        seen: set[int] = set()
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in CONTROL_KEYWORDS:
                continue
            for expression, subject in resolver.pii_parts(arg.value, scope):
                if id(expression) not in seen:
                    seen.add(id(expression))
                    self.context.report("PII005", expression, subject, sink=sink)

    def _sink(self, node: cst.Call) -> str | None:
        """The name of the log sink this call writes to, or None when it is not one."""
        resolver = self.context.resolver
        scope = self.context.scope
        func = node.func
        config = self.context.config
        qualname = resolver.qualified(func, scope)
        if qualname == "print" or qualname in STDLIB_LOG_FUNCTIONS or qualname in config.log_sinks:
            return dotted(func)
        if not isinstance(func, cst.Attribute) or func.attr.value not in LOG_METHODS:
            return None
        receiver = func.value
        if isinstance(resolver.value_of(receiver, scope), LoggerValue):
            return dotted(func) or func.attr.value
        name = receiver.value if isinstance(receiver, cst.Name) else (
            receiver.attr.value if isinstance(receiver, cst.Attribute) else ""
        )
        if name in config.logger_names:
            return dotted(func) or func.attr.value
        return None
