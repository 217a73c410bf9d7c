"""`pii-guard check` as users run it: exit codes, errors, formats, baselines and the cache."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from tests.lint.conftest import (
    CUSTOMER_MODELS,
    FILTER_ON_EMAIL,
    FILTER_ON_ID,
    run_tool,
    write_project,
)

REPOSITORY = Path(__file__).resolve().parents[2]
SCHEMA = REPOSITORY / "tests" / "fixtures" / "sarif-schema-2.1.0.json"


def _shop(root: Path, **extra: str) -> Path:
    files = {"app/__init__.py": "", "app/models.py": CUSTOMER_MODELS, "app/bad.py": FILTER_ON_EMAIL}
    files.update(extra)
    return write_project(root, files)


def test_findings_exit_1_and_clean_code_exits_0(tmp_path: Path) -> None:
    root = _shop(tmp_path, **{"app/good.py": FILTER_ON_ID})
    bad = run_tool("pii-guard", "check", "app/bad.py", cwd=root)
    assert bad.returncode == 1
    assert bad.stdout.startswith("app/bad.py:5:36: PII001 filter on PII field Customer.email")
    good = run_tool("pii-guard", "check", "app/good.py", cwd=root)
    assert (good.returncode, good.stdout) == (0, "")


def test_file_that_does_not_parse_is_reported_once_and_the_run_goes_on(tmp_path: Path) -> None:
    root = _shop(tmp_path, **{"app/broken.py": "def f(:\n"})
    result = run_tool("pii-guard", "check", "app", cwd=root)
    assert result.returncode == 1
    assert result.stderr.count("app/broken.py: cannot analyse: syntax error at 1:") == 1
    assert "PII001" in result.stdout
    assert "Traceback" not in result.stderr


def _check_with_pyproject(root: Path, pyproject: str) -> subprocess.CompletedProcess[str]:
    (root / "pyproject.toml").write_text(pyproject)
    return run_tool("pii-guard", "check", "app", cwd=root)


@pytest.mark.parametrize(
    ("pyproject", "error"),
    [
        ("[tool.pii_guard]\nlog-sinks = ['x']\n", "[tool.pii_guard]: unknown key 'log-sinks'"),
        ("[tool.pii_guard]\nexclude = 'x'\n", "'exclude' must be a list of strings"),
        ("[tool.pii_guard\n", "pyproject.toml: not valid TOML"),
        ("[tool.pii-guard]\nlog-sinks = ['x']\n", "[tool.pii-guard]: unknown key 'log-sinks'"),
        ("[tool.pii-guard]\n[tool.pii_guard]\n", "both [tool.pii_guard] and [tool.pii-guard]"),
    ],
)
def test_configuration_errors_name_the_key_and_exit_2(
    tmp_path: Path, pyproject: str, error: str
) -> None:
    result = _check_with_pyproject(_shop(tmp_path), pyproject)
    assert (result.returncode, result.stdout) == (2, "")
    assert error in result.stderr


def test_hyphenated_table_is_read_like_the_underscored_one(tmp_path: Path) -> None:
    root = _shop(tmp_path)
    assert _check_with_pyproject(root, "[tool.pii-guard]\n").returncode == 1
    excluded = _check_with_pyproject(root, '[tool.pii-guard]\nexclude = ["app/bad.py"]\n')
    assert (excluded.returncode, excluded.stdout) == (0, "")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    root = _shop(tmp_path)
    assert run_tool("pii-guard", "check", "missing/", cwd=root).returncode == 2
    bad_code = run_tool("pii-guard", "check", "--select", "PII-1", "app", cwd=root)
    assert bad_code.returncode == 2
    assert "--select" in bad_code.stderr


@pytest.mark.parametrize("option", ["--select", "--ignore"])
@pytest.mark.parametrize("codes", ["XYZ", "PII01", "PII001,E501"])
def test_codes_that_match_no_pii_code_are_a_usage_error(
    tmp_path: Path, option: str, codes: str
) -> None:
    root = _shop(tmp_path)
    result = run_tool("pii-guard", "check", option, codes, "app", cwd=root)
    assert (result.returncode, result.stdout) == (2, "")
    unknown = codes.split(",")[-1]
    assert f"pii-guard: error: {option}: {unknown!r} matches no pii-guard code" in result.stderr
    assert "PII001, PII002" in result.stderr


def test_select_and_ignore_mirror_flake8(tmp_path: Path) -> None:
    root = _shop(tmp_path)
    assert run_tool("pii-guard", "check", "--ignore", "PII001", "app", cwd=root).stdout == ""
    selected = run_tool(
        "pii-guard", "check", "--select", "PII0", "--ignore", "PII", "app", cwd=root
    )
    assert "PII001" in selected.stdout


def test_sarif_of_the_examples_validates_against_the_schema(tmp_path: Path) -> None:
    output = tmp_path / "out.sarif"
    result = run_tool(
        "pii-guard", "check", "--exit-zero", "--no-cache", "--format", "sarif",
        "--output", str(output), "examples/", cwd=REPOSITORY,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(output.read_text())
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text()))
    assert list(validator.iter_errors(document)) == []
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in document["runs"][0]["results"]
    }
    assert "examples/shop/queries.py" in uris


def test_json_output_has_the_documented_shape(tmp_path: Path) -> None:
    root = _shop(tmp_path)
    result = run_tool("pii-guard", "check", "--format", "json", "app", cwd=root)
    document = json.loads(result.stdout)
    assert document["version"] == 1
    (finding,) = document["findings"]
    assert set(finding) == {
        "path", "line", "column", "code", "message", "subject", "fingerprint"
    }  # fmt: skip
    assert (finding["code"], finding["subject"]) == ("PII001", "Customer.email")


def test_baseline_hides_recorded_findings_but_not_new_ones(tmp_path: Path) -> None:
    root = _shop(tmp_path)
    recorded = run_tool("pii-guard", "check", "--write-baseline", "base.json", "app", cwd=root)
    assert recorded.returncode == 0
    bad = root / "app" / "bad.py"
    bad.write_text("# moved down\n\n" + bad.read_text())
    assert run_tool("pii-guard", "check", "--baseline", "base.json", "app", cwd=root).stdout == ""
    bad.write_text(bad.read_text() + "\n\ndef again(a: str) -> object:\n"
                   "    return Customer.objects.filter(email=a).first()\n")  # fmt: skip
    new = run_tool("pii-guard", "check", "--baseline", "base.json", "app", cwd=root)
    assert new.returncode == 1
    assert len(new.stdout.splitlines()) == 1


def test_warm_cache_gives_the_same_findings_and_follows_model_changes(tmp_path: Path) -> None:
    root = _shop(tmp_path, **{"app/good.py": FILTER_ON_ID})
    cold = run_tool("pii-guard", "check", "app", cwd=root).stdout
    assert (root / ".pii_guard_cache").is_dir()
    assert run_tool("pii-guard", "check", "app", cwd=root).stdout == cold
    # the model file changes: email is no longer PII, so the finding must go
    (root / "app" / "models.py").write_text(CUSTOMER_MODELS.replace("email: PIIStr", "email: str"))
    assert run_tool("pii-guard", "check", "app", cwd=root).stdout == ""
    shutil.rmtree(root / ".pii_guard_cache")
    assert run_tool("pii-guard", "check", "app", cwd=root).stdout == ""


def test_after_a_model_change_only_the_files_depending_on_it_are_analysed_again(
    tmp_path: Path,
) -> None:
    patients = CUSTOMER_MODELS.replace("Customer", "Patient")
    root = _shop(
        tmp_path,
        **{
            "clinic/__init__.py": "",
            "clinic/models.py": patients,
            "clinic/bad.py": FILTER_ON_EMAIL.replace("app.", "clinic.").replace(
                "Customer", "Patient"
            ),
        },
    )
    findings = root / ".pii_guard_cache" / "findings"
    cold = run_tool("pii-guard", "check", ".", cwd=root).stdout
    assert len(cold.splitlines()) == 2
    before = set(findings.iterdir())
    # a new field on Customer: app/models.py and app/bad.py, which imports it, are analysed
    # again (new cache entries); clinic/ does not depend on it and is answered from the cache
    changed = CUSTOMER_MODELS + "    name: PIIStr\n"
    (root / "app" / "models.py").write_text(changed)
    warm = run_tool("pii-guard", "check", ".", cwd=root).stdout
    assert warm == cold
    assert len(set(findings.iterdir()) - before) == 2
    shutil.rmtree(root / ".pii_guard_cache")
    assert run_tool("pii-guard", "check", ".", cwd=root).stdout == cold
