"""The adoption guide's examples run as written, on a real (in-memory SQLite) database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pii_guard import LocalKeyCryptor

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "adopting.md"
CODE_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_every_python_example_of_the_adoption_guide_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PII_GUARD_CRYPTO_SERVICE", "local")
    monkeypatch.setenv("PII_GUARD_LOCAL_KEY", LocalKeyCryptor.generate_key())
    blocks = CODE_BLOCK.findall(GUIDE.read_text())
    assert len(blocks) >= 4

    namespace: dict[str, object] = {"__name__": "adopting_guide"}
    for number, block in enumerate(blocks, start=1):
        code = compile(block, f"docs/adopting.md python block {number}", "exec", dont_inherit=True)
        exec(code, namespace)
