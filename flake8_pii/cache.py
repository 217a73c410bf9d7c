"""The analyzer's cache folder, `.pii_guard_cache/`: entries trusted only when this machine's key
authenticates them, and content hashes.

Each entry is a tag line, then JSON. The tag is a keyed BLAKE2b (a MAC) of the project root, the
entry's name and its JSON text under the key of `cache_key`, so an entry that this machine's
analyzer did not write for this project and name (forged, edited, renamed, or copied from another
project or machine) reads as a miss, and a miss only costs the work of analysing again. A cache
folder that git tracks came with the checkout, and one that is or holds a symbolic link leads
elsewhere: neither is read or written.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import hmac
import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from flake8_pii.cache_key import CacheKeyError, cache_key
from flake8_pii.once import first_time

CACHE_DIR = ".pii_guard_cache"
_TAG_DOMAIN = b"pii-guard cache entry 1\x00"

_CACHES: dict[Path, ProjectCache | None] = {}


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@functools.cache
def analyzer_digest() -> str:
    """The analyzer's version and a digest of its own source: the rules, the vocabulary, the
    type pass and the message texts. Cached summaries and findings were made by one analyzer;
    keyed on this, a changed rule or vocabulary entry is never answered from them."""
    import flake8_pii
    import pii_guard.paths  # the path reading the rules share with the runtime

    digest = hashlib.blake2b(flake8_pii.__version__.encode(), digest_size=16)
    package = Path(flake8_pii.__file__).parent
    sources = [(p.relative_to(package).as_posix(), p) for p in package.rglob("*.py")]
    sources.append(("pii_guard/paths.py", Path(pii_guard.paths.__file__)))
    for name, path in sorted(sources):
        digest.update(b"\x00" + name.encode() + b"\x00" + path.read_bytes())
    return digest.hexdigest()


class ProjectCache:
    """The authenticated entries of one project's cache folder, by name (`index`,
    `findings/<key>`)."""

    def __init__(self, root: Path, key: bytes) -> None:
        self.root = root
        self.folder = root / CACHE_DIR
        self._key = key
        self._context = _TAG_DOMAIN + os.fsencode(str(root)) + b"\x00"
        self._usable = True

    def read(self, name: str) -> dict[str, Any]:
        """The entry `name`, or {} when there is none, or its tag is missing or wrong."""
        if not self._usable:
            return {}
        try:
            data = self._read_bytes(name)
        except OSError as error:
            self._check_link(error)
            return {}
        tag, newline, body = data.partition(b"\n")
        if not newline or not hmac.compare_digest(tag, self._tag(name, body)):
            return {}
        try:
            entry = json.loads(body)
        except ValueError:
            return {}
        return entry if isinstance(entry, dict) else {}

    def write(self, name: str, entry: dict[str, Any]) -> None:
        """Write atomically: parallel flake8 workers may write the same entry.

        A cache that cannot be written only makes the next run slower, so errors are swallowed.
        """
        if not self._usable:
            return
        body = json.dumps(entry, separators=(",", ":")).encode()
        try:
            self._write_bytes(name, self._tag(name, body) + b"\n" + body)
        except OSError as error:
            self._check_link(error)

    def _check_link(self, error: OSError) -> None:
        """A link met in the folder (put there since the run began) turns the cache off."""
        if error.errno in _LINK_ERRORS:
            self._usable = False
            _say_unsafe(self.folder, "it holds a symbolic link")

    # Every step below opens one name inside a folder already opened, never following a
    # symbolic link, so nothing is read or written outside the cache folder, whatever links a
    # checkout (or another user sharing the folder) puts in it.

    def _read_bytes(self, name: str) -> bytes:
        *folders, entry = name.split("/")
        with _Folder.open(self.folder) as top, top.sub(folders) as inner:
            fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=inner.fd)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return b""
            return handle.read()

    def _write_bytes(self, name: str, data: bytes) -> None:
        *folders, entry = name.split("/")
        with contextlib.suppress(FileExistsError):
            os.mkdir(self.folder)
        with _Folder.open(self.folder) as top:
            top.create_once(".gitignore", GITIGNORE)
            with top.sub(folders, make=True) as inner:
                inner.replace(entry, data)

    def _tag(self, name: str, body: bytes) -> bytes:
        mac = hashlib.blake2b(self._context, key=self._key, digest_size=32)
        mac.update(name.encode() + b"\x00")
        mac.update(body)
        return mac.hexdigest().encode()


GITIGNORE = b"# created by pii-guard: a cache, safe to delete\n*\n"
_NO_FOLLOW_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


class _Folder:
    """An open folder of the cache: names are opened inside it, links never followed."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def open(cls, path: Path) -> _Folder:
        return cls(os.open(path, _NO_FOLLOW_DIR))

    def __enter__(self) -> _Folder:
        return self

    def __exit__(self, *_: object) -> None:
        os.close(self.fd)

    def sub(self, names: list[str], make: bool = False) -> _Folder:
        """The folder `names` below this one (this one again when there are none)."""
        fd = os.dup(self.fd)
        for name in names:
            try:
                if make:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(name, dir_fd=fd)
                inner = os.open(name, _NO_FOLLOW_DIR, dir_fd=fd)
            finally:
                os.close(fd)
            fd = inner
        return _Folder(fd)

    def create_once(self, name: str, data: bytes) -> None:
        """Create the file `name` holding `data` unless something has that name already."""
        try:
            fd = os.open(name, _NEW_FILE, 0o644, dir_fd=self.fd)
        except FileExistsError:
            return
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)

    def replace(self, name: str, data: bytes) -> None:
        """Replace the entry `name` by a file holding `data`, atomically: written to a new
        file of its own first, then renamed over the entry (a link there is replaced, not
        followed)."""
        temporary = f".tmp-{secrets.token_hex(8)}"
        fd = os.open(temporary, _NEW_FILE, 0o600, dir_fd=self.fd)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=self.fd)
            raise


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
# What opening a symbolic link with O_NOFOLLOW fails with (EMLINK on FreeBSD)
_LINK_ERRORS = (errno.ELOOP, errno.EMLINK)


def project_cache(root: Path) -> ProjectCache | None:
    """The cache of the project at `root`, looked up once per process; None when it cannot be
    used (no key, or a folder that git tracks), which is said once on stderr."""
    if root not in _CACHES:
        _CACHES[root] = _open(root)
    return _CACHES[root]


def _open(root: Path) -> ProjectCache | None:
    try:
        key = cache_key()
    except CacheKeyError as error:
        _say(f"pii-guard: analysing without a cache: {error}")
        return None
    unsafe = _unsafe_folder(root / CACHE_DIR)
    if unsafe is not None:
        _say_unsafe(root / CACHE_DIR, unsafe)
        return None
    if _tracked_by_git(root):
        _say(
            f"pii-guard: ignoring the cache {root / CACHE_DIR}: git tracks it, so it came with "
            f"the checkout (untrack it with `git rm -r --cached {CACHE_DIR}`)"
        )
        return None
    return ProjectCache(root, key)


def _unsafe_folder(folder: Path) -> str | None:
    """Why the cache folder must not be used, or None: it, or an entry of it, is a symbolic
    link (writing there would write wherever it leads), or it is not a folder. A folder that is
    not there yet is made when the first entry is written."""
    try:
        if folder.is_symlink():
            return "it is a symbolic link"
        if not folder.is_dir():
            return "it is not a folder" if os.path.lexists(folder) else None
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_symlink():
                    return f"{entry.name} in it is a symbolic link"
    except OSError:
        return None  # unreadable: every read misses and every write fails, harmlessly
    return None


def _say_unsafe(folder: Path, why: str) -> None:
    _say(
        f"pii-guard: ignoring the cache {folder}: {why} (delete it, and pii-guard makes a "
        "plain folder there)"
    )


def _tracked_by_git(root: Path) -> bool:
    """Whether git tracks a file of the cache folder; asked only inside a git work tree (a
    `.git` at or above the root), and without git, or when git fails, nothing is tracked."""
    if not any((folder / ".git").exists() for folder in (root, *root.parents)):
        return False
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--", CACHE_DIR],
            cwd=root,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return listed.returncode == 0 and bool(listed.stdout.strip())


def _say(message: str) -> None:
    """One line on stderr, once per run, also when flake8 runs several worker processes."""
    if first_time(message):
        print(message, file=sys.stderr)
