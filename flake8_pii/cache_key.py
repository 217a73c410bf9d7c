"""The secret key that authenticates the analyzer's cache entries: where it lives, and making it.

The key is kept outside every work tree, in the user's cache folder, so a cache folder that comes
with a checkout (committed, or copied from another machine) carries no entry this key accepts.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path

KEY_DIR_VARIABLE = "PII_GUARD_CACHE_KEY_DIR"
KEY_FILE = "cache-key"
KEY_BYTES = 32

_KEYS: dict[Path, bytes | CacheKeyError] = {}


class CacheKeyError(Exception):
    """The key cannot be read or made; the message says which file, why, and what to do."""


def key_folder() -> Path:
    """`$PII_GUARD_CACHE_KEY_DIR`, else `pii-guard` in the user cache folder (`$XDG_CACHE_HOME`,
    else `~/.cache`). Empty variables count as unset, as in the runtime's settings."""
    configured = os.environ.get(KEY_DIR_VARIABLE, "")
    if configured:
        return Path(configured).expanduser().absolute()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "pii-guard"


def cache_key() -> bytes:
    """This machine's key, read (or made, on first use) once per process and folder.

    Raises CacheKeyError.
    """
    folder = key_folder()
    if folder not in _KEYS:
        try:
            _KEYS[folder] = _load_or_make(folder / KEY_FILE)
        except CacheKeyError as error:
            _KEYS[folder] = error
    key = _KEYS[folder]
    if isinstance(key, CacheKeyError):
        raise key
    return key


def _load_or_make(path: Path) -> bytes:
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    try:
        _make(path)
        return _read(path)
    except OSError as error:
        raise CacheKeyError(
            f"cannot make the cache key {path}: {error.strerror or type(error).__name__} "
            f"(set {KEY_DIR_VARIABLE} to a writable folder outside the project)"
        ) from None


def _read(path: Path) -> bytes:
    """The key in `path`, which must be a regular file of the current user that no other user
    may read or write: anyone who can read the key can forge entries. Raises FileNotFoundError
    when there is none yet."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise CacheKeyError(
            f"cannot read the cache key {path}: {error.strerror or type(error).__name__}"
        ) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise CacheKeyError(f"the cache key {path} is not a regular file")
        if os.name == "posix" and (info.st_uid != os.geteuid() or info.st_mode & 0o077):
            raise CacheKeyError(
                f"the cache key {path} belongs to another user or others may read or write it "
                "(it must be the current user's, mode 600)"
            )
        key = handle.read(KEY_BYTES + 1)
    if len(key) != KEY_BYTES:
        raise CacheKeyError(
            f"{path} is not a pii-guard cache key (delete it, and a new one is made)"
        )
    return key


def _make(path: Path) -> None:
    """A new random key in `path`, unless another process made one first: the key is written
    whole to a private temporary file, which is then linked in place only if `path` is free."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".cache-key-")  # mode 600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it: use theirs
        except OSError:  # a file system without hard links
            os.replace(temporary, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
