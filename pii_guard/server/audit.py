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
    record = {
        "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
        "client": client,
        "operation": operation,
        "count": count,
        "outcome": outcome,
        "status": status,
        "duration_ms": round(duration_seconds * 1000, 3),
    }
    if position is not None:
        record["position"] = position
    audit_logger.info(json.dumps(record, separators=(",", ":")))
