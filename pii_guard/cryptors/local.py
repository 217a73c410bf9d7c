"""LocalKeyCryptor: the KMS envelope format with a local 256-bit master key instead of KMS.

Real encryption for development and tests with no AWS. Each batch's data key is wrapped with
the master key by AES-256-GCM; the wrapped key (iv + ciphertext + tag) is the stored
encrypted key, so the wire values look exactly like the KMS cryptor's.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pii_guard.config import load_settings
from pii_guard.cryptors.envelope import DATA_KEY_BYTES, DataKey, EnvelopeCryptor
from pii_guard.errors import FORGET_SECRETS, PIIConfigurationError, PIIDecryptionError
from pii_guard.wire import IV_BYTES

MASTER_KEY_BYTES = 32
# Binds wrapped keys to their purpose: a value's ciphertext cannot pass for a wrapped key.
_WRAP_CONTEXT = b"pii-guard local data key v1"
_INDEX_WRAP_CONTEXT = b"pii-guard local index key v1"


class LocalKeyCryptor(EnvelopeCryptor):
    """Envelope encryption under a local master key.

    The key is 32 bytes: given here, or read from `PII_GUARD_LOCAL_KEY` (base64) or the file
    named by `PII_GUARD_LOCAL_KEY_FILE` (32 raw bytes, or base64 text). Make one with
    `LocalKeyCryptor.generate_key()`.
    """

    def __init__(self, master_key: bytes | None = None) -> None:
        super().__init__()
        self._master: AESGCM | None = None
        if master_key is not None:
            self._master = AESGCM(_checked_key(master_key, "the master_key argument"))

    @staticmethod
    def generate_key() -> str:
        """A new random master key, base64-encoded for `PII_GUARD_LOCAL_KEY`."""
        return base64.b64encode(os.urandom(MASTER_KEY_BYTES)).decode("ascii")

    def __repr__(self) -> str:
        return "LocalKeyCryptor(master_key=<hidden>)"

    def _configure(self) -> None:
        if self._master is not None:
            return
        # The frames below hold the key's text and bytes: a failure must not keep them.
        with FORGET_SECRETS:
            self._master = AESGCM(_configured_key())

    def _wrapper(self) -> AESGCM:
        assert self._master is not None, "initialize() sets the master key"
        return self._master

    def _new_data_key(self) -> DataKey:
        key = os.urandom(DATA_KEY_BYTES)
        iv = os.urandom(IV_BYTES)
        wrapped = self._wrapper().encrypt(iv, key, _WRAP_CONTEXT)
        return DataKey(plaintext=key, encrypted=iv + wrapped)

    def wrap_index_key(self, key: bytes) -> bytes:
        """`key` (an index key) wrapped under the master key, for the keyring."""
        self.initialize()
        iv = os.urandom(IV_BYTES)
        return iv + self._wrapper().encrypt(iv, key, _INDEX_WRAP_CONTEXT)

    def unwrap_index_key(self, wrapped: bytes) -> bytes:
        """The index key of a keyring entry; PIIConfigurationError when it does not unwrap."""
        self.initialize()
        try:
            return self._wrapper().decrypt(
                wrapped[:IV_BYTES], wrapped[IV_BYTES:], _INDEX_WRAP_CONTEXT
            )
        except (InvalidTag, ValueError):
            raise PIIConfigurationError(
                "an index key of the keyring does not unwrap under the local master key: it "
                "was made under another master key, or changed"
            ) from None

    def _unwrap_data_keys(self, first_positions: Mapping[bytes, int]) -> dict[bytes, bytes]:
        keys = {}
        for encrypted, position in first_positions.items():
            try:
                key = self._wrapper().decrypt(
                    encrypted[:IV_BYTES], encrypted[IV_BYTES:], _WRAP_CONTEXT
                )
            except (InvalidTag, ValueError):
                raise PIIDecryptionError(
                    "its data key does not unwrap under the local master key: the key was "
                    "tampered with, or the value was written under another master key",
                    position,
                ) from None
            keys[encrypted] = key
        return keys


def _configured_key() -> bytes:
    settings = load_settings()
    if settings.local_key:
        return _random_looking(
            _decode_key(settings.local_key, "PII_GUARD_LOCAL_KEY"), "PII_GUARD_LOCAL_KEY"
        )
    if settings.local_key_file:
        return _random_looking(
            _read_key_file(settings.local_key_file),
            "the file named by PII_GUARD_LOCAL_KEY_FILE",
        )
    raise PIIConfigurationError(
        "LocalKeyCryptor needs a master key: set PII_GUARD_LOCAL_KEY to a base64 "
        "32-byte key (LocalKeyCryptor.generate_key() makes one) or "
        "PII_GUARD_LOCAL_KEY_FILE to a file holding it"
    )


def _checked_key(key: bytes, source: str) -> bytes:
    if len(key) != MASTER_KEY_BYTES:
        raise PIIConfigurationError(
            f"{source} must hold a {MASTER_KEY_BYTES}-byte key, found {len(key)} bytes"
        )
    return key


def _random_looking(key: bytes, source: str) -> bytes:
    """`key`, unless it cannot have come from a random source: 32 random bytes have fewer than
    16 distinct values, or are all printable ASCII, with a chance below 1 in 10**13."""
    if len(set(key)) < 16 or all(32 <= byte < 127 for byte in key):
        raise PIIConfigurationError(
            f"{source} does not look like a random key (all zeros, a repeated pattern, or a "
            "password encoded as base64): make one with LocalKeyCryptor.generate_key()"
        )
    return key


def _decode_key(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        # Never chain: the codec error could quote part of the secret.
        raise PIIConfigurationError(f"{source} must be base64 text") from None
    return _checked_key(key, source)


def _read_key_file(path: str) -> bytes:
    source = f"the file named by PII_GUARD_LOCAL_KEY_FILE ({path})"
    try:
        content = Path(path).read_bytes()
    except OSError as error:
        raise PIIConfigurationError(f"cannot read {source}: {error.strerror}") from None
    if len(content) == MASTER_KEY_BYTES:
        return content
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError:
        raise PIIConfigurationError(f"{source} must hold 32 raw bytes or base64 text") from None
    return _decode_key(text, source)
