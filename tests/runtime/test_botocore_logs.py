"""The filter that keeps KMS data keys out of botocore's DEBUG logs, record by record."""

from __future__ import annotations

import logging

import pytest

from pii_guard.cryptors.botocore_logs import (
    BOTOCORE_LOGGERS,
    MASK,
    RedactKMSPlaintext,
    install_botocore_redaction,
)

KEY = "08k/h0hvnTa/yjxZZ70/Y701G3NFFs3r4ce1jnh9K7g="
BODY = b'{"CiphertextBlob": "Y2lwaGVy", "Plaintext": "' + KEY.encode() + b'", "KeyId": "arn:k"}'


def shown(name: str, message: str, *args: object) -> str:
    record = logging.LogRecord(name, logging.DEBUG, __file__, 1, message, args, None)
    assert RedactKMSPlaintext().filter(record)  # never drops a record
    return record.getMessage()


def test_a_response_body_keeps_everything_but_the_data_key() -> None:
    text = shown("botocore.parsers", "Response body:\n%r", BODY)

    assert KEY not in text
    assert f'"Plaintext": "{MASK}"' in text
    assert '"CiphertextBlob": "Y2lwaGVy"' in text and "arn:k" in text


def test_a_logged_request_dict_is_masked_too() -> None:
    request = {"url_path": "/", "body": BODY, "headers": {"X-Amz-Target": "TrentService.Encrypt"}}

    text = shown("botocore.endpoint", "Making request for %s with params: %s", "Encrypt", request)

    assert KEY not in text and MASK in text and "TrentService.Encrypt" in text


def test_records_without_a_plaintext_field_are_left_alone() -> None:
    record = logging.LogRecord(
        "botocore.parsers", logging.DEBUG, __file__, 1, "Response headers: %r", ({"a": 1},), None
    )
    arguments = record.args

    RedactKMSPlaintext().filter(record)

    assert record.args == arguments and record.getMessage() == "Response headers: {'a': 1}"


@pytest.mark.parametrize("name", BOTOCORE_LOGGERS)
def test_installing_again_adds_no_second_filter(name: str) -> None:
    install_botocore_redaction()
    install_botocore_redaction()

    filters = logging.getLogger(name).filters
    assert sum(isinstance(f, RedactKMSPlaintext) for f in filters) == 1
