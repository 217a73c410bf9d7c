"""PIICryptorService: a client for a remote PII cryptor service speaking the AMSDAL protocol.

`POST {base}/api/v1/encrypt` and `POST {base}/api/v1/decrypt` with `{"values": [...]}`,
answered by `{"values": [...]}` in the same order; header `X-CLIENT-ID` when a client id is
configured. Errors name the endpoint and the HTTP status, never a value, an answer body or
anything else the server chose (a body may echo the values it was sent).

The network is not trusted: redirects are refused (the client id and the values go to the
configured host only), the whole call has one deadline, the answer has a size limit, and an
answer of any other shape is an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import http.client
import json
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Sequence
from typing import Any

from pii_guard.config import check_http_url, load_settings
from pii_guard.cryptors.base import Contexts, check_ciphertexts, check_plaintexts
from pii_guard.errors import (
    FORGET_SECRETS,
    PIIConfigurationError,
    PIIKeyServiceError,
    PIIUsageError,
)
from pii_guard.wire import is_wire_value, wrap

_BASE_URL = "PII_GUARD_CRYPTOR_BASE_URL"
_CLIENT_ID = "PII_GUARD_CRYPTOR_CLIENT_ID"
_TIMEOUT = "PII_GUARD_CRYPTOR_TIMEOUT"
_MAX_RESPONSE = "PII_GUARD_CRYPTOR_MAX_RESPONSE_BYTES"
_CLIENT_CERT = "PII_GUARD_CRYPTOR_CLIENT_CERT"
_CLIENT_KEY = "PII_GUARD_CRYPTOR_CLIENT_KEY"
_READ_CHUNK = 64 * 1024


class PIICryptorService:
    """Sends each batch to the service in one request.

    `base_url` defaults to `PII_GUARD_CRYPTOR_BASE_URL` (or `AMSDAL_PII_CRYPTOR_BASE_URL`),
    `client_id` to `PII_GUARD_CRYPTOR_CLIENT_ID` (or `AMSDAL_PII_CRYPTOR_CLIENT_ID`),
    `timeout_seconds` (the deadline of a whole call: connecting, sending, reading the answer)
    to `PII_GUARD_CRYPTOR_TIMEOUT` (10), and `max_response_bytes` to
    `PII_GUARD_CRYPTOR_MAX_RESPONSE_BYTES` (64 MiB). For mTLS, `client_certificate` and
    `client_private_key` (PEM files; default `PII_GUARD_CRYPTOR_CLIENT_CERT` and
    `PII_GUARD_CRYPTOR_CLIENT_KEY`) are presented to an https service. The protocol has no
    authenticated context, so contexts are refused rather than ignored.
    """

    supports_context = False

    def __init__(
        self,
        base_url: str | None = None,
        client_id: str | None = None,
        *,
        timeout_seconds: float | None = None,
        max_response_bytes: int | None = None,
        client_certificate: str | None = None,
        client_private_key: str | None = None,
    ) -> None:
        self._base_url = base_url
        self._client_id = client_id
        self._timeout = timeout_seconds
        self._max_response = max_response_bytes
        self._certificate = client_certificate
        self._private_key = client_private_key
        self._tls: ssl.SSLContext | None = None
        self._initialized = False

    def __repr__(self) -> str:
        client = "<set>" if self._client_id else None
        return f"PIICryptorService(base_url={_shown(self._base_url)!r}, client_id={client})"

    def initialize(self) -> None:
        if self._initialized:
            return
        settings = load_settings()
        base_source = "the base_url argument"
        if self._base_url is None and settings.cryptor_base_url is not None:
            self._base_url = settings.cryptor_base_url.value
            base_source = settings.cryptor_base_url.variable
        if not self._base_url:
            raise PIIConfigurationError(
                f"PIICryptorService needs the service's address: set {_BASE_URL} "
                "(or AMSDAL_PII_CRYPTOR_BASE_URL), e.g. https://pii-cryptor.internal"
            )
        check_http_url(self._base_url, base_source)
        client_source = "the client_id argument"
        if self._client_id is None and settings.cryptor_client_id is not None:
            self._client_id = settings.cryptor_client_id.value
            client_source = settings.cryptor_client_id.variable
        if self._client_id is not None and not _header_safe(self._client_id):
            raise PIIConfigurationError(
                f"{client_source} must be printable ASCII without line breaks or other "
                "control characters (it is sent as the X-CLIENT-ID header)"
            )
        if self._timeout is None:
            self._timeout = settings.cryptor_timeout_seconds
        if not (isinstance(self._timeout, int | float) and 0 < self._timeout < float("inf")):
            raise PIIConfigurationError(f"{_TIMEOUT} must be a finite number greater than 0")
        if self._max_response is None:
            self._max_response = settings.cryptor_max_response_bytes
        if self._max_response < 1:
            raise PIIConfigurationError(f"{_MAX_RESPONSE} must be at least 1")
        self._tls = _tls_context(
            self._certificate or settings.cryptor_client_certificate,
            self._private_key or settings.cryptor_client_private_key,
        )
        self._base_url = self._base_url.rstrip("/")
        self._initialized = True

    def encrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        with FORGET_SECRETS:
            plaintexts = check_plaintexts(values)
            _refuse_contexts(contexts)
            if not plaintexts:
                return []
            answered = self._post("encrypt", plaintexts)
            for position, (value, plaintext) in enumerate(zip(answered, plaintexts, strict=True)):
                if not is_wire_value(value) or value == wrap(plaintext):
                    # Never store what might be plaintext where ciphertext belongs.
                    raise PIIKeyServiceError(
                        f"the PII cryptor service answered the value at position {position} "
                        "in a form that is not an encrypted PII value (#01#...#10#, not the "
                        "value itself in markers); refusing to use it"
                    )
            return answered

    def decrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        with FORGET_SECRETS:
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
        assert self._max_response is not None
        endpoint = f"{self._base_url}/api/v1/{operation}"
        where = f"the PII cryptor service ({operation} at {_shown(endpoint)})"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._client_id:
            headers["X-CLIENT-ID"] = self._client_id
        call = _Call(endpoint, self._timeout, self._max_response, where, self._tls)
        body = call.post(json.dumps({"values": values}).encode("utf-8"), headers)
        return _answered_values(body, len(values), where)


class _Call:
    """One POST under one deadline; no redirects, no proxies, a bounded answer."""

    def __init__(
        self,
        endpoint: str,
        timeout: float,
        max_response: int,
        where: str,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.parts = urllib.parse.urlsplit(endpoint)
        self.tls = tls
        self.timeout = timeout
        self.max_response = max_response
        self.where = where
        self.deadline = time.monotonic() + timeout
        self.expired = threading.Event()
        self.connection: http.client.HTTPConnection | None = None
        self.sock: socket.socket | None = None

    def post(self, body: bytes, headers: dict[str, str]) -> bytes:
        # A watchdog closes the connection at the deadline: socket timeouts alone bound each
        # read, and a server sending a byte a second would hold the call for ever.
        watchdog = threading.Timer(self.timeout, self._expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._exchange(body, headers)
        except PIIKeyServiceError:
            raise
        except Exception as error:
            raise self._failure(error) from None
        finally:
            watchdog.cancel()
            if self.connection is not None:
                self.connection.close()

    def _exchange(self, body: bytes, headers: dict[str, str]) -> bytes:
        host, port = self.parts.hostname or "", self.parts.port
        if self.parts.scheme == "https":
            self.connection = http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=self.tls or ssl.create_default_context()
            )
        else:
            self.connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
        self.connection.connect()
        # Ours to shut down at the deadline: the connection forgets its socket once the
        # answer's headers say the server will close it.
        self.sock = self.connection.sock
        if self.expired.is_set():
            raise self._late()
        path = self.parts.path or "/"
        self.connection.request("POST", path, body=body, headers=headers)
        response = self.connection.getresponse()
        if not 200 <= response.status < 300:
            # Only our name for the status: the reason phrase is the server's text.
            raise PIIKeyServiceError(
                f"{self.where} answered HTTP {response.status} {_status_name(response.status)}"
                + (
                    "; redirects are refused: set the service's own address"
                    if 300 <= response.status < 400
                    else ""
                )
            )
        declared = response.getheader("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_response:
            raise self._too_large()
        received = bytearray()
        while chunk := response.read(min(_READ_CHUNK, self.max_response + 1 - len(received))):
            received += chunk
            if len(received) > self.max_response:
                raise self._too_large()
        if self.expired.is_set():
            raise self._late()
        return bytes(received)

    def _expire(self) -> None:
        self.expired.set()
        sock = self.sock
        if sock is not None:
            # The plain socket's shutdown, also under TLS: it wakes the blocked read.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def _failure(self, error: Exception) -> PIIKeyServiceError:
        if self.expired.is_set() or isinstance(error, TimeoutError):
            return self._late()
        if isinstance(error, ssl.SSLError | ssl.CertificateError):
            return PIIKeyServiceError(
                f"{self.where} failed the TLS handshake ({type(error).__name__}): check the "
                "address and the service's certificate"
            )
        if isinstance(error, ConnectionError | socket.gaierror) or (
            isinstance(error, OSError) and error.errno is not None
        ):
            reason = error.strerror if isinstance(error, OSError) and error.strerror else ""
            return PIIKeyServiceError(
                f"{self.where} could not be reached: {reason or type(error).__name__}"
            )
        return PIIKeyServiceError(
            f"{self.where} answered something that is not HTTP ({type(error).__name__})"
        )

    def _late(self) -> PIIKeyServiceError:
        return PIIKeyServiceError(f"{self.where} did not answer within {self.timeout:g}s")

    def _too_large(self) -> PIIKeyServiceError:
        return PIIKeyServiceError(
            f"{self.where} answered more than {self.max_response} bytes; refusing to read it "
            f"(raise {_MAX_RESPONSE} if batches this large are expected)"
        )


def _tls_context(certificate: str | None, private_key: str | None) -> ssl.SSLContext | None:
    """The default TLS context with the client certificate for mTLS (None without one)."""
    if certificate is None:
        if private_key is not None:
            raise PIIConfigurationError(
                f"{_CLIENT_KEY} is set without {_CLIENT_CERT}: set both (PEM files) or neither"
            )
        return None
    context = ssl.create_default_context()
    try:
        context.load_cert_chain(certificate, private_key)
    except (OSError, ssl.SSLError) as error:
        raise PIIConfigurationError(
            f"{_CLIENT_CERT} (and {_CLIENT_KEY}) must name a readable PEM certificate and its "
            f"private key ({type(error).__name__})"
        ) from None
    return context


def _status_name(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "(unknown status)"


def _header_safe(value: str) -> bool:
    return value.isascii() and value.isprintable()


def _shown(url: str | None) -> str | None:
    """`url` without credentials, for reprs and messages."""
    if url is None:
        return None
    try:
        parts = urllib.parse.urlsplit(url)
        if "@" not in parts.netloc:
            return url
        host = parts.netloc.rpartition("@")[2]
        return urllib.parse.urlunsplit(parts._replace(netloc=f"***@{host}"))
    except ValueError:
        return "<invalid address>"


def _answered_values(body: bytes, expected: int, where: str) -> list[str]:
    try:
        answer: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
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
