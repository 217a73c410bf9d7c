"""The AWS Encryption SDK side of bench/crypto.py; runs in the benchmark's own environment.

Usage: python _esdk_worker.py KEY_ARN VALUES_JSON {plain|caching}. KMS is found through
AWS_ENDPOINT_URL_KMS and the usual AWS variables. Reads commands ("encrypt", "decrypt") on
stdin, one per line, and answers each with one JSON line {"seconds": ...}: the time to encrypt
every value as its own message (or decrypt every message), measured here, so that process
start-up and imports are not counted.
"""

from __future__ import annotations

import json
import sys
import time

import aws_encryption_sdk
import botocore.session
from aws_encryption_sdk.identifiers import Algorithm, CommitmentPolicy

# The fastest configuration: the legacy master-key-provider API, and the suite without key
# derivation, key commitment or signatures (committing suites cannot be used with it, so the
# policy allows non-committing encryption).
SUITE = Algorithm.AES_256_GCM_IV12_TAG16
# The caching materials manager refuses to cache keys of suites without key derivation.
CACHING_SUITE = Algorithm.AES_256_GCM_IV12_TAG16_HKDF_SHA256


def main() -> None:
    key_arn, values_path, mode = sys.argv[1:4]
    with open(values_path, encoding="utf-8") as source:
        values = [value.encode("utf-8") for value in json.load(source)]
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    )
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(
        key_ids=[key_arn], botocore_session=botocore.session.Session()
    )
    if mode == "caching":
        # One data key reused for many messages: the SDK's own way to spare KMS calls.
        materials = aws_encryption_sdk.CachingCryptoMaterialsManager(
            master_key_provider=provider,
            cache=aws_encryption_sdk.LocalCryptoMaterialsCache(capacity=10),
            max_age=600.0,
            max_messages_encrypted=len(values) + 1,
        )
        keys = {"materials_manager": materials}
        suite = CACHING_SUITE
    else:
        keys = {"key_provider": provider}
        suite = SUITE
    messages: list[bytes] = []
    for command in sys.stdin:
        started = time.perf_counter()
        if command.strip() == "encrypt":
            messages = [
                client.encrypt(source=value, algorithm=suite, **keys)[0] for value in values
            ]
        elif command.strip() == "decrypt":
            plaintexts = [client.decrypt(source=message, **keys)[0] for message in messages]
            if plaintexts != values:
                raise SystemExit("the Encryption SDK did not give the values back")
        else:
            raise SystemExit(f"unknown command {command!r}")
        print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)


if __name__ == "__main__":
    main()
