"""Properties of the stored format, tried with generated input (hypothesis).

Whatever string reaches `decrypt`, the answer is the plaintext that was encrypted or a
`PIIDecryptionError`: never another exception, never a different plaintext. Volume runs on
`LocalKeyCryptor` (the same format and code path, no network); a smaller set runs against the
local KMS endpoint, where the mutated data keys go to KMS itself. Case counts are the
`max_examples` below; docs/reliability.md sums them up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pii_guard import KMSEnvelopeCryptor, LocalKeyCryptor, PIIDecryptionError, PIIEncryptionError
from pii_guard.cryptors.envelope import EnvelopeCryptor
from pii_guard.wire import Envelope, build_wire, is_envelope, parse_wire
from tests.conftest import make_kms_client
from tests.support.kms_server import KMSServer

pytestmark = pytest.mark.slow

LOCAL = LocalKeyCryptor(os.urandom(32))


def cases(count: int) -> Any:
    # The runtime conftest's autouse environment fixture is per test, not per example; the
    # cryptors used here do not read the environment.
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(scope="module")
def kms_cryptor(kms_server: KMSServer, kms_key_id: str) -> Iterator[KMSEnvelopeCryptor]:
    yield KMSEnvelopeCryptor(kms_key_id, client=make_kms_client(kms_server.endpoint_url))


# --- strategies ---------------------------------------------------------------------------------

# st.text() draws from all of Unicode except surrogates: every string UTF-8 can carry.
short_text = st.text()
long_text = st.builds(
    lambda piece, times: piece * times,
    st.text(min_size=1, max_size=8),
    st.integers(min_value=100, max_value=5000),
)
plaintexts = short_text | long_text
contexts = st.none() | st.text(max_size=40)
base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
base64ish = st.text(alphabet=base64_alphabet, max_size=80)
# Well formed, so they get as far as unwrapping the data key and authenticating.
random_envelopes = st.builds(
    lambda key, iv, ciphertext, tag: build_wire(Envelope(key, iv, ciphertext, tag)),
    st.binary(min_size=1, max_size=200),
    st.binary(min_size=12, max_size=12),
    st.binary(max_size=64),
    st.binary(min_size=16, max_size=16),
)
wire_shaped = st.one_of(
    random_envelopes,
    st.builds(lambda inner: f"#01#{inner}#10#", st.text()),
    st.builds(lambda parts: "#01#" + ":".join(parts) + "#10#", st.lists(base64ish, max_size=6)),
)


@st.composite
def edits(draw: st.DrawFn, value: str) -> str:
    """`value` changed the way storage, a bug or an attacker might change it."""
    index = draw(st.integers(min_value=0, max_value=len(value)))
    kind = draw(
        st.sampled_from(["replace", "delete", "insert", "truncate", "keep-end", "swap-case"])
    )
    if kind == "replace" and index < len(value):
        return value[:index] + draw(st.characters()) + value[index + 1 :]
    if kind == "delete":
        end = draw(st.integers(min_value=index, max_value=len(value)))
        return value[:index] + value[end:]
    if kind == "insert":
        return value[:index] + draw(st.text(min_size=1, max_size=4)) + value[index:]
    if kind == "truncate":
        return value[:index]
    if kind == "keep-end":
        return value[:index] + "#10#"  # truncated, with the end marker put back
    return value[:index] + value[index:].swapcase()


# --- one stored text per envelope ---------------------------------------------------------------

WHITESPACE = [" ", "\n", "\r\n", "\t", "\x0b", "\u00a0"]


def unused_bits_set(part: str, bits: int) -> str:
    """`part` with the unused low bits of its last data character set to `bits` (non-zero)."""
    unused = 0b1111 if part.endswith("==") else 0b11
    last = len(part.rstrip("=")) - 1
    index = base64_alphabet.index(part[last])
    changed = base64_alphabet[(index & ~unused) | (bits & unused or 1)]
    return part[:last] + changed + part[last + 1 :]


@st.composite
def non_canonical_wire(draw: st.DrawFn) -> str:
    """A well-formed envelope with one part changed into another encoding of the same bytes
    (or broken by whitespace): strict decoders accept several of these, the parser none."""
    parts = draw(random_envelopes)[4:-4].split(":")
    index = draw(st.integers(min_value=0, max_value=3))
    part = parts[index]
    kinds = ["extra padding", "whitespace"]
    if part.endswith("="):
        kinds += ["removed padding", "unused bits"]
    kind = draw(st.sampled_from(kinds))
    if kind == "extra padding":
        part += "=" * draw(st.integers(min_value=1, max_value=4))
    elif kind == "removed padding":
        part = part[: -draw(st.integers(min_value=1, max_value=part.count("=")))]
    elif kind == "unused bits":
        part = unused_bits_set(part, draw(st.integers(min_value=1, max_value=15)))
    else:
        at = draw(st.integers(min_value=0, max_value=len(part)))
        part = part[:at] + draw(st.sampled_from(WHITESPACE)) + part[at:]
    parts[index] = part
    return "#01#" + ":".join(parts) + "#10#"


@st.composite
def long_parts(draw: st.DrawFn) -> str:
    """A well-formed envelope with one part made very long (valid base64 or not)."""
    parts = draw(random_envelopes)[4:-4].split(":")
    index = draw(st.integers(min_value=0, max_value=3))
    piece = draw(st.sampled_from(["AAAA", "////", "A", "=", ":", "Zm9v"]))
    parts[index] = piece * draw(st.integers(min_value=10_000, max_value=200_000))
    return "#01#" + ":".join(parts) + "#10#"


@st.composite
def edited_wire(draw: st.DrawFn) -> str:
    return str(draw(edits(draw(random_envelopes))))


any_wire_text = st.one_of(
    random_envelopes,
    non_canonical_wire(),
    long_parts(),
    edited_wire(),
    wire_shaped,
    st.builds(lambda value, space: value + space, random_envelopes, st.sampled_from(WHITESPACE)),
)


@cases(3000)
@given(text=any_wire_text)
def test_every_text_the_parser_accepts_is_the_one_encoding_of_its_envelope(text: str) -> None:
    try:
        envelope = parse_wire(text)
    except PIIDecryptionError:
        assert not is_envelope(text)
        return
    assert build_wire(envelope) == text
    assert is_envelope(text)


@cases(1000)
@given(text=non_canonical_wire())
def test_another_encoding_of_the_same_envelope_is_refused(text: str) -> None:
    with pytest.raises(PIIDecryptionError):
        parse_wire(text)
    with pytest.raises(PIIDecryptionError) as raised:
        LOCAL.decrypt([LOCAL.encrypt(["x"])[0], text])
    assert raised.value.position == 1


# --- round trips --------------------------------------------------------------------------------


@cases(400)
@given(values=st.lists(plaintexts, max_size=8), data=st.data())
def test_any_text_round_trips_with_or_without_a_context(values: list[str], data: Any) -> None:
    bound = data.draw(st.lists(contexts, min_size=len(values), max_size=len(values)))

    assert LOCAL.decrypt(LOCAL.encrypt(values, bound), bound) == values


@cases(200)
@given(prefix=st.text(max_size=10), surrogate=st.characters(categories=["Cs"]))
def test_text_with_a_lone_surrogate_is_refused_as_unencryptable(
    prefix: str, surrogate: str
) -> None:
    with pytest.raises(PIIEncryptionError, match="position 1"):
        LOCAL.encrypt(["fine", prefix + surrogate])


# --- anything given to decrypt ------------------------------------------------------------------


@cases(1000)
@given(garbage=st.text() | wire_shaped)
def test_any_string_that_was_not_encrypted_is_refused(garbage: str) -> None:
    with pytest.raises(PIIDecryptionError) as raised:
        LOCAL.decrypt([garbage])

    assert raised.value.position == 0


def assert_decrypts_only_unchanged(
    cryptor: EnvelopeCryptor, original: str, changed: str, plaintext: str
) -> None:
    try:
        answer = cryptor.decrypt([changed])
    except PIIDecryptionError as error:
        assert changed != original, "the untouched value must decrypt"
        assert error.position == 0
        return
    assert answer == [plaintext]
    assert changed == original, "a changed stored value decrypted"


@cases(2000)
@given(plaintext=plaintexts, data=st.data())
def test_a_changed_stored_value_never_decrypts(plaintext: str, data: Any) -> None:
    (original,) = LOCAL.encrypt([plaintext])
    changed = data.draw(edits(original))

    assert_decrypts_only_unchanged(LOCAL, original, changed, plaintext)


@cases(300)
@given(values=st.lists(short_text, min_size=2, max_size=6), data=st.data())
def test_a_change_in_a_batch_is_reported_at_its_position(values: list[str], data: Any) -> None:
    encrypted = LOCAL.encrypt(values)
    target = data.draw(st.integers(min_value=0, max_value=len(values) - 1))
    changed = data.draw(edits(encrypted[target]))
    assume(changed != encrypted[target])
    encrypted[target] = changed

    with pytest.raises(PIIDecryptionError) as raised:
        LOCAL.decrypt(encrypted)

    assert raised.value.position == target


@cases(300)
@given(values=st.lists(short_text, min_size=2, max_size=6, unique=True), data=st.data())
def test_values_moved_between_fields_are_refused(values: list[str], data: Any) -> None:
    fields = [f"Model.field{index}" for index in range(len(values))]
    encrypted = LOCAL.encrypt(values, fields)
    order = data.draw(st.permutations(range(len(values))))
    assume(list(order) != list(range(len(values))))

    with pytest.raises(PIIDecryptionError):
        LOCAL.decrypt([encrypted[i] for i in order], fields)


@cases(300)
@given(first=short_text, second=short_text, part=st.integers(min_value=0, max_value=3))
def test_parts_spliced_from_another_value_are_refused(first: str, second: str, part: int) -> None:
    (one,) = LOCAL.encrypt([first])
    (other,) = LOCAL.encrypt([second])  # another batch: another data key
    parts = one[4:-4].split(":")
    parts[part] = other[4:-4].split(":")[part]
    spliced = "#01#" + ":".join(parts) + "#10#"

    assert_decrypts_only_unchanged(LOCAL, one, spliced, first)


# --- the same against KMS ------------------------------------------------------------------------


@cases(30)
@given(values=st.lists(plaintexts, min_size=1, max_size=4))
def test_any_text_round_trips_through_kms(
    kms_cryptor: KMSEnvelopeCryptor, values: list[str]
) -> None:
    assert kms_cryptor.decrypt(kms_cryptor.encrypt(values)) == values


@cases(60)
@given(plaintext=short_text, data=st.data())
def test_a_changed_stored_value_never_decrypts_through_kms(
    kms_cryptor: KMSEnvelopeCryptor, plaintext: str, data: Any
) -> None:
    (original,) = kms_cryptor.encrypt([plaintext])
    # Aim half of the edits at the encrypted data key, which KMS itself must refuse.
    key_end = original.index(":")
    if data.draw(st.booleans()):
        changed = data.draw(edits(original[:key_end])) + original[key_end:]
    else:
        changed = data.draw(edits(original))

    assert_decrypts_only_unchanged(kms_cryptor, original, changed, plaintext)


@cases(40)
@given(garbage=random_envelopes)
def test_a_well_formed_value_kms_never_made_is_refused_by_kms(
    kms_cryptor: KMSEnvelopeCryptor, garbage: str
) -> None:
    with pytest.raises(PIIDecryptionError, match=r"KMS refused to decrypt its data key"):
        kms_cryptor.decrypt([garbage])
