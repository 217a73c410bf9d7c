"""PII001 and PII002: PII fields in query filters and in ordering.

Stored PII is random-IV ciphertext: a filter on it never matches and ordering by it sorts noise.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from flake8_pii.index import ModelInfo
from flake8_pii.paths import pii_field_in_path
from flake8_pii.resolve import ModelClass, Query, last_name
from flake8_pii.rules.base import Context, Invalid, Rule

ORDERING_METHODS = frozenset({"order_by", "aorder_by"})
Q_NAMES = frozenset({"Q"})


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
        Invalid("Customer.objects.filter(email='a@b.c')", ("PII001",)),
        Invalid("Customer.objects.exclude(email__iexact='a')", ("PII001",)),
        Invalid("Customer.objects.get(phone='1')", ("PII001",)),
        Invalid("Order.objects.filter(customer__email='a')", ("PII001",)),
        Invalid("Order.objects.filter(address__customer__email__startswith='a')", ("PII001",)),
        Invalid("Customer.objects.filter(**{'email': 'a'})", ("PII001",)),
        Invalid("Customer.objects.filter(Q(email='a') | Q(id=2))", ("PII001",)),
        Invalid("Customer.objects.filter(~Q(phone='1'))", ("PII001",)),
        Invalid("qs = Customer.objects.all()\nqs.filter(email='a')", ("PII001",)),
        Invalid("Member.objects.get(email='a')", ("PII001",)),  # names Member.email_lookup
        Invalid("Customer.objects.order_by('email')", ("PII002",)),
        Invalid("Customer.objects.order_by('id', '-email')", ("PII002",)),
        Invalid("Order.objects.filter(status='x').order_by('customer__phone')", ("PII002",)),
        Invalid(
            "async def f():\n    await Customer.objects.filter(email='a').aexecute()",
            ("PII001",),
        ),
        Invalid("def f(q: 'QuerySet[Customer]'):\n    return q.filter(email='a')", ("PII001",)),
    )

    def visit_call(self, node: cst.Call, context: Context) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        settings = context.resolver.index.settings
        is_filter = method in settings.query_methods
        if not (is_filter or method in ORDERING_METHODS):
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
        reached = pii_field_in_path(model, path, context.resolver.model_named)
        if reached is None:
            return
        owner, field = reached
        parts = {"subject": f"{owner.name}.{field}"}
        lookup = owner.lookup_for(field) if code == "PII001" else None
        if lookup is not None:
            parts["lookup"] = f"{owner.name}.{lookup}"
        context.report(node, code, None, **parts)


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
        if short in Q_NAMES:
            yield from _lookups(node, context)
