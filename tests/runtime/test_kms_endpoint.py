"""The local KMS endpoint behaves like KMS for what the cryptor relies on."""

from __future__ import annotations

from typing import Any


def test_data_key_generated_by_kms_decrypts_back_to_the_same_key(
    kms_client: Any, kms_key_id: str
) -> None:
    generated = kms_client.generate_data_key(KeyId=kms_key_id, KeySpec="AES_256")
    assert len(generated["Plaintext"]) == 32

    decrypted = kms_client.decrypt(CiphertextBlob=generated["CiphertextBlob"])

    assert decrypted["Plaintext"] == generated["Plaintext"]
    assert decrypted["KeyId"].endswith(kms_key_id)


def test_two_data_keys_differ(kms_client: Any, kms_key_id: str) -> None:
    first = kms_client.generate_data_key(KeyId=kms_key_id, KeySpec="AES_256")
    second = kms_client.generate_data_key(KeyId=kms_key_id, KeySpec="AES_256")
    assert first["Plaintext"] != second["Plaintext"]
    assert first["CiphertextBlob"] != second["CiphertextBlob"]
