"""The audit log: one JSON line per request (time, client, operation, count, outcome, duration).

Never a value, a key or a token: only the known client id (an unknown id is attacker's text and
is left out), counts and outcomes.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys

LOGGER_NAME = "pii_guard.server.audit"
audit_logger = logging.getLogger(LOGGER_NAME)


def configure_audit_log() -> None:
    """Audit lines to stderr, as they are (each is JSON), once per process."""
    if audit_logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    audit_logger.addHandler(handler)
    audit_logger.setLevel(logging.INFO)
    audit_logger.propagate = False


def audit(
    *,
    client: str | None,
    operation: str,
    count: int | None,
    outcome: str,
    status: int,
    duration_seconds: float,
    position: int | None = None,
) -> None:
    if not audit_logger.isEnabledFor(logging.INFO):
        return
    # Written out rather than through json.dumps of a dict (a few microseconds a request):
    # the text fields are still JSON-encoded, numbers are ints and a float.
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
    line = (
        f'{{"time":"{now}","client":{_text(client)},"operation":{_text(operation)},'
        f'"count":{_number(count)},"outcome":{_text(outcome)},"status":{int(status)},'
        f'"duration_ms":{round(duration_seconds * 1000, 3)!r}'
    )
    if position is not None:
        line += f',"position":{int(position)}'
    audit_logger.info(line + "}")


def _text(value: str | None) -> str:
    return "null" if value is None else _encode_string(value)


def _number(value: int | None) -> str:
    return "null" if value is None else str(int(value))


_encode_string = json.encoder.encode_basestring_ascii
