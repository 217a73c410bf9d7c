"""One KMSEnvelopeCryptor per client: its own KMS key, data key reuse and unwrapped key cache.

Every value is sealed with the client id as its context (AES-GCM associated data), so a value
encrypted for one client fails authentication for any other, even one sharing its KMS key
(unless both set the same `value_context` on purpose: a writer and a reader of the same data).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pii_guard.config import load_settings
from pii_guard.cryptors.keycache import DataKeyCache
from pii_guard.cryptors.keyreuse import DataKeyReuse
from pii_guard.cryptors.kms import KMSEnvelopeCryptor, _client_from_settings
from pii_guard.server.settings import ServerSettings

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


def client_context(context: str) -> str:
    return f"pii-guard serve client:{context}"


def kms_client(settings: ServerSettings, on_call: Callable[[str], None]) -> KMSClient:
    """The service's one boto3 KMS client (thread-safe); `on_call` hears each operation."""
    env = load_settings()
    client = _client_from_settings(
        endpoint_url=settings.kms_endpoint_url or env.kms_endpoint_url,
        region=settings.kms_region or env.aws_region,
        timeout_seconds=settings.kms_timeout_seconds,
        retry_mode=env.aws_retry_mode,
    )

    def count(model: Any, **_: Any) -> None:
        on_call(str(model.name))

    client.meta.events.register("before-call.kms", count)
    return client


def client_cryptors(
    settings: ServerSettings, client: KMSClient
) -> Mapping[str, KMSEnvelopeCryptor]:
    """A ready cryptor per client id (initialized: a bad key id fails at start)."""
    keys = settings.keys
    cryptors = {}
    for client_id, client_settings in settings.clients.items():
        cryptor = KMSEnvelopeCryptor(
            client_settings.kms_key_id,
            client=client,
            decrypt_key_ids=(),
            data_key_cache=DataKeyCache(
                max_keys=keys.cache_size, max_age_seconds=keys.cache_seconds
            ),
            data_key_reuse=DataKeyReuse(
                max_age_seconds=keys.reuse_seconds, max_values=keys.reuse_values
            ),
        )
        cryptor.initialize()
        cryptors[client_id] = cryptor
    return cryptors
