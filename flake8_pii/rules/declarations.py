"""PII003 and PII004: PII fields in `__primary_key__` and in unique constraints.

Keys and uniqueness need deterministic values; encrypted PII never repeats.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from flake8_pii import vocabulary
from flake8_pii.index import ModelInfo
from flake8_pii.rules.base import Invalid, Rule
from flake8_pii.typepass import Column, last_name


class DeclarationRule(Rule):
    """Flags PII field names in a model's primary key and unique constraints."""

    codes = ("PII003", "PII004")

    VALID: ClassVar[tuple[str, ...]] = (
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
    INVALID: ClassVar[tuple[Invalid, ...]] = (
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

    # SQLAlchemy 2.0 / 1.x and SQLModel: keys and uniqueness declared on columns, in
    # `__table_args__` and with `Index(..., unique=True)`
    VALID += (
        "class A(Base):\n    __tablename__ = 'a'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n    email: Mapped[PIIStr]\n"
        "    email_lookup: Mapped[str | None] = lookup_column('email', unique=True)\n"
        "    __table_args__ = (\n        sa.UniqueConstraint('email_lookup'),\n"
        "        Index('ix', 'email_lookup', unique=True),\n    )",
        "class A(Base):\n    __tablename__ = 'a'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n    email: Mapped[PIIStr]\n"
        "    __table_args__ = (Index('ix_email', 'email'),)",  # not unique
        "class A(Base):\n    __tablename__ = 'a'\n"
        "    email: Mapped[str] = mapped_column(sa.String(400), primary_key=True)\n"
        "    handle = sa.Column(sa.String(40), unique=True)",  # columns without PII
        "Index('ix_user_email', User.email)\n"
        "Index('ix_lookup', User.email_lookup, unique=True)\n"
        "Index('ix_tag', Tag.email, unique=True)",
        "class A(Base):\n    __tablename__ = 'a'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    email: Mapped[PIIStr] = mapped_column(unique=False)",
    )
    INVALID += (
        Invalid(
            "class A(Base):\n    __tablename__ = 'a'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    email: Mapped[PIIStr] = mapped_column(unique=True)",
            "4:43 PII004 A.email",
        ),
        Invalid(
            "class A(Base):\n    __tablename__ = 'a'\n"
            "    email: Mapped[str] = mapped_column(PIIString(400), primary_key=True)",
            "3:56 PII003 A.email",
        ),
        Invalid(  # 1.x: the constraint names the column as the database does
            "class A(Base):\n    __tablename__ = 'a'\n"
            "    id = sa.Column(sa.Integer, primary_key=True)\n"
            "    email = sa.Column('email_address', PIIString(400))\n"
            "    __table_args__ = (sa.UniqueConstraint('email_address', name='uq_email'),)",
            "5:43 PII004 A.email",
        ),
        Invalid(
            "class A(Base):\n    __tablename__ = 'a'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n    email: Mapped[PIIStr]\n"
            "    __table_args__ = (Index('ix_email', 'email', unique=True),)",
            "5:41 PII004 A.email",
        ),
        Invalid(
            "class A(sqlmodel.SQLModel, table=True):\n"
            "    id: int | None = sqlmodel.Field(default=None, primary_key=True)\n"
            "    email: PIIStr = sqlmodel.Field(unique=True)",
            "3:36 PII004 A.email",
        ),
        Invalid("Index('ix_user_email', User.email, unique=True)", "1:24 PII004 User.email"),
        Invalid(  # names A.email_lookup to constrain instead
            "class A(Base):\n    __tablename__ = 'a'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n    email: Mapped[PIIStr]\n"
            "    email_lookup: Mapped[str | None] = lookup_column('email')\n"
            "    __table_args__ = (sa.UniqueConstraint('email'),)",
            "6:43 PII004 A.email",
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
                            self._unique(string, model, field, constraint, line)
        self._check_columns(node, model)

    def visit_Call(self, node: cst.Call) -> None:
        """`Index("ix", M.email, unique=True)` anywhere: a unique index on a PII column. (Names
        and strings in `__table_args__` are read with the class, which knows its fields.)"""
        if last_name(node.func) not in vocabulary.INDEX_NAMES or not _is_true(node, "unique"):
            return
        name = _index_name(node)
        for arg in node.args[1:]:
            found = self.resolver.type_of(arg.value) if arg.keyword is None else None
            if isinstance(found, Column) and found.pii:
                self._unique(arg.value, found.model, found.field, name, None)

    def _check_columns(self, node: cst.ClassDef, model: ModelInfo) -> None:
        """SQLAlchemy and SQLModel declarations: `primary_key=True` and `unique=True` on a PII
        column, and unique constraints and indexes in `__table_args__` that name one."""
        names = _database_names(node)
        for line, target, value in _class_assignments(node):
            if target == vocabulary.TABLE_ARGS:
                for constraint, column, field in _table_args_columns(value, names):
                    if _is_pii(model, field):
                        self._unique(column, model, field, constraint, line)
            elif isinstance(value, cst.Call) and _is_pii(model, target) and self._declares(value):
                for arg in value.args:
                    keyword = arg.keyword.value if arg.keyword is not None else None
                    if keyword == "primary_key" and _is_true_value(arg.value):
                        subject = f"{model.name}.{target}"
                        self.report(arg, "PII003", statement=line, subject=subject)
                    elif keyword == "unique" and _is_true_value(arg.value):
                        self._unique(arg, model, target, "unique=True", line)

    def _declares(self, call: cst.Call) -> bool:
        """Whether `call` declares a column: `Column(...)`, `mapped_column(...)`, SQLModel's
        `Field(...)`."""
        if last_name(call.func) in vocabulary.COLUMN_DECLARERS:
            return True
        return self.resolver.qualified_name(call.func) in vocabulary.FIELD_DECLARERS

    def _unique(
        self,
        node: cst.CSTNode,
        model: ModelInfo,
        field: str,
        constraint: str,
        line: cst.CSTNode | None,
    ) -> None:
        lookup = model.lookup_for(field)
        self.report(
            node,
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


def _is_true_value(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _is_true(call: cst.Call, keyword: str) -> bool:
    return any(
        arg.keyword is not None and arg.keyword.value == keyword and _is_true_value(arg.value)
        for arg in call.args
    )


def _string(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _index_name(call: cst.Call) -> str:
    """An index's name, as the runtime words it: its first argument or `name=`."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "name":
            return _string(arg.value) or "(unnamed unique index)"
    first = call.args[0].value if call.args and call.args[0].keyword is None else None
    return (_string(first) if first is not None else None) or "(unnamed unique index)"


def _database_names(node: cst.ClassDef) -> dict[str, str]:
    """Column name in the database -> field, for `email = Column("email_address", ...)`;
    constraints in `__table_args__` name columns as the database does."""
    names: dict[str, str] = {}
    for _line, target, value in _class_assignments(node):
        if isinstance(value, cst.Call) and value.args and value.args[0].keyword is None:
            database_name = _string(value.args[0].value)
            if database_name is not None and last_name(value.func) in vocabulary.COLUMN_DECLARERS:
                names[database_name] = target
    return names


def _table_args_columns(
    node: cst.BaseExpression, names: dict[str, str]
) -> Iterator[tuple[str, cst.BaseExpression, str]]:
    """(constraint name, column argument, field) for each column a unique constraint or a unique
    index of `__table_args__` names by a string or by the class attribute (`email`)."""
    if not isinstance(node, cst.Tuple | cst.List):
        return
    for element in node.elements:
        call = element.value
        if not isinstance(call, cst.Call):
            continue
        kind = last_name(call.func)
        if kind in vocabulary.UNIQUE_CONSTRAINT_NAMES:
            constraint = "(unnamed)"
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == "name":
                    constraint = _string(arg.value) or constraint
            columns = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
        elif kind in vocabulary.INDEX_NAMES and _is_true(call, "unique"):
            constraint = _index_name(call)
            columns = [arg.value for arg in call.args[1:] if arg.keyword is None and not arg.star]
        else:
            continue
        for column in columns:
            spelled = _string(column)
            if spelled is not None:
                yield constraint, column, names.get(spelled, spelled)
            elif isinstance(column, cst.Name):
                yield constraint, column, column.value
