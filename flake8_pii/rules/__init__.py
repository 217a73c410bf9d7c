"""The rules, found by walking this package: a new rule is a new module here with a `Rule`
subclass, its codes in the catalogue (`flake8_pii.findings`) and a page in `docs/rules/`."""

from __future__ import annotations

import functools
import importlib
import pkgutil

from flake8_pii.rules.base import Rule


@functools.cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every `Rule` subclass defined in a module of this package, by its first code."""
    found: list[type[Rule]] = []
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value.__module__ == module.__name__
                and value.codes
            ):
                found.append(value)
    return tuple(sorted(found, key=lambda rule: rule.codes[0]))
