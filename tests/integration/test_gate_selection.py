"""A gate whose selection matches no test, or that pytest refuses, fails in seconds with exit
code 2 and creates nothing: the selection is collected before anything is brought up."""

from __future__ import annotations

import time

import pytest

from .conftest import leftovers

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("k", "said"), [("no_such_test", "no test of the sanity suite matches"),
                                         ("((", "pytest refused the sanity suite's arguments")])
def test_a_gate_selecting_nothing_exits_2_fast_and_creates_nothing(engine, cli, reports_dir, run_id,
                                                                    k, said):
    began = time.monotonic()
    gate = cli("sanity", "--run-id", run_id, "-k", k, timeout=60)
    seconds = time.monotonic() - began
    assert gate.returncode == 2, gate.stdout[-2000:] + gate.stderr[-2000:]
    assert said in gate.stderr
    assert seconds < 10, f"took {seconds:.1f}s"
    assert not leftovers(engine, run_id)
    assert not (reports_dir / run_id).exists()
