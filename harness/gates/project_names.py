"""Projects named after the test that made them, so a report's build lane maps to its test.

A name is the test's name (its node name: function and parameters) made safe for Copr, cut
short, plus a random suffix that keeps it unique per run (and under xdist).
"""

from __future__ import annotations

import os
import re
import secrets

MAX_STEM = 40


def slug(test_name: str) -> str:
    """A test's node name as a Copr project name stem: 'test_x[a b]' -> 'x-a-b'."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name.removeprefix("test_")).strip("-.")
    return stem[:MAX_STEM].rstrip("-.") or "test"


def current_test() -> str:
    """The node name of the test running in this process (pytest's PYTEST_CURRENT_TEST)."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    return current.rsplit(" ", 1)[0].rsplit("::", 1)[-1]


def for_test(test_name: str | None = None) -> str:
    """A new unique project name for a test (default: the one running now)."""
    return f"{slug(test_name or current_test())}-{secrets.token_hex(3)}"


def test_of(project: str, test_names: list[str]) -> str | None:
    """The test whose projects include `project` ('owner/name'; forks add to a name): the one
    with the longest matching stem, or None."""
    name = project.rsplit("/", 1)[-1]
    matches = [t for t in test_names if re.match(re.escape(slug(t)) + r"-[0-9a-f]{6}\b", name)]
    return max(matches, key=lambda t: len(slug(t)), default=None)
