"""SARIF output validates against the official 2.1.0 schema and carries what GitHub needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from flake8_pii.findings import RULES, Finding
from flake8_pii.fingerprint import FINGERPRINT_KEY, fingerprint
from flake8_pii.sarif import build_sarif

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def _findings() -> list[Finding]:
    return [
        Finding(
            "app/views.py",
            12,
            30,
            "PII001",
            RULES["PII001"].message(subject="C.email"),
            "C.email",
            "C.objects.filter(email=e)",
        ),
        Finding(
            "app/models.py",
            7,
            29,
            "PII003",
            RULES["PII003"].message(subject="C.email"),
            "C.email",
            "__primary_key__ = ['email']",
        ),
    ]


def _document(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return build_sarif(_findings(), tmp_path, lambda f: f.path, "1.2.3", **extra)


def assert_valid(validator: jsonschema.Draft4Validator, document: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(document), key=str)
    assert errors == [], "\n".join(e.message for e in errors)


def test_sarif_validates_against_the_official_schema(
    tmp_path: Path, sarif_validator: jsonschema.Draft4Validator
) -> None:
    assert_valid(sarif_validator, _document(tmp_path))


def test_sarif_with_unanalysable_files_still_validates(
    tmp_path: Path, sarif_validator: jsonschema.Draft4Validator
) -> None:
    document = _document(tmp_path, notifications=[("broken.py", "syntax error at 3:1")])
    assert_valid(sarif_validator, document)
    invocation = document["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == "syntax error at 3:1"


def test_the_validator_rejects_a_broken_document(
    tmp_path: Path, sarif_validator: jsonschema.Draft4Validator
) -> None:
    document = _document(tmp_path)
    document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert list(sarif_validator.iter_errors(document))


def test_every_rule_is_described_with_a_help_link(tmp_path: Path) -> None:
    rules = _document(tmp_path)["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == sorted(RULES)
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["helpUri"].endswith(f"/docs/rules/{rule['id']}.md")


def test_results_point_at_repository_relative_locations(tmp_path: Path) -> None:
    run = _document(tmp_path)["runs"][0]
    first = run["results"][0]
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app/views.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 12, "startColumn": 30}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    assert run["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == "PII001"


def test_partial_fingerprint_is_the_baseline_fingerprint(tmp_path: Path) -> None:
    result = _document(tmp_path)["runs"][0]["results"][0]
    expected = fingerprint(_findings()[0], "app/views.py")
    assert result["partialFingerprints"] == {FINGERPRINT_KEY: expected}
