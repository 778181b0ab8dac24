"""Generated model scripts (good, junk and hostile coder answers, the harness's own strategy)
never change tests/ or put tests/ into a commit, whatever Ralph's verdict."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from strategies.llm import LlmScript, llm_scripts
from targets.reference.ralph import Ralph, run_ralph
from tests.test_reference_ralph import CONTEXT, SOURCE, Scene, fence


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(script=llm_scripts(CONTEXT, roles=("coder",), max_answers=3))
def test_any_coder_script_leaves_tests_alone(script: LlmScript) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scene = Scene(Path(tmp), *script.by_role().get("coder", []))
        result = run_ralph(scene.ctx())
        scene.assert_g2_holds()
        assert result.ok, (script.describe(), result.message)  # good answers come after the script
        assert set(scene.committed_files()) == {SOURCE}


class QuickRalph(Ralph):
    test_timeout = 1.0


def test_code_that_never_returns_is_killed_and_retried(tmp_path: Path) -> None:
    scene = Scene(tmp_path, fence("while True:\n    pass\n"),
                  fence("def story_atomic_01():\n    return 'done:atomic-01'\n"))
    result = QuickRalph(scene.ctx()).run()
    assert result.ok and result.data["iterations"] == 2
    assert "killed after 1 s" in scene.llm.calls[1][1]
    scene.assert_g2_holds()
