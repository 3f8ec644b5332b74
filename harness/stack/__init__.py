"""A run's stack, one module per concern:

- lifetime: `with stack.running(engine, scenario, run_id) as info:` (up, logs, teardown);
- bringup: `stack.up`, a run's components from packages to ready;
- probes: readiness; description: what the suites read (stack.json, URLs, status);
- registry: the runs on this host (`Run`, `RunInfo`), removing them, the bookkeeping of a new run;
- users, owner, faults, memory.

Call sites use the package: `stack.running(...)`, `stack.up(...)`, `stack.down(...)`.
"""

from harness.stack.bringup import Bringup, new_secrets, render_env, up
from harness.stack.description import (
    ComponentStatus, describe, env_lines, environment, export_lines, expected_origins, status, url,
    write_description, write_target,
)
from harness.stack.lifetime import running
from harness.stack.probes import check_ready, last_log, wait_ready
from harness.stack.registry import (
    LABEL_COMPONENTS, LABEL_PACKAGE_SET, Run, RunInfo, containers_of, down, gc, resolve_run, runs,
    save_logs,
)

__all__ = [
    "Bringup", "ComponentStatus", "LABEL_COMPONENTS", "LABEL_PACKAGE_SET", "Run", "RunInfo",
    "check_ready", "containers_of", "describe", "down", "env_lines", "environment",
    "expected_origins", "export_lines", "gc", "last_log", "new_secrets", "render_env", "resolve_run", "running",
    "runs", "save_logs", "status", "up", "url", "wait_ready", "write_description", "write_target",
]
