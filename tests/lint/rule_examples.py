"""Runs a rule's VALID and INVALID examples in a small project, the way users' code is read."""

from __future__ import annotations

from pathlib import Path

from flake8_pii.config import Settings
from flake8_pii.engine import analyse_source
from flake8_pii.findings import Finding
from flake8_pii.index import ProjectIndex

MODELS = """\
from typing import ClassVar, Optional

from pydantic import BaseModel
from pii_guard import Lookup, PIIModel, PIIStr, UniqueConstraint, lookup_of


class Customer(PIIModel):
    id: int
    email: PIIStr
    phone: Optional[PIIStr] = None
    created: str


class Address(PIIModel):
    id: int
    customer: Customer
    street: PIIStr


class Order(BaseModel):
    id: int
    status: str
    customer: Customer
    address: "Address | None" = None


class Plain(BaseModel):
    id: int
    email: str


class Member(PIIModel):
    id: int
    email: PIIStr
    email_lookup: Lookup = lookup_of("email", normalizer="email")
"""

HEADER = """\
import hashlib
import logging
from typing import ClassVar

import loguru
import structlog
from django.db.models import Q, QuerySet
from pydantic import BaseModel
from pii_guard import Lookup, PIIModel, PIIStr, UniqueConstraint, lookup_of

from models import Address, Customer, Member, Order, Plain

logger = logging.getLogger(__name__)

"""


def findings_for(project: Path, snippet: str) -> list[Finding]:
    """Findings in a module made of the shared header and `snippet`, next to `models.py`."""
    (project / "pyproject.toml").write_text('[project]\nname = "examples"\n')
    (project / "models.py").write_text(MODELS)
    module = project / "snippet.py"
    text = HEADER + snippet + "\n"
    module.write_text(text)
    index = ProjectIndex.build(project, Settings(), use_cache=False)
    result = analyse_source(text, str(module), index, use_cache=False)
    assert result.error is None, result.error
    return list(result.findings)
