"""The data key cache: expiry costs nothing per put, and a cache shared between cryptors never
lets one use a data key KMS unwrapped for another's credentials."""

from __future__ import annotations

import os
import time

from pii_guard import DataKeyCache
from tests.runtime.conftest import CountedKMS, counted_kms
from tests.support.kms_server import KMSServer


def test_many_puts_cost_no_scan_of_the_whole_cache() -> None:
    now = [0.0]
    cache = DataKeyCache(max_keys=30_000, max_age_seconds=60, clock=lambda: now[0])
    started = time.monotonic()

    for number in range(30_000):
        now[0] += 0.001
        cache.put(number.to_bytes(4, "big"), os.urandom(32), "arn:aws:kms:us-east-1:1:key/k")

    assert time.monotonic() - started < 3  # a scan per put took 36 s
    assert len(cache) == 30_000


def test_expired_keys_go_oldest_first_and_fresh_ones_stay() -> None:
    now = [0.0]
    cache = DataKeyCache(max_keys=10, max_age_seconds=60, clock=lambda: now[0])
    cache.put(b"old", b"k" * 32, "arn")
    now[0] = 30.0
    cache.put(b"new", b"n" * 32, "arn")
    cache.put(b"old", b"k" * 32, "arn")  # stored again: its age starts again
    now[0] = 80.0

    assert cache.get(b"new") is not None and cache.get(b"old") is not None
    now[0] = 91.0
    assert cache.get(b"new") is None and cache.get(b"old") is None
    assert len(cache) == 0


def test_a_cache_shared_with_another_client_does_not_skip_its_kms_authorisation(
    kms: CountedKMS, kms_server: KMSServer
) -> None:
    other = counted_kms(kms_server.endpoint_url, kms.key_id)  # other credentials, say
    shared = DataKeyCache(max_keys=10, max_age_seconds=60)
    stored = kms.cryptor(data_key_cache=shared).encrypt(["ann@example.com"])
    kms.cryptor(data_key_cache=shared).decrypt(stored)  # the key is in the shared cache now

    assert other.cryptor(data_key_cache=shared).decrypt(stored) == ["ann@example.com"]

    assert other.calls["Decrypt"] == 1  # KMS was asked for the other client too


def test_cryptors_on_the_same_client_share_cached_keys(kms: CountedKMS) -> None:
    shared = DataKeyCache(max_keys=10, max_age_seconds=60)
    stored = kms.cryptor(data_key_cache=shared).encrypt(["ann@example.com"])
    kms.cryptor(data_key_cache=shared).decrypt(stored)
    kms.calls.clear()

    kms.cryptor(data_key_cache=shared).decrypt(stored)

    assert kms.calls["Decrypt"] == 0
