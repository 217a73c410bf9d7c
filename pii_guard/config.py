"""Environment -> settings, and the one configured cryptor of the process.

Every variable is read as `PII_GUARD_*` first; the AMSDAL names are fallbacks so that an AMSDAL
project's `.env` keeps working. Region and credentials come from the usual AWS variables.
"""

from __future__ import annotations

import contextvars
import importlib
import math
import os
import re
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pii_guard.errors import PIIConfigurationError

if TYPE_CHECKING:
    from pii_guard.cryptors.base import Cryptor

BUILTIN_CRYPTORS = {
    "KMSEnvelopeCryptor": "pii_guard.cryptors.kms",
    "LocalKeyCryptor": "pii_guard.cryptors.local",
    "FakeCryptor": "pii_guard.cryptors.fake",
    "PIICryptorService": "pii_guard.cryptors.service",
}
SHORT_NAMES = {
    "kms": "KMSEnvelopeCryptor",
    "local": "LocalKeyCryptor",
    "fake": "FakeCryptor",
    "service": "PIICryptorService",
}
# AMSDAL's own cryptor classes (its settings and the amsdal-cli template name them) stand for
# ours, whether or not AMSDAL is installed: its classes do not speak our protocol.
AMSDAL_CRYPTORS = {
    "amsdal.services.fake_crypto.FakeCryptoService": "FakeCryptor",
    "amsdal.services.pii_cryptor.PIICryptorService": "PIICryptorService",
}
DEFAULT_CRYPTOR = "KMSEnvelopeCryptor"
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Setting:
    """A value read from the environment and the variable it came from (for messages)."""

    value: str
    variable: str


@dataclass(frozen=True)
class Settings:
    """What the environment says; secrets are left out of `repr`."""

    crypto_service: Setting | None = None
    kms_key_id: str | None = None
    kms_decrypt_key_ids: tuple[str, ...] = ()
    kms_endpoint_url: str | None = None
    kms_timeout_seconds: float = 10.0
    data_key_cache_size: int = 0
    data_key_cache_seconds: float = 60.0
    data_key_reuse_values: int = 0
    data_key_reuse_seconds: float = 60.0
    allow_plaintext: bool = False
    aws_region: str | None = None
    aws_retry_mode: str | None = None
    local_key: str | None = field(default=None, repr=False)
    local_key_file: str | None = None
    cryptor_base_url: Setting | None = None
    cryptor_client_id: Setting | None = field(default=None, repr=False)
    cryptor_timeout_seconds: float = 10.0
    cryptor_max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    cryptor_client_certificate: str | None = None
    cryptor_client_private_key: str | None = None
    index_keys: Setting | None = field(default=None, repr=False)
    index_keys_file: str | None = None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: `os.environ`); empty variables count as unset."""
    env = os.environ if environ is None else environ

    def read(*names: str) -> Setting | None:
        for name in names:
            value = env.get(name, "").strip()
            if value:
                return Setting(value, name)
        return None

    def text(*names: str) -> str | None:
        found = read(*names)
        return None if found is None else found.value

    def number(
        name: str, default: float, *, integer: bool = False, positive: bool = False
    ) -> float:
        found = read(name)
        if found is None:
            return default
        kind = "a whole number" if integer else "a number"
        try:
            parsed = int(found.value) if integer else float(found.value)
        except ValueError:
            raise PIIConfigurationError(f"{name} must be {kind}") from None
        if not math.isfinite(parsed):
            raise PIIConfigurationError(f"{name} must be a finite number, not infinite or NaN")
        if parsed < 0:
            raise PIIConfigurationError(f"{name} must not be negative")
        if positive and parsed == 0:
            raise PIIConfigurationError(f"{name} must be greater than 0")
        return parsed

    def key_ids(name: str) -> tuple[str, ...]:
        found = read(name)
        return () if found is None else kms_key_ids(found.value.split(","), name)

    def flag(name: str) -> bool:
        found = read(name)
        if found is None:
            return False
        if found.value.lower() in ("1", "true", "yes", "on"):
            return True
        if found.value.lower() in ("0", "false", "no", "off"):
            return False
        raise PIIConfigurationError(f"{name} must be 1 or 0 (true or false)")

    return Settings(
        crypto_service=read("PII_GUARD_CRYPTO_SERVICE", "AMSDAL_PII_CRYPTO_SERVICE"),
        kms_key_id=text("PII_GUARD_KMS_KEY_ID"),
        kms_decrypt_key_ids=key_ids("PII_GUARD_KMS_DECRYPT_KEY_IDS"),
        kms_endpoint_url=http_url(read("PII_GUARD_KMS_ENDPOINT_URL")),
        kms_timeout_seconds=number("PII_GUARD_KMS_TIMEOUT", 10.0, positive=True),
        data_key_cache_size=int(number("PII_GUARD_DATA_KEY_CACHE_SIZE", 0, integer=True)),
        data_key_cache_seconds=number("PII_GUARD_DATA_KEY_CACHE_SECONDS", 60.0),
        data_key_reuse_values=int(number("PII_GUARD_DATA_KEY_REUSE_VALUES", 0, integer=True)),
        data_key_reuse_seconds=number("PII_GUARD_DATA_KEY_REUSE_SECONDS", 60.0),
        allow_plaintext=flag("PII_GUARD_ALLOW_PLAINTEXT"),
        aws_region=text("AWS_REGION", "AWS_DEFAULT_REGION"),
        aws_retry_mode=text("AWS_RETRY_MODE"),
        local_key=text("PII_GUARD_LOCAL_KEY"),
        local_key_file=text("PII_GUARD_LOCAL_KEY_FILE"),
        cryptor_base_url=read("PII_GUARD_CRYPTOR_BASE_URL", "AMSDAL_PII_CRYPTOR_BASE_URL"),
        cryptor_client_id=read("PII_GUARD_CRYPTOR_CLIENT_ID", "AMSDAL_PII_CRYPTOR_CLIENT_ID"),
        cryptor_timeout_seconds=number("PII_GUARD_CRYPTOR_TIMEOUT", 10.0, positive=True),
        cryptor_max_response_bytes=int(
            number(
                "PII_GUARD_CRYPTOR_MAX_RESPONSE_BYTES",
                DEFAULT_MAX_RESPONSE_BYTES,
                integer=True,
                positive=True,
            )
        ),
        cryptor_client_certificate=text("PII_GUARD_CRYPTOR_CLIENT_CERT"),
        cryptor_client_private_key=text("PII_GUARD_CRYPTOR_CLIENT_KEY"),
        **index_key_settings(env),
    )


def index_key_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The keyring settings alone (`index_keys`, `index_keys_file`): searches read them on
    every call, so without the cost of reading every setting."""
    env = os.environ if environ is None else environ
    keys = env.get("PII_GUARD_INDEX_KEYS", "").strip()
    path = env.get("PII_GUARD_INDEX_KEYS_FILE", "").strip()
    return {
        "index_keys": Setting(keys, "PII_GUARD_INDEX_KEYS") if keys else None,
        "index_keys_file": path or None,
    }


def serve_config_file() -> str | None:
    """The service's TOML file for `pii-guard serve` workers (`PII_GUARD_SERVE_CONFIG`)."""
    return os.environ.get("PII_GUARD_SERVE_CONFIG") or None


def set_serve_config_file(path: str) -> None:
    """Name the service's TOML file for the worker processes `pii-guard serve` starts."""
    os.environ["PII_GUARD_SERVE_CONFIG"] = path


def http_url(setting: Setting | None) -> str | None:
    """The setting's value when it is an http:// or https:// address with a host and no
    credentials; PIIConfigurationError naming the variable otherwise (never quoting the value:
    it may hold a password)."""
    if setting is None:
        return None
    check_http_url(setting.value, setting.variable)
    return setting.value


def check_http_url(url: str, source: str) -> None:
    """Raise PIIConfigurationError naming `source` unless `url` is an http:// or https://
    address with a host and without credentials, spaces or control characters."""
    example = "such as https://service.internal or http://127.0.0.1:8080"
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise PIIConfigurationError(f"{source} is not a valid address, {example}") from None
    if parts.scheme not in ("http", "https"):
        raise PIIConfigurationError(
            f"{source} must be an http:// or https:// address (with its scheme), {example}"
        )
    if not parts.hostname:
        raise PIIConfigurationError(f"{source} must name a host, {example}")
    if parts.username is not None or parts.password is not None:
        raise PIIConfigurationError(
            f"{source} must not carry credentials (user:password@): they would show wherever "
            "the address is shown"
        )
    if port == 0 or any(ord(character) <= 32 or ord(character) == 127 for character in url):
        raise PIIConfigurationError(f"{source} is not a valid address, {example}")


_HEX = "[0-9a-fA-F]"
_KEY_ID = rf"(?:{_HEX}{{8}}(?:-{_HEX}{{4}}){{3}}-{_HEX}{{12}}|mrk-{_HEX}{{32}})"
_ALIAS = r"alias/[A-Za-z0-9/_-]+"
_KMS_KEY_IDENTIFIER = re.compile(
    rf"{_KEY_ID}|{_ALIAS}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{{12}}:(?:key/{_KEY_ID}|{_ALIAS})"
)


def kms_key_ids(identifiers: Iterable[str], source: str) -> tuple[str, ...]:
    """`identifiers` stripped and checked to be KMS key ids, key ARNs, alias names or alias
    ARNs; PIIConfigurationError naming `source` otherwise (a typo would pin decryption to a
    key that does not exist, and every stored value would be refused)."""
    checked = []
    for position, identifier in enumerate(identifiers):
        cleaned = identifier.strip()
        if not _KMS_KEY_IDENTIFIER.fullmatch(cleaned):
            problem = "is empty" if not cleaned else f"is {cleaned!r}"
            raise PIIConfigurationError(
                f"{source}: entry {position + 1} {problem}, which is not a KMS key id, key ARN, "
                "alias name (alias/...) or alias ARN; separate entries with commas, as in "
                "alias/pii-old,1234abcd-12ab-34cd-56ef-1234567890ab"
            )
        checked.append(cleaned)
    return tuple(checked)


def cryptor_class(settings: Settings) -> type[Cryptor]:
    """The cryptor class the settings name (KMSEnvelopeCryptor when none is named).

    Accepts a short name (`kms`, `local`, `fake`, `service`), a class name of ours, AMSDAL's
    class paths (`amsdal.services.fake_crypto.FakeCryptoService` is our FakeCryptor,
    `amsdal.services.pii_cryptor.PIICryptorService` our PIICryptorService), or an import path
    (`package.module.Class` or `package.module:Class`). An import path that
    cannot be imported but ends in one of our class names (an AMSDAL path in a project
    without AMSDAL) selects our class of that name.
    """
    setting = settings.crypto_service
    if setting is None:
        return _builtin(DEFAULT_CRYPTOR)
    spec = setting.value
    if spec.lower() in SHORT_NAMES:
        return _builtin(SHORT_NAMES[spec.lower()])
    if spec in BUILTIN_CRYPTORS:
        return _builtin(spec)
    if spec.replace(":", ".") in AMSDAL_CRYPTORS:
        return _builtin(AMSDAL_CRYPTORS[spec.replace(":", ".")])
    module_name, _, class_name = spec.replace(":", ".").rpartition(".")
    if not module_name:
        raise PIIConfigurationError(
            f"{setting.variable} must be one of {', '.join(SHORT_NAMES)} or an import path "
            "such as pii_guard.cryptors.kms.KMSEnvelopeCryptor"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        if class_name in BUILTIN_CRYPTORS:
            return _builtin(class_name)
        raise PIIConfigurationError(
            f"{setting.variable} names module {module_name!r}, which cannot be imported"
        ) from None
    found = getattr(module, class_name, None)
    missing = [
        name
        for name in ("initialize", "encrypt", "decrypt", "aencrypt", "adecrypt", "is_ciphertext")
        if not callable(getattr(found, name, None))
    ]
    if not isinstance(found, type) or missing:
        raise PIIConfigurationError(
            f"{setting.variable} names {spec!r}, which is not a cryptor class"
            + (f" (missing: {', '.join(missing)})" if isinstance(found, type) else "")
        )
    return found


def _builtin(class_name: str) -> type[Cryptor]:
    module = importlib.import_module(BUILTIN_CRYPTORS[class_name])
    found: type[Cryptor] = getattr(module, class_name)
    return found


_lock = threading.RLock()
_cryptor: Cryptor | None = None  # the process default
_scoped: contextvars.ContextVar[Cryptor | None] = contextvars.ContextVar(
    "pii_guard_cryptor", default=None
)


def get_cryptor() -> Cryptor:
    """The cryptor in effect here: the one `use_cryptor` set in this thread or asyncio task,
    else the process default (`set_default_cryptor`, or built from the environment and
    initialized on first use; a failure is raised and retried on the next call)."""
    scoped = _scoped.get()
    if scoped is not None:
        return scoped
    global _cryptor
    current = _cryptor
    if current is not None:
        return current
    with _lock:
        if _cryptor is None:
            settings = load_settings()
            built = cryptor_class(settings)()
            try:
                built.initialize()
            except PIIConfigurationError as error:
                raise PIIConfigurationError(f"{error} ({chosen_by(settings)})") from None
            _cryptor = built
        return _cryptor


def chosen_by(settings: Settings) -> str:
    """Which variable chose the cryptor, for configuration errors: the fix may be there."""
    setting = settings.crypto_service
    if setting is None:
        return (
            f"{DEFAULT_CRYPTOR} is the default: neither PII_GUARD_CRYPTO_SERVICE nor "
            "AMSDAL_PII_CRYPTO_SERVICE is set"
        )
    return f"the cryptor was chosen by {setting.variable}={setting.value}"


def set_default_cryptor(cryptor: Cryptor) -> None:
    """Make `cryptor` (initialized first) the process default: what every thread and task
    gets from `get_cryptor` unless `use_cryptor` set another one there."""
    global _cryptor
    cryptor.initialize()
    with _lock:
        _cryptor = cryptor


class use_cryptor:  # lower case: it reads as a call, and is a context manager too
    """Make `cryptor` (initialized first) the cryptor of this thread or asyncio task.

    Used as `with use_cryptor(c):` the previous one comes back when the block exits; called
    plainly it stays in effect here. Either way other threads and tasks are not affected
    (a task started here, or `asyncio.to_thread`, inherits it, as with any context
    variable), so two requests can each use their own tenant's cryptor at the same time. For
    the whole process use `set_default_cryptor`.
    """

    def __init__(self, cryptor: Cryptor) -> None:
        cryptor.initialize()
        self._token = _scoped.set(cryptor)
        self.cryptor = cryptor

    def __enter__(self) -> Cryptor:
        return self.cryptor

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            _scoped.reset(self._token)
        except ValueError:
            # Exited in another context than it was entered in (a generator moved between
            # tasks): nothing of this context to restore, so clear it rather than guess.
            _scoped.set(None)


def reset_cryptor() -> None:
    """Forget the process default and this context's cryptor, so the next `get_cryptor`
    reads the environment again."""
    global _cryptor
    _scoped.set(None)
    with _lock:
        _cryptor = None
