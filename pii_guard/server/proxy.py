"""The client certificate a trusted TLS-terminating proxy verified, read from the header it sets.

Only a request whose peer address is one of `[proxy] trusted_addresses` is read this way; from
any other address the header is attacker's text and is never looked at. A header that is
missing, repeated or does not parse proves nothing (the request then fails like one without a
certificate).
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Sequence
from typing import Any

from pii_guard.server.auth import certificate_identity
from pii_guard.server.settings import ProxySettings

_HEX64 = re.compile(r"[0-9a-f]{64}")


def is_trusted_proxy(proxy: ProxySettings, peer: Any) -> bool:
    """Whether the connection's peer (the ASGI `client`: host and port) is a trusted proxy."""
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(str(peer[0]))
    except ValueError:  # a Unix socket path, or no address at all
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in proxy.trusted)


def forwarded_certificate(
    proxy: ProxySettings, header_values: Sequence[str]
) -> tuple[str | None, str | None]:
    """SHA-256 fingerprint (hex) and RFC 4514 subject of the certificate the proxy passed, as
    far as its format tells them (None for what it does not)."""
    if len(header_values) != 1:  # absent, or the proxy appended to one the client sent
        return None, None
    value = header_values[0].strip()
    if not value:
        return None, None
    if proxy.certificate_format == "sha256":
        fingerprint = value.replace(":", "").lower()
        return (fingerprint if _HEX64.fullmatch(fingerprint) else None), None
    if proxy.certificate_format == "subject":
        return None, value
    pem = urllib.parse.unquote(value)
    if "-----BEGIN CERTIFICATE-----" not in pem:
        return None, None
    return certificate_identity(pem)
