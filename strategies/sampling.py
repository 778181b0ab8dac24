"""Draw examples from a strategy reproducibly, outside a test: for coverage checks,
benchmarks, printed samples and "what does this shrink to". Same strategy and seed, same
result; no example database is read or written."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hypothesis import HealthCheck, Phase, find, given, seed, settings
from hypothesis import strategies as st

T = TypeVar("T")


def examples(strategy: st.SearchStrategy[T], n: int = 50, at_seed: int = 0) -> list[T]:
    """Up to `n` examples in generation order (fewer when the strategy has fewer), unshrunk."""
    out: list[T] = []

    @seed(at_seed)
    @settings(database=None, max_examples=n, phases=[Phase.generate], deadline=None,
              derandomize=False, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: T) -> None:
        out.append(value)

    collect()
    return out


def simplest(strategy: st.SearchStrategy[T], condition: Callable[[T], bool] | None = None,
             max_examples: int = 2000) -> T:
    """The value a failure satisfying `condition` shrinks to (derandomized, no database)."""
    return find(strategy, condition or (lambda _: True),
                settings=settings(database=None, max_examples=max_examples, derandomize=True,
                                  deadline=None, suppress_health_check=list(HealthCheck),
                                  phases=[Phase.generate, Phase.shrink]))
