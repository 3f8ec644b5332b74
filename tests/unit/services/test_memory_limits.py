"""Every container has a memory limit, and together they cap the stack at 2.25 GiB.

The stack's memory target (1.5 GiB, measured by `make bench`'s memory-peak) is what it uses; the
limits are the most it may take when every container is full at once. copr-backend runs each
task in a daemon of its own and needs 768 MiB of them under the sanity suite, which takes the
sum past the target, and the message broker takes 256 MiB more (README: Security)."""

from __future__ import annotations

from harness.model.components import services

STACK_LIMIT_MB = 2304


def test_every_container_has_a_memory_limit_and_the_stack_fits_its_cap() -> None:
    defined = services()
    assert {name for name, spec in defined.items() if not spec.memory_mb} == set()
    total = sum(spec.memory_mb * spec.replicas for spec in defined.values())
    assert total <= STACK_LIMIT_MB, {name: spec.memory_mb for name, spec in defined.items()}
