"""PII001 and PII002: PII fields in query filters and in ordering.

Stored PII is random-IV ciphertext: a filter on it never matches and ordering by it sorts noise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import libcst as cst

from flake8_pii import vocabulary
from flake8_pii.index import ModelInfo
from flake8_pii.lookups import pii_path
from flake8_pii.rules.base import Invalid, Rule
from flake8_pii.typepass import ModelClass, Query, Resolver, last_name


class QueryRule(Rule):
    """Flags lookups and orderings that name a PII field, also through FK paths."""

    codes = ("PII001", "PII002")

    VALID = (
        "Customer.objects.filter(id=1)",
        "Order.objects.filter(customer__id=1, status='open')",
        "Order.objects.filter(customer__isnull=False)",
        "Customer.objects.filter(phone__isnull=True)",  # None stays None when encrypted
        "Customer.objects.order_by('-created')",
        "Order.objects.order_by('customer__created')",
        "Plain.objects.filter(email='x')",  # a model without PII
        "client.get(email='x')",  # not a query of a known model
        "sorted(rows, key=lambda r: r.id)",
        "d = {'email': 1}\nd.get('email')",
        "Customer.objects.filter(**{'id': 1})",
        "Member.objects.filter(email_lookup__in=['ab12', 'cd34'])",  # a lookup: a keyed hash
        "Member.objects.order_by('email_lookup')",
        "Plain.objects.latest().filter(email='x')",
        "Customer.objects.latest('created')",
        "Customer.objects.latest().filter(id=1)",
        "filters = {'id': 1}\nCustomer.objects.filter(**filters)",
        "filters = {'email': 'x'}\nPlain.objects.filter(**filters)",
        "Customer.objects.filter(**dict(id=1))",
        "q = Q(id=1)\nCustomer.objects.filter(q)",
        "q = Q(id=1)\nq = q | Q(created='x')\nCustomer.objects.filter(q)",
        "key = '-created'\nCustomer.objects.order_by(key)",
        "key = '-email'\nPlain.objects.order_by(key)",
        "def plain_rows() -> 'QuerySet[Plain]': ...\nplain_rows().filter(email='x')",
        "def rows():\n    return Customer.objects.all()\nrows().filter(email='x')",  # undeclared
    )
    INVALID = (
        Invalid("Customer.objects.filter(email='a@b.c')", "1:25 PII001 Customer.email"),
        Invalid("Customer.objects.exclude(email__iexact='a')", "1:26 PII001 Customer.email"),
        Invalid("Customer.objects.get(phone='1')", "1:22 PII001 Customer.phone"),
        Invalid("Order.objects.filter(customer__email='a')", "1:22 PII001 Customer.email"),
        Invalid(
            "Order.objects.filter(address__customer__email__startswith='a')",
            "1:22 PII001 Customer.email",
        ),
        Invalid("Customer.objects.filter(**{'email': 'a'})", "1:28 PII001 Customer.email"),
        Invalid("Customer.objects.filter(Q(email='a') | Q(id=2))", "1:27 PII001 Customer.email"),
        Invalid("Customer.objects.filter(~Q(phone='1'))", "1:28 PII001 Customer.phone"),
        Invalid("qs = Customer.objects.all()\nqs.filter(email='a')", "2:11 PII001 Customer.email"),
        Invalid(
            "Member.objects.get(email='a')", "1:20 PII001 Member.email"
        ),  # names Member.email_lookup
        Invalid("Customer.objects.order_by('email')", "1:27 PII002 Customer.email"),
        Invalid("Customer.objects.order_by('id', '-email')", "1:33 PII002 Customer.email"),
        Invalid(
            "Order.objects.filter(status='x').order_by('customer__phone')",
            "1:43 PII002 Customer.phone",
        ),
        Invalid(
            "async def f():\n    await Customer.objects.filter(email='a').aexecute()",
            "2:35 PII001 Customer.email",
        ),
        Invalid("Customer.objects.latest().filter(email='a')", "1:34 PII001 Customer.email"),
        Invalid("Customer.objects.decrypt_pii().filter(phone='1')", "1:39 PII001 Customer.phone"),
        Invalid("Customer.objects.latest('-email')", "1:25 PII002 Customer.email"),
        Invalid("Order.objects.earliest('customer__email')", "1:24 PII002 Customer.email"),
        Invalid(
            "filters = {'email': 'a'}\nCustomer.objects.filter(**filters)",
            "2:27 PII001 Customer.email",
        ),
        Invalid("Customer.objects.filter(**dict(email='a'))", "1:32 PII001 Customer.email"),
        Invalid(
            "q = Q(email='a') | Q(id=1)\nCustomer.objects.filter(q)", "2:25 PII001 Customer.email"
        ),
        Invalid(
            "q = Q(id=1)\nq = q | Q(phone='1')\nCustomer.objects.exclude(q)",
            "3:26 PII001 Customer.phone",
        ),
        Invalid(
            "key = '-email'\nCustomer.objects.order_by('id', key)", "2:33 PII002 Customer.email"
        ),
        Invalid(
            "def recent() -> 'QuerySet[Customer]': ...\nrecent().filter(email='a')",
            "2:17 PII001 Customer.email",
        ),
        Invalid(
            "class Repo:\n"
            "    def customers(self) -> 'QuerySet[Customer]': ...\n"
            "    def find(self, email: str) -> object:\n"
            "        return self.customers().get(email=email)",
            "4:37 PII001 Customer.email",
        ),
        Invalid(
            "def f(q: 'QuerySet[Customer]'):\n    return q.filter(email='a')",
            "2:21 PII001 Customer.email",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        settings = self.resolver.index.settings
        is_filter = method in settings.query_methods
        if not (is_filter or method in settings.ordering_methods):
            return
        receiver = self.resolver.type_of(func.value)
        if not isinstance(receiver, Query | ModelClass):
            return
        model = receiver.model
        if is_filter:
            for key_node, path in _lookups(node, self.resolver):
                self._check(model, key_node, path, "PII001")
        else:
            for arg in node.args:
                if arg.keyword is None and arg.star == "":
                    ordering = _constant_string(arg.value, self.resolver)
                    if ordering is not None:
                        self._check(model, arg.value, ordering, "PII002")

    def _check(self, model: ModelInfo, node: cst.CSTNode, path: str, code: str) -> None:
        reached = pii_path(model, path, self.resolver.model_named)
        if reached is None:
            return
        parts = {"subject": reached.subject}
        if code == "PII001" and reached.lookup is not None:
            parts["lookup"] = reached.lookup
        self.report(node, code, None, **parts)


Lookup = tuple[cst.CSTNode, str]


def _lookups(call: cst.Call, resolver: Resolver) -> Iterator[Lookup]:
    """(node to report, lookup path) for each keyword, `**` dict key and Q object of a call.

    A dict or Q object kept in a variable (`filters = {"email": x}`, `q = Q(email=x)`) is
    read from its assignment when it is a literal the analyzer can see, and reported at the
    name in the call.
    """
    for arg in call.args:
        if arg.keyword is not None:
            yield arg.keyword, arg.keyword.value
        elif arg.star == "**":
            yield from _reported_at_name(arg.value, resolver, _dict_keys)
        elif arg.star == "":
            yield from _q_lookups(arg.value, resolver)


def _reported_at_name(
    node: cst.BaseExpression,
    resolver: Resolver,
    read: Callable[[cst.BaseExpression, Resolver], Iterator[Lookup]],
) -> Iterator[Lookup]:
    value = resolver.assigned_value(node)
    for key_node, key in read(value, resolver):
        yield (node if value is not node else key_node), key


def _dict_keys(node: cst.BaseExpression, resolver: Resolver) -> Iterator[Lookup]:
    """The string keys of a dict literal, or the keywords of `dict(...)`."""
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                key = element.key.evaluated_value
                if isinstance(key, str):
                    yield element.key, key
    elif isinstance(node, cst.Call) and _is_builtin(node.func, "dict", resolver):
        for arg in node.args:
            if arg.keyword is not None:
                yield arg.keyword, arg.keyword.value


def _is_builtin(func: cst.BaseExpression, name: str, resolver: Resolver) -> bool:
    """`func` is the builtin `name`: spelled so, and not imported or assigned under it."""
    return (
        isinstance(func, cst.Name)
        and func.value == name
        and resolver.qualified_name(func) is None
        and not resolver.binds(name)
    )


def _q_lookups(
    node: cst.BaseExpression, resolver: Resolver, expanded: set[str] | None = None
) -> Iterator[Lookup]:
    """The lookups of Q objects combined with `|`, `&`, `^` and `~`, also kept in variables.

    Each name is read once per call (`expanded`): `q = q | Q(...)` refers to itself, and
    `q2 = q1 | q1` chains would otherwise be read an exponential number of times.
    """
    expanded = set() if expanded is None else expanded
    if isinstance(node, cst.BinaryOperation) and isinstance(
        node.operator, cst.BitOr | cst.BitAnd | cst.BitXor
    ):
        yield from _q_lookups(node.left, resolver, expanded)
        yield from _q_lookups(node.right, resolver, expanded)
    elif isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.BitInvert):
        yield from _q_lookups(node.expression, resolver, expanded)
    elif isinstance(node, cst.Name) and node.value not in expanded:
        expanded.add(node.value)
        value = resolver.assigned_value(node)
        if value is not node:
            for _, path in _q_lookups(value, resolver, expanded):
                yield node, path
    elif isinstance(node, cst.Call):
        name = resolver.qualified_name(node.func)
        short = (name or "").rpartition(".")[2] or last_name(node.func)
        if short in vocabulary.Q_NAMES:
            yield from _lookups(node, resolver)


def _constant_string(node: cst.BaseExpression, resolver: Resolver) -> str | None:
    """The text of a string literal, also kept in a variable (`key = "-email"`)."""
    value = resolver.assigned_value(node)
    if isinstance(value, cst.SimpleString):
        text = value.evaluated_value
        return text if isinstance(text, str) else None
    return None
