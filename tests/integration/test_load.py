"""Load: 50 builds submitted at once across 5 projects of alice and bob, on a fresh stack."""

from __future__ import annotations

import pytest

from harness.bench import load
from harness.podman.engine import Engine

from .copr_stack import running

pytestmark = [pytest.mark.integration, pytest.mark.load]


def test_fifty_builds_at_once_each_run_once_with_consistent_results(engine: Engine, built_images):
    with running(engine) as info:
        result = load.run(engine, info.run_id, builds=50, projects=5)
    print("\n".join(result.lines()))  # throughput, latency and memory for the test log
    assert len(result.builds) == 50
    assert len({b.build_id for b in result.builds}) == 50
    assert {b.user for b in result.builds} == {"alice", "bob"}
    assert len({b.project for b in result.builds}) == 5
    assert [b for b in result.builds if b.state != "succeeded"] == []
    assert result.problems == []  # result dirs, results.json, repodata, one start per task
    assert result.peaks.samples > 0
    assert 0 < result.peaks.total <= load.MEMORY_LIMIT
    assert set(result.peaks.by_component(info.run_id)) >= {"database", "frontend", "backend",
                                                           "distgit", "keygen"}
