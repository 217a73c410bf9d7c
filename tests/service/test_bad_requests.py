"""Every malformed or oversized request gets a 4xx naming the position, never a 500, never a
value in the answer or in the log."""

from __future__ import annotations

import json
import socket
import ssl
import time
from typing import Any

import pytest

from tests.service.conftest import SMALL_TOKEN, WRITER_TOKEN, Certificates
from tests.service.server import Server

SECRET = "secret-marker-4242"


def post_small(server: Server, operation: str, payload: Any = None, raw: bytes | None = None):
    return server.post(operation, payload, client="small", token=SMALL_TOKEN, raw=raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"values": ["' + SECRET.encode() + b'"',
        b"\xff\xfe" + SECRET.encode(),
        b"[" * 100_000,
    ],
    ids=["broken", "truncated", "not-utf8", "deep"],
)
def test_a_body_that_is_not_json_is_a_400(server: Server, raw: bytes) -> None:
    status, answer = server.post("encrypt", None, client="writer", token=WRITER_TOKEN, raw=raw)
    assert status == 400
    assert "not JSON" in answer["error"]
    assert SECRET not in json.dumps(answer)


@pytest.mark.parametrize(
    "payload",
    [[SECRET], {"value": [SECRET]}, {"values": SECRET}, {"values": {"0": SECRET}}, SECRET],
    ids=["list", "misnamed", "string", "object", "bare-string"],
)
def test_a_body_of_the_wrong_shape_is_a_400(server: Server, payload: Any) -> None:
    status, answer = post_small(server, "encrypt", payload)
    assert status == 400
    assert "values" in answer["error"]
    assert SECRET not in json.dumps(answer)


@pytest.mark.parametrize("wrong", [1, None, True, [SECRET], {"v": SECRET}])
def test_a_value_that_is_not_a_string_is_named_by_position(server: Server, wrong: Any) -> None:
    status, answer = post_small(server, "encrypt", {"values": ["a", "b", wrong]})
    assert status == 400
    assert answer["position"] == 2
    assert "position 2" in answer["error"]
    assert SECRET not in json.dumps(answer)


def test_too_many_values_is_a_413(server: Server) -> None:
    status, answer = post_small(server, "encrypt", {"values": ["a", "b", "c", "d"]})
    assert status == 413
    assert "limit is 3" in answer["error"]


def test_a_value_too_long_is_a_413_naming_its_position(server: Server) -> None:
    status, answer = post_small(server, "encrypt", {"values": ["ok", SECRET]})
    assert status == 413
    assert answer["position"] == 1
    assert SECRET not in json.dumps(answer)


def test_a_body_over_the_size_limit_is_a_413(server: Server) -> None:
    status, answer = post_small(server, "encrypt", raw=b'{"values": ["' + b"a" * 400 + b'"]}')
    assert status == 413
    assert "300 bytes" in answer["error"]


def test_a_lone_surrogate_is_a_400_naming_its_position(server: Server) -> None:
    status, answer = post_small(server, "encrypt", raw=b'{"values": ["ok", "\\ud800"]}')
    assert (status, answer["position"]) == (400, 1)


def test_one_bad_ciphertext_in_a_batch_is_a_422_naming_its_position(
    server: Server, certificates: Certificates
) -> None:
    a = Certificates.pair(certificates.app_a)
    _, answer = server.post(
        "encrypt", {"values": ["one", "two", "three"]}, client="app-a", certificate=a
    )
    good = answer["values"]
    tampered = good[2][:-8] + ("A" if good[2][-8] != "A" else "B") + good[2][-7:]
    for batch, position in (
        ([good[0], SECRET, good[1]], 1),
        ([good[0], good[1], tampered], 2),
        (["#01#garbage#10#", good[0]], 0),
    ):
        status, refused = server.post("decrypt", {"values": batch}, client="app-a", certificate=a)
        assert (status, refused["position"]) == (422, position), refused
        assert SECRET not in json.dumps(refused)


def test_only_post_is_served_on_the_protocol_routes(server: Server) -> None:
    status, _ = server.request("GET", "/api/v1/encrypt")
    assert status == 405


def test_a_client_that_disconnects_mid_request_leaves_the_server_serving(
    server: Server, certificates: Certificates
) -> None:
    assert server.ca is not None
    context = ssl.create_default_context(cafile=str(server.ca))
    with (
        socket.create_connection(("127.0.0.1", server.port)) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(
            b"POST /api/v1/encrypt HTTP/1.1\r\nHost: x\r\nX-CLIENT-ID: writer\r\n"
            b"Authorization: Bearer " + WRITER_TOKEN.encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            b'{"values": ["' + SECRET.encode()
        )
        time.sleep(0.3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(line["outcome"] == "disconnected" for line in server.audit_lines()):
            break
        time.sleep(0.1)
    assert any(line["outcome"] == "disconnected" for line in server.audit_lines())
    status, _ = server.post("encrypt", {"values": ["x"]}, client="writer", token=WRITER_TOKEN)
    assert status == 200


def test_no_value_reaches_the_log(server: Server) -> None:
    post_small(server, "encrypt", {"values": [SECRET]})
    post_small(server, "encrypt", {"values": [1, SECRET]})
    post_small(server, "decrypt", {"values": [SECRET]})
    server.post("encrypt", {"values": [SECRET]}, client="writer", token=WRITER_TOKEN)
    log = server.log_path.read_text()
    assert SECRET not in log
    assert WRITER_TOKEN not in log and SMALL_TOKEN not in log
    for line in server.audit_lines():
        assert set(line) <= {
            "time",
            "client",
            "operation",
            "count",
            "outcome",
            "status",
            "duration_ms",
            "position",
        }
