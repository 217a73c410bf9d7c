"""The stored format `#01#key:iv:ct:tag#10#`: built, parsed and recognised strictly."""

from __future__ import annotations

import pytest

from pii_guard.errors import PIIDecryptionError
from pii_guard.wire import Envelope, build_wire, is_envelope, is_wire_value, parse_wire

ENVELOPE = Envelope(encrypted_key=b"k" * 40, iv=b"i" * 12, ciphertext=b"c" * 5, tag=b"t" * 16)


def test_an_envelope_survives_build_and_parse() -> None:
    wire = build_wire(ENVELOPE)

    assert wire.startswith("#01#") and wire.endswith("#10#")
    assert wire.count(":") == 3
    assert parse_wire(wire) == ENVELOPE


def test_an_empty_ciphertext_part_is_valid() -> None:
    empty = Envelope(encrypted_key=b"k", iv=b"i" * 12, ciphertext=b"", tag=b"t" * 16)
    assert parse_wire(build_wire(empty)) == empty


def test_the_fake_shape_is_a_wire_value_but_not_an_envelope() -> None:
    assert is_wire_value("#01#alice#10#")
    assert not is_envelope("#01#alice#10#")
    assert is_envelope(build_wire(ENVELOPE))


@pytest.mark.parametrize("value", ["alice", "#01#", "#01#x", "x#10#", "#10#x#01#", ""])
def test_text_without_both_markers_is_not_a_wire_value(value: str) -> None:
    assert not is_wire_value(value)


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        ("#01#a:b:c#10#", "expected 4 parts"),
        ("#01#a:b:c:d:e#10#", "expected 4 parts"),
        ("#01#:aWlpaWlpaWlpaWlp::dHR0dHR0dHR0dHR0dHR0dA==#10#", "encrypted key part is empty"),
        ("#01#a2V5:aWlp::dHR0dHR0dHR0dHR0dHR0dA==#10#", "the iv is 3 bytes"),
        ("#01#a2V5:aWlpaWlpaWlpaWlp::dHQ=#10#", "the tag is 2 bytes"),
        ("#01#a2V5:aWlpaWlpaWlpaWlp:!!:dHR0dHR0dHR0dHR0dHR0dA==#10#", "not valid base64"),
        ("#01#a2V5:aWlpaWlpaWlpaWlp:Yw==:dHR0dHR0dHR0dHR0dHR0dB==#10#", "not canonical"),
        ("#01#a2V5:aWlpaWlpaWlpaWlp:é:dHR0dHR0dHR0dHR0dHR0dA==#10#", "not valid base64"),
    ],
)
def test_malformed_wire_values_are_rejected_with_the_reason(wire: str, reason: str) -> None:
    with pytest.raises(PIIDecryptionError, match=reason):
        parse_wire(wire)


def test_a_changed_padding_bit_is_not_accepted_as_the_same_bytes() -> None:
    wire = build_wire(ENVELOPE)
    tag = wire[:-4].split(":")[3]
    # The last character before "==" carries 4 unused bits: "A" and "B" decode alike.
    assert tag.endswith("A==")
    changed_tag = tag[:-3] + "B=="

    with pytest.raises(PIIDecryptionError, match=r"tag part is not canonical"):
        parse_wire(wire.replace(tag, changed_tag))
