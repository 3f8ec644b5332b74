"""The builder step: with a backend in the stack, a builder is replaced only once it holds no
job, as resalloc replaces a machine no ticket uses. The backend glue's allocator hands the
builder to no new ticket (drain), the step waits until the ticket holding it is closed, replaces
the builder, then the allocator hands it out again (resume), whatever happened meanwhile."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

from harness import wait
from harness.errors import InfraError
from harness.podman.engine import Engine

ALLOCATOR = ["python3", "-m", "copr_backend_glue.allocator"]
# A job on a builder is one build task: a few seconds here, a minute or two on a loaded machine.
DRAIN_TIMEOUT = 240.0


def _ask(engine: Engine, backend: str, action: str, host: str) -> int | None:
    """Drain or resume `host` in the allocator; the ticket holding it (None: none)."""
    result = engine.exec(backend, ALLOCATOR + [f"--{action}", host])
    lines = result.output.strip().splitlines()
    try:
        if result.ok and lines:
            return json.loads(lines[-1])["ticket"]
    except (ValueError, KeyError, TypeError):
        pass
    raise InfraError(f"{backend}: asking the builder allocator to {action} {host} failed: "
                     f"{result.output.strip() or f'exit code {result.exit_code}, no output'}")


@contextlib.contextmanager
def held_out(engine: Engine, backend: str, host: str,
             timeout: float | None = None) -> Iterator[None]:
    """Inside: `host` holds no job and gets none (the backend's allocator in `backend`)."""
    def free() -> None:
        ticket = _ask(engine, backend, "drain", host)
        if ticket is not None:
            raise wait.NotYet(f"ticket {ticket} holds it")

    try:
        wait.until(free, timeout=DRAIN_TIMEOUT if timeout is None else timeout,
                   what=f"builder {host} to end the job it holds (the allocator hands it no new one)")
        yield
    except BaseException:
        with contextlib.suppress(InfraError):  # the error in flight is the one to report
            _ask(engine, backend, "resume", host)
        raise
    _ask(engine, backend, "resume", host)
