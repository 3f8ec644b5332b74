"""A run that lives as long as a `with` block: `with stack.running(engine, scenario, run_id) as info:`.

Like testcontainers' `with DockerCompose(...)`: the block gets a ready stack, and leaving it, normally,
on an error or on a signal, saves the containers' logs and removes the run unless it is kept. The
suites, the rehearsal, the benchmark and the pytest plugin all use it; none writes its own teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from harness import interrupts, progress
from harness.model.scenario import Scenario
from harness.podman.engine import Engine
from harness.stack.bringup import up
from harness.stack.registry import RunInfo, down, runs, save_logs


@contextmanager
def running(
    engine: Engine,
    scenario: Scenario,
    run_id: str,
    *,
    package_set: str = "candidate",
    keep: bool = False,
    reuse: bool = False,
    logs: bool | Callable[[], bool] = True,
    before_teardown: Callable[[RunInfo], None] | None = None,
) -> Iterator[RunInfo]:
    """Bring `scenario`'s stack up as run `run_id` for the block, then take it down.

    - `reuse`: when `run_id` names a run on this host already, use it as it is and leave it
      running afterwards (whatever `keep` says).
    - `keep`: leave the run running after the block (its logs are saved all the same).
    - `logs`: save the containers' logs under build/reports/<run-id>/logs on leaving; without
      it they are saved only when the block failed or was interrupted. A callable is asked on
      leaving (the pytest plugin saves them when the session failed).
    - `before_teardown(info)`: called while the stack still runs, after the logs (for example
      to save the builds' times from the frontend).
    A signal while leaving waits until the teardown is done; one just as `up` returns still
    removes the run.
    """
    info = runs(engine).get(run_id) if reuse else None
    if info is not None:
        progress.say(f"using the existing run {run_id} (it is left running)")
        keep = True
    failure: BaseException | None = None
    try:
        if info is None:
            info = up(engine, scenario, run_id, package_set=package_set, keep=keep)
        yield info
    except BaseException as error:
        failure = error
        raise
    finally:
        with interrupts.deferred():  # a Ctrl-C now must not cut the teardown short
            if info is None:
                # `up` cleaned up after itself; only a signal just as it returned leaves the run.
                # (Any other error may be "run id in use": that run is someone else's.)
                if isinstance(failure, KeyboardInterrupt):
                    engine.remove_run(run_id)
            else:
                wanted = logs() if callable(logs) else logs
                _leave(engine, info, keep, wanted or failure is not None, before_teardown)


def _leave(engine: Engine, info: RunInfo, keep: bool, save: bool,
           before_teardown: Callable[[RunInfo], None] | None) -> None:
    """Save the logs (and what `before_teardown` saves), then remove the run unless kept."""
    try:
        if save:
            folder = save_logs(engine, info.run, info.run.containers())
            progress.say(f"container logs saved in {folder}")
        if before_teardown is not None:
            before_teardown(info)
    finally:
        if keep:
            progress.say(f"keeping run {info.run_id}: 'copr-harness down --run-id {info.run_id}'")
        else:
            down(engine, info.run_id)
