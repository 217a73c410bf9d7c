"""The project index: every module's summary, and from them the models, PII fields and FK fields.

Summaries are built with `ast` (cheap) and cached in `<root>/.pii_guard_cache/` (see `cache`),
keyed on each file's content, so flake8 workers and repeated runs re-read only files that
changed. Which classes are models and which fields are PII or FK is resolved lazily, once per
process.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from stat import S_ISREG
from typing import Any

from flake8_pii.cache import content_hash, project_cache
from flake8_pii.config import Settings, load_settings
from flake8_pii.deep import retrying_on_large_stack
from flake8_pii.project import find_root, module_name, python_file_names
from flake8_pii.summary import ClassSummary, ModuleSummary, summarise
from flake8_pii.words import WordSearch

INDEX_ENTRY = "index-v4"

# A star import re-exports names without spelling them, so no trigger word shows in its text.
_STAR_IMPORT = re.compile(rb"\bimport\s*\*")

# Subscripted types whose arguments are looked into for PII types and models.
_WRAPPERS = frozenset({"Optional", "Union", "Annotated", "Required", "NotRequired", "Final"})

# A field whose default calls one of these declares a lookup (blind index) of the PII field the
# call names: `email_lookup: Lookup = lookup_of("email", normalizer="email")`.
LOOKUP_DECLARERS = frozenset(
    {"pii_guard.lookup_of", "pii_guard.lookups.lookup_of", "pii_guard.sqlalchemy.lookup_column"}
)
# A field annotated with this type holds a lookup value: a keyed hash, never PII.
LOOKUP_TYPES = frozenset({"pii_guard.Lookup", "pii_guard.lookups.Lookup"})


@dataclass(frozen=True)
class FieldInfo:
    """A model field: whether it holds PII, and the model it refers to (FK), if any."""

    name: str
    owner: str  # qualified name of the model that declares it
    pii: bool
    target: str | None  # qualified name of the referenced model
    many: bool  # the reference is a container of models
    lookup: bool = False  # a lookup field: annotated `Lookup` or declared with `lookup_of`
    indexes: str | None = None  # the PII field it is declared the lookup of (`lookup_of("x")`)


@dataclass(frozen=True)
class ModelInfo:
    qualname: str
    name: str
    fields: dict[str, FieldInfo]

    @property
    def has_pii(self) -> bool:
        return any(f.pii for f in self.fields.values())

    def lookup_for(self, pii_field: str) -> str | None:
        """The lookup field declared for `pii_field` (the first, as the runtime picks), or None."""
        for info in self.fields.values():
            if info.indexes == pii_field:
                return info.name
        return None


def _summary_of(data: bytes, filename: str, name: str, is_package: bool) -> ModuleSummary | None:
    """The summary of a module's source, or None when Python cannot parse it."""
    try:
        return retrying_on_large_stack(
            lambda: summarise(ast.parse(data, filename=filename), name, is_package)
        )
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


class ProjectIndex:
    """Summaries of every module under a root, and the models they define."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        summaries: dict[str, ModuleSummary],
        hashes: dict[str, str] | None = None,
    ):
        self.root = root
        self.settings = settings
        self.modules = summaries
        # module -> content hash of the file its summary was read from (parsed files only)
        self.hashes = hashes or {}
        self._models: dict[str, ModelInfo | None] = {}
        self._digests: dict[str, str] = {}

    # --- building -------------------------------------------------------------------------

    @classmethod
    def build(cls, root: Path, settings: Settings, use_cache: bool = True) -> ProjectIndex:
        """Index `root`, reading with `ast` only the files that can matter.

        A file can matter only if it mentions a trigger word: the name of a PII type, or of a
        model that reaches PII, or of a name that re-exports one. Starting from the PII type
        names, files that mention a trigger are summarised and their models add triggers,
        until nothing new is found. On Django (no PII) that parses nothing.
        """
        cache = project_cache(root) if use_cache else None
        cached: dict[str, Any] = cache.read(INDEX_ENTRY) if cache is not None else {}
        if cached.get("settings") != settings.digest():
            cached = {}
        old_files: dict[str, Any] = cached.get("files", {})
        stats: dict[str, tuple[int, int]] = {}
        inside_root = len(os.path.join(str(root), ""))
        for path in python_file_names(str(root), root, settings.exclude):
            try:
                stat = os.stat(path)
            except OSError:
                continue
            if not S_ISREG(stat.st_mode):
                continue  # reading a named pipe would wait for a writer forever
            relative = path[inside_root:].replace(os.sep, "/")
            stats[relative] = (stat.st_mtime_ns, stat.st_size)
        if set(stats) == set(old_files) and all(
            (old_files[rel]["mtime"], old_files[rel]["size"]) == stat for rel, stat in stats.items()
        ):
            files = old_files
        else:
            files = _scan(root, settings, stats, old_files)
            if cache is not None:
                cache.write(INDEX_ENTRY, {"settings": settings.digest(), "files": files})
        summaries: dict[str, ModuleSummary] = {}
        hashes: dict[str, str] = {}
        for entry in files.values():
            if "summary" not in entry:
                continue
            summary = ModuleSummary.from_json(entry["summary"])
            if summary.module not in summaries:
                summaries[summary.module] = summary
                if entry.get("parsed", True):
                    hashes[summary.module] = entry["hash"]
        return cls(root, settings, summaries, hashes)

    @cached_property
    def triggers(self) -> frozenset[str]:
        """Words one of which a module must contain to have anything to do with PII."""
        words = {name.rpartition(".")[2] for name in self.settings.pii_types}
        # a module re-exporting `lookup_of` must be indexed for the models importing it from there
        words.update(name.rpartition(".")[2] for name in LOOKUP_DECLARERS)
        words.update(name.rpartition(".")[2] for name in self.reaching_pii)
        for summary in self.modules.values():
            for local, target in summary.imports.items():
                resolved = self.resolve(target)
                if resolved in self.reaching_pii or self.is_pii_type(resolved):
                    words.add(local)
        return frozenset(words)

    @cached_property
    def trigger_search(self) -> WordSearch:
        return WordSearch(self.triggers)

    def mentions_pii(self, text: str) -> bool:
        """The cheap first test of a module: does its text name anything that leads to PII?"""
        return self.trigger_search.in_text(text)

    def known_summary(self, module: str, text: str) -> ModuleSummary | None:
        """The indexed summary of `module` when `text` is exactly what was indexed."""
        expected = self.hashes.get(module)
        if expected is None or expected != content_hash(text.encode("utf-8", "surrogatepass")):
            return None
        return self.modules.get(module)

    def with_module(self, summary: ModuleSummary) -> ProjectIndex:
        """This index, with one module's summary replaced (for text not yet saved)."""
        if self.modules.get(summary.module) == summary:
            return self
        modules = dict(self.modules)
        modules[summary.module] = summary
        hashes = {k: v for k, v in self.hashes.items() if k != summary.module}
        return ProjectIndex(self.root, self.settings, modules, hashes)

    # --- names ----------------------------------------------------------------------------

    def resolve(self, qualified: str, _depth: int = 0) -> str:
        """Follow re-exports inside the project: `shop.models.Customer` where `shop/models`
        imports it from `.customers` becomes `shop.models.customers.Customer`."""
        if _depth > 20:
            return qualified
        module, _, attr = qualified.rpartition(".")
        summary = self.modules.get(module)
        if summary is None:
            return qualified
        if attr in summary.classes:
            return qualified
        target = summary.imports.get(attr)
        if target is not None and target != qualified:
            return self.resolve(target, _depth + 1)
        return self._star_binding(summary, attr, _depth + 1) or qualified

    def qualify(self, summary: ModuleSummary, dotted: str) -> str | None:
        """The qualified name of a dotted expression as written in module `summary`."""
        head, _, rest = dotted.partition(".")
        if head in summary.imports:
            base = summary.imports[head]
        elif head in summary.classes:
            base = f"{summary.module}.{head}"
        else:
            star_bound = self._star_binding(summary, head)
            if star_bound is None:
                return None
            base = star_bound
        return self.resolve(f"{base}.{rest}" if rest else base)

    def _star_binding(self, summary: ModuleSummary, name: str, _depth: int = 0) -> str | None:
        """The class, PII type or lookup declaration that `name` is bound to by the module's
        star imports; a later star import rebinds what an earlier one bound."""
        for star in reversed(summary.star_imports):
            candidate = self.resolve(f"{star}.{name}", _depth)
            if (
                self.class_summary(candidate) is not None
                or candidate in self.settings.pii_types
                or candidate in LOOKUP_DECLARERS
                or candidate in LOOKUP_TYPES
            ):
                return candidate
        return None

    def qualify_annotation(self, summary: ModuleSummary, dotted: str) -> str | None:
        """`qualify` for a name in an annotation, where a bare name that the module neither
        imports nor defines is a builtin: `str` is `builtins.str`."""
        qualified = self.qualify(summary, dotted)
        if qualified is None and "." not in dotted:
            return f"builtins.{dotted}"
        return qualified

    def class_summary(self, qualified: str) -> ClassSummary | None:
        module, _, name = qualified.rpartition(".")
        summary = self.modules.get(module)
        return summary.classes.get(name) if summary is not None else None

    def is_pii_type(self, qualified: str) -> bool:
        return qualified in self.settings.pii_types

    # --- models ---------------------------------------------------------------------------

    def model(self, qualified: str) -> ModelInfo | None:
        """The model with this (resolved) qualified name, or None when it is not a model."""
        if qualified not in self._models:
            self._models[qualified] = None  # guards against inheritance cycles
            self._models[qualified] = self._build_model(qualified)
        return self._models[qualified]

    def _build_model(self, qualified: str) -> ModelInfo | None:
        cls = self.class_summary(qualified)
        if cls is None:
            return None
        module = self.modules[qualified.rpartition(".")[0]]
        fields: dict[str, FieldInfo] = {}
        inherits_model = False
        for base_name in reversed(self._base_names(module, cls)):
            base_model = self.model(base_name)
            if base_model is not None:
                inherits_model = True
                fields.update(base_model.fields)
        indexes = {
            name: named
            for name, callee, named in cls.defaults
            if self.qualify(module, callee) in LOOKUP_DECLARERS
        }
        for name, annotation in cls.fields:
            pii, target, many = self._annotation_facts(module, annotation)
            lookup = name in indexes or self._is_lookup_type(module, annotation)
            fields[name] = FieldInfo(
                name, qualified, pii, target, many, lookup, indexes.get(name)
            )
        if not cls.fields and not inherits_model:
            return None
        return ModelInfo(qualified, cls.name, fields)

    def _is_lookup_type(self, module: ModuleSummary, annotation: str) -> bool:
        """Whether an annotation is the `Lookup` type (also quoted, or as `pg.Lookup`)."""
        dotted = annotation.strip().strip("'\"").strip()
        if not dotted.replace(".", "").replace("_", "").isalnum():
            return False
        return self.qualify(module, dotted) in LOOKUP_TYPES

    def _is_model(self, qualified: str, _seen: frozenset[str] = frozenset()) -> bool:
        """Whether a class is a model, answered without building it: models that refer to each
        other (`Customer.orders` and `Order.customer`) ask this of a model still being built."""
        if self._models.get(qualified) is not None:
            return True
        cls = self.class_summary(qualified)
        if cls is None or qualified in _seen:
            return False
        if cls.fields:
            return True
        module = self.modules[qualified.rpartition(".")[0]]
        return any(
            self._is_model(base_name, _seen | {qualified})
            for base_name in self._base_names(module, cls)
        )

    def _base_names(self, module: ModuleSummary, cls: ClassSummary) -> list[str]:
        """The qualified names of a class's bases that can be resolved (`Base[T]` as `Base`)."""
        names = (self.qualify(module, base.split("[")[0]) for base in cls.bases)
        return [name for name in names if name is not None]

    def _annotation_facts(
        self, module: ModuleSummary, annotation: str
    ) -> tuple[bool, str | None, bool]:
        """(contains a PII type, referenced model, that reference is a container)."""
        try:
            tree = ast.parse(annotation, mode="eval").body
        except SyntaxError:
            return False, None, False
        return self._walk_annotation(module, tree, in_container=False)

    def _walk_annotation(
        self, module: ModuleSummary, node: ast.expr, in_container: bool
    ) -> tuple[bool, str | None, bool]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                inner = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return False, None, False
            return self._walk_annotation(module, inner, in_container)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            left = self._walk_annotation(module, node.left, in_container)
            right = self._walk_annotation(module, node.right, in_container)
            return _merge(left, right)
        if isinstance(node, ast.Subscript):
            outer = self.qualify(module, ast.unparse(node.value)) or ""
            if self.is_pii_type(outer):
                return True, None, False
            wrapper = outer.rpartition(".")[2] in _WRAPPERS
            elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if outer.rpartition(".")[2] == "Annotated":
                elements = elements[:1]
            facts: tuple[bool, str | None, bool] = (False, None, False)
            for element in elements:
                facts = _merge(
                    facts,
                    self._walk_annotation(module, element, in_container or not wrapper),
                )
            return facts
        if isinstance(node, ast.Name | ast.Attribute):
            qualified = self.qualify_annotation(module, ast.unparse(node))
            if qualified is None:
                return False, None, False
            if self.is_pii_type(qualified):
                return True, None, False
            if self._is_model(qualified):
                return False, qualified, in_container
        return False, None, False

    @cached_property
    def reaching_pii(self) -> frozenset[str]:
        """Models that have PII or reach a model with PII through FK fields."""
        models = {
            f"{summary.module}.{name}"
            for summary in self.modules.values()
            for name in summary.classes
        }
        known = {q: m for q in models if (m := self.model(q)) is not None}
        reaching = {q for q, m in known.items() if m.has_pii}
        grew = True
        while grew:
            grew = False
            for qualified, info in known.items():
                if qualified in reaching:
                    continue
                if any(f.target in reaching for f in info.fields.values()):
                    reaching.add(qualified)
                    grew = True
        return frozenset(reaching)

    @cached_property
    def names_leading_to_pii(self) -> frozenset[str]:
        """Qualified names whose import can bring a model that reaches PII into a module: the
        models, the modules and packages holding them, and the names re-exporting them."""
        names: set[str] = set()

        def add_with_prefixes(qualified: str) -> None:
            while qualified and qualified not in names:
                names.add(qualified)
                qualified = qualified.rpartition(".")[0]

        for qualified in self.reaching_pii:
            add_with_prefixes(qualified)
        for summary in self.modules.values():
            for local, target in summary.imports.items():
                if self.resolve(target) in self.reaching_pii:
                    add_with_prefixes(f"{summary.module}.{local}")
        return frozenset(names)

    def dependency_digest(self, summary: ModuleSummary) -> str:
        """A digest of every project module `summary` imports, transitively: findings of the
        module can only change when one of these does."""
        seen: set[str] = set()
        stack = [summary]
        while stack:
            current = stack.pop()
            for target in (*current.imports.values(), *current.star_imports):
                module = self._project_module_of(target)
                if module is not None and module not in seen and module != summary.module:
                    seen.add(module)
                    stack.append(self.modules[module])
        payload = "\x1f".join(self._module_digest(m) for m in sorted(seen))
        return content_hash(payload.encode())

    def _module_digest(self, module: str) -> str:
        if module not in self._digests:
            text = json.dumps(self.modules[module].to_json(), sort_keys=True)
            self._digests[module] = content_hash(text.encode())
        return self._digests[module]

    def _project_module_of(self, qualified: str) -> str | None:
        candidate = qualified
        while candidate:
            if candidate in self.modules:
                return candidate
            candidate = candidate.rpartition(".")[0]
        return None


def _merge(
    a: tuple[bool, str | None, bool], b: tuple[bool, str | None, bool]
) -> tuple[bool, str | None, bool]:
    return a[0] or b[0], a[1] or b[1], a[2] if a[1] else b[2]


def _scan(
    root: Path, settings: Settings, stats: dict[str, tuple[int, int]], old: dict[str, Any]
) -> dict[str, Any]:
    """Cache entries for every file: a summary for each file that mentions a trigger word."""
    files: dict[str, Any] = {}
    pending: list[str] = []
    for relative, (mtime, size) in stats.items():
        previous = old.get(relative)
        if (
            previous is not None
            and (previous["mtime"], previous["size"]) == (mtime, size)
            and "summary" in previous
        ):
            files[relative] = previous
            continue
        pending.append(relative)
    texts: dict[str, bytes] = {}
    for relative in pending:
        try:
            texts[relative] = (root / relative).read_bytes()
        except OSError:
            continue
    while True:
        summaries: dict[str, ModuleSummary] = {}
        for entry in files.values():
            summary = ModuleSummary.from_json(entry["summary"])
            summaries.setdefault(summary.module, summary)
        index = ProjectIndex(root, settings, summaries)
        search = WordSearch(index.triggers)
        # once there is a model to re-export, a star import may re-export it
        stars = bool(index.reaching_pii)
        found = [
            rel
            for rel, data in texts.items()
            if search.in_bytes(data) or (stars and _STAR_IMPORT.search(data))
        ]
        if not found:
            break
        for relative in found:
            files[relative] = _summarise(root, relative, texts.pop(relative), stats[relative])
    for relative in texts:
        mtime, size = stats[relative]
        files[relative] = {"mtime": mtime, "size": size}
    return files


def _summarise(root: Path, relative: str, data: bytes, stat: tuple[int, int]) -> dict[str, Any]:
    path = root / relative
    name, is_package = module_name(root, path)
    summary = _summary_of(data, str(path), name, is_package)
    return {
        "mtime": stat[0],
        "size": stat[1],
        "hash": content_hash(data),
        "summary": (summary or ModuleSummary(name)).to_json(),
        "parsed": summary is not None,
    }


_INDEXES: dict[tuple[Path, str], ProjectIndex] = {}
_ROOTS: dict[Path, Path] = {}
_SETTINGS: dict[tuple[Path, str], Settings] = {}


def project_for_file(path: Path, extra: Mapping[str, Sequence[str]]) -> tuple[Path, Settings]:
    """The root of the project holding `path` and its settings plus `extra` additions, looked
    up once per folder and read once per process: flake8 calls its plugin once per file."""
    folder = path.parent
    if folder not in _ROOTS:
        _ROOTS[folder] = find_root(path)
    root = _ROOTS[folder]
    key = (root, repr(sorted(extra.items())))
    if key not in _SETTINGS:
        _SETTINGS[key] = load_settings(root).extended(**extra)
    return root, _SETTINGS[key]


def project_index(root: Path, settings: Settings, use_cache: bool = True) -> ProjectIndex:
    """The index of `root`, built (or loaded from the cache) once per process."""
    key = (root, settings.digest())
    if key not in _INDEXES:
        _INDEXES[key] = ProjectIndex.build(root, settings, use_cache=use_cache)
    return _INDEXES[key]
