"""Loads the harness's pytest plugin for every test run from the project root, and runs the
tests on every core (pytest-xdist `-n auto`) unless told otherwise: `-n N` chooses, and
`-p no:xdist` runs them in this process (an `-n` in addopts would make that an error)."""

import pytest

pytest_plugins = ["harness.pytest_plugin"]


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    if (config.pluginmanager.has_plugin("xdist") and not hasattr(config, "workerinput")
            and getattr(config.option, "numprocesses", None) is None
            and getattr(config.option, "dist", "no") == "no"):
        config.option.numprocesses = "auto"
