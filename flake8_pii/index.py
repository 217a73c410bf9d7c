"""The project index: every module's summary, and from them the models, PII fields and FK fields.

`index_build` makes it; this module answers questions of it: what a name in a module stands for,
which classes are models, which fields are PII or FK, which names lead to PII. Models are
resolved lazily, once per process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from flake8_pii import vocabulary
from flake8_pii.annotations import Names, read_annotation
from flake8_pii.cache import content_hash
from flake8_pii.config import Settings
from flake8_pii.summary import ClassSummary, ModuleSummary
from flake8_pii.words import WordSearch


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


# How many re-exports deep a name is followed; real projects stay within a handful.
MAX_REEXPORT_DEPTH = 100


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
        # Names and classes are each worked out once: re-exports and bases may form cycles and
        # diamonds, which explored anew at every step take exponential time.
        self._resolved: dict[str, str] = {}
        self._resolving: set[str] = set()
        self._model_classes: dict[str, bool] = {}

    @cached_property
    def triggers(self) -> frozenset[str]:
        """Words one of which a module must contain to have anything to do with PII."""
        words = {name.rpartition(".")[2] for name in self.settings.pii_types}
        # a module re-exporting `lookup_of` must be indexed for the models importing it from there
        words.update(name.rpartition(".")[2] for name in vocabulary.LOOKUP_DECLARERS)
        words.update(name.rpartition(".")[2] for name in vocabulary.PII_COLUMN_TYPES)
        words.update(name.rpartition(".")[2] for name in self.reaching_pii)
        words.update(name.rpartition(".")[2] for name in self.giving_pii)
        for summary in self.modules.values():
            for local, target in summary.imports.items():
                resolved = self.resolve(target)
                if (
                    resolved in self.reaching_pii
                    or resolved in self.giving_pii
                    or self.is_pii_type(resolved)
                ):
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

    def resolve(self, qualified: str) -> str:
        """Follow re-exports inside the project: `shop.models.Customer` where `shop/models`
        imports it from `.customers` becomes `shop.models.customers.Customer`. A name met again
        while it is being followed (modules re-exporting each other) stands for itself there."""
        known = self._resolved.get(qualified)
        if known is not None:
            return known
        if qualified in self._resolving or len(self._resolving) >= MAX_REEXPORT_DEPTH:
            return qualified
        self._resolving.add(qualified)
        try:
            resolved = self._follow(qualified)
        finally:
            self._resolving.discard(qualified)
        self._resolved[qualified] = resolved
        return resolved

    def _follow(self, qualified: str) -> str:
        module, _, attr = qualified.rpartition(".")
        summary = self.modules.get(module)
        if summary is None:
            return qualified
        if attr in summary.classes:
            return qualified
        target = summary.imports.get(attr)
        if target is not None and target != qualified:
            return self.resolve(target)
        return self._star_binding(summary, attr) or qualified

    def qualify(self, summary: ModuleSummary, dotted: str) -> str | None:
        """The qualified name of a dotted expression as written in module `summary`."""
        head, _, rest = dotted.partition(".")
        if head in summary.imports:
            base = summary.imports[head]
        elif head in summary.classes or head in summary.functions:
            base = f"{summary.module}.{head}"
        else:
            star_bound = self._star_binding(summary, head)
            if star_bound is None:
                return None
            base = star_bound
        return self.resolve(f"{base}.{rest}" if rest else base)

    def _star_binding(self, summary: ModuleSummary, name: str) -> str | None:
        """The class, PII type or lookup declaration that `name` is bound to by the module's
        star imports; a later star import rebinds what an earlier one bound."""
        for star in reversed(summary.star_imports):
            candidate = self.resolve(f"{star}.{name}")
            if (
                self.class_summary(candidate) is not None
                or candidate in self.settings.pii_types
                or candidate in vocabulary.LOOKUP_DECLARERS
                or candidate in vocabulary.LOOKUP_TYPES
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
            if self.qualify(module, callee) in vocabulary.LOOKUP_DECLARERS
        }
        names = self.annotation_names(module)
        for name, annotation in cls.fields:
            reading = read_annotation(annotation, names)
            lookup = name in indexes or self._is_lookup_type(module, annotation)
            fields[name] = FieldInfo(
                name,
                qualified,
                reading.pii is not None,
                None if reading.ambiguous else reading.model,
                reading.holds_many,
                lookup,
                indexes.get(name),
            )
        fields.update(self._column_fields(module, cls, qualified, fields))
        if not cls.fields and not cls.columns and not inherits_model:
            return None
        return ModelInfo(qualified, cls.name, fields)

    def _column_fields(
        self, module: ModuleSummary, cls: ClassSummary, qualified: str, known: dict[str, FieldInfo]
    ) -> dict[str, FieldInfo]:
        """Fields declared with a column (`email = Column(PIIString(400))`): PII when the column
        type is a PII column type, whatever the annotation says; unannotated ones (SQLAlchemy 1.x)
        are fields too."""
        found: dict[str, FieldInfo] = {}
        for name, column_type in cls.columns:
            pii = bool(column_type) and self.qualify(module, column_type) in (
                vocabulary.PII_COLUMN_TYPES
            )
            current = known.get(name)
            if current is None or current.owner != qualified:
                found[name] = FieldInfo(name, qualified, pii, None, False)
            elif pii and not current.pii:
                found[name] = FieldInfo(
                    name, qualified, True, current.target, current.many, current.lookup
                )
        return found

    def _is_lookup_type(self, module: ModuleSummary, annotation: str) -> bool:
        """Whether an annotation is the `Lookup` type (also quoted, or as `pg.Lookup`)."""
        dotted = annotation.strip().strip("'\"").strip()
        if not dotted.replace(".", "").replace("_", "").isalnum():
            return False
        return self.qualify(module, dotted) in vocabulary.LOOKUP_TYPES

    def _is_model(self, qualified: str) -> bool:
        """Whether a class is a model, answered without building it: models that refer to each
        other (`Customer.orders` and `Order.customer`) ask this of a model still being built.
        A class asked about again while its bases are being looked at (an inheritance cycle)
        is not a model there."""
        if self._models.get(qualified) is not None:
            return True
        known = self._model_classes.get(qualified)
        if known is not None:
            return known
        cls = self.class_summary(qualified)
        if cls is None:
            return False
        if cls.fields or cls.columns:
            return True
        self._model_classes[qualified] = False  # the answer while its bases are looked at
        module = self.modules[qualified.rpartition(".")[0]]
        answer = any(self._is_model(base) for base in self._base_names(module, cls))
        self._model_classes[qualified] = answer
        return answer

    def _base_names(self, module: ModuleSummary, cls: ClassSummary) -> list[str]:
        """The qualified names of a class's bases that can be resolved (`Base[T]` as `Base`)."""
        names = (self.qualify(module, base.split("[")[0]) for base in cls.bases)
        return [name for name in names if name is not None]

    def annotation_names(self, module: ModuleSummary) -> Names:
        """How to read names in annotations written in `module`: a model is known without
        being built, so models that refer to each other can be read while being built."""
        return Names(
            qualify=lambda dotted: self.qualify_annotation(module, dotted),
            is_pii_type=self.is_pii_type,
            is_model=self._is_model,
        )

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

    def declared_return(self, qualified: str) -> tuple[ModuleSummary, str] | None:
        """(the module it is written in, the source) of the return annotation of a project
        function (`pkg.mod.func`) or method (`pkg.mod.Class.method`), when it declares one."""
        module, _, name = qualified.rpartition(".")
        summary = self.modules.get(module)
        if summary is not None:
            returns = summary.functions.get(name)
            return (summary, returns) if returns is not None else None
        return self._method_return(module, name, frozenset())

    def _method_return(
        self, owner: str, name: str, seen: frozenset[str]
    ) -> tuple[ModuleSummary, str] | None:
        """The declared return of method `name` of class `owner`, or of the first of its bases
        (in order) that defines it, as Python looks it up for a single inheritance chain."""
        cls = self.class_summary(owner)
        if cls is None or owner in seen:
            return None
        module = self.modules[owner.rpartition(".")[0]]
        for method, returns in cls.returns:
            if method == name:
                return module, returns
        if name in cls.methods:
            return None  # defined without a return annotation
        for base in self._base_names(module, cls):
            found = self._method_return(base, name, seen | {owner})
            if found is not None:
                return found
        return None

    def defines(self, owner: str, method: str, _seen: frozenset[str] = frozenset()) -> bool:
        """Whether project class `owner` or one of its project bases defines `method` (so that
        `Model.get(...)` is the project's own method, not an ORM's query)."""
        cls = self.class_summary(owner)
        if cls is None or owner in _seen:
            return False
        if method in cls.methods:
            return True
        module = self.modules[owner.rpartition(".")[0]]
        return any(
            self.defines(base, method, _seen | {owner}) for base in self._base_names(module, cls)
        )

    def overridden(self, owner: str, method: str) -> bool:
        """Whether a project subclass of `owner` (at any depth) defines `method` again."""
        pending = list(self._subclasses.get(owner, ()))
        seen: set[str] = set()
        while pending:
            qualified = pending.pop()
            if qualified in seen:
                continue
            seen.add(qualified)
            cls = self.class_summary(qualified)
            if cls is not None and method in cls.methods:
                return True
            pending.extend(self._subclasses.get(qualified, ()))
        return False

    @cached_property
    def _subclasses(self) -> dict[str, list[str]]:
        """Qualified class name -> the project classes that name it as a base."""
        found: dict[str, list[str]] = {}
        for summary in self.modules.values():
            for cls in summary.classes.values():
                for base in self._base_names(summary, cls):
                    found.setdefault(base, []).append(f"{summary.module}.{cls.name}")
        return found

    @cached_property
    def giving_pii(self) -> frozenset[str]:
        """Project functions and methods whose declared return type is, or holds, PII or a
        model that reaches PII, and the classes holding such methods: calling them brings PII
        into a module that names no model."""
        giving: set[str] = set()
        for summary in self.modules.values():
            names = self.annotation_names(summary)
            returning = [(f"{summary.module}.{f}", r) for f, r in summary.functions.items()]
            for cls in summary.classes.values():
                owner = f"{summary.module}.{cls.name}"
                returning.extend((f"{owner}.{m}", r) for m, r in cls.returns)
            for qualified, returns in returning:
                reading = read_annotation(returns, names)
                if reading.pii is not None or (
                    reading.model is not None and self.resolve(reading.model) in self.reaching_pii
                ):
                    giving.add(qualified)
                    owner = qualified.rpartition(".")[0]
                    if owner not in self.modules:
                        giving.add(owner)  # a class with a method giving PII
        return frozenset(giving)

    @cached_property
    def names_leading_to_pii(self) -> frozenset[str]:
        """Qualified names whose import can bring a model that reaches PII into a module: the
        models, the modules and packages holding them, and the names re-exporting them."""
        names: set[str] = set()

        def add_with_prefixes(qualified: str) -> None:
            while qualified and qualified not in names:
                names.add(qualified)
                qualified = qualified.rpartition(".")[0]

        for qualified in self.reaching_pii | self.giving_pii:
            add_with_prefixes(qualified)
        for summary in self.modules.values():
            for local, target in summary.imports.items():
                resolved = self.resolve(target)
                if resolved in self.reaching_pii or resolved in self.giving_pii:
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

    # --- how instances render (logged whole, dumped, raised) -------------------------------

    def class_chain(self, qualified: str) -> tuple[list[str], frozenset[str]] | None:
        """The project classes `qualified` is made of (itself first, then its bases, each
        once) and the classes outside the project it inherits from; None when a base cannot be
        named (a call, or an unknown name brought by a star import)."""
        project: list[str] = []
        outside: set[str] = set()
        pending = [qualified]
        while pending:
            current = pending.pop()
            if current in project:
                continue
            cls = self.class_summary(current)
            if cls is None:
                outside.add(current)
                continue
            project.append(current)
            module = self.modules[current.rpartition(".")[0]]
            for base in cls.bases:
                if "=" in base:  # `metaclass=...` is a keyword, not a base
                    return None
                named = self.qualify_annotation(module, base.split("[")[0].strip())
                if named is None:
                    return None
                pending.append(named)
        return project, frozenset(outside)

    def masks_repr(self, qualified: str) -> bool:
        """Whether the class inherits, through project classes, from pii_guard's PIIModel,
        whose repr and str show `<PII hidden>` for PII fields."""
        chain = self.class_chain(qualified)
        return chain is not None and bool(chain[1] & vocabulary.PII_MASKING_BASES)

    def repr_shows_pii(self, model: ModelInfo) -> bool:
        """Whether `repr(x)` and `str(x)` of an instance certainly show a PII field's value:
        a pydantic model (not a PIIModel) or a dataclass, none of whose classes changes how it
        renders, with a PII field not declared in a way that may hide it."""
        chain = self.class_chain(model.qualname)
        if chain is None or not model.has_pii:
            return False
        project, outside = chain
        if outside & vocabulary.PII_MASKING_BASES or self._renders_itself(project):
            return False
        pydantic = self._is_pydantic(outside)
        if not (pydantic or self._is_dataclass(project, outside)):
            return False
        return self._shows_a_pii_field(model, pydantic)

    def dump_shows_pii(self, model: ModelInfo, pydantic_only: bool) -> bool:
        """Whether a dump of an instance (`model_dump()`, `vars(x)`) certainly holds a PII
        field's plaintext: PIIModel included, as it masks only its repr. `pydantic_only` for
        pydantic's own dump methods."""
        chain = self.class_chain(model.qualname)
        if chain is None or not model.has_pii:
            return False
        project, outside = chain
        if self._serializes_itself(project):
            return False
        pydantic = self._is_pydantic(outside)
        known = pydantic or (not pydantic_only and self._is_dataclass(project, outside))
        return known and self._shows_a_pii_field(model, pydantic)

    def keeps_arguments(self, qualified: str) -> bool:
        """Whether an exception class certainly keeps the arguments it is built with in its
        message: a builtin exception, a library one known to (`HTTPException`), or a project
        class made only of such bases that changes neither its constructor nor its text."""
        if qualified in vocabulary.BUILTIN_EXCEPTIONS | vocabulary.ARGUMENT_KEEPING_EXCEPTIONS:
            return True
        chain = self.class_chain(qualified)
        if chain is None:
            return False
        project, outside = chain
        keeping = vocabulary.BUILTIN_EXCEPTIONS | vocabulary.ARGUMENT_KEEPING_EXCEPTIONS
        if not outside or not outside <= keeping | vocabulary.NEUTRAL_BASES:
            return False
        if not outside & keeping:
            return False
        return not any(
            set(self._class(name).methods) & vocabulary.EXCEPTION_CONSTRUCTORS for name in project
        )

    def _class(self, qualified: str) -> ClassSummary:
        cls = self.class_summary(qualified)
        assert cls is not None
        return cls

    def _renders_itself(self, project: list[str]) -> bool:
        return any(
            set(self._class(name).methods) & vocabulary.RENDERING_METHODS for name in project
        )

    def _serializes_itself(self, project: list[str]) -> bool:
        for name in project:
            for method in self._class(name).methods:
                if method in vocabulary.DUMP_METHODS or method == "__getattribute__":
                    return True
                if method.startswith("@") and (
                    method.rpartition(".")[2] in vocabulary.SERIALIZER_DECORATORS
                ):
                    return True
        return False

    @staticmethod
    def _is_pydantic(outside: frozenset[str]) -> bool:
        return bool(outside & vocabulary.FIELD_SHOWING_BASES) and outside <= (
            vocabulary.FIELD_SHOWING_BASES | vocabulary.NEUTRAL_BASES
        )

    def _is_dataclass(self, project: list[str], outside: frozenset[str]) -> bool:
        """Every class of the chain is a dataclass with a generated repr."""
        if not outside <= vocabulary.NEUTRAL_BASES:
            return False
        return all(self._generates_repr(name) for name in project)

    def _generates_repr(self, qualified: str) -> bool:
        cls = self._class(qualified)
        module = self.modules[qualified.rpartition(".")[0]]
        for decorator in cls.decorators:
            callee, _, arguments = decorator.partition("(")
            named = self.qualify(module, callee.strip())
            if named in vocabulary.DATACLASS_DECORATORS:
                compact = arguments.replace(" ", "")
                return "repr=" not in compact or "repr=True" in compact
        return False

    def _shows_a_pii_field(self, model: ModelInfo, pydantic: bool) -> bool:
        """A PII field not declared in a way that may hide it; on a pydantic model, a name
        starting with `_` is a private attribute, which neither its repr nor a dump shows."""
        for info in model.fields.values():
            owner = self.class_summary(info.owner)
            private = pydantic and info.name.startswith("_")
            if info.pii and owner is not None and info.name not in owner.hidden and not private:
                return True
        return False
