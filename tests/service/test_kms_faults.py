"""KMS faults behind the service: 503 and nothing returned; a slow KMS runs into the deadline."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.service.server import Server, running_server, token_hash, write_config
from tests.support.faulty_proxy import FaultyProxy, faulty_proxy
from tests.support.kms_server import KMSServer

pytestmark = pytest.mark.slow

TOKEN = "fault-token-" + "f" * 20


@dataclass(frozen=True)
class Faulty:
    server: Server
    proxy: FaultyProxy


@pytest.fixture(scope="module")
def faulty(
    tmp_path_factory: pytest.TempPathFactory, kms_server: KMSServer, kms_key_id: str
) -> Iterator[Faulty]:
    folder = tmp_path_factory.mktemp("serve-faults")
    client = {"kms_key_id": kms_key_id, "token_sha256": token_hash(TOKEN), "value_context": "x"}
    with faulty_proxy(kms_server.endpoint_url) as proxy:
        config = write_config(
            folder / "serve.toml",
            {
                "kms": {"endpoint_url": proxy.endpoint_url, "timeout_seconds": 2},
                "limits": {"deadline_seconds": 1},
                "clients.w": {**client, "permissions": ["encrypt"]},
                "clients.r": {**client, "permissions": ["decrypt"]},
                "clients.late": {**client, "permissions": ["decrypt"]},
            },
        )
        with running_server(config, folder) as server:
            yield Faulty(server, proxy)


@pytest.fixture(autouse=True)
def no_faults(faulty: Faulty) -> Iterator[None]:
    yield
    faults = faulty.proxy.faults
    faults.throttle_next = faults.internal_error_next = 0
    faults.delay_seconds = 0.0


def test_a_throttled_kms_is_a_503_with_nothing_returned(faulty: Faulty) -> None:
    faulty.proxy.faults.throttle_next = 10
    status, answer = faulty.server.post("encrypt", {"values": ["v"]}, client="w", token=TOKEN)
    assert (status, answer) == (503, {"error": "the key service is unavailable; retry later"})


def test_a_failing_kms_on_decrypt_is_a_503(faulty: Faulty) -> None:
    status, encrypted = faulty.server.post("encrypt", {"values": ["v"]}, client="w", token=TOKEN)
    assert status == 200
    faulty.proxy.faults.internal_error_next = 10
    status, answer = faulty.server.post("decrypt", encrypted, client="r", token=TOKEN)
    assert status == 503
    assert "values" not in answer
    faulty.proxy.faults.internal_error_next = 0
    status, answer = faulty.server.post("decrypt", encrypted, client="r", token=TOKEN)
    assert (status, answer) == (200, {"values": ["v"]})


def test_readiness_proves_kms_answers(faulty: Faulty) -> None:
    assert faulty.server.request("GET", "/readyz")[0] == 200
    faulty.proxy.faults.throttle_next = 10
    assert faulty.server.request("GET", "/readyz")[0] == 503
    assert faulty.server.request("GET", "/healthz")[0] == 200


def test_a_request_past_its_deadline_is_a_504(faulty: Faulty) -> None:
    status, encrypted = faulty.server.post("encrypt", {"values": ["v"]}, client="w", token=TOKEN)
    assert status == 200
    faulty.proxy.faults.delay_seconds = 1.5  # past the 1 s deadline; "late" has a cold cache
    status, answer = faulty.server.post("decrypt", encrypted, client="late", token=TOKEN)
    assert status == 504
    assert "values" not in answer
    assert any(line["outcome"] == "deadline" for line in faulty.server.audit_lines())
