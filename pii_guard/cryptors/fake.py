"""FakeCryptor: stores values as `#01#<value>#10#` with NO encryption, for local development.

The shape is AMSDAL's fake cryptor's, so development data moves between the two. The first use
in a process logs a WARNING banner, once, so nobody mistakes it for protection; when the logging
setup would drop it (a disabled logger, no handler that takes warnings), it is issued through
`warnings` instead.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import warnings
from collections.abc import Sequence

from pii_guard.cryptors.base import (
    Contexts,
    check_ciphertexts,
    check_contexts,
    check_plaintexts,
)
from pii_guard.errors import PIIDecryptionError
from pii_guard.wire import is_envelope, is_wire_value, unwrap, wrap

logger = logging.getLogger("pii_guard.cryptors.fake")

BANNER = (
    "FakeCryptor is in use: PII values are stored NOT encrypted. Use it only for local "
    "development; set PII_GUARD_CRYPTO_SERVICE to a real cryptor everywhere else."
)

_banner_lock = threading.Lock()
_banner_logged = False


class FakeCryptorWarning(UserWarning):
    """The FakeCryptor banner, when logging would not show it."""


def _log_banner_once() -> None:
    global _banner_logged
    with _banner_lock:
        if _banner_logged:
            return
        _banner_logged = True
    logger.warning(BANNER)
    if not _logging_shows_warnings(logger):
        warnings.warn(BANNER, FakeCryptorWarning, stacklevel=3)


def _logging_shows_warnings(start: logging.Logger) -> bool:
    """Whether a WARNING record of `start` reaches a handler that takes it (logging's own
    last-resort handler included)."""
    if start.disabled or not start.isEnabledFor(logging.WARNING):
        return False
    current: logging.Logger | None = start
    any_handler = False
    while current is not None:
        for handler in current.handlers:
            any_handler = True
            if handler.level <= logging.WARNING and not isinstance(handler, logging.NullHandler):
                return True
        if not current.propagate:
            break
        current = current.parent
    if any_handler:
        return False  # logging's last resort serves only a record that found no handler
    last_resort = logging.lastResort
    return last_resort is not None and last_resort.level <= logging.WARNING


class FakeCryptor:
    """Wraps values in the wire markers without encrypting them. Contexts are accepted and
    not checked: nothing is authenticated."""

    supports_context = False

    def __repr__(self) -> str:
        return "FakeCryptor()"

    def initialize(self) -> None:
        _log_banner_once()

    def encrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        plaintexts = check_plaintexts(values)
        check_contexts(contexts, len(plaintexts))
        _log_banner_once()
        return [wrap(value) for value in plaintexts]

    def decrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        ciphertexts = check_ciphertexts(values)
        check_contexts(contexts, len(ciphertexts))
        _log_banner_once()
        plaintexts = []
        for position, value in enumerate(ciphertexts):
            if is_envelope(value):
                raise PIIDecryptionError(
                    "it is envelope-encrypted; configure the cryptor that wrote it "
                    "(KMSEnvelopeCryptor or LocalKeyCryptor)",
                    position,
                )
            try:
                plaintexts.append(unwrap(value))
            except PIIDecryptionError as error:
                raise error.at(position) from None
        return plaintexts

    async def aencrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        await asyncio.sleep(0)
        return self.encrypt(values, contexts)

    async def adecrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        await asyncio.sleep(0)
        return self.decrypt(values, contexts)

    def is_ciphertext(self, value: str) -> bool:
        return is_wire_value(value)
