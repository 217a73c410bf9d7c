"""KMSEnvelopeCryptor: envelope encryption with data keys from AWS KMS (the default cryptor)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions
from botocore.config import Config

from pii_guard.config import kms_key_ids, load_settings
from pii_guard.cryptors.botocore_logs import install_botocore_redaction
from pii_guard.cryptors.envelope import DATA_KEY_BYTES, DataKey, EnvelopeCryptor
from pii_guard.cryptors.keycache import MAX_CACHE_SECONDS, DataKeyCache, scope_of
from pii_guard.cryptors.keypin import KeyPin
from pii_guard.cryptors.keyreuse import DataKeyReuse
from pii_guard.errors import (
    PIIConfigurationError,
    PIIDecryptionError,
    PIIGuardError,
    PIIKeyServiceError,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

# KMS answers these when a data key cannot be unwrapped by us: the value is undecryptable,
# whatever the reason (tampered key blob, another account's key, a key we may not use).
UNDECRYPTABLE_KEY_ERRORS = frozenset(
    {
        "InvalidCiphertextException",
        "IncorrectKeyException",
        "AccessDeniedException",
        "NotFoundException",
        "DisabledException",
        "KMSInvalidStateException",
    }
)


# The encryption context of wrapped index keys: KMS binds the blob to this purpose.
_INDEX_KEY_CONTEXT = {"pii-guard": "index key"}


class KMSEnvelopeCryptor(EnvelopeCryptor):
    """One KMS `GenerateDataKey` per `encrypt` call, one KMS `Decrypt` per distinct data key.

    Pass a ready boto3 KMS `client` to control endpoint, credentials and retries; otherwise one
    is built from `PII_GUARD_KMS_ENDPOINT_URL`, `PII_GUARD_KMS_TIMEOUT` and the usual AWS
    variables. `key_id` defaults to `PII_GUARD_KMS_KEY_ID`. `data_key_cache` (default: none, or
    `PII_GUARD_DATA_KEY_CACHE_SIZE` keys) lets decrypt calls share unwrapped data keys;
    `data_key_reuse` (default: none, or `PII_GUARD_DATA_KEY_REUSE_VALUES` values and
    `PII_GUARD_DATA_KEY_REUSE_SECONDS`) lets encrypt calls share a data key within bounds.

    `decrypt` accepts only data keys made under `key_id` or one of `decrypt_key_ids` (default:
    `PII_GUARD_KMS_DECRYPT_KEY_IDS`), earlier keys whose values are still to be rewrapped: a
    value under any other KMS key the caller may use is a PIIDecryptionError.
    """

    def __init__(
        self,
        key_id: str | None = None,
        client: KMSClient | None = None,
        *,
        data_key_cache: DataKeyCache | None = None,
        decrypt_key_ids: Sequence[str] | None = None,
        data_key_reuse: DataKeyReuse | None = None,
    ) -> None:
        super().__init__()
        self._key_id = key_id
        self._client = client
        self._cache = data_key_cache
        if data_key_reuse is not None:
            data_key_reuse.claim(self)
            self._reuse = data_key_reuse
        if isinstance(decrypt_key_ids, str):
            raise PIIConfigurationError(
                "decrypt_key_ids must be a list of KMS key ids, ARNs or aliases, not one string"
            )
        self._decrypt_key_ids = (
            None if decrypt_key_ids is None else kms_key_ids(decrypt_key_ids, "decrypt_key_ids")
        )
        self._pin: KeyPin | None = None
        self._cache_scope = ""
        install_botocore_redaction()

    @property
    def key_id(self) -> str | None:
        return self._key_id

    @property
    def decrypt_key_ids(self) -> tuple[str, ...] | None:
        """The earlier keys `decrypt` accepts besides `key_id` (None until configured)."""
        return self._decrypt_key_ids

    def __repr__(self) -> str:
        earlier = f", decrypt_key_ids={self._decrypt_key_ids!r}" if self._decrypt_key_ids else ""
        reuse = f", reuse={self._reuse!r}" if self._reuse is not None else ""
        return f"KMSEnvelopeCryptor(key_id={self._key_id!r}{earlier}, cache={self._cache!r}{reuse})"

    def _configure(self) -> None:
        settings = load_settings()
        if self._key_id is None:
            self._key_id = settings.kms_key_id
        if not self._key_id:
            raise PIIConfigurationError(
                "KMSEnvelopeCryptor needs a KMS key: set PII_GUARD_KMS_KEY_ID to a key id, "
                "ARN or alias (or choose another cryptor with PII_GUARD_CRYPTO_SERVICE)"
            )
        if self._decrypt_key_ids is None:
            self._decrypt_key_ids = settings.kms_decrypt_key_ids
        self._pin = KeyPin((self._key_id, *self._decrypt_key_ids), self._alias_target)
        if self._cache is None and settings.data_key_cache_size > 0:
            if not 0 < settings.data_key_cache_seconds <= MAX_CACHE_SECONDS:
                raise PIIConfigurationError(
                    "PII_GUARD_DATA_KEY_CACHE_SECONDS must be greater than 0 and at most "
                    f"{MAX_CACHE_SECONDS:g}"
                )
            self._cache = DataKeyCache(
                max_keys=settings.data_key_cache_size,
                max_age_seconds=settings.data_key_cache_seconds,
            )
        if self._reuse is None and settings.data_key_reuse_values > 0:
            self._reuse = DataKeyReuse(
                max_age_seconds=settings.data_key_reuse_seconds,
                max_values=settings.data_key_reuse_values,
            )
            self._reuse.claim(self)
        if self._client is None:
            self._client = _client_from_settings(
                endpoint_url=settings.kms_endpoint_url,
                region=settings.aws_region,
                timeout_seconds=settings.kms_timeout_seconds,
                retry_mode=settings.aws_retry_mode,
            )
        # Cached keys are shared only with cryptors using the same client (so the same
        # credentials): KMS authorised this client to unwrap them, not any other.
        self._cache_scope = scope_of(self._client)

    def _kms(self) -> KMSClient:
        assert self._client is not None, "initialize() sets the client"
        return self._client

    def _new_data_key(self) -> DataKey:
        assert self._key_id is not None, "initialize() sets the key id"
        try:
            answer = self._kms().generate_data_key(KeyId=self._key_id, KeySpec="AES_256")
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise PIIKeyServiceError(
                f"KMS GenerateDataKey with key {self._key_id!r} failed: {_describe(error)}"
            ) from error
        plaintext, encrypted = answer.get("Plaintext"), answer.get("CiphertextBlob")
        if not isinstance(plaintext, bytes) or not isinstance(encrypted, bytes) or not encrypted:
            raise PIIKeyServiceError(
                "KMS GenerateDataKey answered without a data key (Plaintext and "
                "CiphertextBlob): the endpoint is not KMS, or a proxy changed the answer"
            )
        if len(plaintext) != DATA_KEY_BYTES:
            raise PIIKeyServiceError(
                f"KMS GenerateDataKey returned a {len(plaintext)}-byte key, expected "
                f"{DATA_KEY_BYTES}"
            )
        return DataKey(plaintext=plaintext, encrypted=encrypted)

    def wrap_index_key(self, key: bytes) -> bytes:
        """`key` (an index key) encrypted by KMS under `key_id` (one `Encrypt`)."""
        self.initialize()
        assert self._key_id is not None, "initialize() sets the key id"
        try:
            answer = self._kms().encrypt(
                KeyId=self._key_id, Plaintext=key, EncryptionContext=_INDEX_KEY_CONTEXT
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise PIIKeyServiceError(
                f"KMS Encrypt of an index key with key {self._key_id!r} failed: {_describe(error)}"
            ) from error
        wrapped = answer.get("CiphertextBlob")
        if not isinstance(wrapped, bytes) or not wrapped:
            raise PIIKeyServiceError("KMS Encrypt answered without a CiphertextBlob")
        return wrapped

    def unwrap_index_key(self, wrapped: bytes) -> bytes:
        """The index key of a keyring entry (one KMS `Decrypt`, with its encryption context:
        a data key's blob never passes for an index key)."""
        self.initialize()
        assert self._pin is not None, "initialize() sets the pin"
        pin = self._pin
        key, arn = self._kms_decrypt(
            wrapped,
            pin.only_alias,
            lambda code: PIIConfigurationError(
                f"KMS refused to unwrap an index key of the keyring ({code}): it was made "
                "under another KMS key or account, changed, or the caller lacks kms:Decrypt"
            ),
            "the index key",
            EncryptionContext=_INDEX_KEY_CONTEXT,
        )
        if pin.only_alias is None and not pin.knows(arn) and pin.aliases:
            pin.resolve_aliases()
        if pin.only_alias is None and not pin.knows(arn):
            # Like data keys: an index key made under a KMS key we were not configured for
            # could be one an attacker knows.
            raise PIIConfigurationError(
                "an index key of the keyring was wrapped under a KMS key this cryptor does not "
                "accept (PII_GUARD_KMS_KEY_ID, PII_GUARD_KMS_DECRYPT_KEY_IDS); make the keyring "
                "with pii-guard keys new under the configured key"
            )
        return key

    def _unwrap_data_keys(self, first_positions: Mapping[bytes, int]) -> dict[bytes, bytes]:
        assert self._pin is not None, "initialize() sets the pin"
        pin = self._pin
        keys: dict[bytes, bytes] = {}
        refreshed = False  # aliases are resolved again at most once a call, on a mismatch
        for encrypted, position in first_positions.items():
            cached = (
                self._cache.get(encrypted, self._cache_scope) if self._cache is not None else None
            )
            # A hit is used only under a key the pin accepts: the cache may be shared with a
            # cryptor pinned otherwise, or filled before an alias moved.
            if cached is not None and pin.knows(cached[1]):
                keys[encrypted] = cached[0]
                continue
            key, arn = self._decrypt_data_key(encrypted, position, pin.only_alias)
            if pin.only_alias is not None:
                pin.confirmed(arn)  # KMS checked the alias itself
            elif not pin.knows(arn):
                if pin.aliases and not refreshed:
                    pin.resolve_aliases()
                    refreshed = True
                if not pin.knows(arn):
                    raise PIIDecryptionError(
                        f"its data key was made under KMS key {arn}, which this cryptor does "
                        f"not accept (it accepts {', '.join(pin.identifiers)}): if that is an "
                        "earlier key of yours, add it to PII_GUARD_KMS_DECRYPT_KEY_IDS until the "
                        "values are rewrapped; otherwise the value was not written by this "
                        "application",
                        position,
                    )
            if len(key) != DATA_KEY_BYTES:
                raise PIIDecryptionError(
                    f"its data key is {len(key)} bytes, expected {DATA_KEY_BYTES}", position
                )
            keys[encrypted] = key
            if self._cache is not None:
                self._cache.put(encrypted, key, arn, self._cache_scope)
        return keys

    def _cached_data_keys(self, first_positions: Mapping[bytes, int]) -> dict[bytes, bytes] | None:
        """Every data key from the cache, under a key the pin accepts, or None."""
        if self._cache is None or self._pin is None:
            return None
        keys: dict[bytes, bytes] = {}
        for encrypted in first_positions:
            cached = self._cache.get(encrypted, self._cache_scope)
            if cached is None or not self._pin.knows(cached[1]):
                return None
            keys[encrypted] = cached[0]
        return keys

    def _decrypt_data_key(
        self, encrypted: bytes, position: int, only_alias: str | None
    ) -> tuple[bytes, str]:
        """The plaintext data key and the ARN of the KMS key that unwrapped it; with
        `only_alias`, KMS itself refuses a data key made under a key the alias does not name."""
        return self._kms_decrypt(
            encrypted,
            only_alias,
            lambda code: PIIDecryptionError(
                f"KMS refused to decrypt its data key ({code}): the key was tampered with, "
                "was made under a KMS key this cryptor does not accept (the configured key "
                "and PII_GUARD_KMS_DECRYPT_KEY_IDS), or the caller lacks kms:Decrypt",
                position,
            ),
        )

    def _kms_decrypt(
        self,
        blob: bytes,
        only_alias: str | None,
        refused: Callable[[str], PIIGuardError],
        what: str = "the data key",
        **options: Any,
    ) -> tuple[bytes, str]:
        """One KMS `Decrypt`: the plaintext and the ARN of the key that unwrapped it. KMS
        refusing the blob itself raises `refused(code)`; any other failure is a key-service
        error. With `only_alias`, KMS checks the key against the alias itself."""
        if only_alias is not None:
            options["KeyId"] = only_alias
        try:
            answer = self._kms().decrypt(CiphertextBlob=blob, **options)
        except botocore.exceptions.ClientError as error:
            code = _error_code(error)
            if code in UNDECRYPTABLE_KEY_ERRORS:
                raise refused(code) from None
            raise PIIKeyServiceError(f"KMS Decrypt failed: {_describe(error)}") from error
        except botocore.exceptions.BotoCoreError as error:
            raise PIIKeyServiceError(f"KMS Decrypt failed: {_describe(error)}") from error
        key, arn = answer.get("Plaintext"), answer.get("KeyId")
        if not isinstance(key, bytes) or not isinstance(arn, str):
            raise PIIKeyServiceError(
                f"KMS Decrypt answered without {what} and the key ARN (Plaintext and KeyId): "
                "the endpoint is not KMS, or a proxy changed the answer"
            )
        return key, arn

    def _alias_target(self, alias: str) -> str | None:
        """The ARN of the key `alias` names now (None when the alias does not exist)."""
        try:
            answer = self._kms().describe_key(KeyId=alias)
        except botocore.exceptions.ClientError as error:
            if _error_code(error) == "NotFoundException":
                return None
            raise PIIKeyServiceError(
                f"KMS DescribeKey of {alias!r} failed: {_describe(error)}; checking which key "
                "an accepted alias names needs kms:DescribeKey (or list key ids or ARNs in "
                "PII_GUARD_KMS_DECRYPT_KEY_IDS instead of aliases)"
            ) from error
        except botocore.exceptions.BotoCoreError as error:
            raise PIIKeyServiceError(
                f"KMS DescribeKey of {alias!r} failed: {_describe(error)}"
            ) from error
        metadata: Any = answer.get("KeyMetadata")
        arn = metadata.get("Arn") if isinstance(metadata, dict) else None
        if not isinstance(arn, str):
            raise PIIKeyServiceError(
                f"KMS DescribeKey of {alias!r} answered without the key's ARN: the endpoint is "
                "not KMS, or a proxy changed the answer"
            )
        return arn


def _client_from_settings(
    endpoint_url: str | None, region: str | None, timeout_seconds: float, retry_mode: str | None
) -> KMSClient:
    session = boto3.session.Session()
    region = region or session.region_name
    if not region:
        raise PIIConfigurationError(
            "KMSEnvelopeCryptor needs an AWS region: set AWS_REGION (or AWS_DEFAULT_REGION)"
        )
    if session.get_credentials() is None:
        raise PIIConfigurationError(
            "KMSEnvelopeCryptor found no AWS credentials: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an IAM role"
        )
    # botocore's "standard" mode retries throttling, transient errors and timeouts with
    # exponential backoff and jitter; its default "legacy" mode does not back off as well.
    # AWS_RETRY_MODE chooses another mode, AWS_MAX_ATTEMPTS the attempts (default 3).
    retries: Any = {} if retry_mode else {"mode": "standard"}
    config = Config(connect_timeout=timeout_seconds, read_timeout=timeout_seconds, retries=retries)
    client: KMSClient = session.client(
        "kms", region_name=region, endpoint_url=endpoint_url, config=config
    )
    return client


def _error_code(error: botocore.exceptions.ClientError) -> str:
    response: Any = error.response
    return str(response.get("Error", {}).get("Code", "unknown error"))


# What a KMS error code means for the caller, in words.
_CAUSES = {
    "ThrottlingException": "KMS throttled the request and the retries ran out",
    "LimitExceededException": "KMS throttled the request and the retries ran out",
    "AccessDeniedException": "access denied: the caller may not use this KMS key",
    "NotFoundException": "the KMS key does not exist (or not in this account and region)",
    "DisabledException": "the KMS key is disabled",
    "KMSInvalidStateException": "the KMS key is not usable in its state (pending deletion?)",
    "KMSInternalException": "KMS failed internally and the retries ran out",
    "DependencyTimeoutException": "KMS timed out internally and the retries ran out",
}


_UNREACHABLE = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
)


def _describe(error: Exception) -> str:
    """The cause in words, then botocore's own text (KMS requests and answers carry key ids,
    blobs and error codes, never PII values; data keys are not part of error texts)."""
    if isinstance(error, botocore.exceptions.ClientError):
        code = _error_code(error)
        cause = _CAUSES.get(code, "KMS refused the request")
        return f"{cause} ({code}: {error})"
    if isinstance(error, botocore.exceptions.ReadTimeoutError):
        cause = "KMS did not answer within the read timeout"
    elif isinstance(error, botocore.exceptions.ConnectTimeoutError):
        cause = "the KMS endpoint did not accept a connection within the connect timeout"
    elif isinstance(error, _UNREACHABLE):
        cause = "the KMS endpoint cannot be reached"
    elif isinstance(error, botocore.exceptions.NoCredentialsError):
        cause = "no AWS credentials were found"
    else:
        cause = "the KMS call failed"
    return f"{cause} ({type(error).__name__}: {error})"
