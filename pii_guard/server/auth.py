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
    certificate: tuple[str | None, str | None],
) -> ClientSettings | None:
    """The client the request proves to be, or None. `certificate` is the verified client
    certificate's SHA-256 fingerprint and subject (None for what is not known). Every method
    configured for the client must pass: a token hash and a certificate both configured means
    both are required."""
    if not client_id:
        return None
    client = clients.get(client_id)
    if client is None:
        return None
    ok = True
    if client.token_sha256 is not None:
        ok &= token_matches(authorization, client.token_sha256)
    if client.certificate_sha256 is not None or client.certificate_subject is not None:
        fingerprint, subject = certificate
        if client.certificate_sha256 is not None:
            ok &= hmac.compare_digest(fingerprint or "", client.certificate_sha256)
        if client.certificate_subject is not None:
            ok &= subject is not None and subject == client.certificate_subject
    return client if ok else None


def token_matches(authorization: str | None, token_sha256: str) -> bool:
    """Whether the `Authorization: Bearer` token hashes to `token_sha256` (SHA-256, hex)."""
    token = _bearer(authorization)
    digest = hashlib.sha256(token.encode()).hexdigest() if token else ""
    return hmac.compare_digest(digest, token_sha256)


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
    return certificate_identity(str(chain[0])) if chain else (None, None)


def certificate_identity(pem: str) -> tuple[str | None, str | None]:
    """SHA-256 fingerprint (hex) and RFC 4514 subject of a PEM certificate; (None, None) when
    it does not parse."""
    try:
        return _described(pem)
    except ValueError:
        return None, None


@functools.lru_cache(maxsize=1024)
def _described(pem: str) -> tuple[str, str]:
    """Parsed once per certificate, not once per request (failures are not remembered)."""
    certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    return (
        certificate.fingerprint(hashes.SHA256()).hex(),
        certificate.subject.rfc4514_string(),
    )
