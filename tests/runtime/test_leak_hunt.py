"""Leak hunt: known plaintext markers through every public path, and nothing shows them.

Everything the process shows is captured: every log record of every logger at DEBUG (botocore
and urllib3 included, formatted and as raw arguments), every warning, every exception message
and traceback (with its chain), and the repr and str of our objects. Neither the markers nor
the data keys that protected them may appear in any of it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest

from pii_guard import (
    DataKeyCache,
    EncryptedStr,
    KMSEnvelopeCryptor,
    LocalKeyCryptor,
    PIICryptorService,
    PIIGuardError,
    adecrypt_pii,
    aencrypt_pii,
    arewrap,
    check_query,
    decrypt_pii,
    encrypt_pii,
    field_context,
    load_pii,
    rewrap,
)
from pii_guard.cryptors.base import Cryptor
from pii_guard.wire import parse_wire
from tests.conftest import make_kms_client
from tests.runtime.conftest import CountedKMS
from tests.runtime.cryptor_service import RunningService
from tests.runtime.models import Customer, Profile
from tests.support.faulty_proxy import FaultyProxy
from tests.support.kms_server import free_loopback_port, running_kms_server

pytestmark = pytest.mark.slow

MARKER = "LEAKHUNT-7c1e"


def marked(number: int) -> Customer:
    return Customer(
        customer_id=number,
        name=f"{MARKER} name {number}",
        phone=f"{MARKER} phone",
        fax=f"{MARKER} fax \u00e9\u4e2d\U0001f642",
        aliases=[f"{MARKER} alias"],
        contacts={"work": f"{MARKER} contact"},
        profile=Profile(email=f"{MARKER}@example.com"),
    )


class Shown:
    """Every text the process showed while capturing, and every wire value it produced."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.wire_values: list[str] = []
        self.records = 0

    def add(self, *texts: object) -> None:
        self.texts.extend(str(text) for text in texts)

    def failure(self, call: Callable[[], object], expected: type[Exception]) -> None:
        """Run a call that must fail; keep its message and full traceback (with the chain)."""
        with pytest.raises(expected) as raised:
            call()
        error = raised.value
        self.add(str(error), repr(error), "".join(traceback.format_exception(error)))

    def rows(self, rows: list[dict[str, Any]], cryptor: Cryptor) -> list[Customer]:
        self.add(repr(rows))
        for row in rows:
            self.wire_values += [row["name"], row["phone"], row["fax"], row["profile"]["email"]]
        loaded = load_pii(Customer, rows, cryptor=cryptor)
        for instance in loaded:
            self.add(repr(instance), str(instance), f"{instance.name}", "%s" % instance.phone)  # noqa: UP031
        return loaded


class _Keep(logging.Handler):
    def __init__(self, shown: Shown) -> None:
        super().__init__(logging.DEBUG)
        self.shown = shown
        # The default Formatter appends exc_info tracebacks and stack_info to the message.
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.shown.records += 1
        self.shown.add(self.format(record), repr(record.msg), repr(record.args))


@contextlib.contextmanager
def everything_captured() -> Iterator[Shown]:
    shown = Shown()
    root = logging.getLogger()
    handler = _Keep(shown)
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield shown
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
    for warning in caught:
        shown.add(warnings.formatwarning(warning.message, warning.category, "", 0))


def exercise_successes(shown: Shown, cryptor: Cryptor) -> None:
    loaded = shown.rows(encrypt_pii([marked(1), marked(2)], cryptor=cryptor), cryptor)
    plain = decrypt_pii(loaded, cryptor=cryptor)
    assert plain[0].name == f"{MARKER} name 1"  # the paths really ran
    shown.add(repr(plain), str(plain[0]))
    bound = shown.rows(encrypt_pii(plain, cryptor=cryptor, context=field_context), cryptor)
    decrypt_pii(bound, cryptor=cryptor, context=field_context)
    shown.rows(rewrap(loaded, cryptor=cryptor), cryptor)

    async def async_paths() -> None:
        rows = await aencrypt_pii([marked(3)], cryptor=cryptor)
        again = shown.rows(rows, cryptor)
        await adecrypt_pii(again, cryptor=cryptor)
        shown.rows(await arewrap(again, cryptor=cryptor, to_context=field_context), cryptor)
        values = await cryptor.aencrypt([MARKER, f"{MARKER} 2"], [None, "ctx"])
        shown.wire_values += values
        assert await cryptor.adecrypt(values, [None, "ctx"]) == [MARKER, f"{MARKER} 2"]

    asyncio.run(async_paths())
    values = cryptor.encrypt([MARKER])
    shown.wire_values += values
    cryptor.decrypt(values)
    shown.add(repr(EncryptedStr(values[0])), repr(parse_wire(values[0])))
    assert check_query(Customer, filters={"name": MARKER}, order_by=["-phone"])


def exercise_bad_input(shown: Shown, cryptor: Cryptor) -> None:
    (row,) = encrypt_pii([marked(4)], cryptor=cryptor)
    shown.wire_values.append(row["name"])
    tampered = row["name"][:-10] + ("A" if row["name"][-10] != "A" else "B") + row["name"][-9:]
    fails = PIIGuardError
    shown.failure(lambda: cryptor.decrypt([tampered]), fails)
    shown.failure(lambda: cryptor.decrypt([row["name"]], ["another context"]), fails)
    shown.failure(lambda: cryptor.decrypt([MARKER]), fails)
    shown.failure(lambda: cryptor.decrypt([f"#01#{MARKER}#10#"]), fails)
    shown.failure(lambda: cryptor.encrypt([MARKER, 3]), fails)  # type: ignore[list-item]
    shown.failure(lambda: cryptor.encrypt([f"{MARKER}\ud800"]), fails)
    shown.failure(lambda: cryptor.encrypt([MARKER], [f"{MARKER}\ud800"]), fails)
    shown.failure(lambda: check_query(Customer, filters={"name": MARKER}, strict=True), fails)
    (loaded,) = load_pii(Customer, [{**row, "phone": tampered}], cryptor=cryptor)
    shown.failure(lambda: decrypt_pii([loaded], cryptor=cryptor), fails)
    shown.failure(lambda: rewrap([loaded], cryptor=cryptor), fails)
    shown.failure(lambda: encrypt_pii(marked(5), cryptor=cryptor), fails)  # type: ignore[arg-type]
    shown.failure(
        lambda: Customer(customer_id=1, name=MARKER, aliases=MARKER),  # type: ignore[arg-type]
        pydantic.ValidationError,
    )


def exercise_kms_faults(shown: Shown, proxy: FaultyProxy, key_id: str) -> None:
    def through(**config: Any) -> KMSEnvelopeCryptor:
        config.setdefault("retries", {"mode": "standard", "total_max_attempts": 2})
        return KMSEnvelopeCryptor(key_id, client=make_kms_client(proxy.endpoint_url, **config))

    cryptor = through(read_timeout=0.3)
    loaded = shown.rows(encrypt_pii([marked(6)], cryptor=cryptor), cryptor)
    proxy.faults.throttle_next = 4
    shown.failure(lambda: encrypt_pii([marked(7)], cryptor=cryptor), PIIGuardError)
    shown.failure(lambda: decrypt_pii(loaded, cryptor=cryptor), PIIGuardError)
    proxy.faults.internal_error_next = 2
    shown.failure(lambda: rewrap(loaded, cryptor=cryptor), PIIGuardError)
    proxy.faults.delay_seconds = 2.0
    shown.failure(lambda: encrypt_pii([marked(8)], cryptor=cryptor), PIIGuardError)
    shown.failure(lambda: decrypt_pii(loaded, cryptor=cryptor), PIIGuardError)
    proxy.faults.delay_seconds = 0.0
    closed = KMSEnvelopeCryptor(
        key_id, client=make_kms_client(f"http://127.0.0.1:{free_loopback_port()}")
    )
    shown.failure(lambda: encrypt_pii([marked(9)], cryptor=closed), PIIGuardError)
    shown.failure(lambda: decrypt_pii(loaded, cryptor=closed), PIIGuardError)
    missing = KMSEnvelopeCryptor("alias/does-not-exist", client=cryptor._kms())
    shown.failure(lambda: encrypt_pii([marked(10)], cryptor=missing), PIIGuardError)


def data_keys(client: Any, wire_values: list[str]) -> list[bytes]:
    """The plaintext data keys behind the values, unwrapped out of band after capturing."""
    blobs = {parse_wire(value).encrypted_key for value in wire_values}
    return [client.decrypt(CiphertextBlob=blob)["Plaintext"] for blob in blobs]


def local_data_keys(master_key: bytes, wire_values: list[str]) -> list[bytes]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    wrapper = AESGCM(master_key)
    blobs = {parse_wire(value).encrypted_key for value in wire_values}
    return [wrapper.decrypt(b[:12], b[12:], b"pii-guard local data key v1") for b in blobs]


def forms(key: bytes) -> list[str]:
    """Every way a data key could be written: base64, hex, a bytes repr (without b'')."""
    return [base64.b64encode(key).decode(), key.hex(), repr(key)[2:-1]]


def assert_nothing_leaked(shown: Shown, keys: list[bytes]) -> None:
    assert shown.texts and keys
    everything = "\n".join(shown.texts)
    assert MARKER not in everything
    for key in keys:
        for form in forms(key):
            assert form not in everything


def test_kms_paths_show_neither_plaintext_nor_data_keys(
    kms: CountedKMS, proxy: FaultyProxy, tmp_path: Path
) -> None:
    cryptor = kms.cryptor(data_key_cache=DataKeyCache(max_keys=8, max_age_seconds=60))

    with everything_captured() as shown:
        exercise_successes(shown, cryptor)
        exercise_bad_input(shown, cryptor)
        exercise_kms_faults(shown, proxy, kms.key_id)
        with running_kms_server(tmp_path) as other_account:
            elsewhere = KMSEnvelopeCryptor(
                kms.key_id, client=make_kms_client(other_account.endpoint_url)
            )
            shown.failure(lambda: elsewhere.decrypt(shown.wire_values[:1]), PIIGuardError)
        shown.add(repr(cryptor), str(cryptor), repr(cryptor._cache), repr(elsewhere))

    assert shown.records > 100  # botocore really logged at DEBUG: request and response bodies
    assert any("Response body" in text for text in shown.texts)
    assert_nothing_leaked(shown, data_keys(kms.client, shown.wire_values))


def test_local_key_paths_show_neither_plaintext_nor_keys(tmp_path: Path) -> None:
    master_key = bytes(range(32))
    cryptor = LocalKeyCryptor(master_key)

    with everything_captured() as shown:
        exercise_successes(shown, cryptor)
        exercise_bad_input(shown, cryptor)
        shown.add(repr(cryptor), str(cryptor))

    assert_nothing_leaked(shown, [master_key, *local_data_keys(master_key, shown.wire_values)])


def test_cryptor_service_paths_show_no_plaintext(cryptor_service: RunningService) -> None:
    client_id = "client-id-3f9a"
    cryptor = PIICryptorService(cryptor_service.base_url, client_id, timeout_seconds=0.5)
    closed = PIICryptorService(f"http://127.0.0.1:{free_loopback_port()}", client_id)

    with everything_captured() as shown:
        loaded = shown.rows(encrypt_pii([marked(1), marked(2)], cryptor=cryptor), cryptor)
        assert decrypt_pii(loaded, cryptor=cryptor)[0].name == f"{MARKER} name 1"
        shown.rows(rewrap(loaded, cryptor=cryptor), cryptor)
        shown.rows(asyncio.run(aencrypt_pii([marked(3)], cryptor=cryptor)), cryptor)
        asyncio.run(adecrypt_pii(loaded, cryptor=cryptor))
        shown.failure(lambda: cryptor.decrypt([MARKER]), PIIGuardError)
        shown.failure(lambda: cryptor.encrypt([MARKER], [MARKER]), PIIGuardError)
        cryptor_service.fail_with = 500  # the service echoes the values it was sent
        shown.failure(lambda: encrypt_pii([marked(4)], cryptor=cryptor), PIIGuardError)
        shown.failure(lambda: decrypt_pii(loaded, cryptor=cryptor), PIIGuardError)
        cryptor_service.fail_with = None
        cryptor_service.delay_seconds = 2.0
        shown.failure(lambda: encrypt_pii([marked(5)], cryptor=cryptor), PIIGuardError)
        cryptor_service.delay_seconds = 0.0
        shown.failure(lambda: encrypt_pii([marked(6)], cryptor=closed), PIIGuardError)
        shown.add(repr(cryptor), str(cryptor))

    everything = "\n".join(shown.texts)
    assert MARKER not in everything and client_id not in everything


def test_botocore_logs_would_show_the_data_key_without_the_redaction(kms: CountedKMS) -> None:
    """The hunt can fail: with our filter removed, botocore's DEBUG log shows the data key."""
    parsers = logging.getLogger("botocore.parsers")
    ours = list(parsers.filters)
    cryptor = kms.cryptor()
    for installed in ours:
        parsers.removeFilter(installed)
    try:
        with everything_captured() as shown:
            values = cryptor.encrypt([MARKER])
    finally:
        for installed in ours:
            parsers.addFilter(installed)

    (key,) = data_keys(kms.client, values)
    assert base64.b64encode(key).decode() in "\n".join(shown.texts)
