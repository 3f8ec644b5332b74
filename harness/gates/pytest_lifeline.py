"""A pytest plugin the harness loads into the suites it runs (`-p harness.gates.pytest_lifeline`):
every pytest process, xdist workers included, dies with its parent, so a SIGKILLed harness
leaves no test process behind (the harness itself stops the whole group on an interrupt)."""

from __future__ import annotations

import pytest

from harness.interrupts import die_with_parent


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Ask for SIGTERM when the parent dies: pytest's from the harness, a worker's from pytest."""
    die_with_parent()
