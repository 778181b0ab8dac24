"""The campaign's collector thresholds (harness/collector.py) hold only while it runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from harness.collector import YOUNG, fewer_collections


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    yield saved
    gc.set_threshold(*saved)


def test_thresholds_are_raised_inside_and_put_back_after(thresholds: tuple[int, int, int]) -> None:
    gc.set_threshold(700, 10, 10)
    with fewer_collections():
        assert gc.get_threshold()[0] == YOUNG
    assert gc.get_threshold() == (700, 10, 10)
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a campaign that fails still gives the thresholds back")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_or_collection_turned_off_is_kept(thresholds: tuple[int, int, int]) -> None:
    gc.set_threshold(50_000, 30, 30)
    with fewer_collections():
        assert gc.get_threshold() == (50_000, 30, 30)
    gc.set_threshold(0)
    with fewer_collections():
        assert gc.get_threshold()[0] == 0
