"""PII001 and PII002: PII fields used in query filters and in ordering."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from flake8_pii.index import ProjectIndex
from flake8_pii.resolve import Kind, ModelValue, dotted
from flake8_pii.rules import Invalid, Rule, Valid

# Keyword arguments of lookup-taking methods that are not lookups.
NON_LOOKUP_KEYWORDS = frozenset({"defaults", "create_defaults", "using"})
# Lookups that stay meaningful on ciphertext.
DETERMINISTIC_LOOKUPS = frozenset({"isnull"})
QUERY_RECEIVERS = (Kind.MANAGER, Kind.QUERY_MANY, Kind.QUERY_ONE)


def pii_in_path(index: ProjectIndex, model_name: str, path: str) -> str | None:
    """`Model.field` when the lookup or ordering path reaches a PII field, else None.

    The path is followed through FK fields (`customer__email`); what follows the PII field is a
    lookup suffix (`__iexact`). Unknown fields end the walk quietly.
    """
    model = index.model(model_name)
    parts = path.split("__")
    for position, part in enumerate(parts):
        if model is None:
            return None
        field = model.fields.get(part)
        if field is None:
            return None
        if field.pii:
            rest = parts[position + 1:]
            if rest and rest[0] in DETERMINISTIC_LOOKUPS:
                return None
            return f"{model.name}.{part}"
        if field.target is None:
            return None
        model = index.model(field.target)
    return None


class QueryRules(Rule):
    """PII001: a PII field in a filter; PII002: a PII field in ordering.

    PII values are stored as random-IV ciphertext: equal plaintexts never have equal stored values,
    so a filter on them never matches and ordering by them sorts noise.
    """

    CODES = ("PII001", "PII002")
    VALID = (
        Valid("Customer.objects.filter(id=1, name='Ada')"),
        Valid("Product.objects.filter(email='a@example.com')"),
        Valid("Customer.objects.filter(email__isnull=True)"),
        Valid("Customer.objects.order_by('-name', 'id')"),
        Valid("Product.objects.order_by('email')"),
        Valid("Order.objects.filter(customer__name='Ada', customer__id=3)"),
        Valid("Customer.objects.get_or_create(id=1, defaults={'email': email})"),
        Valid("fields = ['email']\nsort_key = 'email'"),
        Valid("def f(rows):\n    return rows.filter(email=1).order_by('email')"),
        Valid("Customer.objects.filter(**conditions)"),
        Valid("def f(c: Customer):\n    Order.objects.filter(customer=c).exists()"),
        Valid("def f(thing):\n    thing.objects.filter(email=1).order_by('email')"),
        Valid("Order.objects.filter(customer__unknown__email=1)"),
    )
    INVALID = (
        Invalid("Customer.objects.filter(email='a@example.com')", (("PII001", "Customer.email"),)),
        Invalid("Customer.objects.get(email__iexact=x)", (("PII001", "Customer.email"),)),
        Invalid("Customer.objects.get_or_none(phone=x)", (("PII001", "Customer.phone"),)),
        Invalid("Customer.objects.exclude(**{'email': x})", (("PII001", "Customer.email"),)),
        Invalid("Order.objects.filter(customer__email=x)", (("PII001", "Customer.email"),)),
        Invalid(
            "Shipment.objects.filter(order__customer__email__in=x)",
            (("PII001", "Customer.email"),),
        ),
        Invalid(
            "from app.models import Customer as C\nC.objects.filter(Q(name=1) | ~Q(email=x))",
            (("PII001", "Customer.email"),),
        ),
        Invalid(
            "qs = Customer.objects.all()\nactive = qs.filter(id__gt=1)\nactive.filter(email=x)",
            (("PII001", "Customer.email"),),
        ),
        Invalid("Customer.objects.order_by('-email')", (("PII002", "Customer.email"),)),
        Invalid(
            "Order.objects.filter(id=1).order_by('customer__phone', 'id')",
            (("PII002", "Customer.phone"),),
        ),
        Invalid(
            "def recent(kind: type[Customer]):\n    return kind.objects.latest('email')",
            (("PII002", "Customer.email"),),
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        config = self.context.config
        is_lookup = method in config.query_methods
        is_ordering = method in config.ordering_methods
        if is_lookup or is_ordering:
            self.context.defer(lambda: self._check_call(node, func, is_lookup, is_ordering))

    def _check_call(
        self, node: cst.Call, func: cst.Attribute, is_lookup: bool, is_ordering: bool
    ) -> None:
        receiver = self.context.resolver.value_of(func.value, self.context.scope)
        if not isinstance(receiver, ModelValue) or receiver.kind not in QUERY_RECEIVERS:
            return
        if is_lookup:
            self._check_lookups(receiver.model, node.args)
        if is_ordering:
            for arg in node.args:
                if arg.keyword is None and not arg.star:
                    self._check_string(receiver.model, arg.value, "PII002", ordering=True)

    def _check_lookups(self, model: str, args: Sequence[cst.Arg]) -> None:
        for arg in args:
            if arg.keyword is not None:
                if arg.keyword.value not in NON_LOOKUP_KEYWORDS:
                    self._check_path(model, arg.keyword.value, arg.keyword)
            elif arg.star == "**" and isinstance(arg.value, cst.Dict):
                for element in arg.value.elements:
                    if isinstance(element, cst.DictElement):
                        self._check_string(model, element.key, "PII001", ordering=False)
            elif not arg.star:
                self._check_q(model, arg.value)

    def _check_q(self, model: str, node: cst.BaseExpression) -> None:
        """Q objects combined with `|`, `&` and `~` carry lookups too."""
        if isinstance(node, cst.UnaryOperation):
            self._check_q(model, node.expression)
        elif isinstance(node, cst.BinaryOperation):
            self._check_q(model, node.left)
            self._check_q(model, node.right)
        elif isinstance(node, cst.Call) and dotted(node.func).rsplit(".", 1)[-1] == "Q":
            self._check_lookups(model, node.args)

    def _check_string(
        self, model: str, node: cst.BaseExpression, code: str, *, ordering: bool
    ) -> None:
        if not isinstance(node, cst.SimpleString | cst.ConcatenatedString):
            return
        text = node.evaluated_value
        if not isinstance(text, str):
            return
        if ordering:
            text = text.lstrip("-+")
        self._check_path(model, text, node, code)

    def _check_path(
        self, model: str, path: str, node: cst.CSTNode, code: str = "PII001"
    ) -> None:
        subject = pii_in_path(self.context.index, model, path)
        if subject is not None:
            self.context.report(code, node, subject)
