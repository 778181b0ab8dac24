"""The pytest entry: `pytest harness/ --target NAME` runs the invariant suite on a target.

It chooses the target and Hypothesis profile before collection, and turns an invariant
failure into the reports (replay file, regression test, findings) and a readable message.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from harness import profiles
from harness.config import CONFIG


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("agentleeops-fuzz")
    group.addoption("--target", default=os.environ.get("FUZZ_TARGET", "reference"),
                    help="system under test: reference, mutant:<name>, agentleeops")
    group.addoption("--agentleeops-path", default=os.environ.get("AGENTLEEOPS_PATH"),
                    help="path of an AgentLeeOps checkout (for --target agentleeops)")
    group.addoption("--face", default=os.environ.get("FUZZ_FACE", "inproc"), choices=["inproc", "http"],
                    help="Kanboard face: in-process client or the real kanboard library over HTTP")
    group.addoption("--fuzz-profile", default=None, choices=list(profiles.PROFILES),
                    help="Hypothesis profile (default: ci when CI is set, else dev)")
    group.addoption("--reports-dir", default=os.environ.get("FUZZ_REPORTS_DIR", "reports"),
                    help="where failures write their trace, regression test and findings")


def pytest_configure(config: pytest.Config) -> None:
    from targets.registry import TargetError, get_target

    profiles.register()
    profile = config.getoption("--fuzz-profile") or profiles.default_profile()
    settings.load_profile(profile)

    CONFIG.target = config.getoption("--target")
    CONFIG.agentleeops_path = config.getoption("--agentleeops-path")
    CONFIG.face = config.getoption("--face")
    CONFIG.reports_dir = config.getoption("--reports-dir")
    try:
        target = get_target(CONFIG.target, agentleeops_path=CONFIG.agentleeops_path)
    except TargetError as error:
        raise pytest.UsageError(str(error)) from None
    close = getattr(target, "close", None)
    if close:
        close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or report.when != "call":
        return
    error = call.excinfo.value
    trace = getattr(error, "trace", None)
    if trace is None:
        return
    from harness.reporting import report_failure

    text = report_failure(error, trace, item.nodeid, CONFIG.reports_dir)
    report.sections.append(("invariant violation", text))
