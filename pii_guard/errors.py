"""The exception hierarchy: everything pii_guard raises to users derives from PIIGuardError.

Messages say what is wrong and what to do; they never contain a plaintext value, a ciphertext,
or key material.
"""

from __future__ import annotations

import traceback
from types import TracebackType
from typing import Literal


class PIIGuardError(Exception):
    """Base class of every error pii_guard raises on purpose."""


class PIIConfigurationError(PIIGuardError):
    """A cryptor or setting is missing or invalid; the message names the variable to set."""


class PIIUsageError(PIIGuardError, ValueError):
    """A pii_guard function was called with arguments it cannot work with."""


class PIIInvalidFieldUsageError(PIIGuardError):
    """A PII field is used where only a deterministic value works (key, constraint, query)."""


class PIIQueryError(PIIInvalidFieldUsageError):
    """A query filters or orders by a PII field and the caller asked for strict checking."""


class PIIEncryptionError(PIIGuardError):
    """A value could not be encrypted; the message names its position in the batch."""


class PIIKeyServiceError(PIIGuardError):
    """The key service (AWS KMS or a PII cryptor service) failed, refused or did not answer."""


class PIIDecryptionError(PIIGuardError):
    """A value could not be decrypted: tampered, truncated, foreign, or under another context.

    `position` is the index of the failing value in the batch (None when the value was not
    part of a batch), or of the row when `field` (`Model.field`) names where a stored value
    failed to load; the message names them and the reason, never the value.
    """

    def __init__(self, reason: str, position: int | None = None, *, field: str | None = None):
        self.reason = reason
        self.position = position
        self.field = field
        if field is not None:
            where = field if position is None else f"{field} of the row at position {position}"
        elif position is None:
            where = "the value of the batch"
        else:
            where = f"the value at position {position} of the batch"
        super().__init__(f"cannot decrypt {where}: {reason}")

    def at(self, position: int) -> PIIDecryptionError:
        """The same failure, located at `position` of the caller's batch."""
        return PIIDecryptionError(self.reason, position)


class ForgetSecrets:
    """`with FORGET_SECRETS:` around code that holds plaintexts or data keys in local
    variables: an exception leaving the block keeps no way back to them.

    Error trackers record the local variables of every frame of a traceback (Sentry does by
    default), and `raise ... from None` only hides a chained exception, which stays in
    `__context__` (a `UnicodeEncodeError` holds the text it failed on). On the way out this
    clears the locals of the frames the exception left below the block, and drops contexts
    that were suppressed, along the whole chain of causes and contexts. The frame holding the
    `with` keeps its locals: put it where they are only what the caller passed in.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        if exc is not None:
            forget_secrets(exc)
        return False


FORGET_SECRETS = ForgetSecrets()


def forget_secrets(error: BaseException) -> None:
    """Clear the locals of the finished frames in the tracebacks of `error` and of every
    exception chained to it, and drop the contexts they suppress (see `ForgetSecrets`)."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        # Frames still running (the caller's) refuse to clear and are skipped.
        traceback.clear_frames(current.__traceback__)
        if current.__suppress_context__:
            current.__context__ = None
        pending.extend(
            chained for chained in (current.__cause__, current.__context__) if chained is not None
        )
