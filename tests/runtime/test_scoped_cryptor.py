"""`use_cryptor` is scoped to the thread or asyncio task that uses it: two requests, each with
its own tenant's cryptor, never encrypt with each other's key; the process default stays."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from pii_guard import (
    LocalKeyCryptor,
    PIIDecryptionError,
    get_cryptor,
    set_default_cryptor,
    use_cryptor,
)


def tenant() -> LocalKeyCryptor:
    return LocalKeyCryptor(os.urandom(32))


def test_two_threads_each_keep_their_own_scoped_cryptor() -> None:
    tenants = [tenant(), tenant()]
    both_here = threading.Barrier(2)
    seen: dict[int, list[object]] = {0: [], 1: []}

    def request(number: int) -> None:
        with use_cryptor(tenants[number]):
            for _ in range(50):
                both_here.wait()  # both inside their scopes, neither has left
                seen[number].append(get_cryptor())

    threads = [threading.Thread(target=request, args=(number,)) for number in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert seen[0] == [tenants[0]] * 50 and seen[1] == [tenants[1]] * 50


def test_two_asyncio_tasks_each_keep_their_own_scoped_cryptor() -> None:
    tenants = [tenant(), tenant()]

    async def request(number: int, both_inside: asyncio.Barrier) -> list[str]:
        with use_cryptor(tenants[number]):
            await both_inside.wait()
            stored = await get_cryptor().aencrypt([f"tenant {number}"])
            await asyncio.sleep(0)
            return stored

    async def main() -> list[list[str]]:
        both_inside = asyncio.Barrier(2)
        return list(await asyncio.gather(request(0, both_inside), request(1, both_inside)))

    first, second = asyncio.run(main())

    assert tenants[0].decrypt(first) == ["tenant 0"]
    assert tenants[1].decrypt(second) == ["tenant 1"]
    with pytest.raises(PIIDecryptionError):
        tenants[1].decrypt(first)


def test_the_process_default_serves_threads_without_a_scope() -> None:
    default, scoped = tenant(), tenant()
    set_default_cryptor(default)
    found: list[object] = []

    with use_cryptor(scoped):
        worker = threading.Thread(target=lambda: found.append(get_cryptor()))
        worker.start()
        worker.join()
        assert get_cryptor() is scoped

    assert found == [default]
    assert get_cryptor() is default


def test_a_plain_call_sets_the_cryptor_of_this_thread_only() -> None:
    default, mine = tenant(), tenant()
    set_default_cryptor(default)
    found: list[object] = []

    use_cryptor(mine)
    worker = threading.Thread(target=lambda: found.append(get_cryptor()))
    worker.start()
    worker.join()

    assert get_cryptor() is mine
    assert found == [default]
