"""`encrypt_without_key_service` / `decrypt_without_key_service`: the work done only when no KMS
call is needed (a reused data key with room, cached data keys), else None and nothing done."""

from __future__ import annotations

from pii_guard.cryptors.keycache import DataKeyCache
from pii_guard.cryptors.keyreuse import DataKeyReuse
from tests.runtime.conftest import CountedKMS
from tests.runtime.test_key_reuse import Clock, data_keys


def test_encrypt_gives_up_until_a_reused_key_exists(kms: CountedKMS) -> None:
    cryptor = kms.cryptor(data_key_reuse=DataKeyReuse(max_values=5))
    cryptor.initialize()
    assert cryptor.encrypt_without_key_service(["a"]) is None
    assert kms.calls == {}
    first = cryptor.encrypt(["a"])
    quick = cryptor.encrypt_without_key_service(["b", "c"], ["ctx", "ctx"])
    assert quick is not None
    assert kms.calls == {"GenerateDataKey": 1}
    assert data_keys(quick) == data_keys(first)
    assert cryptor.decrypt(quick, ["ctx", "ctx"]) == ["b", "c"]


def test_encrypt_gives_up_past_the_reuse_bounds(kms: CountedKMS) -> None:
    clock = Clock()
    cryptor = kms.cryptor(
        data_key_reuse=DataKeyReuse(max_age_seconds=30, max_values=3, clock=clock)
    )
    cryptor.encrypt(["a", "b"])
    assert cryptor.encrypt_without_key_service(["c", "d"]) is None  # 2 + 2 > 3
    assert cryptor.encrypt_without_key_service(["c"]) is not None
    assert cryptor.encrypt_without_key_service(["d"]) is None  # full
    cryptor.encrypt(["e"])  # a new key
    clock.now += 31
    assert cryptor.encrypt_without_key_service(["f"]) is None  # too old
    assert kms.calls == {"GenerateDataKey": 2}


def test_encrypt_does_not_wait_for_a_thread_making_a_key(kms: CountedKMS) -> None:
    reuse = DataKeyReuse(max_values=100)
    cryptor = kms.cryptor(data_key_reuse=reuse)
    cryptor.encrypt(["a"])
    with reuse._lock:  # what take() holds while KMS makes the next key
        assert cryptor.encrypt_without_key_service(["b"]) is None
    assert cryptor.encrypt_without_key_service(["b"]) is not None


def test_decrypt_gives_up_until_every_data_key_is_cached(kms: CountedKMS) -> None:
    writer = kms.cryptor()
    first, second = writer.encrypt(["a"]), writer.encrypt(["b"])  # two data keys
    reader = kms.cryptor(data_key_cache=DataKeyCache(max_keys=10))
    reader.initialize()
    calls = dict(kms.calls)
    assert reader.decrypt_without_key_service(first + second) is None
    assert reader.decrypt(first) == ["a"]
    assert reader.decrypt_without_key_service(first + second) is None  # second not cached
    assert reader.decrypt(second) == ["b"]
    decrypts = kms.calls["Decrypt"]
    assert reader.decrypt_without_key_service(first + second) == ["a", "b"]
    assert kms.calls["Decrypt"] == decrypts == calls.get("Decrypt", 0) + 2


def test_without_a_cache_decrypt_always_gives_up(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    encrypted = cryptor.encrypt(["a"])
    assert cryptor.decrypt_without_key_service(encrypted) is None
