"""The `copr-harness` command line, one module per group of commands:

- app: `main` (the entry point), logging (-q/-v) and errors turned into exit codes;
- grammar: the parser (every command, its options, the environment variables they honour);
- options: option types and the options several commands share;
- lifecycle: doctor, images, up, kube, down, gc;
- gates: sanity, post-release, target, plan, rehearse, load, bench;
- runs: list, status, env, logs, exec, fault; interactive: `exec -i/-t` through the podman client;
- output: tables, ages and JSON; completion: the shell completion scripts.
"""

from harness import stack
from harness.cli.app import main
from harness.cli.grammar import parse, parser
from harness.cli import gates, lifecycle, runs
from harness.cli.options import _workers

__all__ = ["_workers", "gates", "lifecycle", "runs", "main", "parse", "parser", "stack"]
