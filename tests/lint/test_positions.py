"""Positions computed per module-level statement equal libcst's whole-module positions."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from flake8_pii.positions import Locator
from flake8_pii.rule_pass import Where

TRICKY = {
    "decorators and comments": (
        "# header comment\n\nimport os\n\n\n@decorator\n@other(1)\ndef f(x):\n"
        "    # inside\n    return x.email\n\n# between\nclass A(B):\n    @property\n"
        "    def g(self): return self.email\n"
    ),
    "semicolons": "a = 1; b = customer.email; print(b)\nc = 2\n",
    "two-space indentation": "if x:\n  if y:\n    z = customer.email\n  w = 1\n",
    "tabs": "def f():\n\tif x:\n\t\treturn customer.email\n",
    "crlf": "x = 1\r\ndef f():\r\n    return customer.email\r\n",
    "continuations": "x = (\n    1 +\n    2\n)\ny = \\\n    customer.email\n",
    "strings spanning lines": 's = """\nline\n"""\nt = customer.email\n',
    "async and with": ("async def f():\n    async with a as b:\n        await b.get(email=1)\n"),
    "no trailing newline": "x = 1\ny = customer.email",
    "elif and else": (
        "if a:\n    x = 1\nelif customer.email:\n    y = (\n        2)\nelse:\n"
        "    z = customer.email\n"
    ),
    "try, loops with else, suites": (
        "def f():\n    try:\n        a = 1\n    except E as e: log(e)\n    finally:\n"
        "        for x in y: log(x.email)\n        else:\n            while z.email:\n"
        "                pass\n"
    ),
    "match": (
        "match command:\n    case {'email': e}:\n        log(e)\n    case _:\n        pass\n"
    ),
    "nested blocks with mixed indentation": (
        "class A:\n  def f(self):\n      with open(p) as h, x:\n        if h:\n"
        "         return log(self.email,\n                    h)\n"
    ),
}


class _Contexts(cst.CSTVisitor):
    """For every node: the module-level statement, the innermost statement holding it (as the
    engine's walker records it) and the indented blocks around that statement."""

    def __init__(self) -> None:
        super().__init__()
        self.top: cst.CSTNode | None = None
        self.owners: list[cst.CSTNode] = []
        self.blocks: list[cst.IndentedBlock] = []
        self.found: list[tuple[cst.CSTNode, Where]] = []
        self.owner_blocks: dict[cst.CSTNode, tuple[cst.IndentedBlock, ...]] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.SimpleStatementLine | cst.If | cst.For | cst.While | cst.With):
            self.owners.append(node)
            self.owner_blocks[node] = tuple(self.blocks)
        if self.top is not None and self.owners:
            owner = self.owners[-1]
            self.found.append((node, (self.top, owner, self.owner_blocks[owner])))
        if isinstance(node, cst.IndentedBlock):
            self.blocks.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if isinstance(original_node, cst.IndentedBlock):
            self.blocks.pop()
        if self.owners and self.owners[-1] is original_node:
            self.owners.pop()


def _assert_same_positions(text: str) -> None:
    module = cst.parse_module(text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    locate = Locator(module, text)
    contexts = _Contexts()
    for top in module.body:
        contexts.top = top
        top.visit(contexts)
    assert contexts.found
    for node, (top, owner, blocks) in contexts.found:
        if node not in expected:
            continue
        where = expected[node]
        truth = (where.start.line, where.start.column + 1, where.end.line)
        assert locate(node, top) == truth, module.code_for_node(node)
        assert locate(node, top, owner, blocks) == truth, module.code_for_node(node)


@pytest.mark.parametrize("text", TRICKY.values(), ids=TRICKY.keys())
def test_positions_match_on_tricky_layouts(text: str) -> None:
    _assert_same_positions(text)


@pytest.mark.parametrize(
    "name",
    ["argparse.py", "dataclasses.py", "typing.py", "asyncio/base_events.py", "test/test_patma.py"],
)
@pytest.mark.slow
def test_positions_match_on_real_modules(name: str) -> None:
    path = Path(sysconfig.get_paths()["stdlib"]) / name
    if not path.exists():
        pytest.skip(f"{name} is not installed with this Python")
    _assert_same_positions(path.read_text(encoding="utf-8"))
