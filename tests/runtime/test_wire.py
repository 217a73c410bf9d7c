"""The stored format `#01#key:iv:ct:tag#10#`: built, parsed and recognised strictly."""

from __future__ import annotations

import os
import tracemalloc

import pytest

from pii_guard import LocalKeyCryptor
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


# --- one stored text per envelope -----------------------------------------------------------------

KEY, IV, CIPHERTEXT, TAG = "a2V5", "aWlpaWlpaWlpaWlp", "Y2NjYw", "dHR0dHR0dHR0dHR0dHR0dA=="
CANONICAL = f"#01#{KEY}:{IV}:{CIPHERTEXT}==:{TAG}#10#"


def with_part(index: int, text: str) -> str:
    parts = [KEY, IV, CIPHERTEXT + "==", TAG]
    parts[index] = text
    return "#01#" + ":".join(parts) + "#10#"


PART_NAMES = ["encrypted key", "iv", "ciphertext", "tag"]


def test_the_canonical_text_is_accepted() -> None:
    assert build_wire(parse_wire(CANONICAL)) == CANONICAL


@pytest.mark.parametrize("padding", ["=", "==", "===", "===="])
@pytest.mark.parametrize(
    ("index", "whole_part"), [(0, KEY), (1, IV), (2, CIPHERTEXT + "Yw"), (3, TAG)], ids=PART_NAMES
)
def test_padding_after_a_complete_block_is_refused_on_every_part(
    index: int, whole_part: str, padding: str
) -> None:
    # Strict base64 decoding accepts "a2V5=" as "a2V5": two stored texts for one envelope.
    wire = with_part(index, whole_part + padding)

    with pytest.raises(PIIDecryptionError, match=f"{PART_NAMES[index]} part is not"):
        parse_wire(wire)
    assert not is_envelope(wire)


@pytest.mark.parametrize("index", range(4), ids=PART_NAMES)
def test_three_padding_characters_are_a_decryption_error_not_a_key_error(index: int) -> None:
    # "===" once reached a table lookup of "=" and raised KeyError from parsing.
    wire = with_part(index, "===")

    with pytest.raises(PIIDecryptionError, match=rf"{PART_NAMES[index]}|empty|bytes"):
        parse_wire(wire)
    assert not is_envelope(wire)
    assert not LocalKeyCryptor(os.urandom(32)).is_ciphertext(wire)


def test_extra_padding_on_a_whole_iv_names_the_part() -> None:
    with pytest.raises(PIIDecryptionError, match="iv part is not canonical"):
        parse_wire(with_part(1, IV + "="))


def test_changed_unused_bits_in_the_encrypted_key_are_refused() -> None:
    # "a2V5cw==" is b"keys"; "a2V5cx==" decodes to the same bytes with a non-zero unused bit.
    with pytest.raises(PIIDecryptionError, match="encrypted key part is not canonical"):
        parse_wire(with_part(0, "a2V5cx=="))


def test_a_stored_value_with_padding_added_does_not_decrypt(local_cryptor: LocalKeyCryptor) -> None:
    (stored,) = local_cryptor.encrypt(["ann@example.com"])
    key, iv, ciphertext, tag = stored[4:-4].split(":")
    variants = [
        f"#01#{key}=:{iv}:{ciphertext}:{tag}#10#",
        f"#01#{key}:{iv}=:{ciphertext}:{tag}#10#",
        f"#01#{key}:{iv}===:{ciphertext}:{tag}#10#",
        f"#01#{key}:{iv}:{ciphertext}=:{tag}#10#",
        f"#01#{key}:{iv}:{ciphertext}:{tag}=#10#",
    ]

    for variant in variants:
        assert not local_cryptor.is_ciphertext(variant)
        with pytest.raises(PIIDecryptionError, match=r"position 0 .*(not canonical|base64)"):
            local_cryptor.decrypt([variant])
    assert local_cryptor.decrypt([stored]) == ["ann@example.com"]


def test_a_value_with_millions_of_colons_is_refused_without_a_list_of_millions() -> None:
    value = "#01#" + ":" * 3_000_000 + "#10#"

    tracemalloc.start()
    try:
        with pytest.raises(PIIDecryptionError, match=r"expected 4 parts.*found 3000001"):
            parse_wire(value)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # A full split would hold 3 million list slots (24 MB); a bounded one copies the text.
    assert peak < 4 * len(value)
