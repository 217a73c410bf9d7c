"""Cryptor benchmark: KMSEnvelopeCryptor against the AWS Encryption SDK and a bare AES-GCM loop.

Run by hand from a checkout with the project and its test extra installed:
`.venv/bin/python bench/crypto.py`. It starts its own local KMS endpoint (moto, as the tests
do), and measures in the same run, alternating contenders over several rounds (medians):

- encrypting and decrypting VALUES short values with KMSEnvelopeCryptor (one batch);
- the AWS Encryption SDK for Python, one message per value with the same KMS key, in its
  fastest configuration (legacy master-key-provider API, non-signing suite without key
  derivation), in its own environment under ~/.cache/pii-guard-bench (never a project
  dependency); it runs on fewer values (`--esdk-values`) and is compared per value;
- the floor: a bare loop of os.urandom(12) + AESGCM.encrypt + base64 over the same values;
- decrypt_pii over VALUES model instances loaded from rows: values per second, KMS calls;
- encrypt_pii of a model with one lookup field against the same model without it, and
  lookup_values per second (`--only-lookups` runs just this part).
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
import venv
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3  # noqa: E402
from _harness import Samples, alternate, report, report_speedup  # noqa: E402
from botocore.config import Config  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from pii_guard import (  # noqa: E402
    KMSEnvelopeCryptor,
    Lookup,
    PIIModel,
    PIIStr,
    decrypt_pii,
    encrypt_pii,
    load_pii,
    lookup_of,
    lookup_values,
)
from pii_guard.indexkeys import EMPTY_KEYRING, new_version  # noqa: E402
from tests.support.kms_server import DUMMY_CREDENTIALS, REGION, running_kms_server  # noqa: E402

CACHE = Path.home() / ".cache" / "pii-guard-bench"
ESDK_REQUIREMENT = "aws-encryption-sdk==4.0.7"


def short_values(count: int) -> list[str]:
    """~30-byte values of the kind PII fields hold."""
    return [f"customer-{number:06d}@example.org" for number in range(count)]


# --- contenders ---------------------------------------------------------------------------------


def kms_client(endpoint_url: str) -> Any:
    return boto3.client(
        "kms",
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=Config(retries={"mode": "standard"}),
        **DUMMY_CREDENTIALS,
    )


def timed(work: Any) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


class Floor:
    """The least Python can do per value: fresh IV, AES-GCM, base64 (and the UTF-8 codec)."""

    def __init__(self, values: list[str]) -> None:
        self.values = values
        self.aead = AESGCM(os.urandom(32))
        self.sealed: list[str] = []

    def encrypt(self) -> None:
        aead, b64 = self.aead, base64.b64encode
        sealed = []
        for value in self.values:
            iv = os.urandom(12)
            sealed.append(b64(iv + aead.encrypt(iv, value.encode(), None)).decode())
        self.sealed = sealed

    def decrypt(self) -> None:
        aead, unb64 = self.aead, base64.b64decode
        for value in self.sealed:
            raw = unb64(value)
            aead.decrypt(raw[:12], raw[12:], None).decode()


class Ours:
    def __init__(self, cryptor: KMSEnvelopeCryptor, values: list[str]) -> None:
        self.cryptor = cryptor
        self.values = values
        self.encrypted: list[str] = []

    def encrypt(self) -> None:
        self.encrypted = self.cryptor.encrypt(self.values)

    def decrypt(self) -> None:
        if self.cryptor.decrypt(self.encrypted) != self.values:
            raise SystemExit("KMSEnvelopeCryptor did not give the values back")


def esdk_python() -> Path:
    """The benchmark's own environment with the AWS Encryption SDK, made once."""
    env_dir = CACHE / "venv-esdk"
    python = env_dir / "bin" / "python"
    marker = env_dir / "installed.txt"
    if not (python.exists() and marker.exists() and marker.read_text() == ESDK_REQUIREMENT):
        venv.create(env_dir, with_pip=True, clear=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", ESDK_REQUIREMENT], check=True
        )
        marker.write_text(ESDK_REQUIREMENT)
    return python


class EncryptionSDK:
    """A long-lived worker in the SDK's environment; it times each command itself."""

    def __init__(
        self, endpoint_url: str, key_arn: str, values: list[str], mode: str, work_dir: Path
    ) -> None:
        values_file = work_dir / f"esdk-values-{mode}.json"
        values_file.write_text(json.dumps(values), encoding="utf-8")
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL_KMS": endpoint_url,
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": REGION,
        }
        self.process = subprocess.Popen(
            [
                str(esdk_python()),
                str(Path(__file__).resolve().parent / "_esdk_worker.py"),
                key_arn,
                str(values_file),
                mode,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def run(self, command: str) -> float:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise SystemExit(f"the Encryption SDK worker stopped ({self.process.wait()})")
        return float(json.loads(answer)["seconds"])

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


# --- decrypt_pii over loaded rows ---------------------------------------------------------------


class Person(PIIModel):
    person_id: int
    name: PIIStr
    email: PIIStr
    country: str = "NL"


def rows_of(cryptor: KMSEnvelopeCryptor, count: int, per_save: int) -> list[dict[str, Any]]:
    """Rows as saved `per_save` instances at a time (one data key per save)."""
    people = [
        Person(person_id=n, name=f"Person Number {n:06d}", email=f"person-{n:06d}@example.org")
        for n in range(count)
    ]
    rows: list[dict[str, Any]] = []
    for start in range(0, count, per_save):
        rows += encrypt_pii(people[start : start + per_save], cryptor=cryptor)
    return rows


def decrypt_pii_rates(endpoint_url: str, key_id: str, count: int, rounds: int) -> None:
    client = kms_client(endpoint_url)
    calls: Counter[str] = Counter()
    client.meta.events.register("before-call.kms", lambda model, **_: calls.update([model.name]))
    cryptor = KMSEnvelopeCryptor(key_id, client=client)
    for per_save in (count, 100, 1):
        rows = rows_of(cryptor, count, per_save)
        loaded: list[BaseModel] = list(load_pii(Person, rows, cryptor=cryptor))
        samples = Samples(f"decrypt_pii, rows saved {per_save} at a time")
        for _ in range(rounds if per_save > 1 else 1):
            calls.clear()
            samples.seconds.append(timed(functools.partial(decrypt_pii, loaded, cryptor=cryptor)))
        values = count * 2
        print(
            f"decrypt_pii over {count} instances ({values} PII values), rows saved {per_save} "
            f"at a time: {values / samples.median:,.0f} values/s, "
            f"{count / samples.median:,.0f} instances/s, {calls['Decrypt']} KMS Decrypt calls "
            f"(median of {len(samples.seconds)} rounds, {samples.median:.3f}s)"
        )


def storage_boundary_cost(endpoint_url: str, key_id: str, count: int, rounds: int) -> None:
    """encrypt_pii, load_pii and decrypt_pii against the bare cryptor calls on the same values,
    alternated in the same run: what walking the models, binding and checking rows cost."""
    cryptor = KMSEnvelopeCryptor(key_id, client=kms_client(endpoint_url))
    people = [
        Person(person_id=n, name=f"Person Number {n:06d}", email=f"person-{n:06d}@example.org")
        for n in range(count)
    ]
    values = [text for person in people for text in (person.name, person.email)]
    contexts = [f"Person.{field}" for _ in people for field in ("name", "email")]
    rows = encrypt_pii(people, cryptor=cryptor)
    loaded = load_pii(Person, rows, cryptor=cryptor)
    stored = [text for row in rows for text in (row["name"], row["email"])]
    encrypt, bare_encrypt, load, decrypt, bare_decrypt = alternate(
        rounds,
        [
            ("encrypt_pii", lambda: timed(lambda: encrypt_pii(people, cryptor=cryptor))),
            ("cryptor.encrypt", lambda: timed(lambda: cryptor.encrypt(values, contexts))),
            ("load_pii", lambda: timed(lambda: load_pii(Person, rows, cryptor=cryptor))),
            ("decrypt_pii", lambda: timed(lambda: decrypt_pii(loaded, cryptor=cryptor))),
            ("cryptor.decrypt", lambda: timed(lambda: cryptor.decrypt(stored, contexts))),
        ],
    )
    print()
    report(f"encrypt_pii of {count} instances vs cryptor.encrypt", encrypt, bare_encrypt, "none")
    report(f"decrypt_pii of {count} instances vs cryptor.decrypt", decrypt, bare_decrypt, "none")
    report(
        f"load_pii of {count} rows vs cryptor.decrypt (for information)", load, bare_decrypt, "none"
    )


class IndexedPerson(PIIModel):
    person_id: int
    name: PIIStr
    email: PIIStr
    email_lookup: Lookup = lookup_of("email", normalizer="email")
    country: str = "NL"


def lookup_cost(endpoint_url: str, key_id: str, count: int, rounds: int) -> None:
    """encrypt_pii with one lookup field against the same model without it, alternated in
    the same run; then lookup_values per second (index keys unwrapped once, before timing)."""
    cryptor = KMSEnvelopeCryptor(key_id, client=kms_client(endpoint_url))
    os.environ["PII_GUARD_INDEX_KEYS"] = new_version(cryptor, EMPTY_KEYRING).to_json()
    fields = [
        {"person_id": n, "name": f"Person Number {n:06d}", "email": f"person-{n:06d}@example.org"}
        for n in range(count)
    ]
    people = [Person(**row) for row in fields]
    indexed = [IndexedPerson(**row) for row in fields]
    encrypt_pii(indexed[:1], cryptor=cryptor)  # the one unwrap of the index key
    plain, with_lookup = alternate(
        rounds,
        [
            ("encrypt_pii", lambda: timed(lambda: encrypt_pii(people, cryptor=cryptor))),
            (
                "encrypt_pii + lookup",
                lambda: timed(lambda: encrypt_pii(indexed, cryptor=cryptor)),
            ),
        ],
    )
    print()
    report(
        f"encrypt_pii of {count} instances with one lookup field vs without",
        with_lookup,
        plain,
        "<= 1.3x",
    )
    emails = [row["email"] for row in fields]

    def search() -> None:
        for email in emails:
            lookup_values(IndexedPerson, "email", email, cryptor=cryptor)

    samples = Samples("lookup_values")
    for _ in range(rounds):
        samples.seconds.append(timed(search))
    print(
        f"lookup_values: {count / samples.median:,.0f} per second, one index key version "
        f"(median of {rounds} rounds of {count})"
    )


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=10_000)
    parser.add_argument("--esdk-values", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--only-lookups", action="store_true", help="run only the lookup part (no SDK)"
    )
    options = parser.parse_args()
    if options.only_lookups:
        with tempfile.TemporaryDirectory() as work, running_kms_server(Path(work)) as server:
            client = kms_client(server.endpoint_url)
            key = client.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")
            lookup_cost(
                server.endpoint_url, key["KeyMetadata"]["KeyId"], options.values, options.rounds
            )
        return

    values = short_values(options.values)
    esdk_values = values[: options.esdk_values]
    print(
        f"{options.values} values of {sum(map(len, values)) / len(values):.0f} bytes; "
        f"Encryption SDK on {len(esdk_values)} of them; {options.rounds} rounds; "
        f"Python {sys.version.split()[0]}"
    )
    esdk_python()
    with tempfile.TemporaryDirectory() as work, running_kms_server(Path(work)) as server:
        client = kms_client(server.endpoint_url)
        key = client.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")
        key_id, key_arn = key["KeyMetadata"]["KeyId"], key["KeyMetadata"]["Arn"]

        ours = Ours(KMSEnvelopeCryptor(key_id, client=client), values)
        floor = Floor(values)
        sdk = EncryptionSDK(server.endpoint_url, key_arn, esdk_values, "plain", Path(work))
        sdk_cached = EncryptionSDK(server.endpoint_url, key_arn, esdk_values, "caching", Path(work))
        try:
            ours.encrypt(), floor.encrypt()  # warm up: connections, imports, code paths
            sdk.run("encrypt"), sdk_cached.run("encrypt")
            encrypt = alternate(
                options.rounds,
                [
                    ("KMSEnvelopeCryptor.encrypt", lambda: timed(ours.encrypt)),
                    ("floor loop", lambda: timed(floor.encrypt)),
                    ("Encryption SDK", lambda: sdk.run("encrypt")),
                    ("Encryption SDK + caching CMM", lambda: sdk_cached.run("encrypt")),
                ],
            )
            decrypt = alternate(
                options.rounds,
                [
                    ("KMSEnvelopeCryptor.decrypt", lambda: timed(ours.decrypt)),
                    ("floor loop", lambda: timed(floor.decrypt)),
                    ("Encryption SDK", lambda: sdk.run("decrypt")),
                    ("Encryption SDK + caching CMM", lambda: sdk_cached.run("decrypt")),
                ],
            )
        finally:
            sdk.close()
            sdk_cached.close()

        n, m = len(values), len(esdk_values)
        for name, (mine, bare, esdk, esdk_cached) in (("encrypt", encrypt), ("decrypt", decrypt)):
            print()
            report_speedup(f"{name} vs Encryption SDK", mine, n, esdk, m, ">= 20x")
            report(f"{name} vs floor", mine, bare, "<= 3x")
            report_speedup(
                f"{name} vs Encryption SDK with caching CMM (for information)",
                mine,
                n,
                esdk_cached,
                m,
                "none",
            )
        storage_boundary_cost(server.endpoint_url, key_id, options.values // 2, options.rounds)
        print()
        decrypt_pii_rates(server.endpoint_url, key_id, options.values, options.rounds)
        lookup_cost(server.endpoint_url, key_id, options.values // 2, options.rounds)


if __name__ == "__main__":
    main()
