"""PII005: a PII value passed to a log call (stdlib logging, structlog, loguru, print).

Log lines are stored and shipped in plaintext, outside the encryption that protects the value.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from flake8_pii import vocabulary
from flake8_pii.rules.base import Context, Invalid, Rule
from flake8_pii.rules.reaching import pii_reaching
from flake8_pii.typepass import Logger, dotted_name


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
        # values through functions: the same calls returning a model without PII, or undeclared
        "def find(id: int) -> Plain: ...\nlogger.info(find(1).email)",
        "def find(id: int):\n    return Customer(id=id)\nlogger.info(find(1).email)",
        "class Repo:\n    def get(self, id: int) -> Customer: ...\nlogger.info(Repo().get(1).id)",
        # containers built earlier, without PII
        "def f(c: Customer):\n    data = {'id': c.id}\n    logger.info('x', extra=data)",
        "def f(c: Customer):\n    parts = [len(c.email), c.id]\n    print(parts)",
        "def f(c: Customer):\n"
        "    data = dict(id=c.id, created=c.created)\n"
        "    logger.info('%s', data)",
        # binding on what is not a logger, or binding values that are not PII
        "def f(c: Customer):\n    client.bind(email=c.email)",
        "def f(c: Customer):\n    log = structlog.get_logger()\n    log.bind(customer_id=c.id)",
        # whole instances whose repr masks PII, or has none
        "def f(c: Customer):\n    logger.info('%s', c)",
        "def f(p: Plain):\n    logger.info('%s %s', p, p.model_dump())",
        "def f(o: Order):\n    print(o)",  # its customer is a PIIModel: masked
        "def f(c: Customer):\n    logger.info('%s', c.model_dump(exclude={'email', 'phone'}))",
        "class Shown(BaseModel):\n"
        "    email: PIIStr\n"
        "\n"
        "    def __str__(self) -> str:\n"
        "        return 'Shown'\n"
        "\n"
        "\n"
        "def f(s: Shown):\n"
        "    print(s)",  # renders itself: what it shows is unknown
        "import dataclasses\n"
        "\n"
        "\n"
        "@dataclasses.dataclass(repr=False)\n"
        "class Hidden:\n"
        "    email: PIIStr\n"
        "\n"
        "\n"
        "def f(h: Hidden):\n"
        "    print(h)",
        "from pydantic import Field\n"
        "\n"
        "\n"
        "class Quiet(BaseModel):\n"
        "    email: PIIStr = Field(repr=False)\n"
        "\n"
        "\n"
        "def f(q: Quiet):\n"
        "    print(q)",
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
        # values through functions, by their declared return types
        Invalid(
            "async def find(id: int) -> Customer | None: ...\n"
            "async def f():\n"
            "    found = await find(1)\n"
            "    logger.info(found.email)",
            "4:17 PII005 Customer.email",
        ),
        Invalid(
            "class Repo:\n"
            "    def recent(self) -> list[Customer]: ...\n"
            "def f(repo: Repo):\n"
            "    for c in repo.recent():\n"
            "        print(c.phone)",
            "5:15 PII005 Customer.phone",
        ),
        Invalid(
            "def primary_email(c: Customer) -> PIIStr: ...\nlogger.info(primary_email(c))",
            "2:13 PII005 PIIStr",
        ),
        Invalid(  # a container holding PII, built in a variable
            "def f(c: Customer):\n    data = {'email': c.email}\n    logger.info('x', extra=data)",
            "3:28 PII005 Customer.email",
        ),
        Invalid(
            "def f(c: Customer):\n    data = dict(email=c.email)\n    logger.info('%s', data)",
            "3:23 PII005 Customer.email",
        ),
        Invalid(
            "def f(c: Customer):\n    parts = [c.id, (c.phone, 1)]\n    print(', '.join(parts))",
            "3:21 PII005 Customer.phone",
        ),
        Invalid(  # bound to every later line of the logger
            "def f(c: Customer):\n"
            "    log = structlog.get_logger()\n"
            "    log = log.bind(email=c.email)",
            "3:26 PII005 Customer.email",
        ),
        Invalid(
            "def f(c: Customer):\n"
            "    with loguru.logger.contextualize(phone=c.phone):\n"
            "        pass",
            "2:44 PII005 Customer.phone",
        ),
        Invalid(
            "def f(c: Customer):\n    structlog.contextvars.bind_contextvars(email=c.email)",
            "2:50 PII005 Customer.email",
        ),
        Invalid(  # a whole instance whose repr shows PII: a plain pydantic model, a dataclass
            "def f(c: Contact):\n    logger.info('%s', c)",
            "2:23 PII005 Contact",
        ),
        Invalid("def f(v: Visitor):\n    print(f'visitor {v}')", "2:22 PII005 Visitor"),
        Invalid(  # dumps hold plaintext, also of a PIIModel
            "def f(c: Customer):\n"
            "    logger.info('%s', c.model_dump())\n"
            "    logger.info(c.model_dump_json(indent=2))\n"
            "    print(vars(c), c.__dict__)",
            "2:23 PII005 Customer",
            "3:17 PII005 Customer",
            "4:11 PII005 Customer",
            "4:20 PII005 Customer",
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
            sink = _binding_name(node, context)
        if sink is None:
            return
        for arg in node.args:
            for reached in pii_reaching(arg.value, context):
                self.report(reached.node, "PII005", None, sink=sink, **reached.parts())


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
    return _method_of_logger(func, context, vocabulary.LOGGING_MODULES)


def _method_of_logger(func: cst.Attribute, context: Context, modules: frozenset[str]) -> str | None:
    """How `func` reads, when its receiver is a logger (seen made by a logger factory, or named
    like one) or one of `modules`; None otherwise."""
    resolver = context.resolver
    text = dotted_name(func)
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
    if last in resolver.index.settings.logger_names:
        return text
    receiver_qualified = resolver.qualified_name(receiver)
    if receiver_qualified in modules:
        return text
    return None


def _binding_name(node: cst.Call, context: Context) -> str | None:
    """How the call reads, when it binds values to every later line of a logger:
    `log.bind(email=...)`, `logger.contextualize(...)`, `bind_contextvars(...)`."""
    func = node.func
    qualified = context.resolver.qualified_name(func)
    if qualified in vocabulary.LOG_BINDING_FUNCTIONS:
        return dotted_name(func) or qualified
    if isinstance(func, cst.Attribute) and func.attr.value in vocabulary.LOGGER_BINDING_METHODS:
        # `loguru.logger` is a logger object (the type pass knows it); no module binds
        return _method_of_logger(func, context, frozenset())
    return None


def _shadowing(context: Context) -> frozenset[str]:
    return frozenset(context.resolver.summary.imports)
