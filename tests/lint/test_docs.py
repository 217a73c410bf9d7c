"""The docs stay true to the code: rule pages, the configuration reference, links, the tutorial.

What must be documented is read from the code (the catalogue, the `[tool.pii_guard]` keys, the
options flake8 lists for the plugin, the variables the runtime reads), so a new one without docs
fails here.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from flake8_pii.config import KEYS, settings_from_table
from flake8_pii.findings import RULES
from tests.lint.conftest import check_file, run_tool, write_project

REPOSITORY = Path(__file__).resolve().parents[2]
DOCS = REPOSITORY / "docs"
RUNTIME = REPOSITORY / "pii_guard"
ANALYZER = REPOSITORY / "flake8_pii"
CONFIGURATION = (DOCS / "configuration.md").read_text(encoding="utf-8")
ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _example(page: str, heading: str) -> str:
    match = re.search(rf"^## {heading}\n+```python\n(.*?)^```", page, re.M | re.S)
    assert match is not None, f"no python example under '## {heading}'"
    return match.group(1)


# a flake8-only code has no example `pii-guard check` could run: its tests run flake8
@pytest.mark.parametrize("code", sorted(c for c, rule in RULES.items() if not rule.flake8_only))
def test_rule_page_bad_example_is_flagged_and_good_one_is_not(tmp_path: Path, code: str) -> None:
    page = (DOCS / "rules" / f"{code}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {code}: ")
    assert f"# noqa: {code}" in page
    for heading, expected in (("Bad", [code]), ("Good", [])):
        root = write_project(tmp_path / heading, {"app/example.py": _example(page, heading)})
        found = sorted({f.code for f in check_file(root / "app" / "example.py")})
        assert found == expected, heading


def test_every_rule_page_is_a_code_of_the_catalogue() -> None:
    pages = {page.stem for page in (DOCS / "rules").glob("*.md")} - {"README"}
    assert pages == set(RULES)


def test_the_list_of_rule_pages_is_the_catalogue() -> None:
    listed = run_tool("pii-guard", "rules", "--markdown", cwd=REPOSITORY)
    index = (DOCS / "rules" / "README.md").read_text(encoding="utf-8")
    assert listed.returncode == 0, listed.stderr
    assert index.endswith("\n\n" + listed.stdout)


# the configuration reference: one table row per setting, with a default and an example


def _table_rows(page: str) -> list[dict[str, str]]:
    """Every row of every markdown table in `page`, as header -> cell."""
    rows: list[dict[str, str]] = []
    header: list[str] = []
    for line in page.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not header:
            header = cells
        elif not set(line) <= set("|-: "):
            rows.append(dict(zip(header, cells, strict=False)))
    return rows


def _documented(name: str) -> dict[str, str]:
    """The configuration reference's row for `name`, which must have a default and an example."""
    for row in _table_rows(CONFIGURATION):
        first = next(iter(row.values()))
        if f"`{name}`" in first:
            default = next((v for k, v in row.items() if k.startswith("default")), "")
            assert default, f"{name}: no default in its row"
            assert row.get("example"), f"{name}: no example in its row"
            return row
    raise AssertionError(f"{name} is not documented in docs/configuration.md")


@pytest.mark.parametrize("key", sorted(KEYS))
def test_every_pyproject_key_is_documented(key: str) -> None:
    _documented(key)


def _plugin_options() -> set[str]:
    """The options flake8 lists for the plugin, as a user sees them in `flake8 --help`."""
    result = run_tool("flake8", "--help", cwd=REPOSITORY)
    assert result.returncode == 0, result.stderr
    return set(re.findall(r"(--pii-[a-z-]+)", result.stdout))


def test_every_flake8_option_of_the_plugin_is_documented() -> None:
    options = _plugin_options()
    assert options, "flake8 --help lists no option of the plugin"
    for option in sorted(options):
        _documented(option)


def _runtime_variables() -> set[str]:
    """Every variable name `pii_guard.config.load_settings` passes to its readers."""
    tree = ast.parse((RUNTIME / "config.py").read_text(encoding="utf-8"))
    (load,) = (
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "load_settings"
    )
    return {
        argument.value
        for call in ast.walk(load)
        if isinstance(call, ast.Call)
        for argument in call.args
        if isinstance(argument, ast.Constant)
        and isinstance(argument.value, str)
        and ENV_NAME.fullmatch(argument.value)
    }


def test_every_environment_variable_the_runtime_reads_is_documented() -> None:
    variables = _runtime_variables()
    assert any(name.startswith("PII_GUARD_") for name in variables), variables
    for name in sorted(variables):
        _documented(name)


def test_only_load_settings_reads_the_environment() -> None:
    # otherwise the variables above would not be all the runtime reads
    for path in sorted(RUNTIME.rglob("*.py")):
        if path != RUNTIME / "config.py":
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\benviron\b|\bgetenv\b", text), path


def _analyzer_variables() -> set[str]:
    """Every variable `flake8_pii.cache_key.key_folder` reads, named there or by a constant."""
    tree = ast.parse((ANALYZER / "cache_key.py").read_text(encoding="utf-8"))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    (folder,) = (
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "key_folder"
    )
    names: set[str] = set()
    for call in ast.walk(folder):
        if isinstance(call, ast.Call) and ast.unparse(call.func) == "os.environ.get":
            argument = call.args[0]
            if isinstance(argument, ast.Constant):
                names.add(argument.value)
            elif isinstance(argument, ast.Name):
                names.add(constants[argument.id])
    return names


def test_every_environment_variable_the_analyzer_reads_is_documented() -> None:
    variables = _analyzer_variables()
    assert "PII_GUARD_CACHE_KEY_DIR" in variables, variables
    for name in sorted(variables):
        _documented(name)


def test_only_the_cache_key_reads_analyzer_settings_from_the_environment() -> None:
    # once.py passes a flake8 run's name to its worker processes: internal, not a setting
    for path in sorted(ANALYZER.rglob("*.py")):
        if path.name not in ("cache_key.py", "once.py"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\benviron\b|\bgetenv\b", text), path


def test_pyproject_examples_are_valid_settings() -> None:
    pages = [REPOSITORY / "README.md", *sorted(DOCS.rglob("*.md"))]
    examples = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"^```toml\n(.*?)^```", text, re.M | re.S):
            table = tomllib.loads(block).get("tool", {}).get("pii_guard")
            if table is not None:
                settings_from_table(table, f"{page.name} example")
                examples += 1
    assert examples >= 2


# links


def _docs_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def test_readme_links_every_docs_page() -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    linked = {(REPOSITORY / target.split("#")[0]).resolve() for target in LINK.findall(readme)}
    # rule pages are linked from the list of rules, which the README links
    pages = [page for page in _docs_pages() if page.parent.name != "rules" or page.stem == "README"]
    missing = [page.relative_to(REPOSITORY) for page in pages if page not in linked]
    assert missing == []


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.*)$", page.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", [REPOSITORY / "README.md", *_docs_pages()], ids=lambda p: p.name)
def test_relative_links_point_at_files_and_headings_that_exist(page: Path) -> None:
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: {target}"
        if anchor:
            assert anchor in _anchors(linked), f"{page.name}: {target}"


# the tutorial


def test_getting_started_prints_what_the_page_says(tmp_path: Path) -> None:
    page = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    files = dict(re.findall(r"`(app/\w+\.py)`:\n\n```python\n(.*?)^```", page, re.M | re.S))
    assert sorted(files) == ["app/models.py", "app/views.py"]
    shown = re.search(r"^```console\n\$ pii-guard check\n(.*?)^```", page, re.M | re.S)
    assert shown is not None
    root = write_project(tmp_path, files)
    result = run_tool("pii-guard", "check", cwd=root)
    assert result.returncode == 1
    assert result.stdout == shown.group(1)
