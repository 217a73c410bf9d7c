"""Envelope encryption shared by the KMS and local-key cryptors.

One data key per `encrypt` call protects every value of the batch with AES-256-GCM and its own
random 96-bit IV; the data key's encrypted form travels in each wire value. `decrypt` unwraps
each distinct data key once. Subclasses only say how a data key is made and unwrapped.
"""

from __future__ import annotations

import abc
import asyncio
import functools
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pii_guard.cryptors.base import (
    Contexts,
    check_ciphertexts,
    check_contexts,
    check_plaintexts,
)
from pii_guard.cryptors.keyreuse import DataKeyReuse
from pii_guard.errors import FORGET_SECRETS, PIIDecryptionError, PIIEncryptionError
from pii_guard.wire import (
    IV_BYTES,
    build_wire_values,
    decode_encrypted_key,
    encode_part,
    parse_wire_parts,
)

DATA_KEY_BYTES = 32
# Prefixed to every context in the associated data, so an empty context ("") differs from none.
CONTEXT_PREFIX = b"pii-guard context:"


@dataclass(frozen=True, repr=False)
class DataKey:
    """A fresh data key: the plaintext to encrypt with and the encrypted form to store."""

    plaintext: bytes
    encrypted: bytes

    def __repr__(self) -> str:
        return "DataKey(<hidden>)"


class EnvelopeCryptor(abc.ABC):
    """The batch encryption and decryption of the `#01#key:iv:ct:tag#10#` format."""

    supports_context = True
    """Contexts are AES-GCM associated data: a value only decrypts under its own context."""

    def __init__(self) -> None:
        self._initialized = False
        self._init_lock = threading.Lock()
        self._reuse: DataKeyReuse | None = None

    def initialize(self) -> None:
        """Validate configuration once; PIIConfigurationError names the variable to set."""
        with self._init_lock:
            if not self._initialized:
                self._configure()
                self._initialized = True

    @abc.abstractmethod
    def _configure(self) -> None:
        """Resolve and validate settings (called once, by `initialize`)."""

    @abc.abstractmethod
    def _new_data_key(self) -> DataKey:
        """A fresh 256-bit data key and its encrypted form."""

    @abc.abstractmethod
    def _unwrap_data_keys(self, first_positions: Mapping[bytes, int]) -> dict[bytes, bytes]:
        """Plaintext data keys for the encrypted keys given (each with the first batch
        position that uses it, for error messages)."""

    def _cached_data_keys(self, first_positions: Mapping[bytes, int]) -> dict[bytes, bytes] | None:
        """The plaintext data keys, if all are at hand without a key service call (None
        otherwise; by default never)."""
        return None

    def encrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        """Wire values for `values`, all under one data key: a new one, or with data key reuse
        configured, the current one while it is within its bounds."""
        # A failure leaves no plaintext or data key in the frames below or in chained errors.
        with FORGET_SECRETS:
            encrypted = self._encrypt(values, contexts, reused_only=False)
        assert encrypted is not None, "only reused_only=True gives up"
        return encrypted

    def decrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        """Plaintexts for `values`; PIIDecryptionError names the first position that fails."""
        with FORGET_SECRETS:
            decrypted = self._decrypt(values, contexts, cached_only=False)
        assert decrypted is not None, "only cached_only=True gives up"
        return decrypted

    def encrypt_without_key_service(
        self, values: Sequence[str], contexts: Contexts | None = None
    ) -> list[str] | None:
        """`encrypt`, only if no key service call is needed (the reused data key has room);
        None, with nothing done, otherwise. For callers that must not block, such as an event
        loop: they fall back to `encrypt` in a thread."""
        with FORGET_SECRETS:
            return self._encrypt(values, contexts, reused_only=True)

    def decrypt_without_key_service(
        self, values: Sequence[str], contexts: Contexts | None = None
    ) -> list[str] | None:
        """`decrypt`, only if every data key of the batch is at hand without a key service call
        (the unwrapped key cache); None, with nothing done, otherwise."""
        with FORGET_SECRETS:
            return self._decrypt(values, contexts, cached_only=True)

    def _encrypt(
        self, values: Sequence[str], contexts: Contexts | None, *, reused_only: bool
    ) -> list[str] | None:
        plaintexts = check_plaintexts(values)
        associated = check_contexts(contexts, len(plaintexts))
        if not plaintexts:
            return []
        encoded = _encode_all(plaintexts)
        if reused_only:
            reuse = self._reuse if self._initialized else None
            data_key = None if reuse is None else reuse.current(len(plaintexts))
            if data_key is None:
                return None
        else:
            self.initialize()
            data_key = (
                self._new_data_key()
                if self._reuse is None
                else self._reuse.take(len(plaintexts), self._new_data_key)
            )
        aead = AESGCM(data_key.plaintext)
        encrypted_key = encode_part(data_key.encrypted)
        del data_key  # only the AESGCM object holds the key until this call returns
        # One system call for the batch's IVs: each value still gets its own 12 random bytes.
        random_bytes = os.urandom(IV_BYTES * len(encoded))
        ivs = [
            random_bytes[start : start + IV_BYTES]
            for start in range(0, len(random_bytes), IV_BYTES)
        ]
        sealed = list(map(aead.encrypt, ivs, encoded, _associated_data(associated)))
        return build_wire_values(encrypted_key, ivs, sealed)

    def _decrypt(
        self, values: Sequence[str], contexts: Contexts | None, *, cached_only: bool
    ) -> list[str] | None:
        ciphertexts = check_ciphertexts(values)
        associated = check_contexts(contexts, len(ciphertexts))
        if not ciphertexts:
            return []
        parsed = _parse_all(ciphertexts)
        first_positions: dict[str, int] = {}
        for position, (key_text, *_) in enumerate(parsed):
            first_positions.setdefault(key_text, position)
        encrypted_keys = {
            key_text: _decode_key(position, key_text)
            for key_text, position in first_positions.items()
        }
        positions = {encrypted_keys[text]: position for text, position in first_positions.items()}
        if cached_only:
            cached = self._cached_data_keys(positions) if self._initialized else None
            if cached is None:
                return None
            keys = cached
        else:
            self.initialize()
            keys = self._unwrap_data_keys(positions)
        opens = {text: AESGCM(keys[key]).decrypt for text, key in encrypted_keys.items()}
        del keys
        associated_data = _associated_data(associated)
        try:
            return [
                opens[key_text](iv, ciphertext + tag, data).decode()
                for (key_text, iv, ciphertext, tag), data in zip(
                    parsed, associated_data, strict=True
                )
            ]
        except (InvalidTag, UnicodeDecodeError):
            pass  # open them one by one, to name the position that failed (rare)
        for position, (key_text, iv, ciphertext, tag) in enumerate(parsed):
            try:
                opens[key_text](iv, ciphertext + tag, associated_data[position]).decode()
            except InvalidTag:
                raise PIIDecryptionError(
                    "authentication failed: the value was tampered with, truncated, or "
                    "encrypted under another context",
                    position,
                ) from None
            except UnicodeDecodeError:
                raise PIIDecryptionError("the plaintext is not UTF-8 text", position) from None
        raise AssertionError("a value that failed to open opened on the second try")

    async def aencrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        """`encrypt` in a worker thread, so key-service calls never block the event loop."""
        return await asyncio.to_thread(self.encrypt, values, contexts)

    async def adecrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        """`decrypt` in a worker thread, so key-service calls never block the event loop."""
        return await asyncio.to_thread(self.decrypt, values, contexts)

    def is_ciphertext(self, value: str) -> bool:
        """Whether `value` is a well-formed envelope (authenticity is checked on decrypt)."""
        try:
            key_text, *_ = parse_wire_parts(value)
            _check_key_text(key_text)
        except PIIDecryptionError:
            return False
        return True


@functools.lru_cache(maxsize=256)
def _check_key_text(key_text: str) -> None:
    """Raise unless the encrypted key part decodes; a batch's values share one, so it is
    checked once (only successes are remembered)."""
    decode_encrypted_key(key_text)


def _associated_data(contexts: list[str | None]) -> list[bytes | None]:
    """Each value's AES-GCM associated data: its context, prefixed (a batch usually repeats
    one context, so each distinct one is encoded once)."""
    encoded = {
        context: None if context is None else CONTEXT_PREFIX + context.encode()
        for context in set(contexts)
    }
    return [encoded[context] for context in contexts]


def _encode_all(values: list[str]) -> list[bytes]:
    try:
        return [value.encode() for value in values]
    except UnicodeEncodeError:
        pass  # find the position (rare: only lone surrogates fail)
    return [_encode(position, value) for position, value in enumerate(values)]


def _encode(position: int, value: str) -> bytes:
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        # The codec's message quotes the offending character: never chain it.
        raise PIIEncryptionError(
            f"cannot encrypt the value at position {position} of the batch: it contains "
            "characters that are not valid in UTF-8 (lone surrogates)"
        ) from None


def _parse_all(values: list[str]) -> list[tuple[str, bytes, bytes, bytes]]:
    try:
        return [parse_wire_parts(value) for value in values]
    except PIIDecryptionError:
        pass  # parse again one by one, to name the position that failed
    return [_parse(position, value) for position, value in enumerate(values)]


def _parse(position: int, value: str) -> tuple[str, bytes, bytes, bytes]:
    try:
        return parse_wire_parts(value)
    except PIIDecryptionError as error:
        raise error.at(position) from None


def _decode_key(position: int, key_text: str) -> bytes:
    try:
        return decode_encrypted_key(key_text)
    except PIIDecryptionError as error:
        raise error.at(position) from None
