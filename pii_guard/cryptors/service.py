"""PIICryptorService: a client for a remote PII cryptor service speaking the AMSDAL protocol.

`POST {base}/api/v1/encrypt` and `POST {base}/api/v1/decrypt` with `{"values": [...]}`,
answered by `{"values": [...]}` in the same order; header `X-CLIENT-ID` when a client id is
configured. Errors name the endpoint and the HTTP status, never a value or an answer body
(a body may echo the values it was sent).
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from pii_guard.config import load_settings
from pii_guard.cryptors.base import Contexts, check_ciphertexts, check_plaintexts
from pii_guard.errors import PIIConfigurationError, PIIKeyServiceError, PIIUsageError
from pii_guard.wire import is_wire_value


class PIICryptorService:
    """Sends each batch to the service in one request.

    `base_url` defaults to `PII_GUARD_CRYPTOR_BASE_URL` (or `AMSDAL_PII_CRYPTOR_BASE_URL`),
    `client_id` to `PII_GUARD_CRYPTOR_CLIENT_ID` (or `AMSDAL_PII_CRYPTOR_CLIENT_ID`), and
    `timeout_seconds` to `PII_GUARD_CRYPTOR_TIMEOUT` (10). The protocol has no authenticated
    context, so contexts are refused rather than ignored.
    """

    supports_context = False

    def __init__(
        self,
        base_url: str | None = None,
        client_id: str | None = None,
        *,
        timeout_seconds: float | None = None,
    ) -> None:
        self._base_url = base_url
        self._client_id = client_id
        self._timeout = timeout_seconds
        self._initialized = False

    def __repr__(self) -> str:
        client = "<set>" if self._client_id else None
        return f"PIICryptorService(base_url={self._base_url!r}, client_id={client})"

    def initialize(self) -> None:
        if self._initialized:
            return
        settings = load_settings()
        if self._base_url is None and settings.cryptor_base_url is not None:
            self._base_url = settings.cryptor_base_url.value
        if not self._base_url:
            raise PIIConfigurationError(
                "PIICryptorService needs the service's address: set PII_GUARD_CRYPTOR_BASE_URL "
                "(or AMSDAL_PII_CRYPTOR_BASE_URL), e.g. https://pii-cryptor.internal"
            )
        scheme = urllib.parse.urlsplit(self._base_url).scheme
        if scheme not in ("http", "https"):
            raise PIIConfigurationError(
                "PII_GUARD_CRYPTOR_BASE_URL must be an http:// or https:// address"
            )
        self._base_url = self._base_url.rstrip("/")
        if self._client_id is None:
            self._client_id = settings.cryptor_client_id
        if self._timeout is None:
            self._timeout = settings.cryptor_timeout_seconds
        if self._timeout <= 0:
            raise PIIConfigurationError("PII_GUARD_CRYPTOR_TIMEOUT must be greater than 0")
        self._initialized = True

    def encrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        plaintexts = check_plaintexts(values)
        _refuse_contexts(contexts)
        if not plaintexts:
            return []
        answered = self._post("encrypt", plaintexts)
        for position, value in enumerate(answered):
            if not is_wire_value(value):
                # Never store what might be plaintext where ciphertext belongs.
                raise PIIKeyServiceError(
                    f"the PII cryptor service answered the value at position {position} in a "
                    "form that is not a stored PII value (#01#...#10#); refusing to use it"
                )
        return answered

    def decrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        ciphertexts = check_ciphertexts(values)
        _refuse_contexts(contexts)
        if not ciphertexts:
            return []
        return self._post("decrypt", ciphertexts)

    async def aencrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        return await asyncio.to_thread(self.encrypt, values, contexts)

    async def adecrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        return await asyncio.to_thread(self.decrypt, values, contexts)

    def is_ciphertext(self, value: str) -> bool:
        return is_wire_value(value)

    def _post(self, operation: str, values: list[str]) -> list[str]:
        self.initialize()
        assert self._base_url is not None and self._timeout is not None
        endpoint = f"{self._base_url}/api/v1/{operation}"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._client_id:
            headers["X-CLIENT-ID"] = self._client_id
        request = urllib.request.Request(
            endpoint,
            data=json.dumps({"values": values}).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        where = f"the PII cryptor service ({operation} at {endpoint})"
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            error.close()
            raise PIIKeyServiceError(
                f"{where} answered HTTP {error.code} {error.reason}"
            ) from None
        except TimeoutError:
            raise PIIKeyServiceError(
                f"{where} did not answer within {self._timeout:g}s"
            ) from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError):
                raise PIIKeyServiceError(
                    f"{where} did not answer within {self._timeout:g}s"
                ) from None
            raise PIIKeyServiceError(f"{where} could not be reached: {reason}") from None
        except OSError as error:
            raise PIIKeyServiceError(f"{where} failed: {error.strerror or error}") from None
        return _answered_values(body, len(values), where)


def _answered_values(body: bytes, expected: int, where: str) -> list[str]:
    try:
        answer: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PIIKeyServiceError(f"{where} answered a body that is not JSON") from None
    values = answer.get("values") if isinstance(answer, dict) else None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise PIIKeyServiceError(f'{where} answered JSON without a "values" list of strings')
    if len(values) != expected:
        raise PIIKeyServiceError(f"{where} answered {len(values)} values for {expected}")
    return values


def _refuse_contexts(contexts: Contexts | None) -> None:
    if contexts is not None and any(context is not None for context in contexts):
        raise PIIUsageError(
            "PIICryptorService cannot bind values to a context (the service protocol has no "
            "associated data); use KMSEnvelopeCryptor or LocalKeyCryptor for contexts"
        )
