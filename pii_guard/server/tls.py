"""The client certificate for the application: uvicorn's h11 protocol, with the ASGI TLS extension.

Released uvicorn does not fill `scope["extensions"]["tls"]`, so the peer certificate the TLS
handshake verified (against `[tls] client_ca`) would be out of the application's reach. This
protocol reads it from the connection's SSL object once per connection and puts it in every
request's scope as the ASGI TLS extension describes (`client_cert_chain`, `client_cert_name`,
`client_cert_error`); a server that fills the extension itself serves the app unchanged.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from cryptography import x509
from uvicorn.protocols.http.h11_impl import H11Protocol


class TLSExtensionProtocol(H11Protocol):
    """H11Protocol that adds the verified client certificate to each request's scope."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        ssl_object = transport.get_extra_info("ssl_object")
        if not isinstance(ssl_object, ssl.SSLObject):
            return
        extension = tls_extension(ssl_object)
        inner = self.app

        async def with_tls(scope: Any, receive: Any, send: Any) -> None:
            scope.setdefault("extensions", {})["tls"] = extension
            await inner(scope, receive, send)

        self.app = with_tls


def tls_extension(ssl_object: ssl.SSLObject) -> dict[str, Any]:
    """The ASGI TLS extension of one connection (the peer certificate only: the handshake
    checked the chain, and `getpeercert` gives no intermediates)."""
    der = ssl_object.getpeercert(binary_form=True)
    chain: list[str] = []
    name: str | None = None
    if der:
        certificate = x509.load_der_x509_certificate(der)
        chain = [ssl.DER_cert_to_PEM_cert(der)]
        name = certificate.subject.rfc4514_string()
    return {
        "server_cert": None,
        "client_cert_chain": chain,
        "client_cert_name": name,
        "client_cert_error": None,  # with CERT_OPTIONAL an unverified certificate fails
        "tls_version": None,
        "cipher_suite": None,
    }
