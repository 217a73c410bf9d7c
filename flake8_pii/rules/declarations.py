"""PII003 and PII004: PII fields in `__primary_key__` and in unique constraints.

Keys and uniqueness need deterministic values; encrypted PII never repeats.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from flake8_pii import vocabulary
from flake8_pii.index import ModelInfo
from flake8_pii.rules.base import Invalid, Rule
from flake8_pii.typepass import last_name


class DeclarationRule(Rule):
    """Flags PII field names in a model's primary key and unique constraints."""

    codes = ("PII003", "PII004")

    VALID = (
        "class A(PIIModel):\n    id: int\n    email: PIIStr\n"
        "    __primary_key__: ClassVar[list[str]] = ['id']",
        "class A(PIIModel):\n    id: int\n    email: PIIStr\n    handle: str\n"
        "    __constraints__: ClassVar[list[UniqueConstraint]] = [\n"
        "        UniqueConstraint(name='u', fields=['handle'])]",
        "class Plain(BaseModel):\n    email: str\n    __primary_key__ = ['email']",
        "class A(PIIModel):\n    id: int\n    email: PIIStr\n"
        "    email_lookup: Lookup = lookup_of('email', normalizer='email')\n"
        "    __constraints__: ClassVar[list[UniqueConstraint]] = [\n"
        "        UniqueConstraint(name='u', fields=['email_lookup'])]",
    )
    INVALID = (
        Invalid(
            "class A(PIIModel):\n    email: PIIStr\n"
            "    __primary_key__: ClassVar[list[str]] = ['email']",
            "3:45 PII003 A.email",
        ),
        Invalid(
            "class A(PIIModel):\n    id: int\n    phone: PIIStr | None = None\n"
            "    __constraints__: ClassVar[list[UniqueConstraint]] = [\n"
            "        UniqueConstraint(name='u', fields=['id', 'phone'])]",
            "5:50 PII004 A.phone",
        ),
        Invalid(
            "class B(Customer):\n    __primary_key__ = ('email',)",  # inherited PII field
            "2:24 PII003 B.email",
        ),
        Invalid(  # the message names the declared lookup, A.email_lookup, to constrain instead
            "class A(PIIModel):\n    email: PIIStr\n"
            "    email_lookup: Lookup = lookup_of('email')\n"
            "    __constraints__: ClassVar[list[UniqueConstraint]] = [\n"
            "        UniqueConstraint(name='u', fields=['email'])]",
            "5:44 PII004 A.email",
        ),
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        model = self.context.model_of(node)
        if model is None or not model.has_pii:
            return
        for line, target, value in _class_assignments(node):
            if target == "__primary_key__":
                for string, field in _strings(value):
                    if _is_pii(model, field):
                        self.report(
                            string, "PII003", statement=line, subject=f"{model.name}.{field}"
                        )
            elif target == "__constraints__":
                for constraint, fields in _unique_constraints(value):
                    for string, field in _strings(fields):
                        if _is_pii(model, field):
                            lookup = model.lookup_for(field)
                            self.report(
                                string,
                                "PII004",
                                statement=line,
                                subject=f"{model.name}.{field}",
                                constraint=constraint,
                                **({"lookup": f"{model.name}.{lookup}"} if lookup else {}),
                            )


def _is_pii(model: ModelInfo, field: str) -> bool:
    info = model.fields.get(field)
    return info is not None and info.pii


def _class_assignments(
    node: cst.ClassDef,
) -> Iterator[tuple[cst.SimpleStatementLine, str, cst.BaseExpression]]:
    """(statement line, assigned name, value) of each plain assignment in the class body."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for line in body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for statement in line.body:
            if isinstance(statement, cst.AnnAssign) and statement.value is not None:
                if isinstance(statement.target, cst.Name):
                    yield line, statement.target.value, statement.value
            elif isinstance(statement, cst.Assign):
                for target in statement.targets:
                    if isinstance(target.target, cst.Name):
                        yield line, target.target.value, statement.value


def _strings(node: cst.BaseExpression) -> Iterator[tuple[cst.SimpleString, str]]:
    if isinstance(node, cst.List | cst.Tuple | cst.Set):
        for element in node.elements:
            value = element.value
            if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                yield value, value.evaluated_value


def _unique_constraints(node: cst.BaseExpression) -> Iterator[tuple[str, cst.BaseExpression]]:
    """(constraint name, its `fields` expression) for each UniqueConstraint(...) listed."""
    if not isinstance(node, cst.List | cst.Tuple):
        return
    for element in node.elements:
        call = element.value
        if (
            not isinstance(call, cst.Call)
            or last_name(call.func) not in vocabulary.UNIQUE_CONSTRAINT_NAMES
        ):
            continue
        name = "(unnamed)"
        fields: cst.BaseExpression | None = None
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword == "name" and isinstance(arg.value, cst.SimpleString):
                evaluated = arg.value.evaluated_value
                name = evaluated if isinstance(evaluated, str) else name
            elif (
                keyword == "fields" or (keyword is None and fields is None and arg.star == "")
            ) and isinstance(arg.value, cst.List | cst.Tuple):
                fields = arg.value
        if fields is not None:
            yield name, fields
