"""The analyzer's cache folder, `.pii_guard_cache/`: entries trusted only when this machine's key
authenticates them, and content hashes.

Each entry is a tag line, then JSON. The tag is a keyed BLAKE2b (a MAC) of the project root, the
entry's name and its JSON text under the key of `cache_key`, so an entry that this machine's
analyzer did not write for this project and name (forged, edited, renamed, or copied from another
project or machine) reads as a miss, and a miss only costs the work of analysing again. A cache
folder that git tracks came with the checkout: it is neither read nor written.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
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

    def read(self, name: str) -> dict[str, Any]:
        """The entry `name`, or {} when there is none, or its tag is missing or wrong."""
        try:
            data = (self.folder / name).read_bytes()
        except OSError:
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
        body = json.dumps(entry, separators=(",", ":")).encode()
        path = self.folder / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            gitignore = self.folder / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# created by pii-guard: a cache, safe to delete\n*\n")
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(self._tag(name, body) + b"\n" + body)
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def _tag(self, name: str, body: bytes) -> bytes:
        mac = hashlib.blake2b(self._context, key=self._key, digest_size=32)
        mac.update(name.encode() + b"\x00")
        mac.update(body)
        return mac.hexdigest().encode()


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
    if _tracked_by_git(root):
        _say(
            f"pii-guard: ignoring the cache {root / CACHE_DIR}: git tracks it, so it came with "
            f"the checkout (untrack it with `git rm -r --cached {CACHE_DIR}`)"
        )
        return None
    return ProjectCache(root, key)


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
