"""The service's TOML file -> frozen settings: clients, their keys, permissions, auth, limits."""

from __future__ import annotations

import ipaddress
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pii_guard.config import kms_key_ids
from pii_guard.cryptors.keycache import MAX_CACHE_SECONDS
from pii_guard.cryptors.keyreuse import MAX_REUSE_SECONDS, MAX_REUSE_VALUES
from pii_guard.errors import PIIConfigurationError

OPERATIONS = ("encrypt", "decrypt")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
# An HTTP header name (RFC 9110 token).
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}")
# How a proxy passes the client certificate it verified: the certificate itself (PEM, URL-escaped,
# as nginx's $ssl_client_escaped_cert), its SHA-256 fingerprint in hex, or its subject.
CERTIFICATE_FORMATS = ("pem", "sha256", "subject")


@dataclass(frozen=True)
class Limits:
    """What one request may carry, and how long it may take."""

    max_body_bytes: int = 16 * 1024 * 1024
    max_values: int = 10_000
    max_value_chars: int = 64 * 1024
    deadline_seconds: float = 10.0


@dataclass(frozen=True)
class ClientSettings:
    """One client id: its KMS key, what it may do, how it proves who it is."""

    client_id: str
    kms_key_id: str
    permissions: frozenset[str]
    token_sha256: str | None = field(default=None, repr=False)
    certificate_sha256: str | None = None
    certificate_subject: str | None = None
    limits: Limits = Limits()
    value_context: str = ""  # "" means the client id

    @property
    def context(self) -> str:
        """What its values are bound to: the client id, unless clients share one on purpose."""
        return self.value_context or self.client_id


@dataclass(frozen=True)
class KeySettings:
    """Data key reuse across requests (encrypt) and the unwrapped key cache (decrypt)."""

    reuse_seconds: float = 60.0
    reuse_values: int = 100_000
    cache_size: int = 1000
    cache_seconds: float = 300.0


@dataclass(frozen=True)
class TLSSettings:
    certificate: Path
    private_key: Path
    client_ca: Path | None = None


@dataclass(frozen=True)
class ProxySettings:
    """A TLS-terminating proxy in front: requests from `trusted` addresses are proven by the
    client certificate the proxy verified and passes in `header`; from anywhere else the
    header is ignored."""

    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    header: str
    certificate_format: str


@dataclass(frozen=True)
class ServerSettings:
    clients: dict[str, ClientSettings]
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    monitoring_token_sha256: str | None = field(default=None, repr=False)
    proxy: ProxySettings | None = None
    kms_endpoint_url: str | None = None
    kms_region: str | None = None
    kms_timeout_seconds: float = 5.0
    keys: KeySettings = KeySettings()
    tls: TLSSettings | None = None


class _Reader:
    """Typed access to one TOML table; errors name the file and the key."""

    def __init__(self, source: str, table: Any, where: str) -> None:
        if not isinstance(table, dict):
            raise PIIConfigurationError(f"{source}: [{where}] must be a table")
        self.source, self.table, self.where = source, table, where
        self.known: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _get(self, key: str, kinds: tuple[type, ...], kind: str) -> Any:
        self.known.add(key)
        value = self.table.get(key)
        if value is not None and (not isinstance(value, kinds) or isinstance(value, bool)):
            raise PIIConfigurationError(f"{self.source}: {self._name(key)} must be {kind}")
        return value

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self._get(key, (str,), "a string")
        return default if value is None else str(value)

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self._get(key, (int,), "a whole number")
        if value is None:
            return default
        if not low <= value <= high:
            raise PIIConfigurationError(
                f"{self.source}: {self._name(key)} must be from {low} to {high}"
            )
        return int(value)

    def number(self, key: str, default: float, high: float) -> float:
        value = self._get(key, (int, float), "a number")
        if value is None:
            return default
        if not (math.isfinite(value) and 0 < value <= high):
            raise PIIConfigurationError(
                f"{self.source}: {self._name(key)} must be greater than 0 and at most {high:g}"
            )
        return float(value)

    def table_of(self, key: str) -> _Reader:
        self.known.add(key)
        return _Reader(self.source, self.table.get(key, {}), self._name(key))

    def strings(self, key: str) -> list[str] | None:
        self.known.add(key)
        value = self.table.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise PIIConfigurationError(
                f"{self.source}: {self._name(key)} must be a list of strings"
            )
        return list(value)

    def done(self) -> None:
        unknown = sorted(set(self.table) - self.known)
        if unknown:
            raise PIIConfigurationError(
                f"{self.source}: unknown key {self._name(unknown[0])} (check its spelling "
                "against docs/service.md)"
            )


def load_server_settings(path: Path) -> ServerSettings:
    """Read and check the service's TOML file; PIIConfigurationError names the key at fault."""
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PIIConfigurationError(f"{source} cannot be read: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PIIConfigurationError(f"{source} is not valid TOML: {error}") from None
    return parse_server_settings(data, source)


def parse_server_settings(data: dict[str, Any], source: str) -> ServerSettings:
    top = _Reader(source, data, "")
    server = top.table_of("server")
    host = server.text("host", "127.0.0.1") or "127.0.0.1"
    port = server.integer("port", 8080, 0, 65535)
    workers = server.integer("workers", 1, 1, 64)
    monitoring_token = _hex(server, "monitoring_token_sha256")
    server.done()

    kms = top.table_of("kms")
    endpoint = kms.text("endpoint_url")
    region = kms.text("region")
    kms_timeout = kms.number("timeout_seconds", 5.0, 300.0)
    kms.done()

    key_table = top.table_of("keys")
    keys = KeySettings(
        reuse_seconds=key_table.number("reuse_seconds", 60.0, MAX_REUSE_SECONDS),
        reuse_values=key_table.integer("reuse_values", 100_000, 1, MAX_REUSE_VALUES),
        cache_size=key_table.integer("cache_size", 1000, 1, 1_000_000),
        cache_seconds=key_table.number("cache_seconds", 300.0, MAX_CACHE_SECONDS),
    )
    key_table.done()

    tls = _tls(top.table_of("tls"))
    proxy = _proxy(top.table_of("proxy"))
    defaults = _limits(top.table_of("limits"), Limits())

    clients_table = top.table_of("clients")
    clients: dict[str, ClientSettings] = {}
    for client_id in clients_table.table:
        clients[client_id] = _client(clients_table, client_id, defaults, tls, proxy)
    clients_table.known.update(clients)
    top.done()
    if not clients:
        raise PIIConfigurationError(
            f"{source} names no clients: add a [clients.CLIENT_ID] table per client"
        )
    return ServerSettings(
        clients=clients,
        host=host,
        port=port,
        workers=workers,
        monitoring_token_sha256=monitoring_token,
        proxy=proxy,
        kms_endpoint_url=endpoint,
        kms_region=region,
        kms_timeout_seconds=kms_timeout,
        keys=keys,
        tls=tls,
    )


def _tls(table: _Reader) -> TLSSettings | None:
    certificate = table.text("certificate")
    private_key = table.text("private_key")
    client_ca = table.text("client_ca")
    table.done()
    if certificate is None and private_key is None and client_ca is None:
        return None
    if certificate is None or private_key is None:
        raise PIIConfigurationError(
            f"{table.source}: [tls] needs both certificate and private_key (PEM files)"
        )
    return TLSSettings(
        Path(certificate), Path(private_key), None if client_ca is None else Path(client_ca)
    )


def _proxy(table: _Reader) -> ProxySettings | None:
    source = table.source
    addresses = table.strings("trusted_addresses")
    header = table.text("client_certificate_header")
    certificate_format = table.text("client_certificate_format")
    table.done()
    if addresses is None and header is None and certificate_format is None:
        return None
    if not addresses:
        raise PIIConfigurationError(
            f"{source}: proxy.trusted_addresses must list the addresses of the TLS proxy "
            "(IP addresses or CIDR networks): without it the client certificate header would "
            "be believed from anyone"
        )
    trusted = []
    for address in addresses:
        try:
            trusted.append(ipaddress.ip_network(address.strip(), strict=True))
        except ValueError:
            raise PIIConfigurationError(
                f"{source}: proxy.trusted_addresses: {address!r} is not an IP address or a "
                "CIDR network (such as 10.0.0.5 or 10.0.0.0/24, with no host bits set)"
            ) from None
    if header is None or not _HEADER_NAME.fullmatch(header):
        raise PIIConfigurationError(
            f"{source}: proxy.client_certificate_header must name the HTTP header in which the "
            "proxy passes the verified client certificate (such as X-Client-Cert)"
        )
    if certificate_format not in CERTIFICATE_FORMATS:
        raise PIIConfigurationError(
            f"{source}: proxy.client_certificate_format must be "
            + ", ".join(f'"{name}"' for name in CERTIFICATE_FORMATS)
            + " (what the header holds)"
        )
    return ProxySettings(tuple(trusted), header.lower(), certificate_format)


def _limits(table: _Reader, base: Limits) -> Limits:
    limits = replace(
        base,
        max_body_bytes=table.integer("max_body_bytes", base.max_body_bytes, 1, 2**31),
        max_values=table.integer("max_values", base.max_values, 1, 10_000_000),
        max_value_chars=table.integer("max_value_chars", base.max_value_chars, 1, 2**31),
        deadline_seconds=table.number("deadline_seconds", base.deadline_seconds, 600.0),
    )
    table.done()
    return limits


def _client(
    clients: _Reader,
    client_id: str,
    defaults: Limits,
    tls: TLSSettings | None,
    proxy: ProxySettings | None,
) -> ClientSettings:
    source = clients.source
    if not _CLIENT_ID.fullmatch(client_id):
        raise PIIConfigurationError(
            f"{source}: client ids may use letters, digits and . _ : @ - (at most 128); "
            f"one of [clients] does not"
        )
    table = clients.table_of(client_id)
    key = table.text("kms_key_id")
    if key is None:
        raise PIIConfigurationError(f"{source}: clients.{client_id}.kms_key_id is missing")
    kms_key_ids([key], f"{source}: clients.{client_id}.kms_key_id")
    permissions = table.strings("permissions")
    if permissions is None or not permissions or not set(permissions) <= set(OPERATIONS):
        raise PIIConfigurationError(
            f'{source}: clients.{client_id}.permissions must list "encrypt", "decrypt" or both'
        )
    token = _hex(table, "token_sha256")
    fingerprint = _hex(table, "certificate_sha256")
    subject = table.text("certificate_subject")
    value_context = table.text("value_context", "") or ""
    limits = _limits(table.table_of("limits"), defaults)
    table.done()
    if token is None and fingerprint is None and subject is None:
        raise PIIConfigurationError(
            f"{source}: clients.{client_id} has no way to authenticate: set token_sha256, "
            "certificate_sha256 or certificate_subject"
        )
    if (fingerprint or subject) and (tls is None or tls.client_ca is None) and proxy is None:
        raise PIIConfigurationError(
            f"{source}: clients.{client_id} authenticates by certificate, which needs "
            "[tls] client_ca (the CA that issues client certificates) or a [proxy] that "
            "verifies them"
        )
    return ClientSettings(
        client_id=client_id,
        kms_key_id=key,
        permissions=frozenset(permissions),
        token_sha256=token,
        certificate_sha256=fingerprint,
        certificate_subject=subject,
        limits=limits,
        value_context=value_context,
    )


def _hex(table: _Reader, key: str) -> str | None:
    value = table.text(key)
    if value is None:
        return None
    cleaned = value.replace(":", "").lower()
    if not _HEX64.fullmatch(cleaned):
        raise PIIConfigurationError(
            f"{table.source}: {table._name(key)} must be a SHA-256 in hex (64 digits)"
        )
    return cleaned
