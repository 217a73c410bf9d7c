"""Index keys: the versioned keyring of wrapped lookup keys, unwrapped once, derived per field.

An index key is 32 random bytes, separate from every data key, stored only wrapped by the
cryptor's master key (KMS `Encrypt`, or AES-GCM under `LocalKeyCryptor`'s key). The keyring
(`PII_GUARD_INDEX_KEYS`, or the file `PII_GUARD_INDEX_KEYS_FILE`) is a JSON list of
`{"version": n, "wrapped": base64}`: the newest version writes, every version is searched.
Each version is unwrapped once per process and cryptor; each field gets its own key derived
with HKDF-SHA256 (info: the field's binding name, `Customer.email`).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import os
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pii_guard.config import Settings, index_key_settings
from pii_guard.cryptors.base import Cryptor
from pii_guard.errors import FORGET_SECRETS, PIIConfigurationError

INDEX_KEY_BYTES = 32
_HKDF_SALT = b"pii-guard lookup key v1"


@runtime_checkable
class IndexKeyWrapper(Protocol):
    """A cryptor that can wrap and unwrap index keys under its master key."""

    def wrap_index_key(self, key: bytes) -> bytes: ...

    def unwrap_index_key(self, wrapped: bytes) -> bytes: ...


@dataclasses.dataclass(frozen=True)
class Keyring:
    """Wrapped index keys by version (never a plaintext key)."""

    versions: tuple[tuple[int, bytes], ...]  # (version, wrapped), newest first

    @property
    def newest(self) -> int:
        return self.versions[0][0]

    def with_new(self, version: int, wrapped: bytes) -> Keyring:
        return Keyring(tuple(sorted(((version, wrapped), *self.versions), reverse=True)))

    def to_json(self) -> str:
        return json.dumps(
            [
                {"version": version, "wrapped": base64.b64encode(wrapped).decode("ascii")}
                for version, wrapped in sorted(self.versions)
            ]
        )

    @classmethod
    def parse(cls, text: str, source: str) -> Keyring:
        """The keyring in `text`; PIIConfigurationError naming `source` when it is not one."""
        shape = (
            f'{source} must be a JSON list of {{"version": N, "wrapped": "base64"}} '
            "(pii-guard keys new makes one)"
        )
        try:
            data: Any = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, numbers too long, nested too deep
            raise PIIConfigurationError(shape) from None
        if not isinstance(data, list):
            raise PIIConfigurationError(shape)
        versions: dict[int, bytes] = {}
        for entry in data:
            if not isinstance(entry, dict) or set(entry) != {"version", "wrapped"}:
                raise PIIConfigurationError(shape)
            version, wrapped = entry["version"], entry["wrapped"]
            if (
                isinstance(version, bool)
                or not isinstance(version, int)
                or not 1 <= version <= MAX_VERSION
            ):
                raise PIIConfigurationError(
                    f"{source}: versions are whole numbers from 1 to {MAX_VERSION}"
                )
            if version in versions:
                raise PIIConfigurationError(f"{source}: version {version} is listed twice")
            try:
                versions[version] = base64.b64decode(str(wrapped), validate=True)
            except (binascii.Error, ValueError):
                raise PIIConfigurationError(
                    f"{source}: version {version}'s wrapped key is not base64"
                ) from None
        return cls(tuple(sorted(versions.items(), reverse=True)))


EMPTY_KEYRING = Keyring(())
MAX_VERSION = 2**31 - 1  # a stored lookup stays within its column

_parsed: dict[str, Keyring] = {}


def configured_keyring() -> Keyring:
    """The keyring of the environment (empty when none is configured)."""
    settings = Settings(**index_key_settings())
    if settings.index_keys is not None:
        text, source = settings.index_keys.value, "PII_GUARD_INDEX_KEYS"
    elif settings.index_keys_file:
        source = f"the file named by PII_GUARD_INDEX_KEYS_FILE ({settings.index_keys_file})"
        try:
            text = _read_keyring_file(settings.index_keys_file)
        except (OSError, UnicodeDecodeError) as error:
            raise PIIConfigurationError(f"cannot read {source}: {type(error).__name__}") from None
    else:
        return EMPTY_KEYRING
    found = _parsed.get(text)
    if found is None:
        found = Keyring.parse(text, source)
        if len(_parsed) > 16:
            _parsed.clear()
        _parsed[text] = found
    return found


_files: dict[str, tuple[tuple[int, int], str]] = {}


def _read_keyring_file(path: str) -> str:
    """The file's text, read again only when its size or modification time changed."""
    status = os.stat(path)
    stamp = (status.st_mtime_ns, status.st_size)
    known = _files.get(path)
    if known is None or known[0] != stamp:
        known = _files[path] = (stamp, Path(path).read_text(encoding="utf-8"))
    return known[1]


def new_version(cryptor: Cryptor, keyring: Keyring) -> Keyring:
    """`keyring` with a new random index key, wrapped by `cryptor`, as its newest version."""
    wrapper = _wrapper(cryptor)
    version = (keyring.newest + 1) if keyring.versions else 1
    return keyring.with_new(version, wrapper.wrap_index_key(os.urandom(INDEX_KEY_BYTES)))


@dataclasses.dataclass(repr=False)
class IndexKeys:
    """The unwrapped keys of a keyring, and the per-field keys derived from them (cached)."""

    keys: dict[int, bytes]  # version -> index key, newest first
    newest: int
    _fields: dict[tuple[int, str], bytes] = dataclasses.field(default_factory=dict)

    def __repr__(self) -> str:
        return f"IndexKeys(versions={list(self.keys)})"

    @property
    def versions(self) -> list[int]:
        return list(self.keys)

    def field_key(self, version: int, binding: str) -> bytes:
        """The key of field `binding` (`Model.field`) under `version`: HKDF-SHA256."""
        found = self._fields.get((version, binding))
        if found is None:
            found = HKDF(
                algorithm=hashes.SHA256(),
                length=32,
                salt=_HKDF_SALT,
                info=binding.encode("utf-8"),
            ).derive(self.keys[version])
            self._fields[(version, binding)] = found
        return found


def lookup_text(key: bytes, version: int, normalized: str, bits: int | None) -> str:
    """The stored lookup: `v<version>:` and the (truncated) HMAC-SHA256, base64url."""
    digest = hmac.digest(key, normalized.encode("utf-8"), hashlib.sha256)
    if bits is not None:
        digest = digest[: bits // 8]
    encoded = binascii.b2a_base64(digest, newline=False).translate(_URLSAFE).rstrip(b"=")
    return f"v{version}:{encoded.decode('ascii')}"


_URLSAFE = bytes.maketrans(b"+/", b"-_")


_unwrapped: weakref.WeakKeyDictionary[Any, dict[bytes, bytes]] = weakref.WeakKeyDictionary()
_unwrapped_keyrings: weakref.WeakKeyDictionary[Any, tuple[Keyring, IndexKeys]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def index_keys(cryptor: Cryptor, keyring: Keyring | None = None) -> IndexKeys:
    """The unwrapped index keys of `keyring` (default: the configured one) under `cryptor`:
    each version is unwrapped once per process and cryptor."""
    with FORGET_SECRETS:  # a failed unwrap leaves no key already unwrapped in the frames below
        return _index_keys(cryptor, keyring)


def _index_keys(cryptor: Cryptor, keyring: Keyring | None) -> IndexKeys:
    chosen = keyring if keyring is not None else configured_keyring()
    cached = _unwrapped_keyrings.get(cryptor)
    if cached is not None and cached[0] is chosen:
        return cached[1]
    if not chosen.versions:
        raise PIIConfigurationError(
            "a model declares lookups but no index keys are configured: set "
            "PII_GUARD_INDEX_KEYS (or PII_GUARD_INDEX_KEYS_FILE) to the keyring that "
            "`pii-guard keys new` prints"
        )
    with _lock:
        known = _unwrapped.setdefault(cryptor, {})
        keys = {}
        for version, wrapped in chosen.versions:
            key = known.get(wrapped)
            if key is None:
                key = _wrapper(cryptor).unwrap_index_key(wrapped)
                if len(key) != INDEX_KEY_BYTES:
                    raise PIIConfigurationError(
                        f"index key version {version} unwrapped to {len(key)} bytes, "
                        f"expected {INDEX_KEY_BYTES}"
                    )
                known[wrapped] = key
            keys[version] = key
        found = IndexKeys(keys, chosen.newest)
        _unwrapped_keyrings[cryptor] = (chosen, found)
        return found


def _wrapper(cryptor: Cryptor) -> IndexKeyWrapper:
    if not isinstance(cryptor, IndexKeyWrapper):
        raise PIIConfigurationError(
            f"{type(cryptor).__name__} cannot wrap index keys: lookups need a cryptor with "
            "wrap_index_key/unwrap_index_key (KMSEnvelopeCryptor or LocalKeyCryptor)"
        )
    cryptor.initialize()
    return cryptor


def versions_of(keyring: Keyring) -> Sequence[int]:
    return [version for version, _ in keyring.versions]
