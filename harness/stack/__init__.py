"""A run's stack: bring it up (bringup), probe it (probes), describe it (description), find and
remove runs (registry); plus its users, owner token, faults and memory sampling.

Call sites use the package: `stack.up(...)`, `stack.down(...)`, `stack.resolve_run(...)`.
"""

from harness.stack.bringup import Bringup, new_secrets, render_env, up
from harness.stack.description import (
    ComponentStatus, describe, env_lines, env_values, expected_origins, status, url,
    write_description, write_target,
)
from harness.stack.probes import check_ready, last_log, wait_ready
from harness.stack.registry import (
    LABEL_COMPONENTS, LABEL_PACKAGE_SET, RunInfo, containers_of, down, gc, resolve_run, runs,
    save_logs,
)

__all__ = [
    "Bringup", "ComponentStatus", "LABEL_COMPONENTS", "LABEL_PACKAGE_SET", "RunInfo", "check_ready",
    "containers_of", "describe", "down", "env_lines", "env_values", "expected_origins", "gc",
    "last_log", "new_secrets", "render_env",
    "resolve_run", "runs", "save_logs", "status", "up", "url", "wait_ready", "write_description",
    "write_target",
]
