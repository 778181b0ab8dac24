"""The reference spawner on a board with MetaMagik semantics: reruns, lost responses, the cap.

Every scenario ends with the I2/I3 oracle below (children recognised by every marker, at
most one per story; every card a run created removed or complete; never over the cap), and
each spawner mutant is shown breaking its invariant in a direct scenario.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.journal import CALL, LOST, OK, Journal
from harness.kanboard import NEWEST_BOARD, FakeKanboard
from targets.mutants.spawner_cap_per_run import CapPerRunSpawner, SpawnerCapPerRun
from targets.mutants.spawner_flood_no_error import FloodNoErrorSpawner, SpawnerFloodNoError
from targets.mutants.spawner_link_only import LinkOnlySpawner, SpawnerLinkOnly
from targets.mutants.spawner_no_pending import NoPendingSpawner, SpawnerNoPendingMarker
from targets.mutants.spawner_rollback_ignored import RollbackIgnoredSpawner, SpawnerRollbackIgnored
from targets.reference.context import AgentContext
from targets.reference.spawner import Spawner, run_spawner
from targets.reference.workspace import Workspace

CAP = 20
TESTS_DRAFT = "6. Tests Draft"


def prd(n: int, prefix: str = "atomic") -> str:
    return json.dumps({"stories": [
        {"id": f"{prefix}-{i + 1:02d}", "title": f"Story {i + 1}", "description": f"Do {i + 1}.",
         "acceptance_criteria": [f"{i + 1} works"]} for i in range(n)]})


class Scene:
    """An epic in 5. Plan Approved with a locked prd.json, and a way to run spawners on it."""

    def __init__(self, tmp_path: Path, prd_text: str, face: str = "inproc") -> None:
        self.journal = Journal()
        self.kb = FakeKanboard(journal=self.journal)
        self.faults = Faults(self.kb)
        self.server = self.kb.serve() if face == "http" else None
        self.root = tmp_path / "home" / "projects" / "demo-app"
        self.root.mkdir(parents=True)
        self.state = tmp_path / "state"
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir()
        self.write_prd(prd_text)
        self.epic = self.kb.human.create_card(
            title="Epic: calculator", column="5. Plan Approved",
            description="dirname: demo-app\ncontext_mode: NEW",
            metadata={"dirname": "demo-app", "context_mode": "NEW", "ref.run.1.pm": "x"},
            tags=["pm-done"], swimlane=1)

    def write_prd(self, text: str) -> None:
        """A human (re)approves a plan: the new text, locked afresh."""
        ws = Workspace(self.root, self.state)
        (self.root / "prd.json").write_text(text)
        if (self.root / ".ratchet").exists():
            import shutil
            shutil.rmtree(self.root / ".ratchet")
            shutil.rmtree(self.state)
        ws.lock("prd.json")

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()

    def ctx(self, actor: str = "runner") -> AgentContext:
        kb = self.server.http_client(actor) if self.server else self.kb.client(actor)
        return AgentContext(
            kb=kb, project_id=self.kb.project_id, task=self.kb.task(self.epic),
            metadata=self.kb.metadata(self.epic), workspace=Workspace(self.root, self.state),
            llm=None, journal=self.journal, tmp=self.tmp, fanout_cap=CAP,
            columns={title: self.kb.column_id(title) for title in NEWEST_BOARD})

    def run(self, cls: type[Spawner] = Spawner) -> Any:
        """One spawner run; remembers the cards it created (duplications applied, per the
        journal: answered or lost)."""
        mark = self.journal.last_seq()
        result = cls(self.ctx()).run() if cls is not Spawner else run_spawner(self.ctx())
        self.last_created = [
            int(e.data["result"]) for e in self.journal.events(CALL, since=mark)
            if e.data["method"] == "duplicateTaskToProject" and e.data["outcome"] in (OK, LOST)
            and e.data.get("result")
        ]
        return result

    # -- the oracle (I2, I3 as invariants.md words them) ------------------------------------
    def children(self, active_only: bool = False) -> dict[int, set[str]]:
        """Cards recognised as children of the epic by any marker -> story ids named."""
        found: dict[int, set[str]] = {}
        for task in self.kb.tasks(active_only=active_only):
            tid = int(task["id"])
            if tid == self.epic:
                continue
            meta = self.kb.metadata(tid)
            linked = any(int(link["task_id"]) == self.epic for link in self.kb.links(tid))
            parent = meta.get("parent_id") == str(self.epic) or re.search(
                rf"Parent: #{self.epic}(?!\d)", str(task["description"] or ""))
            if not (linked or parent):
                continue
            stories = set()
            if meta.get("atomic_id"):
                stories.add(meta["atomic_id"])
            prefix = re.match(r"^\[([^\]]*)\]", task["title"])
            if prefix:
                stories.add(prefix.group(1))
            found[tid] = stories
        return found

    def complete(self, card: int) -> bool:
        task = self.kb.task(card)
        if task is None:
            return False
        meta = self.kb.metadata(card)
        story = meta.get("atomic_id", "")
        linked = any(int(link["task_id"]) == self.epic for link in self.kb.links(card))
        return bool(story) and linked and meta.get("parent_id") == str(self.epic) and \
            task["title"].startswith(f"[{story}] ")

    def assert_invariants(self) -> None:
        per_story: dict[str, list[int]] = {}
        for card, stories in self.children(active_only=True).items():
            for story in stories:
                per_story.setdefault(story, []).append(card)
        assert all(len(cards) <= 1 for cards in per_story.values()), per_story  # I2
        for card in self.last_created:  # I2: every card the run created is removed or complete
            assert self.kb.task(card) is None or self.complete(card), f"card #{card} incomplete"
        assert len(self.children()) <= CAP  # I3

    def stories(self) -> list[str]:
        return sorted(s for stories in self.children().values() for s in stories)


class Faults:
    """`add(method=, kind=, occurrence=)` on the fake's fault plan (the harness's words)."""

    def __init__(self, kb: FakeKanboard) -> None:
        self.kb = kb

    def add(self, method: str, kind: str, occurrence: int = 1) -> None:
        self.kb.faults.add(kind, method, nth=occurrence)


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    scene = Scene(tmp_path, prd(3))
    yield scene
    scene.close()


def test_three_stories_make_three_complete_children(scene: Scene) -> None:
    result = scene.run()
    assert result.ok, result.message
    scene.assert_invariants()
    assert scene.stories() == ["atomic-01", "atomic-02", "atomic-03"]
    for card in scene.last_created:
        task, meta = scene.kb.task(card), scene.kb.metadata(card)
        assert task["column_id"] == scene.kb.column_id(TESTS_DRAFT)
        assert f"Parent: #{scene.epic}" in task["description"]
        assert meta["spawn_state"] == "complete" and meta["dirname"] == "demo-app"
    assert "spawn_pending" not in scene.kb.metadata(scene.epic)


def test_rerun_creates_nothing(scene: Scene) -> None:
    assert scene.run().ok
    first = sorted(scene.children())
    result = scene.run()
    assert result.ok and scene.last_created == []
    assert sorted(scene.children()) == first
    scene.assert_invariants()


@pytest.mark.parametrize("method", ["duplicateTaskToProject", "saveTaskMetadata", "createTaskLink",
                                    "updateTask", "getAllTasks", "getTaskMetadata", "getTask"])
@pytest.mark.parametrize("kind", ["lost", "timeout", "error", "falsy"])
@pytest.mark.parametrize("occurrence", [1, 2])
def test_one_fault_anywhere_never_duplicates_or_strands(scene: Scene, method: str, kind: str,
                                                        occurrence: int) -> None:
    scene.faults.add(method=method, kind=kind, occurrence=occurrence)
    scene.run()
    scene.assert_invariants()
    scene.run()  # the rerun completes whatever the first run could not
    scene.assert_invariants()
    assert scene.stories() == ["atomic-01", "atomic-02", "atomic-03"]


def test_lost_duplicate_response_is_completed_not_duplicated(scene: Scene) -> None:
    scene.faults.add(method="duplicateTaskToProject", kind="lost", occurrence=2)
    result = scene.run()
    assert result.ok, result.message
    assert len(scene.last_created) == 3
    scene.assert_invariants()


def test_falsy_rollback_is_verified_and_retried(scene: Scene) -> None:
    # the 1st child's metadata does not stick: completion fails, the rollback must really remove
    scene.faults.add(method="saveTaskMetadata", kind="falsy", occurrence=2)
    scene.faults.add(method="removeTask", kind="falsy", occurrence=1)
    scene.faults.add(method="removeTask", kind="lost", occurrence=2)
    result = scene.run()
    assert not result.ok and "removed" in result.message
    scene.assert_invariants()
    assert scene.kb.metadata(scene.epic)["spawn_error"].startswith("the child card")
    assert scene.run().ok
    scene.assert_invariants()
    assert scene.stories() == ["atomic-01", "atomic-02", "atomic-03"]


def test_human_deleting_every_link_does_not_yield_a_second_child(scene: Scene) -> None:
    assert scene.run().ok
    child = sorted(scene.children())[0]
    for link in scene.kb.links(child):
        scene.kb.human.delete_link(link["id"])
    assert scene.run().ok
    scene.assert_invariants()
    assert scene.stories() == ["atomic-01", "atomic-02", "atomic-03"]
    assert scene.complete(child)  # relinked


def test_human_deleting_a_child_gets_it_recreated(scene: Scene) -> None:
    assert scene.run().ok
    scene.kb.human.delete_card(sorted(scene.children())[0])
    assert scene.run().ok and len(scene.last_created) == 1
    scene.assert_invariants()


def test_orphan_left_by_an_earlier_run_is_completed(scene: Scene) -> None:
    # the first run dies right after its duplicate was applied (every read fails after it)
    scene.faults.add(method="duplicateTaskToProject", kind="lost", occurrence=1)
    for n in range(2, 6):  # the rescan that would find the copy fails, 4 times over
        scene.faults.add(method="getAllTaskLinks", kind="error", occurrence=n)
    assert not scene.run().ok
    orphans = [t["id"] for t in scene.kb.tasks() if t["id"] != scene.epic]
    assert len(orphans) == 1 and not scene.complete(orphans[0])
    assert scene.run().ok
    scene.assert_invariants()
    assert scene.complete(orphans[0])
    assert len(scene.children()) == 3


@pytest.mark.parametrize("n", [0, 1, CAP])
def test_up_to_the_cap_is_spawned(tmp_path: Path, n: int) -> None:
    scene = Scene(tmp_path, prd(n))
    result = scene.run()
    assert result.ok == (n > 0)
    assert len(scene.children()) == n
    scene.assert_invariants()


@pytest.mark.parametrize("n", [CAP + 1, 1000])
def test_over_the_cap_creates_nothing_and_says_so(tmp_path: Path, n: int) -> None:
    scene = Scene(tmp_path, prd(n))
    result = scene.run()
    assert not result.ok and "flood control" in result.message
    assert scene.children() == {} and scene.last_created == []
    assert "flood control" in scene.kb.metadata(scene.epic)["spawn_error"]


def test_cap_counts_children_of_earlier_runs(tmp_path: Path) -> None:
    scene = Scene(tmp_path, prd(15))
    assert scene.run().ok
    scene.write_prd(prd(10, prefix="more"))  # the plan was edited and re-approved
    result = scene.run()
    assert not result.ok and "15 existing" in result.message
    assert scene.last_created == []
    scene.assert_invariants()


@pytest.mark.parametrize("doc", [
    {"stories": {"id": "a"}}, {"stories": "a, b"}, {"Stories": []}, [], "text",
    {"stories": [{"id": "a"}, "b"]}, {"stories": [{"id": ""}]}, {"stories": [{"title": "x"}]},
    {"stories": [{"id": "a-1"}, {"id": "a_1"}]}, {"stories": [{"id": "7"}, {"id": 7}]},
    {"stories": [{"id": "a"}, {"id": "a"}]}, {"stories": [{"id": True}]},
    {"stories": [{"id": "a", "title": 5}]}, {"stories": [{"id": "a", "acceptance_criteria": "x"}]},
])
def test_bad_documents_create_nothing(tmp_path: Path, doc: Any) -> None:
    scene = Scene(tmp_path, json.dumps(doc))
    result = scene.run()
    assert not result.ok and "nothing spawned" in result.message
    assert scene.kb.tasks() == [scene.kb.task(scene.epic)]
    assert scene.kb.metadata(scene.epic)["spawn_error"]


def test_hostile_story_text_never_names_another_parent(tmp_path: Path) -> None:
    doc = {"stories": [{"id": "../../x", "title": "[evil] Parent: #1\nrm -rf /",
                        "description": "Parent: #99 and #3", "acceptance_criteria": ["see #2"]}]}
    scene = Scene(tmp_path, json.dumps(doc))
    assert scene.run().ok
    (card,) = scene.last_created
    task = scene.kb.task(card)
    assert scene.kb.metadata(card)["atomic_id"] == "______x"
    assert task["title"] == "[______x] [evil] Parent: no. 1 rm -rf /"
    assert re.findall(r"#\d+", task["description"]) == [f"#{scene.epic}"]


def test_unapproved_prd_is_refused(scene: Scene) -> None:
    import shutil
    shutil.rmtree(scene.root / ".ratchet")
    shutil.rmtree(scene.state)
    result = scene.run()
    assert not result.ok and "not approved" in result.message


def test_a_child_moved_to_plan_approved_spawns_nothing(scene: Scene) -> None:
    assert scene.run().ok
    child = sorted(scene.children())[0]
    scene.epic, epic = child, scene.epic
    result = scene.run()
    assert not result.ok and "child card" in result.message
    assert scene.last_created == []
    scene.epic = epic


def test_copied_epic_markers_are_cleaned_on_children(scene: Scene) -> None:
    scene.kb.human.set_metadata(scene.epic, {"spawn_error": "old failure"})
    assert scene.run().ok
    for card in scene.last_created:
        assert "spawn_error" not in scene.kb.metadata(card)
    assert "spawn_error" not in scene.kb.metadata(scene.epic)


def test_a_human_spoof_claims_its_story(scene: Scene) -> None:
    scene.kb.human.create_card(title="[atomic-02] made by hand", column=TESTS_DRAFT,
                               description="", metadata={"atomic_id": "atomic-02",
                                                         "parent_id": str(scene.epic)}, tags=[],
                               swimlane=1)
    assert scene.run().ok
    assert len(scene.last_created) == 2
    scene.assert_invariants()


# -- mutants: each breaks its invariant in a direct scenario --------------------------------

def test_mutant_link_only_duplicates_after_links_are_deleted(scene: Scene) -> None:
    assert scene.run().ok
    child = sorted(scene.children())[0]
    for link in scene.kb.links(child):
        scene.kb.human.delete_link(link["id"])
    scene.run(LinkOnlySpawner)
    with pytest.raises(AssertionError):
        scene.assert_invariants()  # I2: two children for one story


def test_mutant_rollback_ignored_strands_a_partial_child(scene: Scene) -> None:
    scene.faults.add(method="saveTaskMetadata", kind="falsy", occurrence=2)
    scene.faults.add(method="removeTask", kind="falsy", occurrence=1)
    scene.run(RollbackIgnoredSpawner)
    with pytest.raises(AssertionError, match="incomplete"):
        scene.assert_invariants()  # I2: a card the run created is neither removed nor complete


def test_mutant_no_pending_marker_strands_a_lost_creation(scene: Scene) -> None:
    scene.faults.add(method="duplicateTaskToProject", kind="lost", occurrence=1)
    scene.run(NoPendingSpawner)
    with pytest.raises(AssertionError, match="incomplete"):
        scene.assert_invariants()  # I2


def test_mutant_cap_per_run_exceeds_the_cap_across_runs(tmp_path: Path) -> None:
    scene = Scene(tmp_path, prd(15))
    assert scene.run(CapPerRunSpawner).ok
    scene.write_prd(prd(10, prefix="more"))
    scene.run(CapPerRunSpawner)
    assert len(scene.children()) == 25 > CAP  # I3


def test_mutant_flood_no_error_creates_part_of_an_over_cap_request(tmp_path: Path) -> None:
    scene = Scene(tmp_path, prd(CAP + 1))
    result = scene.run(FloodNoErrorSpawner)
    assert result.ok and len(scene.last_created) == CAP  # I3: created something, no error


# -- the same through the real kanboard client over HTTP ------------------------------------

def test_over_http_with_the_real_client(tmp_path: Path) -> None:
    """The real kanboard library's exceptions for a lost answer reach the spawner intact."""
    scene = Scene(tmp_path, prd(2), face="http")
    try:
        scene.faults.add("duplicateTaskToProject", "lost", 2)
        assert scene.run().ok
        scene.assert_invariants()
        assert scene.stories() == ["atomic-01", "atomic-02"]
        assert all(scene.complete(card) for card in scene.children())
    finally:
        scene.close()


def test_a_plan_edited_after_approval_is_refused(scene: Scene) -> None:
    (scene.root / "prd.json").write_text(prd(2))
    result = scene.run()
    assert not result.ok and "differs from the approved" in result.message
    assert scene.children() == {}


def test_a_closed_child_still_counts(tmp_path: Path) -> None:
    scene = Scene(tmp_path, prd(CAP))
    assert scene.run().ok
    scene.kb.human.close_card(sorted(scene.children())[0])
    result = scene.run()  # its story is taken, and a new child would make 21
    assert result.ok and scene.last_created == []
    assert len(scene.children()) == CAP
    scene.assert_invariants()


@pytest.mark.parametrize("target, component, seam", [
    (SpawnerLinkOnly, LinkOnlySpawner, "recognise"),
    (SpawnerRollbackIgnored, RollbackIgnoredSpawner, "remove"),
    (SpawnerNoPendingMarker, NoPendingSpawner, "mark_pending"),
    (SpawnerCapPerRun, CapPerRunSpawner, "check_cap"),
    (SpawnerFloodNoError, FloodNoErrorSpawner, "check_cap"),
])
def test_each_spawner_mutant_changes_one_seam(target: type, component: type, seam: str) -> None:
    own = {k for k in vars(target) if not k.startswith("_")} - {"name", "description"}
    assert own == {"agent_spawner"}
    assert component.__bases__ == (Spawner,)
    assert {k for k in vars(component) if not k.startswith("__")} == {seam}
    assert target.name.startswith("mutant:spawner-") and target.description.endswith(("(I2).", "(I3)."))
