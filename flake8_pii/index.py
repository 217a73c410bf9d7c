"""The project index: which classes are models, which fields are PII or FK, across all files.

Modules are found from the project root like the import system would find them and summarised
lazily, only when an import in a checked file leads to them; each summary comes from the on-disk
cache when the file's contents are unchanged. Everything derived from summaries (qualified names,
models, PII reachability) is worked out on demand and remembered for the life of the process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from flake8_pii.cache import SummaryCache, content_key
from flake8_pii.config import Config
from flake8_pii.files import python_files_under
from flake8_pii.summary import ModuleSummary, TypeRef, summarise_source

# Generic types whose arguments are what the field holds: (one value) or (many values).
_TRANSPARENT = frozenset(
    {"Optional", "Union", "Annotated", "Required", "NotRequired", "ReadOnly", "Final"}
)
_CONTAINERS = frozenset(
    {
        "list", "List", "set", "Set", "frozenset", "FrozenSet", "tuple", "Tuple", "Sequence",
        "MutableSequence", "Iterable", "Iterator", "Collection", "AbstractSet", "dict", "Dict",
        "Mapping", "MutableMapping", "DefaultDict", "defaultdict", "OrderedDict",
    }
)
_MAX_DEPTH = 40


@dataclass(frozen=True)
class FieldInfo:
    """A model field: PII when its annotation holds a PII type; FK when it holds another model."""

    name: str
    pii: bool
    target: str | None = None
    many: bool = False


@dataclass
class ModelInfo:
    qualname: str
    fields: dict[str, FieldInfo]

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Symbol:
    """What a qualified name denotes: a project module, class or alias, or something outside."""

    kind: Literal["module", "class", "alias", "external"]
    qualname: str


@dataclass
class ModuleEntry:
    name: str
    is_package: bool
    summary: ModuleSummary
    key: str
    bindings: dict[str, str] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    inner_bindings: dict[str, str] = field(default_factory=dict)

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class TypeInfo:
    """What an annotation says: holds a PII type; and which models it holds, one or many."""

    pii: bool = False
    models: tuple[tuple[str, bool], ...] = ()


class ProjectIndex:
    def __init__(self, root: Path, config: Config, cache: SummaryCache | None) -> None:
        self.root = root
        self.config = config
        self.cache = cache
        self.source_roots = [r for r in (root / "src", root) if r.is_dir()]
        self._entries: dict[str, ModuleEntry | None] = {}
        self.summaries_parsed = 0
        self._may_have_pii: bool | None = None
        # Any use of a PII type, however imported or aliased, spells its name somewhere.
        short_names = sorted({name.rsplit(".", 1)[-1] for name in config.pii_types})
        self._pii_type_names = re.compile(
            rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in short_names) + rb")\b"
        )
        self._reset_derived()

    def may_have_pii(self) -> bool:
        """False when no Python file of the project names any PII type: then no model has PII
        and no file can have a finding. A project-wide text search, done once per process,
        stopping at the first file that names one; far cheaper than summarising every module
        a file imports, which code bases that never touch PII would otherwise pay for.
        """
        if self._may_have_pii is None:
            self._may_have_pii = False
            for path in python_files_under(str(self.root)):
                try:
                    with open(path, "rb") as handle:
                        if self.names_pii_type(handle.read()):
                            self._may_have_pii = True
                            break
                except OSError:
                    continue
        return self._may_have_pii

    def names_pii_type(self, source: bytes) -> bool:
        return self._pii_type_names.search(source) is not None

    def _reset_derived(self) -> None:
        self._symbols: dict[str, Symbol] = {}
        self._models: dict[str, ModelInfo | None] = {}
        self._class_pii: dict[str, bool] = {}
        self._module_pii: dict[str, bool] = {}

    # -- modules -------------------------------------------------------------------------------

    def module_name_for(self, path: Path) -> tuple[str, bool]:
        """The dotted name a file is imported under, and whether it is a package `__init__`."""
        path = path.resolve()
        top = path.parent
        while (top / "__init__.py").exists() and top != top.parent:
            top = top.parent
        base = top
        for source_root in self.source_roots:
            if top == source_root or source_root in top.parents:
                base = source_root
                break
        if base == top and top not in self.source_roots:
            self.source_roots.append(top)
        parts = list(path.relative_to(base).with_suffix("").parts)
        is_package = path.name == "__init__.py"
        if is_package:
            parts = parts[:-1]
        return ".".join(parts), is_package

    def set_source(
        self, path: Path, text: str, summary: ModuleSummary | None = None
    ) -> ModuleEntry:
        """Register the text being checked (which may differ from the file on disk)."""
        name, is_package = self.module_name_for(path)
        key = content_key(text.encode("utf-8", "surrogatepass"))
        previous = self._entries.get(name)
        if previous is not None and previous.key == key:
            return previous
        if summary is None:
            summary = self._cached_summary(key, text)
        entry = self._make_entry(name, is_package, summary, key)
        if name in self._entries:
            self._reset_derived()
        self._entries[name] = entry
        return entry

    def cached_summary_for_text(self, text: str) -> ModuleSummary | None:
        if self.cache is None:
            return None
        return self.cache.load(content_key(text.encode("utf-8", "surrogatepass")))

    def store_summary_for_text(self, text: str, summary: ModuleSummary) -> None:
        self.summaries_parsed += 1
        if self.cache is not None:
            self.cache.store(content_key(text.encode("utf-8", "surrogatepass")), summary)

    def module(self, name: str) -> ModuleEntry | None:
        if name in self._entries:
            return self._entries[name]
        entry = self._load(name)
        self._entries[name] = entry
        return entry

    def _load(self, name: str) -> ModuleEntry | None:
        if not name or any(not part.isidentifier() for part in name.split(".")):
            return None
        relative = Path(*name.split("."))
        for source_root in self.source_roots:
            candidate = source_root / relative
            for path, is_package in ((candidate.with_suffix(".py"), False),
                                     (candidate / "__init__.py", True)):
                if path.is_file():
                    try:
                        data = path.read_bytes()
                    except OSError:
                        continue
                    key = content_key(data)
                    return self._make_entry(name, is_package, self._cached_summary(key, data), key)
            if candidate.is_dir():
                return self._make_entry(name, True, ModuleSummary(), "")
        return None

    def _cached_summary(self, key: str, source: str | bytes) -> ModuleSummary:
        if self.cache is not None:
            cached = self.cache.load(key)
            if cached is not None:
                return cached
        summary = summarise_source(source)
        self.summaries_parsed += 1
        if self.cache is not None:
            self.cache.store(key, summary)
        return summary

    def _make_entry(
        self, name: str, is_package: bool, summary: ModuleSummary, key: str
    ) -> ModuleEntry:
        entry = ModuleEntry(name, is_package, summary, key)
        for record in summary.imports:
            if record.level:
                base_parts = entry.package.split(".") if entry.package else []
                keep = len(base_parts) - (record.level - 1)
                if keep < 0:
                    continue
                base = ".".join(base_parts[:keep])
                module = ".".join(p for p in (base, record.module) if p)
            else:
                module = record.module
            if record.name is None:
                target = module
                local = record.asname or module.split(".")[0]
                bound = module if record.asname else local
            elif record.name == "*":
                if record.toplevel:
                    entry.stars.append(module)
                entry.imported.append(module)
                continue
            else:
                target = f"{module}.{record.name}" if module else record.name
                local = record.asname or record.name
                bound = target
            entry.imported.append(target)
            if record.toplevel:
                entry.bindings[local] = bound
            else:
                entry.inner_bindings.setdefault(local, bound)
        return entry

    # -- names ---------------------------------------------------------------------------------

    def qualify(self, entry: ModuleEntry, dotted: str) -> str:
        """Turn a name as written in `entry` into a qualified name, through its imports."""
        head, _, rest = dotted.partition(".")
        if head in entry.summary.classes or head in entry.summary.aliases:
            base = f"{entry.name}.{head}"
        elif head in entry.bindings:
            base = entry.bindings[head]
        elif head in entry.inner_bindings:
            base = entry.inner_bindings[head]
        else:
            return dotted
        return f"{base}.{rest}" if rest else base

    def resolve(self, qualname: str) -> Symbol:
        """Follow re-exports and aliases to what a qualified name finally denotes."""
        if qualname not in self._symbols:
            self._symbols[qualname] = Symbol("external", qualname)  # guards import cycles
            self._symbols[qualname] = self._resolve(qualname, 0)
        return self._symbols[qualname]

    def _resolve(self, qualname: str, depth: int) -> Symbol:
        if depth > _MAX_DEPTH or qualname in self.config.pii_types:
            return Symbol("external", qualname)
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            module_name = ".".join(parts[:cut])
            entry = self.module(module_name)
            if entry is None:
                continue
            if cut == len(parts):
                return Symbol("module", module_name)
            member = self._member(entry, parts[cut], depth)
            rest = parts[cut + 1:]
            if member is None:
                return Symbol("external", qualname)
            if not rest:
                return member
            if member.kind in ("module", "external"):
                return self._resolve(".".join([member.qualname, *rest]), depth + 1)
            return Symbol("external", qualname)
        return Symbol("external", qualname)

    def _member(self, entry: ModuleEntry, name: str, depth: int) -> Symbol | None:
        if name in entry.summary.classes:
            return Symbol("class", f"{entry.name}.{name}")
        if name in entry.summary.aliases:
            return Symbol("alias", f"{entry.name}.{name}")
        if name in entry.bindings:
            target = entry.bindings[name]
            if target in self.config.pii_types:
                return Symbol("external", target)
            return self.resolve(target) if depth < _MAX_DEPTH else None
        submodule = f"{entry.name}.{name}"
        if self.module(submodule) is not None:
            return Symbol("module", submodule)
        for star in entry.stars:
            star_entry = self.module(star)
            if star_entry is not None and star_entry is not entry:
                found = self._member(star_entry, name, depth + 1)
                if found is not None:
                    return found
        return None

    def resolve_in(self, entry: ModuleEntry, dotted: str) -> Symbol:
        qualified = self.qualify(entry, dotted)
        if qualified in self.config.pii_types:
            return Symbol("external", qualified)
        return self.resolve(qualified)

    def is_pii_type(self, symbol: Symbol) -> bool:
        return symbol.kind == "external" and symbol.qualname in self.config.pii_types

    # -- types and models ----------------------------------------------------------------------

    def type_info(self, entry: ModuleEntry, ref: TypeRef, depth: int = 0) -> TypeInfo:
        """What annotation `ref`, written in module `entry`, holds."""
        if depth > _MAX_DEPTH or not ref:
            return TypeInfo()
        kind = ref[0]
        if kind == "n":
            return self._name_type_info(entry, ref[1], depth)
        if kind == "u":
            return _merge(self.type_info(entry, r, depth + 1) for r in ref[1])
        if kind == "s":
            base = ref[1]
            head = base[1].rsplit(".", 1)[-1] if base and base[0] == "n" else ""
            args: list[TypeRef] = ref[2]
            if head == "Annotated":
                args = args[:1]
            if head in _TRANSPARENT:
                return _merge(self.type_info(entry, r, depth + 1) for r in args)
            if head in _CONTAINERS:
                inner = _merge(self.type_info(entry, r, depth + 1) for r in args)
                return TypeInfo(inner.pii, tuple((m, True) for m, _ in inner.models))
        return TypeInfo()

    def _name_type_info(self, entry: ModuleEntry, dotted: str, depth: int) -> TypeInfo:
        symbol = self.resolve_in(entry, dotted)
        if self.is_pii_type(symbol):
            return TypeInfo(pii=True)
        if symbol.kind == "class":
            return TypeInfo(models=((symbol.qualname, False),))
        if symbol.kind == "alias":
            module_name, _, alias = symbol.qualname.rpartition(".")
            alias_entry = self.module(module_name)
            if alias_entry is not None and alias in alias_entry.summary.aliases:
                return self.type_info(alias_entry, alias_entry.summary.aliases[alias], depth + 1)
        return TypeInfo()

    def model(self, qualname: str) -> ModelInfo | None:
        """The model a class is, with own and inherited fields; None for a class without fields."""
        if qualname not in self._models:
            self._models[qualname] = None  # guards inheritance cycles
            self._models[qualname] = self._build_model(qualname)
        return self._models[qualname]

    def _build_model(self, qualname: str) -> ModelInfo | None:
        module_name, _, class_name = qualname.rpartition(".")
        entry = self.module(module_name)
        if entry is None or class_name not in entry.summary.classes:
            return None
        summary = entry.summary.classes[class_name]
        fields: dict[str, FieldInfo] = {}
        for base in reversed(summary.bases):
            symbol = self.resolve_in(entry, base)
            if symbol.kind == "class" and symbol.qualname != qualname:
                inherited = self.model(symbol.qualname)
                if inherited is not None:
                    fields.update(inherited.fields)
        for name, ref in summary.fields.items():
            info = self.type_info(entry, ref)
            target, many = info.models[0] if info.models else (None, False)
            fields[name] = FieldInfo(name, info.pii, target, many)
        return ModelInfo(qualname, fields) if fields else None

    def model_has_pii(self, qualname: str) -> bool:
        """True when a model has a PII field, or reaches one through FK fields."""
        if qualname not in self._class_pii:
            self._class_pii[qualname] = False  # guards FK cycles
            model = self.model(qualname)
            self._class_pii[qualname] = model is not None and any(
                f.pii or (f.target is not None and self.model_has_pii(f.target))
                for f in model.fields.values()
            )
        return self._class_pii[qualname]

    def module_exports_pii(self, name: str) -> bool:
        """True when a module defines or re-exports a model that has PII."""
        if name not in self._module_pii:
            self._module_pii[name] = False  # guards import cycles
            self._module_pii[name] = self._exports_pii(name)
        return self._module_pii[name]

    def _exports_pii(self, name: str) -> bool:
        entry = self.module(name)
        if entry is None:
            return False
        if any(self.model_has_pii(f"{name}.{cls}") for cls in entry.summary.classes):
            return True
        for local in entry.bindings:
            symbol = self._member(entry, local, 0)
            if symbol is not None and symbol.kind == "class" and self.model_has_pii(
                symbol.qualname
            ):
                return True
        return any(self.module_exports_pii(star) for star in entry.stars)

    def symbol_matters(self, symbol: Symbol) -> bool:
        """True when code that imports this symbol may touch PII."""
        if self.is_pii_type(symbol):
            return True
        if symbol.kind == "class":
            return self.model_has_pii(symbol.qualname)
        if symbol.kind == "module":
            return self.module_exports_pii(symbol.qualname)
        if symbol.kind == "alias":
            module_name, _, alias = symbol.qualname.rpartition(".")
            entry = self.module(module_name)
            if entry is not None and alias in entry.summary.aliases:
                info = self.type_info(entry, entry.summary.aliases[alias])
                return info.pii or any(self.model_has_pii(m) for m, _ in info.models)
        return False

    def module_matters(self, entry: ModuleEntry) -> bool:
        """The cheap per-file decision: can this module have a finding at all?"""
        if entry.summary.has_declarations:
            return True
        if any(self.model_has_pii(f"{entry.name}.{cls}") for cls in entry.summary.classes):
            return True
        return any(self.symbol_matters(self.resolve(target)) for target in entry.imported)

    def entries(self) -> Iterator[ModuleEntry]:
        return (e for e in self._entries.values() if e is not None)


def _merge(infos: Iterable[TypeInfo]) -> TypeInfo:
    pii = False
    models: list[tuple[str, bool]] = []
    for info in infos:
        pii = pii or info.pii
        models.extend(info.models)
    return TypeInfo(pii, tuple(models))
