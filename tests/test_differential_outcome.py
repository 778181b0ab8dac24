"""The differential forms compare what two worlds left behind, never where their sandboxes are."""

from __future__ import annotations

from harness.differential import compare, outcome
from harness.steps import Step, apply
from harness.world import World
from targets.registry import get_target


def _world_with_a_comment_naming_its_workspace() -> World:
    world = World(get_target("reference"))
    card = apply(world, Step("create_card", {"title": "Epic", "column": "1. Inbox",
                                             "metadata": {"dirname": "calc"}})).card
    path = world.home / "projects" / "calc" / "DESIGN.md"
    world.kanboard.client("webhook").execute("createComment", task_id=card, user_id=1,
                                             content=f"wrote {path} (42 lines)")
    return world


def test_comments_naming_each_worlds_own_sandbox_compare_equal() -> None:
    worlds = [_world_with_a_comment_naming_its_workspace() for _ in range(2)]
    try:
        assert worlds[0].home != worlds[1].home
        outcomes = {"once": outcome(worlds[0]), "with duplicates": outcome(worlds[1])}
        assert compare(outcomes, invariant="I1") == []
        assert outcomes["once"].cards[1].comments == ("wrote <sandbox>/home/projects/calc/DESIGN.md (# lines)",)
    finally:
        for world in worlds:
            world.close()
