"""Generated fault plans (the harness's own strategy: up to 3 faults of any kind on any call
the spawner makes) never make the reference spawner break I2 or I3, and reruns converge."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from strategies.faults import FaultPlan, fault_plans
from tests.test_reference_spawner import Scene, prd

METHODS = ("duplicateTaskToProject", "saveTaskMetadata", "createTaskLink", "removeTask",
           "updateTask", "removeTaskMetadata", "getTaskMetadata", "getAllTaskLinks", "getTask",
           "getAllTasks")


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(plan=fault_plans(methods=METHODS, max_faults=3, max_occurrence=4))
def test_any_three_faults_keep_i2_and_i3_and_reruns_converge(plan: FaultPlan) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scene = Scene(Path(tmp), prd(2))
        for fault in plan.faults:
            scene.faults.add(method=fault.method, kind=fault.kind, occurrence=fault.occurrence)
        for _ in range(3):
            scene.run()
            scene.assert_invariants()
        assert scene.stories() == ["atomic-01", "atomic-02"], plan.describe()
        assert all(scene.complete(card) for card in scene.children()), plan.describe()
