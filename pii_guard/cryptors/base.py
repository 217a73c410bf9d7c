"""The cryptor protocol every implementation follows, and the helpers they share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, cast, runtime_checkable

from pii_guard.errors import PIIDecryptionError, PIIEncryptionError, PIIUsageError

Contexts = Sequence[str | None]
"""One authenticated context per value (`None`: no context), same length as the values."""


@runtime_checkable
class Cryptor(Protocol):
    """Encrypts and decrypts batches of PII values; one call handles the whole batch.

    `initialize()` validates configuration and raises `PIIConfigurationError` naming the
    variable to set; it is idempotent. `is_ciphertext` tells whether stored text is well-formed
    output of this cryptor: `load_pii` refuses text that is not, so a damaged value never passes
    for plaintext. It never decides whether input is ciphertext: provenance does.

    A cryptor whose class sets `supports_context = True` binds values to their contexts; the
    storage functions then bind to `Model.field` by default. Without it, they send no contexts.
    """

    def initialize(self) -> None: ...

    def encrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]: ...

    def decrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]: ...

    async def aencrypt(
        self, values: Sequence[str], contexts: Contexts | None = None
    ) -> list[str]: ...

    async def adecrypt(
        self, values: Sequence[str], contexts: Contexts | None = None
    ) -> list[str]: ...

    def is_ciphertext(self, value: str) -> bool: ...


def check_plaintexts(values: Sequence[object]) -> list[str]:
    """The values as a list, or PIIEncryptionError naming the first one that is not a str."""
    listed = list(values)
    if _all_exactly_str(listed):
        return cast(list[str], listed)
    checked: list[str] = []
    for position, value in enumerate(values):
        if not isinstance(value, str):
            raise PIIEncryptionError(
                f"cannot encrypt the value at position {position} of the batch: it is a "
                f"{type(value).__name__}, not a str"
            )
        checked.append(value)
    return checked


def check_ciphertexts(values: Sequence[object]) -> list[str]:
    """The values as plain `str`s (an `EncryptedStr` gives its stored text), or
    PIIDecryptionError naming the first one that is not a str."""
    listed = list(values)
    if _all_exactly_str(listed):
        return cast(list[str], listed)
    checked: list[str] = []
    for position, value in enumerate(values):
        if not isinstance(value, str):
            raise PIIDecryptionError(f"it is a {type(value).__name__}, not a str", position)
        checked.append(str.__str__(value))
    return checked


def _all_exactly_str(values: list[object]) -> bool:
    # One pass in C: the common case of a large batch costs next to nothing to check.
    return set(map(type, values)) <= {str}


def check_contexts(contexts: Contexts | None, count: int) -> list[str | None]:
    """One context per value (all `None` when no contexts were given)."""
    if contexts is None:
        return [None] * count
    if isinstance(contexts, str) or len(contexts) != count:
        raise PIIUsageError(
            f"contexts must be a sequence with one entry per value ({count}), "
            f"got {'a str' if isinstance(contexts, str) else len(contexts)}"
        )
    listed = list(contexts)
    # A batch usually repeats one context: check each distinct one once, and only look for
    # the position (below) when one fails.
    if set(map(type, listed)) <= _CONTEXT_TYPES and all(
        context is None or context.isascii() or _encodes(context) for context in set(listed)
    ):
        return listed
    for position, context in enumerate(contexts):
        if context is not None and not isinstance(context, str):
            raise PIIUsageError(
                f"the context at position {position} is a {type(context).__name__}, "
                "not a str or None"
            )
        if context is not None and not context.isascii():
            try:
                context.encode("utf-8")
            except UnicodeEncodeError:
                raise PIIUsageError(
                    f"the context at position {position} is not valid UTF-8 text"
                ) from None
    return list(contexts)


_CONTEXT_TYPES: set[type] = {str, type(None)}


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
