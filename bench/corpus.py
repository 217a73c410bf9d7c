"""A generated PII-heavy project: model modules with PII and FK fields, and many modules that query
and log them, some mistaken, some not. Deterministic for a given seed.

`generate` also returns the findings the generator deliberately wrote, so a run of the analyzer
can be checked for what it should and should not report, not only timed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

MODELS_CUSTOMERS = '''\
"""Customer records."""

from typing import ClassVar, Optional

from pii_guard import PIIModel, PIIStr, UniqueConstraint


class Customer(PIIModel):
    id: int
    email: PIIStr
    phone: Optional[PIIStr] = None
    display_name: str
    created: str

    __primary_key__: ClassVar[list[str]] = ["id"]
    __constraints__: ClassVar[list[UniqueConstraint]] = [
        UniqueConstraint(name="uniq_display_name", fields=["display_name"]),
    ]


class Address(PIIModel):
    id: int
    customer: Customer
    street: PIIStr
    city: str
'''

MODELS_ORDERS = '''\
"""Orders, written against AMSDAL's model base."""

from typing import ClassVar

from amsdal.models import Model, PIIStr as SensitiveStr

from .customers import Customer


class Order(Model):
    id: int
    customer: Customer
    shipping_name: SensitiveStr | None = None
    total: int
    status: str

    __primary_key__: ClassVar[list[str]] = ["id"]
'''

MODELS_INIT = """\
from .customers import Address, Customer
from .orders import Order

__all__ = ["Address", "Customer", "Order"]
"""


@dataclass(frozen=True, order=True)
class Expected:
    """A finding the generator wrote on purpose: file relative to the root, 1-based line, code."""

    path: str
    line: int
    code: str


class _Module:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []
        self.expected: list[Expected] = []

    def add(self, line: str, code: str | None = None) -> None:
        self.lines.append(line)
        if code is not None:
            self.expected.append(Expected(self.path, len(self.lines), code))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


# (template, code or None). {n} makes names unique per function.
_QUERY_SNIPPETS: list[tuple[str, str | None]] = [
    ("    rows_{n} = Customer.objects.filter(email=term).execute()", "PII001"),
    ("    rows_{n} = Customer.objects.filter(email__iexact=term).execute()", "PII001"),
    ("    rows_{n} = Order.objects.filter(customer__email=term).execute()", "PII001"),
    ('    rows_{n} = Customer.objects.order_by("-email").execute()', "PII002"),
    ('    rows_{n} = Order.objects.order_by("customer__phone").execute()', "PII002"),
    ("    rows_{n} = Customer.objects.filter(id=customer_id).execute()", None),
    ("    rows_{n} = Order.objects.filter(customer__id=customer_id, status=term).execute()", None),
    ('    rows_{n} = Customer.objects.order_by("-created").execute()', None),
    ('    rows_{n} = Order.objects.filter(status="open").order_by("total").execute()', None),
]

_LOG_SNIPPETS: list[tuple[str, str | None]] = [
    ('    logger.info("customer %s signed in", customer.email)', "PII005"),
    ('    logger.warning(f"order for {order.customer.email} failed")', "PII005"),
    ('    logger.info("shipping to %s", order.shipping_name)', "PII005"),
    ('    logger.info("customer %s signed in", customer.id)', None),
    ('    logger.info("email length %d", len(customer.email))', None),
    ('    logger.info("order %s is %s", order.id, order.status)', None),
    ('    logger.debug("has phone: %s", customer.phone is not None)', None),
]


def _service_module(index: int, rng: random.Random) -> _Module:
    module = _Module(f"shop/services/svc_{index:04d}.py")
    module.add(f'"""Service module {index}."""')
    module.add("")
    module.add("import logging")
    module.add("")
    module.add("from shop.models import Customer, Order")
    module.add("")
    module.add("logger = logging.getLogger(__name__)")
    for function in range(rng.randint(2, 4)):
        module.add("")
        module.add("")
        module.add(f"def lookup_{function}(term: str, customer_id: int) -> int:")
        for n in range(rng.randint(2, 4)):
            template, code = rng.choice(_QUERY_SNIPPETS)
            module.add(template.format(n=n), code)
        module.add("    return 0")
        module.add("")
        module.add("")
        module.add(f"def report_{function}(customer: Customer, order: Order) -> None:")
        for _ in range(rng.randint(2, 4)):
            template, code = rng.choice(_LOG_SNIPPETS)
            module.add(template, code)
        module.add("    total = sum(item for item in range(order.total))")
        module.add('    logger.info("total %d", total)')
    return module


def generate(root: Path, modules: int = 1000, seed: int = 0) -> list[Expected]:
    """Write the project under `root` and return the findings written on purpose, sorted."""
    rng = random.Random(seed)
    (root / "shop" / "models").mkdir(parents=True, exist_ok=True)
    (root / "shop" / "services").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "0"\n')
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "services" / "__init__.py").write_text("")
    (root / "shop" / "models" / "__init__.py").write_text(MODELS_INIT)
    (root / "shop" / "models" / "customers.py").write_text(MODELS_CUSTOMERS)
    (root / "shop" / "models" / "orders.py").write_text(MODELS_ORDERS)
    expected: list[Expected] = []
    for index in range(modules):
        module = _service_module(index, rng)
        (root / module.path).write_text(module.text())
        expected.extend(module.expected)
    return sorted(expected)
