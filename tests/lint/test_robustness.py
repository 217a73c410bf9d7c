"""The analyzer never crashes: a file it cannot read or parse gives one clear message naming the
file and the run goes on; odd but valid files (a byte-order mark, empty, huge, deeply nested,
long chains) are analysed. Through `pii-guard check`, flake8 and the engine itself."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from flake8_pii.api import check_paths
from tests.lint.conftest import (
    CUSTOMER_MODELS,
    FILTER_ON_EMAIL,
    check_file,
    run_tool,
    write_project,
)
from tests.support.executables import installed_script

pytestmark = pytest.mark.slow

USES_CUSTOMER = "from app.models import Customer\n\n\ndef f(c: Customer, a: bool) -> None:\n"
TRACEBACK = "Traceback (most recent call last)"


def _sum(terms: int) -> str:
    """Valid Python nested `terms` levels deep for `ast` too: Python's parser runs out of
    recursion on it at the default limit."""
    return USES_CUSTOMER + "    print(c.email" + " + 'a'" * terms + ")\n"


def _and_chain(terms: int) -> str:
    """Flat for `ast` (one BoolOp), but nested `terms` levels deep in libcst."""
    return USES_CUSTOMER + "    if " + " and ".join(["a"] * terms) + ":\n        print(c.email)\n"


def _strings(pieces: int) -> str:
    """`pieces` implicitly concatenated strings, then a PII value: nested in libcst only."""
    parts = "".join(f"        'part {n} '\n" for n in range(pieces))
    return USES_CUSTOMER + f"    print(\n{parts}        + c.email\n    )\n"


def _reassigned(times: int) -> str:
    return (
        USES_CUSTOMER + "    x = c.email\n" + "    x = x + str(c.id)\n" * times + "    print(x)\n"
    )


# file -> (content, what `pii-guard check` says about it after "<path>: cannot analyse: ")
UNANALYSABLE: dict[str, tuple[bytes, str]] = {
    "syntax.py": (b"def f(:\n", "syntax error at 1:"),
    "not_text_coding.py": (
        b"# coding: hex\nx = 1\n",
        "cannot read the file: its coding declaration names hex, not a text encoding",
    ),
    "nul.py": (b"x = 1\x00\n", "syntax error: source code string cannot contain null bytes"),
    "deep_sum.py": (
        _sum(5000).encode(),
        "too deeply nested to analyse: code nested 5007 levels deep at line 5 "
        "(pii-guard analyses up to 1000)",
    ),
    "deep_and.py": (
        _and_chain(5000).encode(),
        "too deeply nested to analyse: code nested 5004 levels deep at line 5",
    ),
    "many_strings.py": (
        _strings(3001).encode(),
        "libcst cannot parse this file at 3008:11, though Python can",
    ),
}

# file -> (content, the (line, code) of its findings): valid files that are odd in some way
ANALYSABLE: dict[str, tuple[bytes, list[tuple[int, str]]]] = {
    # text that is not in its declared encoding (or not UTF-8, without a declaration) is read as
    # latin-1, as flake8 reads it, so that both report the same (Python itself would refuse it)
    "latin1.py": (USES_CUSTOMER.encode() + b"    print(c.email)  # Jos\xe9\n", [(5, "PII005")]),
    "unknown_coding.py": (
        b"# -*- coding: klingon -*-\n" + USES_CUSTOMER.encode() + b"    print(c.email)\n",
        [(6, "PII005")],
    ),
    "wrong_coding.py": (
        b"# coding: ascii\n" + USES_CUSTOMER.encode() + b"    print(c.email)  # Jos\xc3\xa9\n",
        [(6, "PII005")],
    ),
    "empty.py": (b"", []),
    "bom.py": (b"\xef\xbb\xbf" + USES_CUSTOMER.encode() + b"    print(c.email)\n", [(5, "PII005")]),
    "crlf.py": (
        (USES_CUSTOMER + "    print(c.email)\n").replace("\n", "\r\n").encode(),
        [(5, "PII005")],
    ),
    # each of these runs out of recursion on the default stack and is analysed on a large one
    "sum_900.py": (_sum(900).encode(), [(5, "PII005")]),
    "and_900.py": (_and_chain(900).encode(), [(6, "PII005")]),
    "strings_2900.py": (_strings(2900).encode(), [(2906, "PII005")]),
    "reassigned_2000.py": (_reassigned(2000).encode(), [(2006, "PII005")]),
}


def _project(root: Path, files: dict[str, bytes]) -> Path:
    write_project(
        root,
        {"app/__init__.py": "", "app/models.py": CUSTOMER_MODELS, "app/bad.py": FILTER_ON_EMAIL},
    )
    for name, content in files.items():
        (root / "app" / name).write_bytes(content)
    return root


def _cannot_analyse(stderr: str) -> dict[str, str]:
    """path -> message of every "cannot analyse" line; a file named twice fails the test."""
    messages: dict[str, str] = {}
    for line in stderr.splitlines():
        path, separator, message = line.partition(": cannot analyse: ")
        if separator:
            assert path not in messages, f"{path} reported twice"
            messages[path] = message
    return messages


def _findings(stdout: str) -> set[tuple[str, int, str]]:
    found = set()
    for line in stdout.splitlines():
        path, row, _column, rest = line.split(":", 3)
        found.add((path, int(row), rest.split()[0]))
    return found


def test_each_file_that_cannot_be_analysed_gets_one_message_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, {name: content for name, (content, _) in UNANALYSABLE.items()})
    result = run_tool("pii-guard", "check", "--no-cache", "app", cwd=root)
    assert TRACEBACK not in result.stderr
    assert result.returncode == 1
    messages = _cannot_analyse(result.stderr)
    assert set(messages) == {f"app/{name}" for name in UNANALYSABLE}
    for name, (_, expected) in UNANALYSABLE.items():
        assert messages[f"app/{name}"].startswith(expected), (name, messages[f"app/{name}"])
    assert _findings(result.stdout) == {("app/bad.py", 5, "PII001")}


def test_odd_but_valid_files_are_analysed(tmp_path: Path) -> None:
    root = _project(tmp_path, {name: content for name, (content, _) in ANALYSABLE.items()})
    result = run_tool("pii-guard", "check", "--no-cache", "app", cwd=root)
    assert (result.returncode, result.stderr) == (1, "")
    expected = {("app/bad.py", 5, "PII001")} | {
        (f"app/{name}", line, code)
        for name, (_, found) in ANALYSABLE.items()
        for line, code in found
    }
    assert _findings(result.stdout) == expected


@pytest.mark.parametrize("name", ["sum_900.py", "strings_2900.py", "reassigned_2000.py"])
def test_deep_files_are_analysed_in_process_too(tmp_path: Path, name: str) -> None:
    root = _project(tmp_path, {name: ANALYSABLE[name][0]})
    findings = check_file(root / "app" / name)
    assert [(f.line, f.code) for f in findings] == ANALYSABLE[name][1]


def test_a_huge_file_is_analysed(tmp_path: Path) -> None:
    body = "".join(f"value_{n} = {n}\n" for n in range(50_000))
    huge = USES_CUSTOMER.replace("def f", body + "\n\ndef f") + "    print(c.email)\n"
    root = _project(tmp_path, {"huge.py": huge.encode()})
    assert len(huge.splitlines()) > 50_000
    result = run_tool("pii-guard", "check", "--no-cache", "app/huge.py", cwd=root)
    assert (result.returncode, result.stderr) == (1, "")
    assert _findings(result.stdout) == {("app/huge.py", len(huge.splitlines()), "PII005")}


def test_links_that_lead_nowhere_and_named_pipes_are_reported_not_followed(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, {})
    (root / "app" / "loop_a.py").symlink_to("loop_b.py")
    (root / "app" / "loop_b.py").symlink_to("loop_a.py")
    (root / "app" / "dangling.py").symlink_to("missing.py")
    os.mkfifo(root / "app" / "pipe.py")  # reading it would wait for a writer forever
    result = run_tool("pii-guard", "check", "--no-cache", "app", cwd=root)
    assert TRACEBACK not in result.stderr
    assert result.returncode == 1
    assert _cannot_analyse(result.stderr) == {
        "app/loop_a.py": "cannot read the file: Too many levels of symbolic links",
        "app/loop_b.py": "cannot read the file: Too many levels of symbolic links",
        "app/dangling.py": "cannot read the file: No such file or directory",
        "app/pipe.py": "cannot read the file: not a regular file",
    }
    assert _findings(result.stdout) == {("app/bad.py", 5, "PII001")}


NOBODY = 65534


def _as_unprivileged_user() -> list[str]:
    """The command prefix that runs a tool as a user file permissions apply to."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, which reads every file, and setpriv is not installed")
    prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, installed_script("pii-guard"), "--version"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot run pii-guard as an unprivileged user: {probe.stderr.strip()}")
    return prefix


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another user can read (pytest's own temporary folders are private)."""
    folder = Path(tempfile.mkdtemp(prefix="pii-guard-permissions-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_an_unreadable_file_is_reported_and_the_run_goes_on(shared_folder: Path) -> None:
    prefix = _as_unprivileged_user()
    root = _project(shared_folder / "project", {"secret.py": b"x = 1\n"})
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (root / "app" / "secret.py").chmod(0o000)
    result = subprocess.run(
        [*prefix, installed_script("pii-guard"), "check", "--no-cache", "app"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert TRACEBACK not in result.stderr
    assert result.returncode == 1
    assert _cannot_analyse(result.stderr) == {
        "app/secret.py": "cannot read the file: Permission denied"
    }
    assert _findings(result.stdout) == {("app/bad.py", 5, "PII001")}
    flake8 = subprocess.run(
        [*prefix, installed_script("flake8"), "--select", "PII,E9", "app"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert TRACEBACK not in flake8.stderr
    assert "app/secret.py:0:1: E902 PermissionError" in flake8.stdout
    assert "app/bad.py:5:36: PII001" in flake8.stdout


# What flake8 makes of the same files. flake8 reads and parses each file itself and runs
# plugins only on files it could parse; pii-guard's own message goes to standard error, and a
# PII900 finding on line 1 makes flake8 fail, as `pii-guard check` does. Left out:
# `deep_sum.py`, on which flake8's own `ast.parse` (and pyflakes) stop the whole run with a
# RecursionError before any plugin runs, `not_text_coding.py`, on which flake8's file reading
# raises LookupError, and the named pipe, which flake8 would wait on.
FLAKE8_OUTCOMES: dict[str, str] = {
    "syntax.py": "app/syntax.py:1:8: E999 SyntaxError: invalid syntax",
    "nul.py": "app/nul.py:1:1: E999 SyntaxError: source code string cannot contain null bytes",
    "deep_and.py": "app/deep_and.py: pii-guard cannot analyse: too deeply nested to analyse",
    "many_strings.py": "app/many_strings.py: pii-guard cannot analyse: libcst cannot parse",
}


def test_flake8_runs_to_the_end_over_the_same_files(tmp_path: Path) -> None:
    files = {name: UNANALYSABLE[name][0] for name in FLAKE8_OUTCOMES}
    analysed = ["empty.py", "bom.py", "crlf.py", "and_900.py", "strings_2900.py",
                "reassigned_2000.py", "latin1.py", "unknown_coding.py",
                "wrong_coding.py"]  # fmt: skip
    files.update({name: ANALYSABLE[name][0] for name in analysed})
    root = _project(tmp_path, files)
    (root / "app" / "loop.py").symlink_to("loop.py")
    result = run_tool("flake8", "--select", "PII,E9", "app", cwd=root)
    output = result.stdout + result.stderr
    assert TRACEBACK not in output
    assert "critical error" not in output
    assert result.returncode == 1
    for expected in FLAKE8_OUTCOMES.values():
        assert output.count(expected) == 1, (expected, output)
    assert "app/loop.py:0:1: E902 OSError: [Errno 40] Too many levels of symbolic links" in output
    assert _findings(result.stdout) >= {
        ("app/bad.py", 5, "PII001"),
        ("app/deep_and.py", 1, "PII900"),
        ("app/many_strings.py", 1, "PII900"),
        *((f"app/{name}", line, code) for name in analysed for line, code in ANALYSABLE[name][1]),
    }


NOT_ANALYSED = "PII900 file not analysed, so not checked for PII misuse: "


def test_flake8_fails_on_a_file_it_could_not_analyse_unless_told_to_ignore_it(
    tmp_path: Path,
) -> None:
    deep = _and_chain(5000)
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": CUSTOMER_MODELS,
            "app/deep.py": deep,
            # a noqa comment on line 1 does not hide that the whole file went unchecked
            "app/deep_noqa.py": deep.replace("\n", "  # noqa\n", 1),
        },
    )
    result = run_tool("flake8", "-j", "2", "--select", "PII", "app", cwd=root)
    assert result.returncode == 1
    reason = "too deeply nested to analyse: code nested 5004 levels deep at line 5"
    lines = sorted(result.stdout.splitlines())
    assert [line.partition(reason)[0] for line in lines] == [
        f"app/deep.py:1:1: {NOT_ANALYSED}",
        f"app/deep_noqa.py:2:1: {NOT_ANALYSED}",
    ]
    assert result.stderr.count(f"app/deep.py: pii-guard cannot analyse: {reason}") == 1
    # like any code, it can be left out on purpose
    ignored = run_tool("flake8", "--select", "PII", "--extend-ignore", "PII900", "app", cwd=root)
    assert (ignored.returncode, ignored.stdout) == (0, "")
    per_file = run_tool(
        "flake8", "--select", "PII", "--per-file-ignores", "app/deep*.py:PII900", "app", cwd=root
    )
    assert (per_file.returncode, per_file.stdout) == (0, "")


def test_an_internal_error_is_a_finding_under_flake8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flake8_pii import PIIChecker, engine

    def failing(*_: object, **__: object) -> None:
        raise KeyError("a value from the file")

    monkeypatch.setattr(engine, "analyse_source", failing)
    root = _project(tmp_path, {})
    path = root / "app" / "bad.py"
    lines = path.read_text().splitlines(keepends=True)
    checker = PIIChecker(ast.parse("".join(lines)), str(path), lines)
    reported = [(line, column, message) for line, column, message, _ in checker.run()]
    assert [(line, column) for line, column, _ in reported] == [(1, 0)]
    message = reported[0][2]
    assert message.startswith(NOT_ANALYSED + "internal error (KeyError in __init__.py:")
    assert message.endswith("); please report it")
    assert "a value from the file" not in message


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_flake8_reports_a_broken_configuration_once_and_runs_the_other_plugins(
    tmp_path: Path, jobs: str
) -> None:
    unused_import = b"import os\n"
    root = _project(tmp_path, {f"unused_{n}.py": unused_import for n in range(6)})
    (root / "pyproject.toml").write_text("[tool.pii_guard]\nlog-sinks = ['x']\n")
    result = run_tool("flake8", "-j", jobs, "--select", "PII,F401", "app", cwd=root)
    assert TRACEBACK not in result.stdout + result.stderr
    assert "critical error" not in result.stdout + result.stderr
    assert result.returncode == 1
    reports = [line for line in result.stdout.splitlines() if " PII000 " in line]
    assert len(reports) == 1, result.stdout
    assert re.fullmatch(
        r"app/\w+\.py:1:1: PII000 settings not valid, no PII checks in this project: "
        r"\S+/pyproject\.toml \[tool\.pii_guard\]: unknown key 'log-sinks'; known keys: .*",
        reports[0],
    )
    # pyflakes still ran on every file; pii-guard checked nothing with settings it cannot read
    assert result.stdout.count(" F401 ") == 6
    assert " PII001 " not in result.stdout


def test_flake8_on_a_buffer_reports_the_broken_configuration(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    (root / "pyproject.toml").write_text("[tool.pii-guard]\nexclude = 'x'\n")
    result = subprocess.run(
        [installed_script("flake8"), "--stdin-display-name", "app/bad.py", "-"],
        input=FILTER_ON_EMAIL, cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1
    assert "app/bad.py:1:1: PII000 settings not valid" in result.stdout
    assert "[tool.pii-guard]: 'exclude' must be a list of strings" in result.stdout


# Long chains: each of these took exponential or quadratic time before every expression and
# assignment was worked out once; at these sizes that would be hours. No timing is asserted:
# the test finishing is the point.
CHAINS: dict[str, tuple[str, list[tuple[int, str]]]] = {
    # 2**40 paths: each name is built from the one before, twice, and none of them is PII
    "doubled.py": (
        USES_CUSTOMER
        + "    a0 = str(c.id)\n"
        + "".join(f"    a{i} = a{i - 1} + a{i - 1}\n" for i in range(1, 41))
        + "    print(a40 + c.email)\n",
        [(46, "PII005")],
    ),
    # 2**40 readings of Q objects kept in variables, each built from the one before, twice
    "doubled_q.py": (
        USES_CUSTOMER
        + "    from django.db.models import Q\n"
        + "    q0 = Q(email=1)\n"
        + "".join(f"    q{i} = q{i - 1} | q{i - 1}\n" for i in range(1, 41))
        + "    Customer.objects.filter(q40)\n",
        [(47, "PII001")],
    ),
    # 2**200 paths: a call chain on a value of unknown type
    "call_chain.py": (
        USES_CUSTOMER + "    print(a" + ".b()" * 200 + ", c.email)\n",
        [(5, "PII005")],
    ),
    # 3,000 findings in one statement, each naming that 100 kB statement
    "dict_literal.py": (
        USES_CUSTOMER
        + "    print({"
        + ", ".join(f"'key {n}': c.email" for n in range(3000))
        + "})\n",
        [(5, "PII005")] * 3000,
    ),
}


@pytest.mark.parametrize("name", CHAINS)
def test_long_chains_are_analysed(tmp_path: Path, name: str) -> None:
    text, expected = CHAINS[name]
    root = _project(tmp_path, {name: text.encode()})
    findings = check_file(root / "app" / name)
    assert [(f.line, f.code) for f in findings] == expected


# --- the full pass over real code ------------------------------------------------------------

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Modules with unusual constructs: huge literals and strings, deep nesting, match statements,
# async code, annotations everywhere, string annotations, star imports.
STDLIB_HARD = [
    "pydoc_data/topics.py", "typing.py", "dataclasses.py", "enum.py", "re/_parser.py",
    "email/_header_value_parser.py", "unittest/mock.py", "tomllib/_parser.py",
    "asyncio/tasks.py", "ast.py", "argparse.py", "inspect.py", "importlib/metadata/__init__.py",
]  # fmt: skip
# Counted as PII types, so that the rules meet PII values in code that never names one.
STRESS_TYPES = ["builtins.str", "builtins.int", "builtins.bytes", "typing.Any"]
# A module the cheap per-file decision skips (it defines no model and imports nothing that leads
# to PII): only the full pass reports its finding.
GREETING = "def greet(name: str) -> None:\n    print('hello', name)\n"


def _stdlib_spread() -> list[str]:
    """The hard modules and every 12th top-level module, in a stable order."""
    top_level = sorted(path.name for path in STDLIB.glob("*.py"))
    chosen = [*STDLIB_HARD, *top_level[::12]]
    return sorted({name for name in chosen if (STDLIB / name).is_file()})


def test_full_pass_over_a_spread_of_the_standard_library_has_no_errors(tmp_path: Path) -> None:
    modules = _stdlib_spread()
    assert len(modules) >= 25
    root = tmp_path / "stdlib"
    for name in modules:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(STDLIB / name, target)
    (root / "greeting.py").write_text(GREETING)
    types = ", ".join(f'"{name}"' for name in STRESS_TYPES)
    (root / "pyproject.toml").write_text(f"[tool.pii_guard]\nextra-pii-types = [{types}]\n")
    skipped = check_paths([str(root)], use_cache=False)
    assert (skipped.errors, skipped.files) == ([], len(modules) + 1)
    result = check_paths([str(root)], use_cache=False, full_pass=True)
    assert result.errors == []
    greeting = [
        (f.line, f.code, f.subject) for f in result.findings if f.path.endswith("greeting.py")
    ]
    assert greeting == [(2, "PII005", "str")]
    assert not any(f.path.endswith("greeting.py") for f in skipped.findings)
