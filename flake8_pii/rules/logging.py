"""PII005: a PII value passed to a log call (stdlib logging, structlog, loguru, print).

Log lines are stored and shipped in plaintext, outside the encryption that protects the value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from flake8_pii import vocabulary
from flake8_pii.rules.base import Context, Invalid, Rule
from flake8_pii.typepass import PII, Logger, dotted_name


class LoggingRule(Rule):
    """Flags PII values given to a log call directly or inside what it formats."""

    codes = ("PII005",)

    VALID: ClassVar[tuple[str, ...]] = (
        "def f(c: Customer):\n    logger.info('customer %s', c.id)",
        "def f(c: Customer):\n    logger.info('length %d', len(c.email))",
        "def f(c: Customer):\n    logger.info('has phone: %s', c.phone is not None)",
        "def f(c: Customer):\n"
        "    logger.info('digest %s', hashlib.sha256(c.email.encode()).hexdigest())",
        "def f(p: Plain):\n    logger.info('%s', p.email)",  # same field name, no PII type
        "def f(c: Customer):\n    email = c.email\n    email = mask(email)\n    print(email)",
        "def f(c: Customer):\n    logger.info('email')",  # a string that spells a field name
        "def f(c: Customer):\n    send_mail(c.email)",  # not a log call
    )
    INVALID: ClassVar[tuple[Invalid, ...]] = (
        Invalid(
            "def f(c: Customer):\n    logger.info('hi %s', c.email)", "2:26 PII005 Customer.email"
        ),
        Invalid(
            "def f(c: Customer):\n    logging.warning(f'hi {c.email}')",
            "2:27 PII005 Customer.email",
        ),
        Invalid("def f(c: Customer):\n    print('mail: ' + c.email)", "2:22 PII005 Customer.email"),
        Invalid(
            "def f(c: Customer):\n    logger.error('{}'.format(c.phone))",
            "2:30 PII005 Customer.phone",
        ),
        Invalid(
            "def f(c: Customer):\n    logger.info('x', extra={'email': c.email})",
            "2:38 PII005 Customer.email",
        ),
        Invalid(
            "def f(c: Customer):\n    logger.exception('failed for %s', c.email)",
            "2:39 PII005 Customer.email",
        ),
        Invalid(
            "def f(c: Customer):\n"
            "    log = structlog.get_logger()\n"
            "    log.info('x', email=c.email)",
            "3:25 PII005 Customer.email",
        ),
        Invalid(
            "def f(c: Customer):\n    loguru.logger.info('x {}', c.email)",
            "2:32 PII005 Customer.email",
        ),
        Invalid(
            "def f(c: Customer):\n    email = c.email.lower()\n    logger.info(email)",
            "3:17 PII005 Customer.email",
        ),
        Invalid(  # the `text` on the right is the one assigned before
            "def f(c: Customer):\n    text = c.email\n    text = text + '!'\n    print(text)",
            "4:11 PII005 Customer.email",
        ),
        Invalid(
            "def f(c: Customer):\n    text = c.phone\n    text += ' (mobile)'\n    print(text)",
            "4:11 PII005 Customer.phone",
        ),
        Invalid(
            "def f(o: Order):\n    logger.info('%s', o.customer.email)",
            "2:23 PII005 Customer.email",
        ),
        Invalid(
            "def f():\n"
            "    for c in Customer.objects.filter(id=1).execute():\n"
            "        print(c.phone)",
            "3:15 PII005 Customer.phone",
        ),
        Invalid(
            "def f():\n"
            "    c = Customer.objects.get(id=1)\n"
            "    logger.info('%s %s', c.email, c.phone)",
            "3:26 PII005 Customer.email",
            "3:35 PII005 Customer.phone",
        ),
    )

    # instances from SQLAlchemy sessions and results, and from Flask-SQLAlchemy's `M.query`
    VALID += (
        "def f(session):\n    for u in session.scalars(select(User)):\n        logger.info(u.id)",
        # rows, not instances: the analyzer does not follow what a row holds
        "def f(session):\n    for row in session.execute(select(User)):\n        print(row.email)",
        "def f(session):\n    for t in session.scalars(select(Tag)):\n        print(t.email)",
        "def f(cache):\n    print(cache.get(User).email)",  # not a session's get(M, key)
        "def f(session):\n    print(session.query(User, Account).first().email)",  # a tuple
    )
    INVALID += (
        Invalid(
            "def f(session):\n    for u in session.scalars(select(User)):\n"
            "        logger.info(u.email)",
            "3:21 PII005 User.email",
        ),
        Invalid(
            "def f(session):\n    user = session.get(User, 1)\n    logger.info('%s', user.phone)",
            "3:23 PII005 User.phone",
        ),
        Invalid(
            "def f(session):\n"
            "    users = session.execute(select(User).where(User.id > 1)).scalars().all()\n"
            "    print(users[0].email)",
            "3:11 PII005 User.email",
        ),
        Invalid(
            "def f(session):\n"
            "    user = session.execute(select(User)).scalar_one()\n"
            "    print(user.email)",
            "3:11 PII005 User.email",
        ),
        Invalid(
            "async def f(session):\n"
            "    user = await session.scalar(select(Account))\n"
            "    logger.warning(user.email)",
            "3:20 PII005 Account.email",
        ),
        Invalid(
            "def f(session):\n    for a in session.query(Account).all():\n        print(a.email)",
            "3:15 PII005 Account.email",
        ),
        Invalid(
            "def f(session):\n    print(session.scalars(select(User)).first().phone)",
            "2:11 PII005 User.phone",
        ),
        Invalid(
            "def f(session):\n"
            "    for h in session.exec(sqlmodel.select(Hero)):\n"
            "        print(h.email)",
            "3:15 PII005 Hero.email",
        ),
        Invalid("def f():\n    print(User.query.get(1).email)", "2:11 PII005 User.email"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        sink = _sink_name(node, context)
        if sink is None:
            return
        for arg in node.args:
            for expression, subject in _pii_inside(arg.value, context):
                self.report(expression, "PII005", subject=subject, sink=sink)


def _sink_name(node: cst.Call, context: Context) -> str | None:
    """How the call reads in the source, when it is a log call; None otherwise."""
    resolver = context.resolver
    settings = resolver.index.settings
    func = node.func
    text = dotted_name(func)
    qualified = resolver.qualified_name(func)
    if qualified is None and isinstance(func, cst.Name) and func.value not in _shadowing(context):
        qualified = func.value  # a builtin such as print
    if qualified is not None and qualified in settings.log_sinks:
        return text or qualified
    if not isinstance(func, cst.Attribute) or func.attr.value not in vocabulary.LOG_METHODS:
        return None
    receiver = func.value
    receiver_type = resolver.type_of(receiver)
    if isinstance(receiver_type, Logger):
        return text or "a logger"
    if receiver_type is not None:
        return None
    receiver_name = dotted_name(receiver)
    if receiver_name is None:
        return None
    last = receiver_name.rpartition(".")[2]
    if last in settings.logger_names:
        return text
    receiver_qualified = resolver.qualified_name(receiver)
    if receiver_qualified in vocabulary.LOGGING_MODULES:
        return text
    return None


def _shadowing(context: Context) -> frozenset[str]:
    return frozenset(context.resolver.summary.imports)


def _pii_inside(node: cst.BaseExpression, context: Context) -> Iterator[tuple[cst.CSTNode, str]]:
    """Each PII expression that reaches the log text: directly, or inside formatting."""
    found = context.resolver.type_of(node)
    if isinstance(node, cst.FormattedString):
        for part in node.parts:
            if isinstance(part, cst.FormattedStringExpression):
                yield from _pii_inside(part.expression, context)
    elif isinstance(node, cst.ConcatenatedString) or (
        isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add | cst.Modulo)
    ):
        yield from _pii_inside(node.left, context)
        yield from _pii_inside(node.right, context)
    elif isinstance(node, cst.Dict):
        for element in node.elements:
            yield from _pii_inside(element.value, context)
    elif isinstance(node, cst.List | cst.Tuple | cst.Set):
        for item in node.elements:
            yield from _pii_inside(item.value, context)
    elif isinstance(node, cst.Call) and _is_format_call(node):
        assert isinstance(node.func, cst.Attribute)
        yield from _pii_inside(node.func.value, context)
        for arg in node.args:
            yield from _pii_inside(arg.value, context)
    elif isinstance(node, cst.IfExp):
        yield from _pii_inside(node.body, context)
        yield from _pii_inside(node.orelse, context)
    elif isinstance(node, cst.BooleanOperation):
        yield from _pii_inside(node.left, context)
        yield from _pii_inside(node.right, context)
    elif isinstance(found, PII):
        yield node, found.subject


def _is_format_call(node: cst.Call) -> bool:
    return (
        isinstance(node.func, cst.Attribute)
        and node.func.attr.value in vocabulary.FORMATTING_METHODS
    )
