"""Fixtures of the runtime tests: cryptors on real components, a clean environment."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from pii_guard.cryptors.kms import KMSEnvelopeCryptor
from pii_guard.cryptors.local import LocalKeyCryptor
from tests.conftest import make_kms_client
from tests.runtime.cryptor_service import RunningService, running_cryptor_service
from tests.support.environment import clean_environment  # noqa: F401  (autouse)
from tests.support.faulty_proxy import FaultyProxy, faulty_proxy
from tests.support.kms_server import KMSServer


@dataclass
class CountedKMS:
    """A real boto3 KMS client on the local endpoint, and the KMS operations it has called."""

    client: Any
    calls: Counter[str]
    key_id: str

    def cryptor(self, **options: Any) -> KMSEnvelopeCryptor:
        return KMSEnvelopeCryptor(self.key_id, client=self.client, **options)


def counted_kms(endpoint_url: str, key_id: str) -> CountedKMS:
    client = make_kms_client(endpoint_url)
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client.meta.events.register("before-call.kms", count)
    return CountedKMS(client=client, calls=calls, key_id=key_id)


@pytest.fixture
def kms(kms_server: KMSServer, kms_key_id: str) -> CountedKMS:
    return counted_kms(kms_server.endpoint_url, kms_key_id)


@pytest.fixture
def local_cryptor() -> LocalKeyCryptor:
    return LocalKeyCryptor(os.urandom(32))


@pytest.fixture
def cryptor_service() -> Iterator[RunningService]:
    with running_cryptor_service(LocalKeyCryptor(os.urandom(32))) as service:
        yield service


@pytest.fixture
def proxy(kms_server: KMSServer) -> Iterator[FaultyProxy]:
    """A loopback proxy in front of the local KMS endpoint that throttles or stalls on request."""
    with faulty_proxy(kms_server.endpoint_url) as running:
        yield running
