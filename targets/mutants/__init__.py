"""Single-fault variants of the reference: each is a subclass of ReferenceTarget overriding
exactly ONE attribute (a method, or a component class that itself overrides one method),
with a docstring whose first line names the defect class and the invariant it breaks.

Register one with `@mutant("kebab-name")`; it is then `--target mutant:kebab-name`. Modules
named `spawner_*.py` / `ralph_*.py` in this package are imported too (their mutants may use
the decorator, or just define ReferenceTarget subclasses whose `name` starts "mutant:").
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from targets.reference import ReferenceTarget

PREFIX = "mutant:"
OWN_MODULES = ("ratchet", "runs", "inputs", "robustness")
_REGISTRY: dict[str, type[ReferenceTarget]] = {}


def mutant(slug: str) -> Callable[[type[ReferenceTarget]], type[ReferenceTarget]]:
    """Register a mutant class as `mutant:<slug>`; its description is its docstring's first line."""

    def register(cls: type[ReferenceTarget]) -> type[ReferenceTarget]:
        cls.name = PREFIX + slug
        cls.description = _first_line(cls)
        _REGISTRY[cls.name] = cls
        return cls

    return register


def _first_line(cls: type) -> str:
    doc = (cls.__doc__ or "").strip()
    return doc.splitlines()[0].strip() if doc else cls.__name__


def mutants() -> dict[str, type[ReferenceTarget]]:
    """Every mutant by its `--target` name (sorted), importing the modules that define them."""
    names = list(OWN_MODULES) + sorted(
        m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith(("spawner_", "ralph_"))
    )
    for module_name in names:
        module = importlib.import_module(f"{__name__}.{module_name}")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, ReferenceTarget)
                    and value.__module__ == module.__name__
                    and str(getattr(value, "name", "")).startswith(PREFIX)
                    and value.name not in _REGISTRY):
                if "description" not in vars(value):
                    value.description = _first_line(value)
                _REGISTRY[value.name] = value
    return dict(sorted(_REGISTRY.items()))
