"""Fixtures shared by every test: the real local KMS endpoint and boto3 clients for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.support.kms_server import DUMMY_CREDENTIALS, REGION, KMSServer, running_kms_server


@pytest.fixture(scope="session")
def kms_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KMSServer]:
    with running_kms_server(tmp_path_factory.mktemp("kms")) as server:
        yield server


def make_kms_client(endpoint_url: str, **config: Any) -> Any:
    """A real boto3 KMS client talking HTTP to the given endpoint with dummy credentials.

    `config` goes to botocore's `Config` (timeouts, `retries`, ...); by default two attempts.
    """
    config.setdefault("retries", {"max_attempts": 2, "mode": "standard"})
    return boto3.client(
        "kms",
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=Config(**config),
        **DUMMY_CREDENTIALS,
    )


@pytest.fixture(scope="session")
def kms_client(kms_server: KMSServer) -> Any:
    return make_kms_client(kms_server.endpoint_url)


@pytest.fixture(scope="session")
def kms_key_id(kms_client: Any) -> str:
    """A fresh symmetric encryption key on the local endpoint."""
    key = kms_client.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")
    return str(key["KeyMetadata"]["KeyId"])


@pytest.fixture
def examples_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "examples"
