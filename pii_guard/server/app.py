"""The Starlette application: the AMSDAL protocol's two routes, health, readiness and metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import botocore.exceptions
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pii_guard.errors import PIIDecryptionError, PIIEncryptionError, PIIKeyServiceError
from pii_guard.server.audit import audit, configure_audit_log
from pii_guard.server.auth import authenticate, peer_certificate, token_matches
from pii_guard.server.body import BadRequest, parse_values, read_limited, values_answer
from pii_guard.server.cryptors import client_context, client_cryptors, kms_client
from pii_guard.server.metrics import CONTENT_TYPE, Metrics
from pii_guard.server.proxy import forwarded_certificate, is_trusted_proxy
from pii_guard.server.settings import ServerSettings

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

    from pii_guard.cryptors.kms import KMSEnvelopeCryptor



# Batches up to this size are encrypted on the event loop when no KMS call is needed: about
# 2-3 us a value, so the loop is held for well under a millisecond.
INLINE_VALUES = 200


class CryptorService:
    """The request handling, with what it needs: settings, cryptors, KMS client, metrics."""

    def __init__(
        self,
        settings: ServerSettings,
        kms: KMSClient,
        cryptors: Mapping[str, KMSEnvelopeCryptor],
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.kms = kms
        self.cryptors = cryptors
        self.metrics = metrics

    async def encrypt(self, request: Request) -> Response:
        return await self._handle(request, "encrypt")

    async def decrypt(self, request: Request) -> Response:
        return await self._handle(request, "decrypt")

    async def _handle(self, request: Request, operation: str) -> Response:
        started = time.perf_counter()
        client_id: str | None = None
        count: int | None = None
        try:
            headers = request.headers
            client = authenticate(
                self.settings.clients,
                headers.get("x-client-id"),
                headers.get("authorization"),
                self._certificate(request),
            )
            if client is None:
                raise BadRequest(401, "unauthorized")  # the same for every reason
            client_id = client.client_id
            if operation not in client.permissions:
                raise BadRequest(403, "forbidden")
            limits = client.limits
            async with asyncio.timeout(limits.deadline_seconds):
                body = await read_limited(
                    request.stream(), request.headers.get("content-length"), limits.max_body_bytes
                )
                values = parse_values(body, operation, limits)
                count = len(values)
                answered = await self._crypt(client_id, operation, values)
        except BadRequest as refused:
            return self._answer(
                refused.answer(),
                refused.status,
                client_id,
                operation,
                count,
                started,
                _outcome(refused.status),
                refused.position,
            )
        except TimeoutError:
            error = {"error": "the request did not complete within its deadline"}
            return self._answer(error, 504, client_id, operation, count, started, "deadline")
        except ClientDisconnect:
            return self._answer({}, 400, client_id, operation, count, started, "disconnected")
        except Exception as failure:  # never a traceback, never a value: a counted failure
            error = {"error": "internal error"}
            outcome = f"error:{type(failure).__name__}"
            return self._answer(error, 500, client_id, operation, count, started, outcome)
        self.metrics.values_done(operation, len(answered))
        self._record(client_id, operation, count, started, 200, "ok")
        return Response(values_answer(answered), media_type="application/json")

    def _certificate(self, request: Request) -> tuple[str | None, str | None]:
        """The verified client certificate's fingerprint and subject: from the trusted proxy's
        header when the request comes from the proxy, else from this connection's TLS."""
        proxy = self.settings.proxy
        if proxy is not None and is_trusted_proxy(proxy, request.scope.get("client")):
            return forwarded_certificate(proxy, request.headers.getlist(proxy.header))
        return peer_certificate(request.scope.get("extensions", {}).get("tls"))

    async def _crypt(self, client_id: str, operation: str, values: list[str]) -> list[str]:
        cryptor = self.cryptors[client_id]
        contexts = [client_context(self.settings.clients[client_id].context)] * len(values)
        if not values:
            return []
        try:
            if len(values) <= INLINE_VALUES:
                # No KMS call needed (reused key, cached keys): a short CPU task, done here
                # rather than paying the hop to a thread; anything else goes to a thread, so
                # a slow KMS never blocks the event loop.
                quick = (
                    cryptor.encrypt_without_key_service(values, contexts)
                    if operation == "encrypt"
                    else cryptor.decrypt_without_key_service(values, contexts)
                )
                if quick is not None:
                    return quick
            if operation == "encrypt":
                return await asyncio.to_thread(cryptor.encrypt, values, contexts)
            return await asyncio.to_thread(cryptor.decrypt, values, contexts)
        except PIIKeyServiceError:
            raise BadRequest(503, "the key service is unavailable; retry later") from None
        except PIIDecryptionError as failed:
            position = failed.position
            raise BadRequest(
                422,
                f"the value at position {position} cannot be decrypted for this client: it "
                "is not a ciphertext of this service, was changed, or belongs to another client",
                position,
            ) from None
        except PIIEncryptionError:
            position = _unencodable(values)
            raise BadRequest(
                400,
                f"the value at position {position} cannot be encrypted: it is not valid "
                "Unicode text (a lone surrogate)",
                position,
            ) from None

    def _answer(
        self,
        body: dict[str, Any],
        status: int,
        client_id: str | None,
        operation: str,
        count: int | None,
        started: float,
        outcome: str,
        position: int | None = None,
    ) -> Response:
        self._record(client_id, operation, count, started, status, outcome, position)
        return JSONResponse(body, status_code=status)

    def _record(
        self,
        client_id: str | None,
        operation: str,
        count: int | None,
        started: float,
        status: int,
        outcome: str,
        position: int | None = None,
    ) -> None:
        """The request's metrics and audit line."""
        elapsed = time.perf_counter() - started
        self.metrics.answered(operation, outcome.partition(":")[0], elapsed)
        audit(
            client=client_id,
            operation=operation,
            count=count,
            outcome=outcome,
            status=status,
            duration_seconds=elapsed,
            position=position,
        )

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    def _monitoring_refused(self, request: Request) -> Response | None:
        """401 unless the request carries the monitoring token (when one is configured)."""
        expected = self.settings.monitoring_token_sha256
        if expected is None or token_matches(request.headers.get("authorization"), expected):
            return None
        return JSONResponse(
            {"error": "unauthorized"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    async def readyz(self, request: Request) -> Response:
        """Ready when KMS answers DescribeKey for every client's key within the KMS timeout."""
        refused = self._monitoring_refused(request)
        if refused is not None:
            return refused
        keys = sorted({client.kms_key_id for client in self.settings.clients.values()})
        try:
            async with asyncio.timeout(self.settings.kms_timeout_seconds * 2):
                for key in keys:
                    await asyncio.to_thread(self.kms.describe_key, KeyId=key)
        except (TimeoutError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
            return JSONResponse({"status": "KMS does not answer for every key"}, status_code=503)
        return JSONResponse({"status": "ready", "keys": len(keys)})

    async def metrics_page(self, request: Request) -> Response:
        refused = self._monitoring_refused(request)
        if refused is not None:
            return refused
        return Response(self.metrics.exposition(), media_type=CONTENT_TYPE)


def _outcome(status: int) -> str:
    return {
        401: "unauthorized",
        403: "forbidden",
        413: "too_large",
        422: "undecryptable",
        503: "kms_unavailable",
    }.get(status, "bad_request")


def _unencodable(values: list[str]) -> int | None:
    for position, value in enumerate(values):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return position
    return None


def create_app(settings: ServerSettings, metrics: Metrics | None = None) -> Starlette:
    """The service for `settings`: KMS client and cryptors are made here, so a bad
    configuration fails before the server listens."""
    configure_audit_log()
    metrics = metrics or Metrics()
    kms = kms_client(settings, metrics.kms_call)
    service = CryptorService(settings, kms, client_cryptors(settings, kms), metrics)
    routes = [
        Route("/api/v1/encrypt", service.encrypt, methods=["POST"]),
        Route("/api/v1/decrypt", service.decrypt, methods=["POST"]),
        Route("/healthz", service.healthz, methods=["GET"]),
        Route("/readyz", service.readyz, methods=["GET"]),
        Route("/metrics", service.metrics_page, methods=["GET"]),
    ]
    return Starlette(routes=routes)
