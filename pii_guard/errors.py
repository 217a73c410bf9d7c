"""The exception hierarchy: everything pii_guard raises to users derives from PIIGuardError.

Messages say what is wrong and what to do; they never contain a plaintext value.
"""


class PIIGuardError(Exception):
    """Base class of every error pii_guard raises on purpose."""


class PIIConfigurationError(PIIGuardError):
    """A cryptor or setting is missing or invalid; the message names the variable to set."""
