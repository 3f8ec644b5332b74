"""How the sanity suite is scheduled under xdist: long tests first, quick ones last, and `-n auto`
running more workers than cores (the tests mostly wait for the stack)."""

from __future__ import annotations

import os
import subprocess
import sys

from harness.paths import ROOT
from tests.sanity import conftest


def collected(*args: str) -> list[str]:
    """The sanity suite's test ids in the order pytest hands them to xdist."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "tests" / "sanity"), "--collect-only", "-q",
         "-p", "no:cacheprovider", "-p", "no:xdist", "--rootdir", str(ROOT), *args],
        capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if k != "COPR_STACK"})
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_slow_tests_come_first_and_quick_modules_last():
    ids, slow = collected(), collected("-m", "slow")
    assert any("test_uploaded_srpms_good_one" in name for name in slow), slow
    assert len(slow) < len(ids) and sorted(ids[:len(slow)]) == sorted(slow), ids
    quick = [i for i, name in enumerate(ids)
             if name.split("::")[0].rsplit("/", 1)[-1] in conftest.QUICK_MODULES]
    others = [i for i in range(len(ids)) if i not in quick]
    assert quick and min(quick) > max(others), ids


def test_auto_runs_workers_per_core():
    """pytest-xdist itself starts WORKERS_PER_CORE workers per core for `-n auto` (no test run)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "tests" / "sanity"), "-n", "auto",
         "-k", "no_such_test", "-p", "no:cacheprovider", "--rootdir", str(ROOT)],
        capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if k != "COPR_STACK"})
    assert conftest.WORKERS_PER_CORE >= 2
    assert f"{conftest.WORKERS_PER_CORE * os.cpu_count()} workers [0 items]" in done.stdout, \
        done.stdout + done.stderr
