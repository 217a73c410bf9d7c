"""Which KMS keys a cryptor accepts data keys from, matched against the key ARN KMS reports.

A stored value names its own encrypted data key, and KMS unwraps it under whichever key made
it, as far as the caller's permissions reach. Without a pin, a value whose data key was made
under any other key the caller may use decrypts to text of its maker's choosing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

# How long an alias's resolved target is trusted without asking KMS again: an alias can move,
# and a process that only ever sees old values would otherwise accept its old target forever.
ALIAS_TARGET_SECONDS = 300.0


def is_alias(identifier: str) -> bool:
    """Whether a KMS key identifier is an alias name (`alias/x`) or an alias ARN."""
    return identifier.startswith("alias/") or (
        identifier.startswith("arn:") and ":alias/" in identifier
    )


class KeyPin:
    """The KMS keys whose data keys are accepted: key ids, key ARNs and aliases.

    Key ids and key ARNs are compared with the ARN KMS reports; aliases are resolved to their
    target's ARN by `resolve_alias` (DescribeKey) when needed, and trusted for
    `ALIAS_TARGET_SECONDS`. Thread-safe.
    """

    def __init__(
        self,
        identifiers: Sequence[str],
        resolve_alias: Callable[[str], str | None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.identifiers = tuple(dict.fromkeys(identifiers))
        self.aliases = tuple(i for i in self.identifiers if is_alias(i))
        self._key_arns = frozenset(
            i for i in self.identifiers if i.startswith("arn:") and not is_alias(i)
        )
        self._key_ids = frozenset(
            i for i in self.identifiers if not i.startswith("arn:") and not is_alias(i)
        )
        self._resolve_alias = resolve_alias
        self._clock = clock
        self._lock = threading.Lock()
        self._alias_targets: frozenset[str] = frozenset()
        self._alias_targets_at = float("-inf")

    @property
    def only_alias(self) -> str | None:
        """The accepted identifier when it is the only one and an alias: KMS then enforces the
        pin itself (`Decrypt` with `KeyId`), with no DescribeKey call or permission. Key ids
        and ARNs are compared here instead, which names the foreign key in the error."""
        if len(self.identifiers) == 1 and self.aliases:
            return self.aliases[0]
        return None

    def knows(self, arn: str) -> bool:
        """Whether the key `arn` is accepted, as far as is known without asking KMS."""
        if arn in self._key_arns:
            return True
        head, separator, key_id = arn.rpartition(":key/")
        if separator and head.startswith("arn:") and key_id in self._key_ids:
            return True
        with self._lock:
            fresh = self._clock() - self._alias_targets_at <= ALIAS_TARGET_SECONDS
            return fresh and arn in self._alias_targets

    def confirmed(self, arn: str) -> None:
        """KMS unwrapped a data key under `only_alias` and reported `arn`:
        that is the alias's target now (so cache hits under it need no KMS call)."""
        with self._lock:
            self._alias_targets = frozenset({arn})
            self._alias_targets_at = self._clock()

    def resolve_aliases(self) -> None:
        """Ask KMS for every alias's current target (an alias that does not exist names none)."""
        targets = frozenset(
            target for alias in self.aliases if (target := self._resolve_alias(alias))
        )
        with self._lock:
            self._alias_targets = targets
            self._alias_targets_at = self._clock()
