"""One cryptor shared by threads and by coroutines gives every caller its own right answer,
and the async path keeps the event loop serving while KMS is slow."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from pii_guard import (
    DataKeyCache,
    KMSEnvelopeCryptor,
    LocalKeyCryptor,
    adecrypt_pii,
    aencrypt_pii,
    decrypt_pii,
    encrypt_pii,
    load_pii,
)
from pii_guard.cryptors.envelope import EnvelopeCryptor
from tests.conftest import make_kms_client
from tests.runtime.conftest import CountedKMS
from tests.runtime.models import Customer, Profile
from tests.support.faulty_proxy import FaultyProxy

pytestmark = pytest.mark.slow

THREADS = 8
COROUTINES = 200


def customer(owner: int, number: int) -> Customer:
    return Customer(
        customer_id=owner * 1000 + number,
        name=f"name {owner}/{number}",
        aliases=[f"alias {owner}/{number}"],
        profile=Profile(email=f"{owner}.{number}@example.com"),
    )


def in_threads(work: Callable[[int], None]) -> None:
    """Run `work(thread_number)` in THREADS threads started together; re-raise any failure."""
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def run(number: int) -> None:
        start.wait()
        try:
            work(number)
        except BaseException as error:  # collected and raised in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def shared_by_threads(cryptor: EnvelopeCryptor) -> dict[int, list[str]]:
    """Each thread encrypts and decrypts its own values, then reads another thread's."""
    written: dict[int, list[str]] = {}
    expected = {n: [f"thread {n} value {i} \u00e9" for i in range(25)] for n in range(THREADS)}
    all_written = threading.Barrier(THREADS)

    def work(number: int) -> None:
        for round_number in range(5):
            encrypted = cryptor.encrypt(expected[number])
            assert cryptor.decrypt(encrypted) == expected[number], round_number
        written[number] = encrypted
        all_written.wait()
        neighbour = (number + 1) % THREADS
        assert cryptor.decrypt(written[neighbour]) == expected[neighbour]

    in_threads(work)
    return written


def test_one_kms_cryptor_serves_eight_threads(kms: CountedKMS) -> None:
    cryptor = kms.cryptor(data_key_cache=DataKeyCache(max_keys=4, max_age_seconds=60))

    written = shared_by_threads(cryptor)

    assert kms.calls["GenerateDataKey"] == THREADS * 5  # one data key per encrypt call
    assert len({values[0][4:].split(":")[0] for values in written.values()}) == THREADS


def test_one_local_cryptor_serves_eight_threads_through_the_storage_boundary() -> None:
    cryptor = LocalKeyCryptor(os.urandom(32))

    def work(number: int) -> None:
        live = [customer(number, i) for i in range(20)]
        for _ in range(10):
            rows = encrypt_pii(live, cryptor=cryptor)
            plain = decrypt_pii(load_pii(Customer, rows, cryptor=cryptor), cryptor=cryptor)
            assert [c.model_dump() for c in plain] == [c.model_dump() for c in live]

    in_threads(work)


def test_two_hundred_coroutines_share_one_kms_cryptor(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()

    async def one(number: int) -> Customer:
        rows = await aencrypt_pii([customer(number, 0)], cryptor=cryptor)
        (plain,) = await adecrypt_pii(load_pii(Customer, rows, cryptor=cryptor), cryptor=cryptor)
        return plain

    async def all_of_them() -> list[Customer]:
        return await asyncio.gather(*(one(n) for n in range(COROUTINES)))

    results = asyncio.run(all_of_them())

    assert [c.model_dump() for c in results] == [
        customer(n, 0).model_dump() for n in range(COROUTINES)
    ]
    assert kms.calls == {"GenerateDataKey": COROUTINES, "Decrypt": COROUTINES}


# --- the event loop while KMS is slow ------------------------------------------------------------

KMS_DELAY = 1.0
TICK = 0.01


async def longest_pause_during(work: Coroutine[Any, Any, Any]) -> tuple[float, float, int]:
    """(seconds `work` took, the longest the loop was unavailable meanwhile, ticks served)."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def heartbeat() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    beating = asyncio.create_task(heartbeat())
    await asyncio.sleep(TICK * 3)
    started = time.perf_counter()
    try:
        await work
    finally:
        took = time.perf_counter() - started
        done.set()
        await beating
    return took, max(gaps), len(gaps)


def slow_kms(proxy: FaultyProxy, key_id: str) -> KMSEnvelopeCryptor:
    proxy.faults.delay_seconds = KMS_DELAY
    client = make_kms_client(proxy.endpoint_url, read_timeout=10)
    return KMSEnvelopeCryptor(key_id, client=client)


def test_the_event_loop_keeps_serving_during_a_slow_kms_call(
    proxy: FaultyProxy, kms_key_id: str
) -> None:
    cryptor = slow_kms(proxy, kms_key_id)

    async def save_and_load() -> None:
        rows = await aencrypt_pii([customer(1, 1)], cryptor=cryptor)
        await adecrypt_pii(load_pii(Customer, rows, cryptor=cryptor), cryptor=cryptor)

    took, longest_pause, ticks = asyncio.run(longest_pause_during(save_and_load()))

    assert took >= 2 * KMS_DELAY  # GenerateDataKey and Decrypt were both slow
    assert longest_pause < 0.25  # ... and the loop was never held for long
    assert ticks > took / 0.25


def test_the_measurement_sees_a_blocked_loop(proxy: FaultyProxy, kms_key_id: str) -> None:
    """The same measurement around the blocking call: the pause is the whole KMS delay."""
    cryptor = slow_kms(proxy, kms_key_id)

    async def blocking() -> None:
        encrypt_pii([customer(1, 1)], cryptor=cryptor)

    _, longest_pause, _ = asyncio.run(longest_pause_during(blocking()))

    assert longest_pause >= KMS_DELAY * 0.9
