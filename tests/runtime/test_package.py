"""`import pii_guard` gives the package as it always did: its submodules are attributes of it,
loaded when first used. Each check runs in a fresh interpreter, where nothing else has imported
them yet."""

from __future__ import annotations

import subprocess
import sys


def _run(script: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_submodules_are_attributes_of_the_package_after_a_bare_import() -> None:
    script = (
        "import pii_guard\n"
        "for name in ('models', 'types', 'storage', 'config', 'errors', 'queries', 'lookups',\n"
        "             'wire', 'annotations', 'cryptors'):\n"
        "    module = getattr(pii_guard, name)\n"
        "    print(name, module.__name__)\n"
    )
    assert _run(script).splitlines() == [
        f"{name} pii_guard.{name}"
        for name in (
            "models", "types", "storage", "config", "errors", "queries", "lookups", "wire",
            "annotations", "cryptors",
        )
    ]  # fmt: skip


def test_a_name_that_is_neither_public_nor_a_submodule_is_an_attribute_error() -> None:
    script = (
        "import pii_guard\n"
        "print(hasattr(pii_guard, 'no_such_module'), hasattr(pii_guard, '__wrapped__'),\n"
        "      hasattr(pii_guard, 'models.PIIModel'))\n"
    )
    assert _run(script) == "False False False"


def test_a_submodule_that_fails_to_import_raises_its_own_error() -> None:
    # SQLAlchemy made unimportable, as when the extra is not installed
    script = (
        "import sys\n"
        "sys.modules['sqlalchemy'] = None\n"
        "import pii_guard\n"
        "try:\n"
        "    pii_guard.sqlalchemy\n"
        "except AttributeError as error:\n"
        "    print('AttributeError', error)\n"
        "except ImportError as error:\n"
        "    print('ImportError', error.name)\n"
    )
    assert _run(script) == "ImportError sqlalchemy"
