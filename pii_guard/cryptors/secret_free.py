"""Envelope cryptors whose exceptions keep no plaintext and no data key reachable."""

from __future__ import annotations

from collections.abc import Sequence

from pii_guard.cryptors.base import Contexts
from pii_guard.cryptors.envelope import EnvelopeCryptor
from pii_guard.errors import FORGET_SECRETS


class SecretFreeEnvelopeCryptor(EnvelopeCryptor):
    """`EnvelopeCryptor` whose failures leave nothing secret in frames or chained errors.

    A failing `decrypt` would otherwise leave, in the frames of its traceback, the values
    decrypted before the failing position and the plaintext data keys already unwrapped; a
    failing `encrypt`, the data key and an encoding error quoting the text. This frame holds
    only what the caller passed in.
    """

    def encrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        with FORGET_SECRETS:
            return super().encrypt(values, contexts)

    def decrypt(self, values: Sequence[str], contexts: Contexts | None = None) -> list[str]:
        with FORGET_SECRETS:
            return super().decrypt(values, contexts)
