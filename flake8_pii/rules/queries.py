"""PII001 and PII002: PII fields in query filters and in ordering.

Stored PII is random-IV ciphertext: a filter on it never matches and ordering by it sorts noise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar

import libcst as cst

from flake8_pii import vocabulary
from flake8_pii.index import ModelInfo
from flake8_pii.lookups import pii_path
from flake8_pii.rules.base import Invalid, Rule
from flake8_pii.typepass import Column, ModelClass, Query, Resolver, Statement, last_name


class QueryRule(Rule):
    """Flags lookups and orderings that name a PII field, also through FK paths."""

    codes = ("PII001", "PII002")

    VALID: ClassVar[tuple[str, ...]] = (
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
    INVALID: ClassVar[tuple[Invalid, ...]] = (
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

    # SQLAlchemy 2.0 / 1.x, Flask-SQLAlchemy and SQLModel: columns compared in `where`,
    # `filter` and `having`, columns ordered by, keyword lookups of `filter_by`
    VALID += (
        "select(User).where(User.email == None, User.phone != None)",  # presence survives
        "select(User).where(User.email.is_(None), User.phone.isnot(None))",
        "select(User).where(User.email_lookup.in_(['ab12']))",  # a lookup: a keyed hash
        "select(User).filter_by(email_lookup='ab12')",
        "select(User).where(User.name == 'a').order_by(User.name.desc(), desc(User.id))",
        "select(Tag).where(Tag.email == 'a').order_by(Tag.email)",  # a model without PII
        "db.select(Tag).where(Tag.email == 'a')",  # Flask-SQLAlchemy's select, no PII
        "select(Account).where(Account.handle.ilike('a%'))",  # a column without PII
        "select(User).where(User.email)",  # not a comparison
        "rows.filter(User.email == 'a')",  # not a query of a known model
        "def f(session):\n    return session.query(User).order_by(User.email_lookup)",
    )
    INVALID += (
        Invalid("select(User).where(User.email == 'a')", "1:20 PII001 User.email"),
        Invalid("db.select(User).where(User.email == 'a')", "1:23 PII001 User.email"),
        Invalid("select(User).where(User.phone.ilike('%5'))", "1:20 PII001 User.phone"),
        Invalid("select(User).where(User.phone.in_(['1', '2']))", "1:20 PII001 User.phone"),
        Invalid(
            "select(User).where(and_(User.id == 1, or_(User.name == 'a', User.email == 'a')))",
            "1:61 PII001 User.email",
        ),
        Invalid(
            "select(User).where(~User.email.startswith('a') | (User.id > 3))",
            "1:21 PII001 User.email",
        ),
        Invalid("select(User.id).where('a' != User.email)", "1:30 PII001 User.email"),
        Invalid(
            "def f(session):\n"
            "    return session.query(User).filter(User.email.contains('a')).first()",
            "2:39 PII001 User.email",
        ),
        Invalid("User.query.filter(User.phone.between('1', '9'))", "1:19 PII001 User.phone"),
        Invalid("select(User).filter_by(email='a')", "1:24 PII001 User.email"),
        Invalid(
            "def f(session):\n    return session.query(Account).filter_by(email='a')",
            "2:45 PII001 Account.email",
        ),
        Invalid("Account.query.filter_by(email='a')", "1:25 PII001 Account.email"),
        Invalid("sqlmodel.select(Hero).where(Hero.email == 'a')", "1:29 PII001 Hero.email"),
        Invalid(
            "select(Account).having(sa.not_(Account.email.like('a%')))",
            "1:32 PII001 Account.email",
        ),
        Invalid("select(User).order_by(User.email)", "1:23 PII002 User.email"),
        Invalid("select(User).order_by(User.id, User.phone.desc())", "1:32 PII002 User.phone"),
        Invalid(
            "def f(session):\n    return session.query(User).order_by(desc(User.email)).all()",
            "2:46 PII002 User.email",
        ),
        Invalid(
            "select(User).order_by(sa.nulls_last(sa.asc(User.phone)))", "1:44 PII002 User.phone"
        ),
        Invalid(
            "Account.query.order_by(Account.email.asc().nulls_first())",
            "1:24 PII002 Account.email",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        settings = self.resolver.index.settings
        if method in vocabulary.EXPRESSION_FILTER_METHODS | settings.ordering_methods:
            self._check_expressions(node, func, method)
        is_filter = method in settings.query_methods
        if not (is_filter or method in settings.ordering_methods):
            return
        receiver = self.resolver.type_of(func.value)
        if not isinstance(receiver, Query | ModelClass):
            return
        model = receiver.model
        if isinstance(receiver, ModelClass) and self.resolver.index.defines(model.qualname, method):
            return  # `User.get(session, email=...)`: the model's own method, not a query
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

    def _check_expressions(self, node: cst.Call, func: cst.Attribute, method: str) -> None:
        """SQL expressions given positionally to a filter (`where(M.email == x)`) or ordering
        (`order_by(M.email.desc())`) method of a query or statement: each PII column compared,
        or ordered by, is reported where it is written."""
        resolver = self.resolver
        if not isinstance(resolver.type_of(func.value), Query | ModelClass | Statement):
            return
        ordering = method in resolver.index.settings.ordering_methods
        for arg in node.args:
            if arg.keyword is not None or arg.star:
                continue
            if ordering:
                for expression, column in _ordered_columns(arg.value, resolver):
                    self.report(expression, "PII002", None, subject=column.subject)
            else:
                for expression, column in _compared_columns(arg.value, resolver, set()):
                    lookup = column.model.lookup_for(column.field)
                    parts = {"lookup": f"{column.model.name}.{lookup}"} if lookup else {}
                    self.report(expression, "PII001", None, subject=column.subject, **parts)


def _pii_column(node: cst.BaseExpression, resolver: Resolver) -> Column | None:
    found = resolver.type_of(node)
    return found if isinstance(found, Column) and found.pii else None


def _compared_columns(
    node: cst.BaseExpression, resolver: Resolver, seen: set[int]
) -> Iterator[tuple[cst.BaseExpression, Column]]:
    """PII columns a SQL condition compares with a value: `M.email == x`, `M.email.ilike(x)`,
    inside `and_`/`or_`/`not_`, `&`, `|` and `~`. `M.email == None`, `M.email.is_(None)` and
    `M.email.isnot(None)` test presence, which ciphertext keeps: not compared."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitAnd | cst.BitOr):
        yield from _compared_columns(node.left, resolver, seen)
        yield from _compared_columns(node.right, resolver, seen)
    elif isinstance(node, cst.UnaryOperation) and isinstance(
        node.operator, cst.BitInvert | cst.Not
    ):
        yield from _compared_columns(node.expression, resolver, seen)
    elif isinstance(node, cst.Call):
        func = node.func
        if last_name(func) in vocabulary.CONDITION_COMBINERS:  # `and_(...)`, `sa.or_(...)`
            for arg in node.args:
                yield from _compared_columns(arg.value, resolver, seen)
        elif isinstance(func, cst.Attribute) and func.attr.value in vocabulary.COMPARISON_METHODS:
            column = _pii_column(func.value, resolver)
            with_none = bool(node.args) and all(_is_none(arg.value) for arg in node.args)
            if column is not None and not with_none:  # `is_distinct_from(None)`: presence
                yield func.value, column
    elif isinstance(node, cst.Comparison):
        yield from _comparison_columns(node, resolver, seen)


def _comparison_columns(
    node: cst.Comparison, resolver: Resolver, seen: set[int]
) -> Iterator[tuple[cst.BaseExpression, Column]]:
    left = node.left
    for target in node.comparisons:
        right = target.comparator
        if not isinstance(target.operator, cst.Is | cst.IsNot) and not (
            _is_none(left) or _is_none(right)
        ):
            for side in (left, right):
                column = _pii_column(side, resolver)
                if column is not None and id(side) not in seen:
                    seen.add(id(side))
                    yield side, column
        left = right


def _is_none(node: cst.BaseExpression) -> bool:
    """`None`, or SQL's `null()`: a comparison with it tests presence, which ciphertext keeps."""
    if isinstance(node, cst.Name):
        return node.value == "None"
    return isinstance(node, cst.Call) and not node.args and last_name(node.func) == "null"


def _ordered_columns(
    node: cst.BaseExpression, resolver: Resolver
) -> Iterator[tuple[cst.BaseExpression, Column]]:
    """PII columns an ordering sorts by: `M.email`, `M.email.desc()`, `desc(M.email)`,
    `nulls_last(M.email.asc())`."""
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in vocabulary.ORDERING_MODIFIERS:
            if node.args:  # `sa.desc(M.email)`: the function, called through its module
                yield from _ordered_columns(node.args[0].value, resolver)
            else:
                yield from _ordered_columns(func.value, resolver)
        elif (
            isinstance(func, cst.Name) and func.value in vocabulary.ORDERING_MODIFIERS and node.args
        ):
            yield from _ordered_columns(node.args[0].value, resolver)
        return
    column = _pii_column(node, resolver)
    if column is not None:
        yield node, column


Lookup = tuple[cst.CSTNode, str]


def _lookups(call: cst.Call, resolver: Resolver) -> list[Lookup]:
    """(node to report, lookup path) for each keyword, `**` dict key and Q object of a call.

    A dict or Q object kept in a variable (`filters = {"email": x}`, `q = Q(email=x)`) is
    read from its assignment when it is a literal the analyzer can see, and reported at the
    name in the call.
    """
    found: list[Lookup] = []
    for arg in call.args:
        if arg.keyword is not None:
            if not _is_none(arg.value):  # `email=None` is `IS NULL`: presence, kept by ciphertext
                found.append((arg.keyword, arg.keyword.value))
        elif arg.star == "**":
            found.extend(_dict_keys(arg.value, resolver))
        elif arg.star == "":
            found.extend(_q_lookups(arg.value, resolver))
    return found


Read = Callable[[cst.BaseExpression, Resolver], list[Lookup]]


def _through_name(node: cst.Name, resolver: Resolver, read: Read) -> list[Lookup]:
    """What `read` finds in the value a name was assigned, read where it was assigned (so
    `q = q | Q(...)` reads the `q` before it), reported at the name. Worked out once per
    assignment: a chain of names built from names stays linear."""
    value, point = resolver.assigned(node)
    if point is None or point.binding is None:
        return []
    key = (read, id(point.binding))
    known = resolver.memo.get(key)
    # the entry keeps its assignment alive, so that no other one is ever given its id
    if isinstance(known, tuple) and known[0] is point.binding:
        paths: list[str] = known[1]
    else:
        resolver.memo[key] = (point.binding, [])  # a value that reaches itself reads as nothing
        with resolver.reading_at(point):
            # each path once: `q2 = q1 | q1` must not double what it holds
            paths = list(dict.fromkeys(path for _, path in read(value, resolver)))
        resolver.memo[key] = (point.binding, paths)
    return [(node, path) for path in paths]


def _dict_keys(node: cst.BaseExpression, resolver: Resolver) -> list[Lookup]:
    """The string keys of a dict literal (also those it unpacks with `**`), or the keywords of
    `dict(...)`, also kept in a variable."""
    if isinstance(node, cst.Name):
        return _through_name(node, resolver, _dict_keys)
    found: list[Lookup] = []
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                key = element.key.evaluated_value
                if isinstance(key, str) and not _is_none(element.value):
                    found.append((element.key, key))
            elif isinstance(element, cst.StarredDictElement):
                found.extend(_dict_keys(element.value, resolver))
    elif isinstance(node, cst.Call) and resolver.callee_name(node.func) == "builtins.dict":
        for arg in node.args:
            if arg.keyword is not None:
                found.append((arg.keyword, arg.keyword.value))
            elif arg.star == "**":
                found.extend(_dict_keys(arg.value, resolver))
    return found


def _q_lookups(node: cst.BaseExpression, resolver: Resolver) -> list[Lookup]:
    """The lookups of Q objects combined with `|`, `&`, `^` and `~`, also kept in variables."""
    if isinstance(node, cst.BinaryOperation) and isinstance(
        node.operator, cst.BitOr | cst.BitAnd | cst.BitXor
    ):
        return _q_lookups(node.left, resolver) + _q_lookups(node.right, resolver)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.BitInvert):
        return _q_lookups(node.expression, resolver)
    if isinstance(node, cst.Name):
        return _through_name(node, resolver, _q_lookups)
    if isinstance(node, cst.Call):
        name = resolver.qualified_name(node.func)
        short = (name or "").rpartition(".")[2] or last_name(node.func)
        if short in vocabulary.Q_NAMES:
            return _lookups(node, resolver)
    return []


def _constant_string(node: cst.BaseExpression, resolver: Resolver) -> str | None:
    """The text of a string literal, also kept in a variable (`key = "-email"`)."""
    value = resolver.assigned_value(node)
    if isinstance(value, cst.SimpleString):
        text = value.evaluated_value
        return text if isinstance(text, str) else None
    return None
