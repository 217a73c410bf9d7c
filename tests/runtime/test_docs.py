"""The runtime guide's examples run as written, and the configuration reference is complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pii_guard.config
from pii_guard import LocalKeyCryptor
from tests.support.kms_server import KMSServer

DOCS = Path(__file__).resolve().parents[2] / "docs"
CODE_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_every_python_example_of_the_runtime_guide_runs(
    monkeypatch: pytest.MonkeyPatch, kms_server: KMSServer, kms_key_id: str
) -> None:
    monkeypatch.setenv("PII_GUARD_CRYPTO_SERVICE", "local")
    monkeypatch.setenv("PII_GUARD_LOCAL_KEY", LocalKeyCryptor.generate_key())
    monkeypatch.setenv("PII_GUARD_KMS_KEY_ID", kms_key_id)
    monkeypatch.setenv("PII_GUARD_KMS_ENDPOINT_URL", kms_server.endpoint_url)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    guide = (DOCS / "runtime.md").read_text()
    blocks = CODE_BLOCK.findall(guide)
    assert len(blocks) >= 10

    namespace: dict[str, object] = {"__name__": "runtime_guide"}
    for number, block in enumerate(blocks, start=1):
        # dont_inherit: the guide's code runs without this file's `from __future__` imports.
        code = compile(block, f"docs/runtime.md python block {number}", "exec", dont_inherit=True)
        exec(code, namespace)


def test_the_configuration_reference_lists_every_runtime_variable() -> None:
    source = Path(pii_guard.config.__file__).read_text()
    variables = set(re.findall(r'"((?:PII_GUARD|AMSDAL)_[A-Z_]+)"', source))
    reference = (DOCS / "configuration.md").read_text()
    section = reference.split("## Runtime: environment variables", 1)[1].split("\n## ", 1)[0]

    assert len(variables) >= 12
    assert sorted(v for v in variables if f"`{v}`" not in section) == []
