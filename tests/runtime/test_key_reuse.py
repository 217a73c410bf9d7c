"""Data key reuse: encrypt calls share a data key within its bounds, never past them."""

from __future__ import annotations

import pytest

from pii_guard import KMSEnvelopeCryptor, PIIConfigurationError
from pii_guard.cryptors.keyreuse import DataKeyReuse
from tests.runtime.conftest import CountedKMS


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def data_keys(values: list[str]) -> set[str]:
    return {value[4:].split(":")[0] for value in values}


def test_calls_share_a_data_key_until_the_value_bound(kms: CountedKMS) -> None:
    cryptor = kms.cryptor(data_key_reuse=DataKeyReuse(max_values=5))

    written = [cryptor.encrypt([f"v{n}", f"w{n}"]) for n in range(4)]  # 8 values

    assert kms.calls == {"GenerateDataKey": 2}
    assert data_keys(written[0] + written[1]) == data_keys(written[0])
    assert data_keys(written[2]) != data_keys(written[1])  # 4 + 2 would pass 5: a new key
    assert cryptor.decrypt(written[3]) == ["v3", "w3"]


def test_a_key_older_than_its_age_bound_is_not_used(kms: CountedKMS) -> None:
    clock = Clock()
    cryptor = kms.cryptor(data_key_reuse=DataKeyReuse(max_age_seconds=30, clock=clock))

    first = cryptor.encrypt(["a"])
    clock.now += 29
    second = cryptor.encrypt(["b"])
    clock.now += 2
    third = cryptor.encrypt(["c"])

    assert data_keys(first) == data_keys(second) != data_keys(third)
    assert kms.calls == {"GenerateDataKey": 2}


def test_a_batch_larger_than_the_bound_gets_a_key_of_its_own(kms: CountedKMS) -> None:
    cryptor = kms.cryptor(data_key_reuse=DataKeyReuse(max_values=2))

    small = cryptor.encrypt(["a"])
    large = cryptor.encrypt(["b", "c", "d"])
    after = cryptor.encrypt(["e"])

    assert data_keys(large) != data_keys(small) == data_keys(after)


def test_one_reuse_cannot_serve_two_cryptors(kms: CountedKMS) -> None:
    shared = DataKeyReuse()
    kms.cryptor(data_key_reuse=shared)

    with pytest.raises(PIIConfigurationError, match="belongs to one cryptor"):
        kms.cryptor(data_key_reuse=shared)


@pytest.mark.parametrize(("seconds", "values"), [(0, 10), (3601, 10), (60, 0), (60, 2**32 + 1)])
def test_bounds_out_of_range_are_refused(seconds: float, values: int) -> None:
    with pytest.raises(PIIConfigurationError, match="DataKeyReuse needs"):
        DataKeyReuse(max_age_seconds=seconds, max_values=values)


def test_reuse_is_read_from_the_environment(
    kms: CountedKMS, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PII_GUARD_DATA_KEY_REUSE_VALUES", "100")
    monkeypatch.setenv("PII_GUARD_DATA_KEY_REUSE_SECONDS", "30")
    cryptor = KMSEnvelopeCryptor(kms.key_id, client=kms.client)

    for n in range(10):
        cryptor.encrypt([f"value {n}"])

    assert kms.calls == {"GenerateDataKey": 1}
    assert "max_values=100" in repr(cryptor) and "value 9" not in repr(cryptor)


def test_without_reuse_every_call_makes_a_data_key(kms: CountedKMS) -> None:
    cryptor = kms.cryptor()
    for n in range(3):
        cryptor.encrypt([f"value {n}"])

    assert kms.calls == {"GenerateDataKey": 3}
