"""Every container has a memory limit, and the whole stack's limits fit its target (1.5 GiB)."""

from __future__ import annotations

from harness.model.components import services

STACK_TARGET_MB = 1536


def test_every_container_has_a_memory_limit_and_the_stack_fits_its_target() -> None:
    defined = services()
    assert {name for name, spec in defined.items() if not spec.memory_mb} == set()
    total = sum(spec.memory_mb * spec.replicas for spec in defined.values())
    assert total <= STACK_TARGET_MB, {name: spec.memory_mb for name, spec in defined.items()}
