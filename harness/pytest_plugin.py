"""The pytest entry: `pytest harness/ --target NAME` runs the invariant suite on a target.

It chooses the target, the Hypothesis profile and the seed before collection. Profile
precedence: `--fuzz-profile`, else `--hypothesis-profile` when it names one of ours (ci, dev,
nightly), else ci when CI is set, else dev; two different choices are a usage error.
"""

from __future__ import annotations

import os
import uuid

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
    group.addoption("--fuzz-seed", default=os.environ.get("FUZZ_SEED", "0"),
                    help="seed of the machines' runs (default 0: the same run every time)")
    group.addoption("--reports-dir", default=os.environ.get("FUZZ_REPORTS_DIR", "reports"),
                    help="where findings write their trace, regression test and findings.md")
    group.addoption("--observe", action="store_true",
                    help="write Hypothesis's observability records (observed.jsonl in each run folder)")


def _profile(config: pytest.Config) -> str:
    ours = config.getoption("--fuzz-profile")
    theirs = config.getoption("hypothesis_profile", None)
    if ours and theirs and ours != theirs:
        raise pytest.UsageError(f"--fuzz-profile {ours} and --hypothesis-profile {theirs} disagree; "
                                "give one of them")
    if ours:
        return ours
    if theirs:
        if theirs not in profiles.PROFILES:
            raise pytest.UsageError(f"--hypothesis-profile {theirs!r} is not one of the harness's "
                                    f"profiles ({', '.join(profiles.PROFILES)})")
        return theirs
    return profiles.default_profile()


def pytest_configure(config: pytest.Config) -> None:
    from harness.scratch import SandboxDirError, sandbox_base
    from targets.registry import TargetError, get_target

    profiles.use_cache_dir(os.environ.get("FUZZ_CACHE_DIR")
                           or os.path.join(config.getoption("--reports-dir"), ".hypothesis"))
    try:
        profiles.check_database()
        sandbox_base()
    except (profiles.DatabaseError, SandboxDirError) as error:
        raise pytest.UsageError(str(error)) from None
    profiles.register()
    CONFIG.profile = _profile(config)
    profiles.use_profile(CONFIG.profile)
    settings.load_profile(CONFIG.profile)
    try:
        CONFIG.seed = int(config.getoption("--fuzz-seed"))
    except ValueError:
        raise pytest.UsageError(f"--fuzz-seed must be an integer, got {config.getoption('--fuzz-seed')!r}") from None
    CONFIG.target = config.getoption("--target")
    CONFIG.agentleeops_path = config.getoption("--agentleeops-path")
    CONFIG.face = config.getoption("--face")
    CONFIG.reports_dir = config.getoption("--reports-dir")
    CONFIG.observe = bool(config.getoption("--observe"))
    try:
        target = get_target(CONFIG.target, agentleeops_path=CONFIG.agentleeops_path)
    except TargetError as error:
        raise pytest.UsageError(str(error)) from None
    CONFIG.target_version = getattr(target, "version", "")
    # one set of claims per session: xdist's workers share the controller's run id
    session = getattr(config, "workerinput", {}).get("testrunuid") or uuid.uuid4().hex
    os.makedirs(profiles.CACHE_DIR["path"], exist_ok=True)
    CONFIG.claims_path = os.path.join(profiles.CACHE_DIR["path"], f"claims-{session}.sqlite")
    close = getattr(target, "close", None)
    if close:
        close()


@pytest.fixture()
def fuzz_seed() -> int:
    """The seed `--fuzz-seed` chose (0 unless told otherwise)."""
    return CONFIG.seed


@pytest.fixture()
def fuzz_target_version() -> str:
    return CONFIG.target_version
