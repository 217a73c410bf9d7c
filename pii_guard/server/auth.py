"""Who a request is: the X-CLIENT-ID header, proven by a bearer token and/or a certificate."""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from pii_guard.server.settings import ClientSettings


def authenticate(
    clients: Mapping[str, ClientSettings],
    client_id: str | None,
    authorization: str | None,
    tls: Mapping[str, Any] | None,
) -> ClientSettings | None:
    """The client the request proves to be, or None. Every method configured for the client
    must pass: a token hash and a certificate both configured means both are required."""
    if not client_id:
        return None
    client = clients.get(client_id)
    if client is None:
        return None
    ok = True
    if client.token_sha256 is not None:
        token = _bearer(authorization)
        digest = hashlib.sha256(token.encode()).hexdigest() if token else ""
        ok &= hmac.compare_digest(digest, client.token_sha256)
    if client.certificate_sha256 is not None or client.certificate_subject is not None:
        fingerprint, subject = peer_certificate(tls)
        if client.certificate_sha256 is not None:
            ok &= hmac.compare_digest(fingerprint or "", client.certificate_sha256)
        if client.certificate_subject is not None:
            ok &= subject is not None and subject == client.certificate_subject
    return client if ok else None


def _bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def peer_certificate(tls: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """SHA-256 fingerprint (hex) and RFC 4514 subject of the verified client certificate."""
    if not tls or tls.get("client_cert_error") is not None:
        return None, None
    chain = tls.get("client_cert_chain") or []
    return _described(str(chain[0])) if chain else (None, None)


@functools.lru_cache(maxsize=1024)
def _described(pem: str) -> tuple[str, str]:
    """Parsed once per certificate, not once per request."""
    certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    return (
        certificate.fingerprint(hashes.SHA256()).hex(),
        certificate.subject.rfc4514_string(),
    )
