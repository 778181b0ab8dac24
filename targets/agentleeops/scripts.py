"""Its manual command-line scripts: which ones the harness may run, and which not and why.

A script is drivable when its `main()` acts only through the Kanboard client the adapter
binds and through files under HOME or the working directory. The rest are listed with the
reason, so `cli()` refuses them with one clear line and the report can say why.
"""

from __future__ import annotations

from pathlib import Path

# Drivable scripts (path relative to the checkout), in the order they are offered.
DRIVABLE = (
    "orchestrator.py",  # --once, or its polling loop bounded to one tick
    "run_ralph_manual.py",  # Ralph on a hard-coded card (#25, dirname hello-fire)
    "force_run_13.py",  # test plan + test code + governance on card #13
    "force_spawn_03.py",  # duplicates card #11 into atomic-03, then runs the test agents
    "restore_atomic_03.py",  # same chain, recreating atomic-03 from card #11
    "debug_test_code.py",  # test-code agent + governance on every card in Tests Approved
    "fix_meta.py",  # rewrites metadata of card #25
    "debug_board_state.py",  # read-only board listing
    "debug_task_meta.py",  # read-only metadata of card #25
    "find_tasks.py",  # read-only search across projects
    "tools/workpackage.py",  # work-package manifests under the working directory
    "tools/check_story.py",  # read-only lookup through lib.workitem
)

# Present in some checkouts but never run, with the reason.
NOT_DRIVABLE = {
    "webhook_server.py": "its main() runs run_server, which binds 0.0.0.0; use deliver_webhook",
    "setup-board.py": "it deletes and recreates the board's columns, which the world owns",
    "debug_create_task.py": "it speaks raw JSON-RPC over urllib, bypassing the client the adapter binds",
    "watch_ralph.py": "an endless monitor loop that runs git in a hard-coded /home/lee path",
    "reconstitute_tasks.py": "it reads a hard-coded host path /home/lee/projects/hello-fire/prd.json",
    "tools/force_attach_design.py": "it reads a hard-coded host path /home/lee/projects/data-guard/DESIGN.md",
    "test_llm_connection.py": "it calls OpenRouter over the network at import",
    "tools/profile-report.py": "an offline report over its profiling logs, no pipeline effect",
    "tools/repair-monitor.py": "an offline report over its LLM logs, no pipeline effect",
    "lib/llm/__main__.py": "its LLM doctor probes the configured providers (CLIs, network)",
    "test_ratchet.py": "a self-test script, not a pipeline entrypoint",
    "test_ralph_guard.py": "a self-test script, not a pipeline entrypoint",
}

ORCHESTRATOR = "orchestrator.py"


def available(root: Path) -> tuple[str, ...]:
    """The drivable scripts this checkout has."""
    return tuple(rel for rel in DRIVABLE if (root / rel).is_file())


def default_argv(script: str, task_id: int, project_id: int) -> list[str]:
    """What a human would type to point `script` at a card (most scripts take no arguments)."""
    if script == ORCHESTRATOR:
        return ["--once", "--project-id", str(project_id)]
    if script == "tools/workpackage.py":
        return [
            "init-from-task", "--task-id", str(task_id), "--title", f"Card {task_id}",
            "--dirname", f"card-{task_id}", "--context-mode", "NEW",
            "--project-id", str(project_id), "--acceptance", f"card {task_id} is done",
        ]
    return []


def manual_agents(root: Path, scripts: tuple[str, ...], functions: dict[str, tuple[str, str]]) -> tuple[str, ...]:
    """Agents its own manual scripts run directly (`from agents.x import run_x_agent`): the
    ones a person can run by hand. The orchestrator dispatches through its gates instead."""
    found = []
    for agent, (module, fn) in functions.items():
        wanted = f"from {module} import {fn}"
        for rel in scripts:
            if rel == ORCHESTRATOR:
                continue
            try:
                text = (root / rel).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if wanted in text:
                found.append(agent)
                break
    return tuple(found)
