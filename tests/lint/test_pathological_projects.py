"""Valid but extreme project shapes are analysed in time, file by file: a union of thousands of
arms, modules star-importing each other, deep diamond inheritance. Through the real
`pii-guard check`, with a timeout: before, these ran out of stack for every file of the project
or ran for hours."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.lint.conftest import CUSTOMER_MODELS, write_project
from tests.support.executables import installed_script

# Generous for a run that takes well under a second; the shapes below took hours before.
TIMEOUT = 60


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_script("pii-guard"), "check", "--no-cache", "app"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def _project(root: Path, files: dict[str, str]) -> Path:
    return write_project(root, {"app/__init__.py": "", "app/models.py": CUSTOMER_MODELS, **files})


def _codes(stdout: str) -> list[tuple[str, int, str]]:
    found = []
    for line in stdout.splitlines():
        path, row, _column, rest = line.split(":", 3)
        found.append((path, int(row), rest.split()[0]))
    return found


def test_a_union_of_thousands_of_arms_is_read(tmp_path: Path) -> None:
    arms = " | ".join(["int"] * 1500 + ["Customer"])
    shown = (
        "from app.models import Customer\n\n\n"
        f'def rows() -> "{arms}":\n'
        "    return Customer()\n\n\n"
        f'def show(c: "{arms}") -> None:\n'
        "    print(c.email, rows().email)\n"
    )
    query = (
        "from app.models import Customer\n\n\n"
        "def find(e: str) -> object:\n"
        "    return Customer.objects.filter(email=e)\n"
    )
    root = _project(tmp_path, {"app/show.py": shown, "app/query.py": query})
    result = _check(root)
    assert (result.returncode, result.stderr) == (1, "")
    assert _codes(result.stdout) == [
        ("app/query.py", 5, "PII001"),
        ("app/show.py", 9, "PII005"),
        ("app/show.py", 9, "PII005"),
    ]


def test_a_union_too_long_for_python_to_parse_is_unknown_and_nothing_else_is(
    tmp_path: Path,
) -> None:
    arms = " | ".join(["int"] * 5000 + ["Customer"])
    returns = f'from app.models import Customer\n\n\ndef rows() -> "{arms}":\n    return []\n'
    query = (
        "from app.models import Customer\n\n\n"
        "def find(e: str) -> object:\n"
        "    return Customer.objects.filter(email=e)\n"
    )
    root = _project(tmp_path, {"app/rows.py": returns, "app/query.py": query})
    result = _check(root)
    assert (result.returncode, result.stderr) == (1, "")
    assert _codes(result.stdout) == [("app/query.py", 5, "PII001")]


def test_modules_star_importing_each_other_are_analysed(tmp_path: Path) -> None:
    files = {}
    for n in range(6):
        stars = [f"from app.m{other} import *\n" for other in range(6) if other != n]
        files[f"app/m{n}.py"] = "".join(stars)
    files["app/views.py"] = (
        "from app.m0 import *\n"
        "from app.models import Customer\n\n\n"
        "def find(e: str) -> object:\n"
        "    return Customer.objects.filter(email=unknown_name(e))\n"
    )
    root = _project(tmp_path, files)
    result = _check(root)
    assert (result.returncode, result.stderr) == (1, "")
    assert _codes(result.stdout) == [("app/views.py", 6, "PII001")]


def test_deep_diamond_inheritance_is_analysed(tmp_path: Path) -> None:
    classes = [
        "from pii_guard import PIIModel, PIIStr\n\n\nclass B0:\n    pass\n\n\nclass C0:\n    pass\n"
    ]
    for n in range(1, 30):
        for name in ("B", "C"):
            classes.append(f"\n\nclass {name}{n}(B{n - 1}, C{n - 1}):\n    pass\n")
    classes.append(
        "\n\nclass Customer(PIIModel):\n    id: int\n    email: PIIStr\n    other: B29\n"
    )
    query = (
        "from app.diamond import Customer\n\n\n"
        "def find(e: str) -> object:\n"
        "    return Customer.objects.filter(email=e)\n"
    )
    root = _project(tmp_path, {"app/diamond.py": "".join(classes), "app/views.py": query})
    result = _check(root)
    assert (result.returncode, result.stderr) == (1, "")
    assert _codes(result.stdout) == [("app/views.py", 5, "PII001")]
