"""PII003 and PII004: PII fields named in `__primary_key__` and in unique constraints."""

from __future__ import annotations

import libcst as cst

from flake8_pii.index import ModelInfo
from flake8_pii.resolve import dotted
from flake8_pii.rules import Invalid, Rule, Valid

PRIMARY_KEY = "__primary_key__"
CONSTRAINTS = "__constraints__"


def _strings(node: cst.BaseExpression) -> list[tuple[cst.BaseExpression, str]]:
    """The string literals of a list/tuple literal (or a lone string), with their values."""
    items: list[cst.BaseExpression] = (
        [e.value for e in node.elements] if isinstance(node, cst.List | cst.Tuple) else [node]
    )
    found: list[tuple[cst.BaseExpression, str]] = []
    for item in items:
        if isinstance(item, cst.SimpleString | cst.ConcatenatedString):
            value = item.evaluated_value
            if isinstance(value, str):
                found.append((item, value))
    return found


class DeclarationRules(Rule):
    """PII003: a PII field in `__primary_key__`; PII004: a PII field in a unique constraint.

    Keys must be deterministic and are copied into every reference; two encryptions of one value
    differ, so a unique constraint over ciphertext never sees a duplicate.
    """

    CODES = ("PII003", "PII004")
    VALID = (
        Valid(
            "class Account(Customer):\n"
            "    __primary_key__: ClassVar[list[str]] = ['id']\n"
            "    __constraints__: ClassVar[list[UniqueConstraint]] = [\n"
            "        UniqueConstraint(name='uq_name', fields=['name'])\n"
            "    ]"
        ),
        Valid(
            "class Listing(Product):\n"
            "    __primary_key__ = ['email']\n"
            "    __constraints__ = [UniqueConstraint(name='uq', fields=['email', 'title'])]"
        ),
        Valid("class Plain:\n    __primary_key__ = ['email']"),
    )
    INVALID = (
        Invalid(
            "class Account(PIIModel):\n"
            "    email: PIIStr\n"
            "    __primary_key__: ClassVar[list[str]] = ['email']",
            (("PII003", "Account.email"),),
        ),
        Invalid(
            "class Account(Customer):\n"
            "    __constraints__: ClassVar[list[UniqueConstraint]] = [\n"
            "        UniqueConstraint(name='uq_contact', fields=['name', 'phone']),\n"
            "    ]",
            (("PII004", "Account.phone"),),
        ),
        Invalid(
            "class Account(Customer):\n    __primary_key__ = ('id', 'email')",
            (("PII003", "Account.email"),),
        ),
    )

    def visit_Assign(self, node: cst.Assign) -> None:
        self._check_in_class_body(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._check_in_class_body(node)

    def _check_in_class_body(self, node: cst.Assign | cst.AnnAssign) -> None:
        scope = self.context.scope
        if not isinstance(scope.node, cst.ClassDef) or not scope.class_qualname:
            return
        model = self.context.index.model(scope.class_qualname)
        if model is not None:
            self._check_statement(model, node)

    def _check_statement(self, model: ModelInfo, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target: cst.BaseExpression = small.targets[0].target
            value: cst.BaseExpression | None = small.value
        elif isinstance(small, cst.AnnAssign):
            target, value = small.target, small.value
        else:
            return
        if not isinstance(target, cst.Name) or value is None:
            return
        if target.value == PRIMARY_KEY:
            for node, name in _strings(value):
                self._report_if_pii("PII003", model, name, node, None)
        elif target.value == CONSTRAINTS and isinstance(value, cst.List | cst.Tuple):
            for element in value.elements:
                self._check_constraint(model, element.value)

    def _check_constraint(self, model: ModelInfo, node: cst.BaseExpression) -> None:
        if not isinstance(node, cst.Call):
            return
        if dotted(node.func).rsplit(".", 1)[-1] != "UniqueConstraint":
            return
        name = "(unnamed)"
        fields: cst.BaseExpression | None = None
        for arg in node.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword == "name":
                found = _strings(arg.value)
                name = repr(found[0][1]) if found else name
            elif keyword == "fields":
                fields = arg.value
        if fields is None:
            return
        for string_node, field_name in _strings(fields):
            self._report_if_pii("PII004", model, field_name, string_node, name)

    def _report_if_pii(
        self,
        code: str,
        model: ModelInfo,
        field_name: str,
        node: cst.CSTNode,
        constraint: str | None,
    ) -> None:
        field = model.fields.get(field_name)
        if field is None or not field.pii:
            return
        subject = f"{model.name}.{field_name}"
        if constraint is None:
            self.context.report(code, node, subject)
        else:
            self.context.report(code, node, subject, constraint=constraint)
