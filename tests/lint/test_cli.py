"""`pii-guard check`: output, exit status, selection, noqa comments and unparsable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from flake8_pii.cli import is_selected
from tests.lint.conftest import MakeProject, run_tool

MODELS = """
    from pii_guard import PIIModel, PIIStr


    class Customer(PIIModel):
        id: int
        email: PIIStr
"""


def _check(root: Path, *args: str) -> tuple[int, list[str], str]:
    result = run_tool("pii-guard", "check", *args, cwd=root)
    return result.returncode, result.stdout.splitlines(), result.stderr


def test_clean_project_exits_zero_with_no_output(project: MakeProject) -> None:
    root = project({"app/models.py": MODELS, "app/views.py": "def f():\n    return 1\n"})
    assert _check(root) == (0, [], "")


def test_findings_are_printed_like_flake8_sorted_and_exit_one(project: MakeProject) -> None:
    root = project({
        "app/models.py": MODELS,
        "app/b.py": "from app.models import Customer\nCustomer.objects.order_by('email')\n",
        "app/a.py": "from app.models import Customer\nCustomer.objects.get(email=1)\n",
    })
    status, lines, _ = _check(root, "app")
    assert status == 1
    assert [line.split(" ", 2)[:2] for line in lines] == [
        ["app/a.py:2:22:", "PII001"],
        ["app/b.py:2:27:", "PII002"],
    ]


def test_exit_zero_still_prints_findings(project: MakeProject) -> None:
    root = project({"app/models.py": MODELS,
                    "app/a.py": "from app.models import Customer\nCustomer.objects.get(email=1)\n"})
    status, lines, _ = _check(root, "--exit-zero")
    assert status == 0 and len(lines) == 1


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        ((), ["PII001", "PII002"]),
        (("--select", "PII001"), ["PII001"]),
        (("--select", "PII00"), ["PII001", "PII002"]),
        (("--ignore", "PII001"), ["PII002"]),
        (("--select", "PII", "--ignore", "PII002"), ["PII001"]),
        (("--select", "E,W"), []),
    ],
)
def test_select_and_ignore_by_code_or_prefix(
    project: MakeProject, args: tuple[str, ...], codes: list[str]
) -> None:
    root = project({
        "app/models.py": MODELS,
        "app/a.py": "from app.models import Customer\n"
                    "Customer.objects.filter(email=1).order_by('-email')\n",
    })
    _, lines, _ = _check(root, *args)
    assert [line.split()[1] for line in lines] == codes


def test_select_prefers_the_longer_prefix_like_flake8() -> None:
    assert is_selected("PII001", ("PII001",), ("PII",))
    assert not is_selected("PII002", ("PII001",), ())
    assert not is_selected("PII001", ("PII",), ("PII001",))


NOQA_CASES = {
    "physical line": "Customer.objects.get(email=1)  # noqa: PII001\n",
    "bare noqa": "Customer.objects.get(email=1)  # noqa\n",
    "first line of statement": "Customer.objects.get(  # noqa: PII001\n    email=1,\n)\n",
    "last line of statement": "Customer.objects.get(\n    email=1,\n)  # NOQA:PII001\n",
    "prefix": "Customer.objects.get(email=1)  # noqa: PII00\n",
    "last line of a loop header": (
        "for c in Customer.objects.filter(\n    email=1,\n):  # noqa: PII001\n    pass\n"
    ),
}


@pytest.mark.parametrize("body", NOQA_CASES.values(), ids=NOQA_CASES.keys())
def test_noqa_suppresses_the_finding(project: MakeProject, body: str) -> None:
    root = project({"app/models.py": MODELS,
                    "app/a.py": "from app.models import Customer\n" + body})
    assert _check(root) == (0, [], "")


def test_noqa_for_another_code_does_not_suppress(project: MakeProject) -> None:
    root = project({"app/models.py": MODELS,
                    "app/a.py": "from app.models import Customer\n"
                                "Customer.objects.get(email=1)  # noqa: PII005,E501\n"})
    status, lines, _ = _check(root)
    assert status == 1 and len(lines) == 1


def test_unparsable_file_is_reported_once_and_the_run_goes_on(project: MakeProject) -> None:
    root = project({
        "app/models.py": MODELS,
        "app/broken.py": "def f(:\n    pass\n",
        "app/z.py": "from app.models import Customer\nCustomer.objects.get(email=1)\n",
    })
    status, lines, stderr = _check(root)
    assert status == 1
    assert [line.split()[1] for line in lines] == ["PII001"]
    assert stderr.count("app/broken.py") == 1
    assert "app/broken.py:1:7: cannot parse this file, skipped: SyntaxError" in stderr


def test_unparsable_file_is_reported_in_a_project_without_pii(project: MakeProject) -> None:
    root = project({"a.py": "x = 1\n", "b.py": "print 'hello'\n"})
    status, lines, stderr = _check(root)
    assert (status, lines) == (1, [])
    assert "b.py:1:1: cannot parse this file, skipped: SyntaxError" in stderr


def test_project_that_never_names_a_pii_type_is_not_indexed(project: MakeProject) -> None:
    from flake8_pii.cli import check_paths
    from flake8_pii.engine import Projects

    root = project({
        "app/models.py": "class Customer:\n    email: str\n",
        "app/views.py": "from app.models import Customer\nCustomer.objects.get(email=1)\n",
    })
    projects = Projects(use_cache=False)
    assert check_paths([str(root)], projects=projects) == ([], 0)
    (index,) = projects._indexes.values()
    assert not index.may_have_pii()
    assert list(index.entries()) == []


def test_unknown_config_key_is_a_usage_error(project: MakeProject) -> None:
    root = project({
        "pyproject.toml": "[tool.pii_guard]\npii_types = ['x.Y']\n",
        "app/models.py": MODELS,
    })
    status, lines, stderr = _check(root)
    assert (status, lines) == (2, [])
    assert "unknown key 'pii_types'" in stderr and "pii-types" in stderr
    assert "Traceback" not in stderr


def test_wrongly_typed_config_value_is_a_usage_error(project: MakeProject) -> None:
    root = project({"pyproject.toml": "[tool.pii_guard]\nexclude = 'tests'\n", "a.py": ""})
    status, _, stderr = _check(root)
    assert status == 2
    assert "exclude must be a list of non-empty strings" in stderr


def test_missing_path_is_a_usage_error(project: MakeProject) -> None:
    root = project({"a.py": ""})
    status, _, stderr = _check(root, "nowhere")
    assert status == 2 and "nowhere: no such file or folder" in stderr


def test_bad_select_value_is_a_usage_error(project: MakeProject) -> None:
    root = project({"a.py": ""})
    status, _, stderr = _check(root, "--select", "pii-001")
    assert status == 2 and "is not a code or code prefix" in stderr
