"""The parser of every command: what each takes, its help, the environment it honours."""

from __future__ import annotations

import argparse
import inspect
import re
from collections.abc import Callable
from pathlib import Path

from harness import __version__
from harness.bench import bench
from harness.cli import completion, gates, lifecycle
from harness.cli import runs
from harness.cli.options import add_logging, count, environment_epilog, shared
from harness.cli.options import run_id as run_id_type
from harness.stack import faults

DESCRIPTION = "End-to-end tests of a Copr stack in Podman: bring it up, gate a release, rehearse an upgrade."


def summary(doc: str | None) -> str:
    """A command's one-line help: the first sentence of its docstring, whole (never cut at a
    line break of the source)."""
    paragraph = " ".join((doc or "").strip().split("\n\n")[0].split())
    match = re.match(r"(.+?\.)(\s|$)", paragraph)
    return (match.group(1) if match else paragraph).rstrip(".")


def parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    top = argparse.ArgumentParser(prog="copr-harness", description=DESCRIPTION,
                                  epilog=environment_epilog(),
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"copr-harness {__version__}")
    add_logging(top)
    sub = top.add_subparsers(dest="command_name", required=True, metavar="COMMAND")
    options = shared()

    def command(name: str, func: Callable[[argparse.Namespace], int],
                *groups: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=summary(func.__doc__),
                             description=inspect.cleandoc(func.__doc__ or ""),
                             parents=[options[g] for g in (*groups, "logging")],
                             epilog=environment_epilog(),
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.set_defaults(func=func)
        return cmd

    command("doctor", lifecycle.cmd_doctor)
    command("images", lifecycle.cmd_images).add_argument(
        "--rebuild", action="store_true", help="rebuild every image without cache")
    command("up", lifecycle.cmd_up, "scenario", "versions", "new_run").add_argument(
        "--keep-on-failure", action="store_true",
        help="leave the containers of a failed bring-up for inspection")
    kube_cmd = command("kube", lifecycle.cmd_kube, "scenario", "versions", "new_run")
    kube_cmd.add_argument("-o", "--output", type=Path, metavar="FOLDER|-",
                          help="folder for the manifests (default: build/kube/<run-id>); "
                               "'-': one YAML stream on stdout")
    kube_cmd.add_argument("--play", action="store_true",
                          help="run the manifests here with podman kube play and wait until ready")
    for name, func in (("sanity", gates.cmd_sanity), ("post-release", gates.cmd_post_release)):
        gate_cmd = command(name, func, "scenario", "keep", "suite")
        gate_cmd.add_argument(
            "--run-id", type=run_id_type, help="id of the new run (default: a fresh one); an "
            "existing run's id runs the suite against it as it is, and leaves it running")
        gate_cmd.add_argument("--target", type=Path, metavar="FILE",
                              help="run against the existing Copr this target file describes "
                                   "(--keep then leaves the projects the suite made)")
        gate_cmd.add_argument("--dry-run", action="store_true",
                              help="with --target: print what would be created and deleted; "
                                   "contact nothing")
    target_cmd = command("target", gates.cmd_target, "run")
    target_cmd.add_argument("-o", "--output", type=Path, required=True, help="the target file to write")
    target_cmd.add_argument("--hosts", action="store_true",
                            help="also give the containers as testinfra hosts (not black-box)")
    command("plan", gates.cmd_plan, "scenario_required", "format")
    command("rehearse", gates.cmd_rehearse, "scenario_required", "keep", "new_run")
    load_cmd = command("load", gates.cmd_load, "run")
    load_cmd.add_argument("--builds", type=count(1), default=50, help="builds to submit at once (default 50)")
    load_cmd.add_argument("--projects", type=count(1), default=5,
                          help="projects to spread them over, owned by alice and bob in turn (default 5)")
    bench_cmd = command("bench", gates.cmd_bench, "scenario")
    bench_cmd.add_argument("--only", nargs="+", metavar="FIGURE",
                           help="measure only these figures: " + ", ".join(bench.FIGURES))
    bench_cmd.add_argument("--repeat", type=count(1), default=3,
                           help="repetitions of repeated figures (default 3; builds: at least 5)")
    list_cmd = command("list", runs.cmd_list, "format")
    list_cmd.add_argument("--ids", dest="ids_only", action="store_true",
                          help="only the run ids, one a line (for scripts and completion)")
    command("down", lifecycle.cmd_down, "run")
    command("status", runs.cmd_status, "run", "format")
    logs_cmd = command("logs", runs.cmd_logs, "run")
    logs_cmd.add_argument("component", nargs="?",
                          help="one component or container, e.g. backend, builder-1 (default: all)")
    logs_cmd.add_argument("--tail", type=count(1), help="only the last N lines")
    logs_cmd.add_argument("-f", "--follow", action="store_true",
                          help="keep printing new lines until the containers stop or Ctrl-C")
    exec_cmd = command("exec", runs.cmd_exec, "run")
    exec_cmd.add_argument("-i", "--interactive", action="store_true",
                          help="pass this process's stdin to the command")
    exec_cmd.add_argument("-t", "--tty", action="store_true",
                          help="give the command a terminal (with -i and no command: a shell)")
    exec_cmd.add_argument("component", help="a component or container, e.g. backend, builder-1")
    exec_cmd.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARG ...]")
    command("gc", lifecycle.cmd_gc).add_argument("--all", action="store_true",
                                                 help="remove every run, live ones too")
    command("env", runs.cmd_env, "run", "format")
    fault_cmd = command("fault", runs.cmd_fault, "run")
    fault_cmd.add_argument("target", metavar="COMPONENT|INSTANCE", help="e.g. backend, builder-1")
    fault_cmd.add_argument("action", choices=faults.ACTIONS)
    command("completion", completion.cmd_completion).add_argument(
        "shell", choices=completion.SHELLS, help="the shell to complete for")
    return top


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Parse a command line; the scenario may come positionally or (older) as --scenario."""
    top = parser()
    args = top.parse_args(argv)
    given = getattr(args, "scenario_option", None)
    if given is not None:
        if args.scenario is not None:
            top.error("give the scenario once: SCENARIO or --scenario SCENARIO")
        args.scenario = given
    if args.command_name in ("plan", "rehearse") and args.scenario is None:
        top.error(f"{args.command_name} needs a SCENARIO file")
    args.quiet = getattr(args, "quiet", 0)
    args.verbose = getattr(args, "verbose", 0)
    if args.quiet and args.verbose:
        top.error("-q and -v contradict each other: give one")
    return args
