"""Targets by name, and every mutant differing from the reference in exactly one place."""

from __future__ import annotations

import pytest

from targets.mutants import mutants
from targets.reference import ReferenceTarget
from targets.registry import TargetError, get_target, list_targets

# Class-dict entries that are bookkeeping, not behaviour.
BOOKKEEPING = {"__module__", "__qualname__", "__doc__", "__firstlineno__", "__static_attributes__",
               "__annotations__", "__dict__", "__weakref__", "__abstractmethods__", "_abc_impl",
               "name", "description"}
MINE = ("lock-if-exists", "lock-literal-path", "write-through-symlink", "corrupt-manifest-open",
        "no-dedupe", "error-as-empty", "no-lease", "tag-rmw", "dirname-unchecked", "shell-arg",
        "webhook-skips-gate")


def _own(cls: type) -> list[str]:
    return sorted(k for k in vars(cls) if k not in BOOKKEEPING)


def the_one_place(cls: type) -> str:
    """"attr" or "attr.method": where a mutant departs from the reference."""
    assert cls.__bases__ == (ReferenceTarget,), f"{cls.__name__} must subclass ReferenceTarget directly"
    own = _own(cls)
    assert len(own) == 1, f"{cls.__name__} overrides {own}, not exactly one attribute"
    attr = own[0]
    assert hasattr(ReferenceTarget, attr), f"{cls.__name__}.{attr} replaces nothing of the reference"
    value, original = vars(cls)[attr], getattr(ReferenceTarget, attr)
    if isinstance(value, type):  # a component: itself one override of the reference's one
        assert value.__bases__ == (original,), f"{value.__name__} must subclass {original.__name__}"
        inner = _own(value)
        assert len(inner) == 1, f"{value.__name__} overrides {inner}, not exactly one method"
        assert hasattr(original, inner[0])
        return f"{attr}.{inner[0]}"
    return attr


@pytest.mark.parametrize("name", sorted(mutants()))
def test_each_mutant_differs_in_exactly_one_place(name: str) -> None:
    cls = mutants()[name]
    place = the_one_place(cls)
    assert place
    first = (cls.__doc__ or "").strip().splitlines()[0]
    assert cls.description == first and "(" in first, "the docstring names the invariant it breaks"


def test_the_places_are_the_ones_we_planted() -> None:
    places = {name.split(":", 1)[1]: the_one_place(cls) for name, cls in mutants().items()
              if name.split(":", 1)[1] in MINE}
    assert places == {
        "lock-if-exists": "workspace_class._check_lock",
        "lock-literal-path": "workspace_class._key",
        "write-through-symlink": "workspace_class._resolve",
        "corrupt-manifest-open": "workspace_class._locks",
        "no-dedupe": "ledger_class.seen",
        "error-as-empty": "ledger_class.seen",
        "no-lease": "lease_class.acquire",
        "tag-rmw": "ledger_class.write",
        "dirname-unchecked": "validate_dirname",
        "shell-arg": "init_repo",
        "webhook-skips-gate": "gate_for",
    }


def test_targets_by_name() -> None:
    names = [n for n, _ in list_targets()]
    assert names[0] == "reference" and "agentleeops" in names
    assert all(f"mutant:{m}" in names for m in MINE)
    assert all(d and "\n" not in d for _, d in list_targets())
    assert isinstance(get_target("reference"), ReferenceTarget)
    assert type(get_target("mutant:no-lease")).name == "mutant:no-lease"
    assert get_target("mutant:no-lease") is not get_target("mutant:no-lease")


@pytest.mark.parametrize("name, path, says", [
    ("mutant:nope", None, "known mutants: "),
    ("nonsense", None, "valid targets: reference"),
    ("agentleeops", None, "--agentleeops-path"),
    ("agentleeops", "/nonexistent/agentleeops", "does not exist"),
])
def test_bad_names_get_one_clear_line(name: str, path: str | None, says: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTLEEOPS_PATH", raising=False)
    with pytest.raises(TargetError) as caught:
        get_target(name, agentleeops_path=path)
    assert says in str(caught.value) and "\n" not in str(caught.value)
