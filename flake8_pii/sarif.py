"""SARIF 2.1.0 output, in the shape GitHub code scanning accepts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from flake8_pii.findings import RULES, Finding
from flake8_pii.fingerprint import FINGERPRINT_KEY, fingerprint

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
INFORMATION_URI = "https://github.com/pii-guard/pii-guard"


def _rule_descriptor(code: str) -> dict[str, Any]:
    rule = RULES[code]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {
            "text": f"{rule.why} See {rule.help_uri}",
            "markdown": f"{rule.why}\n\nSee [{rule.code}]({rule.help_uri}).",
        },
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": rule.level},
        "properties": {"tags": list(rule.tags), "precision": "high"},
    }


def build_sarif(
    findings: Sequence[Finding],
    root: Path,
    relative_path: Callable[[Finding], str],
    version: str,
    notifications: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """One run with every rule of the catalogue and a result per finding.

    `notifications` are (relative path, message) pairs for files that could not be analysed;
    they become tool execution notifications, so the run still says what it did not see.
    """
    codes = sorted(RULES)
    index_of = {code: position for position, code in enumerate(codes)}
    results = []
    for finding in findings:
        rel = relative_path(finding)
        results.append(
            {
                "ruleId": finding.code,
                "ruleIndex": index_of[finding.code],
                "level": RULES[finding.code].level,
                "message": {"text": finding.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": rel, "uriBaseId": SRCROOT},
                            "region": {
                                "startLine": finding.line,
                                "startColumn": finding.column,
                            },
                        }
                    }
                ],
                "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding, rel)},
            }
        )
    invocation: dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {"text": message},
                "locations": [
                    {"physicalLocation": {"artifactLocation": {"uri": rel, "uriBaseId": SRCROOT}}}
                ],
            }
            for rel, message in notifications
        ]
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pii-guard",
                        "version": version,
                        "semanticVersion": version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule_descriptor(code) for code in codes],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": root.resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [invocation],
                "results": results,
            }
        ],
    }
