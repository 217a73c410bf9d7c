"""Runtime guard: the PII types, cryptors and checks that application models import."""

from __future__ import annotations

import importlib
import importlib.util
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import TYPE_CHECKING, Any

# The future import binds `annotations`, which would hide the submodule of that name.
del annotations

if TYPE_CHECKING:
    from pii_guard.binding import ValueSite, field_context, row_context
    from pii_guard.blindindex import fill_lookups, lookup_values
    from pii_guard.config import get_cryptor, set_default_cryptor, use_cryptor
    from pii_guard.cryptors.base import Cryptor
    from pii_guard.cryptors.fake import FakeCryptor
    from pii_guard.cryptors.keycache import DataKeyCache
    from pii_guard.cryptors.kms import KMSEnvelopeCryptor
    from pii_guard.cryptors.local import LocalKeyCryptor
    from pii_guard.cryptors.service import PIICryptorService
    from pii_guard.errors import (
        PIIConfigurationError,
        PIIDecryptionError,
        PIIEncryptionError,
        PIIGuardError,
        PIIInvalidFieldUsageError,
        PIIKeyServiceError,
        PIIQueryError,
        PIIUsageError,
    )
    from pii_guard.lookups import Lookup, LookupSpec, lookup_of
    from pii_guard.models import PIIModel, UniqueConstraint, check_model, get_pii_fields
    from pii_guard.queries import check_query
    from pii_guard.storage import (
        adecrypt_pii,
        aencrypt_pii,
        areindex,
        arewrap,
        decrypt_pii,
        encrypt_pii,
        load_pii,
        reindex,
        rewrap,
    )
    from pii_guard.types import STORED_CONTEXT, EncryptedStr, PIIStr

try:
    __version__ = version("flake8-pii-guard")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

# Every public name loads on first use, from the module that defines it: models that only import
# PIIStr do not pay for boto3, and the analyzer can use the runtime's dependency-free modules
# (`pii_guard.paths`) without loading pydantic.
_MODULES: dict[str, tuple[str, ...]] = {
    "pii_guard.binding": ("ValueSite", "field_context", "row_context"),
    "pii_guard.blindindex": ("fill_lookups", "lookup_values"),
    "pii_guard.config": ("get_cryptor", "set_default_cryptor", "use_cryptor"),
    "pii_guard.cryptors.base": ("Cryptor",),
    "pii_guard.cryptors.fake": ("FakeCryptor",),
    "pii_guard.cryptors.keycache": ("DataKeyCache",),
    "pii_guard.cryptors.kms": ("KMSEnvelopeCryptor",),
    "pii_guard.cryptors.local": ("LocalKeyCryptor",),
    "pii_guard.cryptors.service": ("PIICryptorService",),
    "pii_guard.errors": (
        "PIIConfigurationError",
        "PIIDecryptionError",
        "PIIEncryptionError",
        "PIIGuardError",
        "PIIInvalidFieldUsageError",
        "PIIKeyServiceError",
        "PIIQueryError",
        "PIIUsageError",
    ),
    "pii_guard.lookups": ("Lookup", "LookupSpec", "lookup_of"),
    "pii_guard.models": ("PIIModel", "UniqueConstraint", "check_model", "get_pii_fields"),
    "pii_guard.queries": ("check_query",),
    "pii_guard.storage": (
        "adecrypt_pii",
        "aencrypt_pii",
        "areindex",
        "arewrap",
        "decrypt_pii",
        "encrypt_pii",
        "load_pii",
        "reindex",
        "rewrap",
    ),
    "pii_guard.types": ("STORED_CONTEXT", "EncryptedStr", "PIIStr"),
}
_DEFINED_IN = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _DEFINED_IN.get(name)
    if module is None:
        return _submodule(name)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found once; later lookups do not come here
    return value


def _submodule(name: str) -> ModuleType:
    """A submodule asked for as an attribute (`pii_guard.models` after `import pii_guard`),
    imported now. A submodule that exists but fails to import raises its own error."""
    qualified = f"{__name__}.{name}"
    if not name.isidentifier() or importlib.util.find_spec(qualified) is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return importlib.import_module(qualified)  # which also sets it as an attribute here


def __dir__() -> list[str]:
    return sorted({*globals(), *_DEFINED_IN})


__all__ = [
    "STORED_CONTEXT",
    "Cryptor",
    "DataKeyCache",
    "EncryptedStr",
    "FakeCryptor",
    "KMSEnvelopeCryptor",
    "LocalKeyCryptor",
    "Lookup",
    "LookupSpec",
    "PIIConfigurationError",
    "PIICryptorService",
    "PIIDecryptionError",
    "PIIEncryptionError",
    "PIIGuardError",
    "PIIInvalidFieldUsageError",
    "PIIKeyServiceError",
    "PIIModel",
    "PIIQueryError",
    "PIIStr",
    "PIIUsageError",
    "UniqueConstraint",
    "ValueSite",
    "__version__",
    "adecrypt_pii",
    "aencrypt_pii",
    "areindex",
    "arewrap",
    "check_model",
    "check_query",
    "decrypt_pii",
    "encrypt_pii",
    "field_context",
    "fill_lookups",
    "get_cryptor",
    "get_pii_fields",
    "load_pii",
    "lookup_of",
    "lookup_values",
    "reindex",
    "rewrap",
    "row_context",
    "set_default_cryptor",
    "use_cryptor",
]
