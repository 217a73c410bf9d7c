"""A bounded, time-limited cache of plaintext data keys, shared by decrypt calls.

Off by default: without it a plaintext data key lives only for the call that needs it. With it,
at most `max_keys` keys are held, each for at most `max_age_seconds` after it was unwrapped
(least recently used keys are dropped first), so a hot set of rows does not cost one KMS call
per read. Expired keys are dropped at every use of the cache, oldest first, without scanning
the others.

Entries belong to a scope: a cryptor reads only the keys unwrapped under its own scope (its
KMS client, so its own credentials), so a cache shared between cryptors never lets one use a
data key that KMS unwrapped for another.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable

from pii_guard.errors import PIIConfigurationError

MAX_CACHE_SECONDS = 3600.0

_Slot = tuple[str, bytes]  # (scope, encrypted data key)


class DataKeyCache:
    """Plaintext data keys by scope and encrypted data key, each with the ARN of the KMS key
    that unwrapped it (so a cryptor can check its key pin on a hit too); thread-safe."""

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
        # Least recently used first.
        self._entries: OrderedDict[_Slot, tuple[float, bytes, str]] = OrderedDict()
        # When each entry was stored, oldest first (the clock only moves forward); an item whose
        # entry was replaced or dropped since is skipped when it comes up.
        self._stored: deque[tuple[float, _Slot]] = deque()
        self._lock = threading.Lock()

    def get(self, encrypted_key: bytes, scope: str = "") -> tuple[bytes, str] | None:
        """The plaintext key and its KMS key ARN, or None when absent, expired or stored
        under another scope."""
        slot = (scope, encrypted_key)
        with self._lock:
            self._drop_expired()
            entry = self._entries.get(slot)
            if entry is None:
                return None
            self._entries.move_to_end(slot)
            return entry[1], entry[2]

    def put(self, encrypted_key: bytes, key: bytes, kms_key_arn: str, scope: str = "") -> None:
        slot = (scope, encrypted_key)
        with self._lock:
            now = self._clock()
            self._entries[slot] = (now, key, kms_key_arn)
            self._entries.move_to_end(slot)
            self._stored.append((now, slot))
            self._drop_expired()
            while len(self._entries) > self.max_keys:
                self._entries.popitem(last=False)
            if len(self._stored) > 4 * self.max_keys:
                self._compact()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._stored.clear()

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired()
            return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"DataKeyCache(max_keys={self.max_keys}, max_age_seconds={self.max_age_seconds})"
        )

    def _drop_expired(self) -> None:
        oldest_kept = self._clock() - self.max_age_seconds
        stored = self._stored
        while stored and stored[0][0] < oldest_kept:
            at, slot = stored.popleft()
            entry = self._entries.get(slot)
            if entry is not None and entry[0] == at:
                del self._entries[slot]

    def _compact(self) -> None:
        # Items of replaced or evicted entries pile up when keys churn; at most every few
        # puts, rebuild the queue from the live entries.
        self._stored = deque(sorted((entry[0], slot) for slot, entry in self._entries.items()))


_scopes: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()
_scopes_lock = threading.Lock()


def scope_of(owner: object) -> str:
    """A scope no other live object has: cryptors with the same `owner` (a KMS client) share
    cache entries, others never do, even after `owner` is gone and its id reused."""
    with _scopes_lock:
        try:
            found = _scopes.get(owner)
            if found is None:
                found = _scopes[owner] = uuid.uuid4().hex
            return found
        except TypeError:  # not weakly referenceable: a scope of its own each time
            return uuid.uuid4().hex
