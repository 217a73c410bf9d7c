"""Keeps KMS data keys out of botocore's DEBUG logs.

At DEBUG, botocore logs every response body on `botocore.parsers` and every request on
`botocore.endpoint`; KMS `GenerateDataKey` and `Decrypt` answers carry the plaintext data key in
their `Plaintext` field. The KMS cryptor installs `RedactKMSPlaintext` on those loggers, so the
key is masked before any handler (or a log shipper behind it) sees the record.
"""

from __future__ import annotations

import logging
import re
import threading

BOTOCORE_LOGGERS = ("botocore.parsers", "botocore.endpoint")
MASK = "<redacted by pii_guard>"

_FIELD_TEXT = re.compile(r'("Plaintext"\s*:\s*")[^"]*(")')
_FIELD_BYTES = re.compile(rb'("Plaintext"\s*:\s*")[^"]*(")')
_MASK_BYTES = MASK.encode("ascii")

_install_lock = threading.Lock()


class RedactKMSPlaintext(logging.Filter):
    """Replaces the value of every `"Plaintext"` field in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "Plaintext" in record.msg:
            record.msg = _redact_text(record.msg)
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_redact(argument) for argument in record.args)
        return True


def _redact(argument: object) -> object:
    if isinstance(argument, bytes | bytearray):
        if b"Plaintext" in argument:
            return _FIELD_BYTES.sub(rb"\1" + _MASK_BYTES + rb"\2", bytes(argument))
        return argument
    if isinstance(argument, str):
        return _redact_text(argument) if "Plaintext" in argument else argument
    text = str(argument)
    if "Plaintext" in text:
        # A request dict or another object: botocore formats it with %s.
        return _redact_text(text)
    return argument


def _redact_text(text: str) -> str:
    return _FIELD_TEXT.sub(rf"\1{MASK}\2", text)


def install_botocore_redaction() -> None:
    """Put one `RedactKMSPlaintext` on each botocore logger that can show a data key."""
    with _install_lock:
        for name in BOTOCORE_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(existing, RedactKMSPlaintext) for existing in logger.filters):
                logger.addFilter(RedactKMSPlaintext())
