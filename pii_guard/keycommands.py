"""`pii-guard keys new|list`: make a wrapped index key version, show the keyring's versions.

Only wrapped keys are printed: the keyring JSON is safe to keep in configuration, since only
the cryptor's master key (KMS, or the local key) unwraps it.
"""

from __future__ import annotations

import sys
from typing import TextIO

from pii_guard.config import get_cryptor
from pii_guard.cryptors.base import Cryptor
from pii_guard.errors import PIIConfigurationError, PIIGuardError
from pii_guard.indexkeys import Keyring, configured_keyring, index_keys, new_version

EXIT_DONE, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def run_keys(action: str, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """`new`: print the configured keyring with a new newest version; `list`: its versions."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        keyring = configured_keyring()
        cryptor = get_cryptor()
        if action == "new":
            made = new_version(cryptor, keyring)
            print(made.to_json(), file=out)
            print(
                f"pii-guard keys: version {made.newest} made; set PII_GUARD_INDEX_KEYS to the "
                "line above (or write it to the file PII_GUARD_INDEX_KEYS_FILE names); new "
                "lookups use it, every listed version is searched",
                file=err,
            )
            return EXIT_DONE
        _list(keyring, cryptor, out)
    except PIIConfigurationError as error:
        print(f"pii-guard keys: error: {error}", file=err)
        return EXIT_USAGE
    except PIIGuardError as error:
        print(f"pii-guard keys: error: {error}", file=err)
        return EXIT_FAILED
    return EXIT_DONE


def _list(keyring: Keyring, cryptor: Cryptor, out: TextIO) -> None:
    if not keyring.versions:
        print(
            "no index keys configured (PII_GUARD_INDEX_KEYS, PII_GUARD_INDEX_KEYS_FILE)", file=out
        )
        return
    index_keys(cryptor, keyring)  # every version must unwrap
    for version, _ in keyring.versions:
        role = "writes and is searched" if version == keyring.newest else "is searched"
        print(f"v{version}: unwraps; {role}", file=out)
