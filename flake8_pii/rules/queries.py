"""PII001 and PII002: PII fields in query filters and in ordering.

Stored PII is random-IV ciphertext: a filter on it never matches and ordering by it sorts noise.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from flake8_pii import vocabulary
from flake8_pii.index import ModelInfo
from flake8_pii.lookups import pii_path
from flake8_pii.rules.base import Context, Invalid, Rule
from flake8_pii.typepass import ModelClass, Query, last_name


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
        Invalid(
            "def f(q: 'QuerySet[Customer]'):\n    return q.filter(email='a')",
            "2:21 PII001 Customer.email",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        settings = context.resolver.index.settings
        is_filter = method in settings.query_methods
        if not (is_filter or method in vocabulary.ORDERING_METHODS):
            return
        receiver = context.resolver.type_of(func.value)
        if not isinstance(receiver, Query | ModelClass):
            return
        model = receiver.model
        if is_filter:
            for key_node, path in _lookups(node, context):
                self._check(model, key_node, path, "PII001", context)
        else:
            for arg in node.args:
                if arg.keyword is None and isinstance(arg.value, cst.SimpleString):
                    ordering = arg.value.evaluated_value
                    if isinstance(ordering, str):
                        self._check(model, arg.value, ordering, "PII002", context)

    def _check(
        self, model: ModelInfo, node: cst.CSTNode, path: str, code: str, context: Context
    ) -> None:
        reached = pii_path(model, path, context.resolver.model_named)
        if reached is None:
            return
        parts = {"subject": reached.subject}
        if code == "PII001" and reached.lookup is not None:
            parts["lookup"] = reached.lookup
        self.report(node, code, None, **parts)


def _lookups(call: cst.Call, context: Context) -> Iterator[tuple[cst.CSTNode, str]]:
    """(node to report, lookup path) for each keyword, literal `**{...}` key and Q object."""
    for arg in call.args:
        if arg.keyword is not None:
            yield arg.keyword, arg.keyword.value
        elif arg.star == "**" and isinstance(arg.value, cst.Dict):
            for element in arg.value.elements:
                if isinstance(element, cst.DictElement) and isinstance(
                    element.key, cst.SimpleString
                ):
                    key = element.key.evaluated_value
                    if isinstance(key, str):
                        yield element.key, key
        elif arg.star == "":
            yield from _q_lookups(arg.value, context)


def _q_lookups(node: cst.BaseExpression, context: Context) -> Iterator[tuple[cst.CSTNode, str]]:
    if isinstance(node, cst.BinaryOperation) and isinstance(
        node.operator, cst.BitOr | cst.BitAnd | cst.BitXor
    ):
        yield from _q_lookups(node.left, context)
        yield from _q_lookups(node.right, context)
    elif isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.BitInvert):
        yield from _q_lookups(node.expression, context)
    elif isinstance(node, cst.Call):
        name = context.resolver.qualified_name(node.func)
        short = (name or "").rpartition(".")[2] or last_name(node.func)
        if short in vocabulary.Q_NAMES:
            yield from _lookups(node, context)
