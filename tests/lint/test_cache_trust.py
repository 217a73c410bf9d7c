"""The cache is not trusted input: entries this machine's analyzer did not write for this project
(forged, copied from another project or machine, committed) never hide a finding.

Every test compares the real `pii-guard check` and the real `flake8 --select PII` with
`pii-guard check --no-cache`. Each "machine" is a key folder of its own, named by
PII_GUARD_CACHE_KEY_DIR or found under HOME. Where a forgery is made, a control signs the same
forgery with the machine's own key and shows that it would hide the finding: what keeps it out
is the key, not the forgery's clumsiness.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from flake8_pii.cache import CACHE_DIR, ProjectCache
from flake8_pii.cache_key import KEY_DIR_VARIABLE, KEY_FILE
from flake8_pii.index_build import INDEX_ENTRY
from tests.lint.conftest import (
    CUSTOMER_MODELS,
    FILTER_ON_EMAIL,
    FILTER_ON_ID,
    run_tool,
    write_project,
)

pytestmark = pytest.mark.slow

NO_FINDINGS: dict[str, Any] = {"findings": []}
INDEX = INDEX_ENTRY


def _shop(root: Path, models: str = CUSTOMER_MODELS) -> Path:
    files = {
        "app/__init__.py": "",
        "app/models.py": models,
        "app/bad.py": FILTER_ON_EMAIL,
        "app/good.py": FILTER_ON_ID,
    }
    return write_project(root, files).resolve()


def _machine(key_dir: Path) -> dict[str, str]:
    """The environment of a machine whose cache key lives in `key_dir`."""
    return {**os.environ, KEY_DIR_VARIABLE: str(key_dir)}


def _machine_by_home(home: Path) -> dict[str, str]:
    """The environment of a machine that keeps its key in the default place under `home`."""
    env = {k: v for k, v in os.environ.items() if k not in (KEY_DIR_VARIABLE, "XDG_CACHE_HOME")}
    return {**env, "HOME": str(home)}


def _check(root: Path, env: dict[str, str]) -> str:
    result = run_tool("pii-guard", "check", ".", cwd=root, env=env)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def _flake8(root: Path, env: dict[str, str]) -> str:
    result = run_tool("flake8", "--select", "PII", ".", cwd=root, env=env)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def _expected(root: Path) -> str:
    """What both tools must report: the findings of a run without a cache."""
    result = run_tool("pii-guard", "check", "--no-cache", ".", cwd=root)
    assert "PII001" in result.stdout, result.stdout + result.stderr
    return result.stdout


def _findings_entries(root: Path) -> list[str]:
    folder = root / CACHE_DIR / "findings"
    names = [f"findings/{path.name}" for path in folder.iterdir() if not path.name.startswith(".")]
    assert names
    return names


def _sign(root: Path, key_dir: Path, name: str, entry: dict[str, Any]) -> None:
    """Write `entry` as the analyzer of the machine holding `key_dir` would."""
    ProjectCache(root, (key_dir / KEY_FILE).read_bytes()).write(name, entry)


def _body(root: Path, name: str) -> bytes:
    return (root / CACHE_DIR / name).read_bytes().partition(b"\n")[2]


def _without_pii_fields(index_body: bytes) -> bytes:
    forged = index_body.replace(b'["email","PIIStr"]', b'["email","str"]')
    assert forged != index_body
    return forged


def test_a_forged_findings_entry_gives_the_findings_of_a_run_without_cache(
    tmp_path: Path,
) -> None:
    root = _shop(tmp_path / "shop")
    env = _machine(tmp_path / "key")
    expected = _expected(root)
    assert _check(root, env) == expected
    # the attack of the issue: an empty list of findings, with no tag, then under the old tag
    for name in _findings_entries(root):
        (root / CACHE_DIR / name).write_text('{"findings":[]}')
    assert _check(root, env) == expected
    assert _flake8(root, env) == expected
    for name in _findings_entries(root):
        path = root / CACHE_DIR / name
        tag = path.read_bytes().partition(b"\n")[0]
        path.write_bytes(tag + b'\n{"findings":[]}')
    assert _check(root, env) == expected
    assert _flake8(root, env) == expected
    # control: the same forgery under this machine's key would hide the finding
    for name in _findings_entries(root):
        _sign(root, tmp_path / "key", name, NO_FINDINGS)
    assert _check(root, env) == ""


def test_a_forged_index_that_drops_pii_fields_changes_no_finding(tmp_path: Path) -> None:
    root = _shop(tmp_path / "shop")
    env = _machine(tmp_path / "key")
    expected = _expected(root)
    assert _check(root, env) == expected
    index = root / CACHE_DIR / INDEX
    tag, _, body = index.read_bytes().partition(b"\n")
    forged = _without_pii_fields(body)
    for tampered in (forged, tag + b"\n" + forged):  # without a tag, and under the old one
        shutil.rmtree(root / CACHE_DIR / "findings")  # so that only the index can answer
        index.write_bytes(tampered)
        assert _check(root, env) == expected
        index.write_bytes(tampered)
        assert _flake8(root, env) == expected
    # control: the same forgery under this machine's key would hide the finding
    shutil.rmtree(root / CACHE_DIR / "findings")
    _sign(root, tmp_path / "key", INDEX, json.loads(forged))
    assert _check(root, env) == ""


def test_a_cache_from_another_machine_is_a_cold_run_there(tmp_path: Path) -> None:
    root = _shop(tmp_path / "shop")
    theirs = tmp_path / "their-key"
    expected = _expected(root)
    assert _check(root, _machine(theirs)) == expected
    # their analyzer (or whoever holds their key) wrote entries that hide the finding
    for name in _findings_entries(root):
        _sign(root, theirs, name, NO_FINDINGS)
    assert _check(root, _machine(theirs)) == ""
    # ours, with its key in the default place under HOME, does not trust them
    ours = _machine_by_home(tmp_path / "home")
    assert _check(root, ours) == expected
    assert _flake8(root, ours) == expected
    assert (tmp_path / "home" / ".cache" / "pii-guard" / KEY_FILE).is_file()


def test_restoring_only_the_cache_folder_gives_a_cold_run_with_every_finding(
    tmp_path: Path,
) -> None:
    root = _shop(tmp_path / "shop")
    key_dir = tmp_path / "ci-cache" / "pii-guard"
    expected = _expected(root)
    assert _check(root, _machine(key_dir)) == expected
    first_key = (key_dir / KEY_FILE).read_bytes()
    shutil.rmtree(key_dir)  # the CI cache restored the folder, not the key
    assert _check(root, _machine(key_dir)) == expected
    assert _flake8(root, _machine(key_dir)) == expected
    key = key_dir / KEY_FILE
    assert key.read_bytes() != first_key
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    # the entries were written again under the new key: the next run is warm and the same
    entries = {name: _body(root, name) for name in _findings_entries(root)}
    assert _check(root, _machine(key_dir)) == expected
    assert {name: _body(root, name) for name in _findings_entries(root)} == entries


def test_a_cache_copied_from_another_project_changes_no_finding(tmp_path: Path) -> None:
    root = _shop(tmp_path / "shop")
    # the other project: the same files, but email is not PII there (padded to the same size)
    other = _shop(tmp_path / "other", CUSTOMER_MODELS.replace("email: PIIStr", "email: str   "))
    for relative in ("app/__init__.py", "app/models.py", "app/bad.py", "app/good.py"):
        info = (root / relative).stat()
        assert (other / relative).stat().st_size == info.st_size
        os.utime(other / relative, ns=(info.st_atime_ns, info.st_mtime_ns))
    env = _machine(tmp_path / "key")
    expected = _expected(root)
    assert _check(other, env) == ""
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
    shutil.copytree(other / CACHE_DIR, root / CACHE_DIR)
    assert _check(root, env) == expected
    shutil.rmtree(root / CACHE_DIR)
    shutil.copytree(other / CACHE_DIR, root / CACHE_DIR)
    assert _flake8(root, env) == expected


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_committed_cache_is_ignored_and_said_once(tmp_path: Path) -> None:
    root = _shop(tmp_path / "shop")
    key_dir = tmp_path / "key"
    env = _machine(key_dir)
    expected = _expected(root)
    _git(root, "init", "-q")
    assert _check(root, env) == expected
    # a contributor forges entries with their own key (the key of this machine, even), and
    # commits the folder although it ignores itself
    for name in _findings_entries(root):
        _sign(root, key_dir, name, NO_FINDINGS)
    _git(root, "add", "-A")
    _git(root, "add", "-f", CACHE_DIR)
    _git(root, "commit", "-qm", "with a cache")
    for tool in ("pii-guard", "flake8"):
        args = ("check", ".") if tool == "pii-guard" else ("-j", "2", "--select", "PII", ".")
        result = run_tool(tool, *args, cwd=root, env=env)
        assert result.stdout == expected, tool
        said = [line for line in result.stderr.splitlines() if "git tracks it" in line]
        assert said == [
            f"pii-guard: ignoring the cache {root / CACHE_DIR}: git tracks it, so it came with "
            f"the checkout (untrack it with `git rm -r --cached {CACHE_DIR}`)"
        ], (tool, result.stderr)
    # neither read nor written: the checkout stays clean
    assert _git(root, "status", "--porcelain") == ""


# --- a cache folder that leads elsewhere ------------------------------------------------------

IGNORING = "pii-guard: ignoring the cache "


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes() if path.is_file() else b"<folder>"
        for path in sorted(folder.rglob("*"))
    }


def _elsewhere(tmp_path: Path) -> Path:
    """A folder outside the project that a link in the cache leads to, holding what looks like
    a cache, and a git index, that must stay as they are."""
    victim = tmp_path / "elsewhere"
    (victim / "findings").mkdir(parents=True)
    (victim / "index").write_bytes(b"precious\n")
    (victim / "findings" / "entry").write_bytes(b"precious too\n")
    return victim


def _link(kind: str, cache: Path, victim: Path) -> None:
    if kind == "the folder":
        cache.symlink_to(victim, target_is_directory=True)
        return
    cache.mkdir()
    if kind == "its findings folder":
        (cache / "findings").symlink_to(victim / "findings", target_is_directory=True)
    elif kind == "its index":
        (cache / "index").symlink_to(victim / "index")


@pytest.mark.parametrize("kind", ["the folder", "its findings folder", "its index"])
def test_a_cache_that_is_or_holds_a_link_is_neither_read_nor_written_and_said_once(
    tmp_path: Path, kind: str
) -> None:
    root = _shop(tmp_path / "shop")
    # a `.git` that git cannot answer about (as for a checkout owned by another user): the
    # cache counts as untracked, and only the link rule keeps it from being used
    (root / ".git").mkdir()
    victim = _elsewhere(tmp_path)
    before = _snapshot(victim)
    _link(kind, root / CACHE_DIR, victim)
    env = _machine(tmp_path / "key")
    expected = _expected(root)
    for tool in ("pii-guard", "flake8"):
        args = ("check", ".") if tool == "pii-guard" else ("-j", "2", "--select", "PII", ".")
        for _ in range(2):
            result = run_tool(tool, *args, cwd=root, env=env)
            assert result.stdout == expected, (tool, result.stderr)
            said = [line for line in result.stderr.splitlines() if line.startswith(IGNORING)]
            assert len(said) == 1, (tool, result.stderr)
            assert "symbolic link" in said[0]
            assert _snapshot(victim) == before, tool


def test_a_cache_that_is_a_file_is_left_alone_and_said_once(tmp_path: Path) -> None:
    root = _shop(tmp_path / "shop")
    (root / CACHE_DIR).write_bytes(b"not a cache\n")
    env = _machine(tmp_path / "key")
    expected = _expected(root)
    for tool, args in (("pii-guard", ("check", ".")), ("flake8", ("--select", "PII", "."))):
        result = run_tool(tool, *args, cwd=root, env=env)
        assert result.stdout == expected
        said = [line for line in result.stderr.splitlines() if line.startswith(IGNORING)]
        assert said == [f"{IGNORING}{root / CACHE_DIR}: it is not a folder" + DELETE_IT], tool
    assert (root / CACHE_DIR).read_bytes() == b"not a cache\n"


DELETE_IT = " (delete it, and pii-guard makes a plain folder there)"


def test_a_findings_entry_that_is_a_link_turns_the_cache_off(tmp_path: Path) -> None:
    root = _shop(tmp_path / "shop")
    env = _machine(tmp_path / "key")
    expected = _expected(root)
    assert _check(root, env) == expected  # writes the entries
    victim = _elsewhere(tmp_path)
    before = _snapshot(victim)
    for name in _findings_entries(root):
        (root / CACHE_DIR / name).unlink()
        (root / CACHE_DIR / name).symlink_to(victim / "findings" / "entry")
    for tool in ("pii-guard", "flake8"):
        args = ("check", ".") if tool == "pii-guard" else ("-j", "2", "--select", "PII", ".")
        result = run_tool(tool, *args, cwd=root, env=env)
        assert result.stdout == expected, tool
        said = [line for line in result.stderr.splitlines() if line.startswith(IGNORING)]
        assert said == [f"{IGNORING}{root / CACHE_DIR}: it holds a symbolic link{DELETE_IT}"]
        assert _snapshot(victim) == before, tool
