"""Using one data key across encrypt calls, within bounds, so rows saved one at a time share keys.

Without it every `encrypt` call makes a data key, and reading back N rows saved one per web
request costs N KMS `Decrypt` calls. The bounds follow the AWS Encryption SDK's caching CMM: a
key is used for at most `max_age_seconds` after it was made and for at most `max_values` values
(random 96-bit IVs stay far from collision below 2**32 values per key).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pii_guard.errors import PIIConfigurationError

if TYPE_CHECKING:
    from pii_guard.cryptors.envelope import DataKey

MAX_REUSE_SECONDS = 3600.0
MAX_REUSE_VALUES = 2**32


class DataKeyReuse:
    """The data key an envelope cryptor encrypts with, while it is within its bounds.

    One belongs to one cryptor: the key it holds was made under that cryptor's KMS key.
    """

    def __init__(
        self,
        max_age_seconds: float = 60.0,
        max_values: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < max_age_seconds <= MAX_REUSE_SECONDS:
            raise PIIConfigurationError(
                f"DataKeyReuse needs max_age_seconds greater than 0 and at most "
                f"{MAX_REUSE_SECONDS:g}"
            )
        if not 1 <= max_values <= MAX_REUSE_VALUES:
            raise PIIConfigurationError(
                f"DataKeyReuse needs max_values from 1 to {MAX_REUSE_VALUES}"
            )
        self.max_age_seconds = max_age_seconds
        self.max_values = max_values
        self._clock = clock
        self._lock = threading.Lock()
        self._key: DataKey | None = None
        self._made_at = 0.0
        self._used = 0
        self._owner: object | None = None

    def claim(self, owner: object) -> None:
        """Tie this to one cryptor; a second one is a configuration error."""
        if self._owner is not None and self._owner is not owner:
            raise PIIConfigurationError(
                "a DataKeyReuse belongs to one cryptor: give each cryptor its own"
            )
        self._owner = owner

    def current(self, count: int) -> DataKey | None:
        """The current key for `count` more values if it has room, without waiting and without
        making one: None when a new key is due or another thread holds the key (perhaps making
        one). For callers that must not block, such as an event loop."""
        if count > self.max_values or not self._lock.acquire(blocking=False):
            return None
        try:
            if (
                self._key is None
                or self._clock() - self._made_at > self.max_age_seconds
                or self._used + count > self.max_values
            ):
                return None
            self._used += count
            return self._key
        finally:
            self._lock.release()

    def take(self, count: int, make: Callable[[], DataKey]) -> DataKey:
        """The key to encrypt `count` values with: the current one if it has room, else a new
        one from `make` (a batch larger than `max_values` gets a key of its own)."""
        if count > self.max_values:
            return make()
        with self._lock:  # one KMS call when the key runs out, not one per waiting thread
            now = self._clock()
            if (
                self._key is None
                or now - self._made_at > self.max_age_seconds
                or self._used + count > self.max_values
            ):
                self._key = None  # drop the old key before asking for the next
                self._key = make()
                self._made_at = now
                self._used = 0
            self._used += count
            return self._key

    def clear(self) -> None:
        """Forget the current key (the next encrypt call makes a new one)."""
        with self._lock:
            self._key = None

    def __repr__(self) -> str:
        return f"DataKeyReuse(max_age_seconds={self.max_age_seconds}, max_values={self.max_values})"
