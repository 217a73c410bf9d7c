"""Runtime guard: the PII types, cryptors and checks that application models import."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pii-guard")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
