"""A bounded, time-limited cache of plaintext data keys, shared by decrypt calls.

Off by default: without it a plaintext data key lives only for the call that needs it. With it,
at most `max_keys` keys are held, each for at most `max_age_seconds` after it was unwrapped
(least recently used keys are dropped first), so a hot set of rows does not cost one KMS call
per read.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from pii_guard.errors import PIIConfigurationError

MAX_CACHE_SECONDS = 3600.0


class DataKeyCache:
    """Plaintext data keys by encrypted data key, each with the ARN of the KMS key that
    unwrapped it (so a cryptor can check its key pin on a hit too); thread-safe."""

    def __init__(
        self,
        max_keys: int = 100,
        max_age_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_keys < 1:
            raise PIIConfigurationError("DataKeyCache needs max_keys of at least 1")
        if not 0 < max_age_seconds <= MAX_CACHE_SECONDS:
            raise PIIConfigurationError(
                f"DataKeyCache needs max_age_seconds greater than 0 and at most "
                f"{MAX_CACHE_SECONDS:g}"
            )
        self.max_keys = max_keys
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._entries: OrderedDict[bytes, tuple[float, bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, encrypted_key: bytes) -> tuple[bytes, str] | None:
        """The plaintext key and its KMS key ARN, or None when absent or expired."""
        with self._lock:
            entry = self._entries.get(encrypted_key)
            if entry is None:
                return None
            stored_at, key, kms_key_arn = entry
            if self._clock() - stored_at > self.max_age_seconds:
                del self._entries[encrypted_key]
                return None
            self._entries.move_to_end(encrypted_key)
            return key, kms_key_arn

    def put(self, encrypted_key: bytes, key: bytes, kms_key_arn: str) -> None:
        with self._lock:
            self._entries[encrypted_key] = (self._clock(), key, kms_key_arn)
            self._entries.move_to_end(encrypted_key)
            self._drop_expired()
            while len(self._entries) > self.max_keys:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired()
            return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"DataKeyCache(max_keys={self.max_keys}, max_age_seconds={self.max_age_seconds})"
        )

    def _drop_expired(self) -> None:
        now = self._clock()
        expired = [k for k, (at, *_) in self._entries.items() if now - at > self.max_age_seconds]
        for encrypted_key in expired:
            del self._entries[encrypted_key]
