"""Loads the harness's pytest plugin for every test run from the project root."""

pytest_plugins = ["harness.pytest_plugin"]
