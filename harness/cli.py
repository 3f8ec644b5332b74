"""The `copr-harness` command line."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import requests
from podman.errors import APIError

from harness import __version__, interrupts, paths, processes, stack
from harness.artifacts import images
from harness.bench import bench, load
from harness.errors import (
    EXIT_BROKEN_PIPE, EXIT_FAILED, EXIT_INFRA, EXIT_INTERRUPTED, EXIT_OK, HarnessError,
    InputError,
)
from harness.gates import suites, target_run
from harness.kube import play as kube_play
from harness.model.components import services
from harness.model.scenario import load_scenario
from harness.naming import check_run_id, new_run_id
from harness.podman import doctor, http
from harness.podman.engine import Engine
from harness.stack import faults, users
from harness.upgrade import plan, rehearse


def cmd_doctor(args: argparse.Namespace) -> int:
    """Report Podman, the host's quirks and what the harness configures for them."""
    print(f"copr-harness {__version__}")
    return doctor.report(images.rootfs_tag())


def cmd_images(args: argparse.Namespace) -> int:
    """Build (or confirm cached) the rootfs, base and component images."""
    with Engine.connect() as engine:
        results = images.ensure(engine, sorted(services()), rebuild=args.rebuild)
    for name, result in results.items():
        print(f"{name:10} {result.tag}  {'cached' if result.cached else 'built'}")
    return EXIT_OK


def cmd_up(args: argparse.Namespace) -> int:
    """Bring a stack up and leave it running."""
    _, scenario = load_scenario(args.scenario)
    scenario.package_set(args.versions)  # a set the scenario lacks is bad input, found before Podman
    paths.check_output_folders()
    run_id = args.run_id or new_run_id()
    with Engine.connect() as engine:
        info = stack.up(engine, scenario, run_id, package_set=args.versions,
                        keep_on_failure=args.keep_on_failure)
        print(f"run {info.run_id} is up: {', '.join(info.components)}")
        for line in stack.env_lines(engine, info):
            print(f"  {line}")
        print(f"take it down with: copr-harness down --run-id {info.run_id}")
    return EXIT_OK


def cmd_kube(args: argparse.Namespace) -> int:
    """Write Kubernetes manifests of a scenario's stack (images with its RPMs installed); with
    --play, run them here with podman kube play and leave the run up."""
    _, scenario = load_scenario(args.scenario)
    if args.play:
        paths.check_output_folders()
    run_id = args.run_id or new_run_id()
    with Engine.connect() as engine:
        made = kube_play.export(engine, scenario, run_id, args.output or kube_play.default_folder(run_id),
                                package_set=args.versions)
        print(f"manifests of run {run_id} in {made.folder}/ (apply with: kubectl apply -k {made.folder})")
        if args.play:
            kube_play.play(engine, made, package_set=args.versions)
            print(f"run {run_id} is up (podman kube play): {', '.join(made.components)}")
            for component, port in made.host_ports.items():
                print(f"  {component}: http://127.0.0.1:{port}")
            for name, config in users.configs(run_id).items():
                print(f"  export COPR_CONFIG_{name.upper()}={config}")
            print(f"take it down with: copr-harness down --run-id {run_id}")
    return EXIT_OK


def cmd_sanity(args: argparse.Namespace) -> int:
    """The pre-release gate: up, run the sanity suite, save reports and logs, tear down."""
    return _gate(args, "sanity")


def cmd_post_release(args: argparse.Namespace) -> int:
    """Up, run the post-release suite (versions, health, one build, data intact), tear down."""
    return _gate(args, "post_release")


def _gate(args: argparse.Namespace, suite: str) -> int:
    if args.target or args.dry_run:
        return _gate_target(args, suite)
    _, scenario = load_scenario(args.scenario)
    paths.check_output_folders()
    run_id = args.run_id or new_run_id()
    pytest_args = (["-k", args.k] if args.k else []) + (["-n", args.n] if args.n else [])
    suites.collect(suite, pytest_args)  # bad input exits 2 before Podman is touched
    with Engine.connect() as engine:
        code = suites.gate(engine, scenario, run_id, suite, pytest_args, keep=args.keep,
                           collected=True)
    verdict = "PASSED" if code == 0 else "FAILED"
    print(f"{suite.replace('_', '-')} {verdict}; reports in {paths.run_dir(run_id)}/")
    return suites.exit_code(code)


def _gate_target(args: argparse.Namespace, suite: str) -> int:
    """A suite against an existing Copr given by a target file (black-box)."""
    if args.scenario or args.run_id:
        raise InputError("--target runs against an existing Copr: --scenario and --run-id do not apply")
    pytest_args = (["-k", args.k] if args.k else []) + (["-n", args.n] if args.n else [])
    return target_run.gate(args.target, suite, pytest_args, keep=args.keep, dry_run=args.dry_run)


def cmd_target(args: argparse.Namespace) -> int:
    """Write a target file for a running stack (its URLs and per-run copr-cli configs)."""
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        path = stack.write_target(engine, info, args.output, hosts=args.hosts)
    print(f"target file of run {info.run_id}: {path}")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    """Print a scenario's window steps and the problems its order will cause (runs nothing)."""
    _, scenario = load_scenario(args.scenario)
    made = plan.predict(scenario)
    print(f"release window of {args.scenario} (order: {' -> '.join(s.component for s in made.steps)}):")
    for number, step in enumerate(made.steps, 1):
        print(f"  {number}. {step.describe()}")
    for note in made.notes:
        print(f"note: {note}")
    for problem in made.problems:
        print(f"PROBLEM [{problem.rule}] at step {problem.step}: {problem.message}")
    if not made.problems:
        print("no problems predicted")
    return EXIT_FAILED if made.problems else EXIT_OK


def cmd_rehearse(args: argparse.Namespace) -> int:
    """Rehearse the release window: production stack, data, scripted upgrade, verdict per rule."""
    _, scenario = load_scenario(args.scenario)
    paths.check_output_folders()
    run_id = args.run_id or new_run_id()
    with Engine.connect() as engine:
        result = rehearse.rehearse(engine, scenario, run_id, keep=args.keep)
    for rule in result.rules:
        print(f"{'pass' if rule.ok else 'FAIL':5} {rule.name:24} {rule.message}")
    print(result.details["stack_state"])
    match = "as the scenario expects" if result.matches_expectation else "NOT as the scenario expects"
    print(f"verdict: {result.verdict.upper()} ({match}); window {result.window_seconds}s; "
          f"report: {paths.run_dir(run_id)}/rehearsal.html")
    return EXIT_OK if result.verdict == "pass" else EXIT_FAILED


def cmd_load(args: argparse.Namespace) -> int:
    """Submit many builds at once to a running stack; check each ran once; measure."""
    if args.builds < 1 or args.projects < 1:
        raise InputError("--builds and --projects must be at least 1")
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        result = load.run(engine, info.run_id, builds=args.builds, projects=args.projects)
    for line in result.lines():
        print(line)
    print(f"details: {result.write(paths.run_dir(info.run_id) / 'load.json')}")
    return EXIT_FAILED if result.problems else EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure the performance figures (docs/architecture.md); write build/bench.json; print them by target."""
    with Engine.connect() as engine:
        figures = bench.run(engine, args.only, args.repeat, output=bench.OUTPUT)
    print(bench.table(figures))
    print(f"written: {bench.OUTPUT} (load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    for figure in figures:
        if figure.error:
            print(f"{figure.name} FAILED: {figure.error}", file=sys.stderr)
    return EXIT_FAILED if any(f.error for f in figures) else EXIT_OK


def cmd_down(args: argparse.Namespace) -> int:
    """Remove a run."""
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        stack.down(engine, info.run_id)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """Show each component of a run: state, readiness, URL, installed packages."""
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        rows = stack.status(engine, info)
    kept = "kept" if info.kept else ("owned by a running process" if info.live else "orphaned")
    print(f"run {info.run_id} ({info.package_set or '?'} versions of {info.scenario or '?'}; {kept})")
    print(f"{'COMPONENT':10} {'STATE':9} {'READY':6} {'URL':24} PACKAGES")
    for row in rows:
        print(f"{row.component:10} {row.state:9} {'yes' if row.ready else 'NO':6} {row.url or '-':24} "
              f"{', '.join(row.packages) or '-'}")
        if row.detail:
            print(f"{'':10} {row.detail}")
        if row.origins:
            print(f"{'':10} from: " + "; ".join(f"{n}: {o}" for n, o in row.origins.items()))
    return EXIT_OK if all(r.ready for r in rows) else EXIT_FAILED


def cmd_logs(args: argparse.Namespace) -> int:
    """Print the logs of one component, or of all."""
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        instances = info.run.instances()
        if args.component:
            instances = [i for i in instances if i.short == args.component]
            if not instances:
                _check_component(info, args.component)
        for instance in instances:
            text = engine.logs(instance.name, tail=args.tail)
            if len(instances) == 1:
                sys.stdout.write(text)
            else:
                for line in text.splitlines():
                    print(f"{instance.short:10}| {line}")
    return EXIT_OK


def cmd_exec(args: argparse.Namespace) -> int:
    """Run a command inside a component's container; exit with its exit code."""
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise InputError("exec needs a command: copr-harness exec COMPONENT -- CMD ...")
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        names = {i.short: i.name for i in info.run.instances()}
        if args.component not in names:
            raise InputError(f"run {info.run_id} has no container '{args.component}' "
                             f"(it has: {', '.join(names)})")
        result = engine.exec(names[args.component], command)
    sys.stdout.write(result.output)
    return result.exit_code


def cmd_gc(args: argparse.Namespace) -> int:
    """Remove the leftovers of dead runs (or of all runs with --all)."""
    with Engine.connect() as engine:
        removed = stack.gc(engine, everything=args.all)
    print("removed runs: " + (", ".join(removed) if removed else "none"))
    return EXIT_OK


def cmd_env(args: argparse.Namespace) -> int:
    """Print export lines for the run's URLs."""
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        for line in stack.env_lines(engine, info):
            print(line)
    return EXIT_OK


def cmd_fault(args: argparse.Namespace) -> int:
    """Inject a fault: kill, stop, start or restart a component or one instance of it."""
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        names = faults.inject(engine, info, args.target, args.action)
    done = {"kill": "killed", "stop": "stopped", "start": "started and ready",
            "restart": "restarted and ready"}[args.action]
    print(f"{', '.join(info.run.short(n) for n in names)}: {done}")
    return EXIT_OK


def _check_component(info: stack.RunInfo, component: str) -> None:
    if component not in info.components:
        raise InputError(f"run {info.run_id} has no component '{component}' "
                           f"(it has: {', '.join(info.components)})")


def _count(minimum: int) -> Callable[[str], int]:
    """argparse type of a count: a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of at least {minimum}")
        return value

    return parse


def _workers(text: str) -> str:
    """argparse type of -n (pytest-xdist's workers): auto, logical, or a whole number >= 0."""
    if text in ("auto", "logical") or (text.isdigit() and text.isascii()):
        return text
    raise argparse.ArgumentTypeError(f"'{text}' is not 'auto', 'logical' or a whole number of at least 0")


def _run_id(text: str) -> str:
    """argparse type of --run-id: a malformed run id is a usage error naming it."""
    try:
        return check_run_id(text)
    except InputError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _options() -> dict[str, argparse.ArgumentParser]:
    """The options several commands share, each declared once (argparse parents)."""
    def group() -> argparse.ArgumentParser:
        return argparse.ArgumentParser(add_help=False)

    made = {name: group() for name in ("new_run", "run", "scenario", "scenario_required",
                                         "versions", "keep", "suite")}
    made["new_run"].add_argument(
        "--run-id", type=_run_id, help="id of the new run (default: a fresh one)")
    made["run"].add_argument(
        "--run-id", type=_run_id, help="the run to act on (default: the only run on this host)")
    for name, what in (("scenario", "scenario file (default: scenarios/default.yaml)"),
                       ("scenario_required", "scenario file with production and candidate sets")):
        # Optional for argparse even where required: `parse` accepts --scenario in its place.
        made[name].add_argument("scenario", type=Path, nargs="?", metavar="SCENARIO", help=what)
        # The older spelling, still accepted: --scenario FILE.
        made[name].add_argument("--scenario", type=Path, dest="scenario_option",
                                help=argparse.SUPPRESS)
    made["versions"].add_argument(
        "--versions", choices=["candidate", "production"], default="candidate",
        help="which package set of the scenario to install (default: candidate)")
    made["keep"].add_argument("--keep", action="store_true",
                              help="leave the stack running afterwards")
    made["suite"].add_argument("-k", metavar="EXPR", help="only tests matching EXPR (pytest -k)")
    made["suite"].add_argument("-n", metavar="N", type=_workers, help="parallel workers (pytest-xdist -n; default auto)")
    return made


def parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    top = argparse.ArgumentParser(prog="copr-harness", description=__doc__)
    top.add_argument("--version", action="version", version=f"copr-harness {__version__}")
    sub = top.add_subparsers(dest="command_name", required=True, metavar="COMMAND")
    shared = _options()

    def command(name: str, func: Callable[[argparse.Namespace], int],
                *options: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=(func.__doc__ or "").strip().splitlines()[0],
                             description=func.__doc__, parents=[shared[o] for o in options])
        cmd.set_defaults(func=func)
        return cmd

    command("doctor", cmd_doctor)
    command("images", cmd_images).add_argument(
        "--rebuild", action="store_true", help="rebuild every image without cache")
    command("up", cmd_up, "scenario", "versions", "new_run").add_argument(
        "--keep-on-failure", action="store_true",
        help="leave the containers of a failed bring-up for inspection")
    kube_cmd = command("kube", cmd_kube, "scenario", "versions", "new_run")
    kube_cmd.add_argument("-o", "--output", type=Path,
                          help="folder for the manifests (default: build/kube/<run-id>)")
    kube_cmd.add_argument("--play", action="store_true",
                          help="run the manifests here with podman kube play and wait until ready")
    for name, func in (("sanity", cmd_sanity), ("post-release", cmd_post_release)):
        gate_cmd = command(name, func, "scenario", "keep", "suite")
        gate_cmd.add_argument(
            "--run-id", type=_run_id, help="id of the new run (default: a fresh one); an existing "
            "run's id runs the suite against it as it is, and leaves it running")
        gate_cmd.add_argument("--target", type=Path, metavar="FILE",
                              help="run against the existing Copr this target file describes "
                                   "(--keep then leaves the projects the suite made)")
        gate_cmd.add_argument("--dry-run", action="store_true",
                              help="with --target: print what would be created and deleted; "
                                   "contact nothing")
    target_cmd = command("target", cmd_target, "run")
    target_cmd.add_argument("-o", "--output", type=Path, required=True, help="the target file to write")
    target_cmd.add_argument("--hosts", action="store_true",
                            help="also give the containers as testinfra hosts (not black-box)")
    command("plan", cmd_plan, "scenario_required")
    command("rehearse", cmd_rehearse, "scenario_required", "keep", "new_run")
    load_cmd = command("load", cmd_load, "run")
    load_cmd.add_argument("--builds", type=_count(1), default=50, help="builds to submit at once (default 50)")
    load_cmd.add_argument("--projects", type=_count(1), default=5,
                          help="projects to spread them over, owned by alice and bob in turn (default 5)")
    bench_cmd = command("bench", cmd_bench)
    bench_cmd.add_argument("--only", nargs="+", metavar="FIGURE",
                           help="measure only these figures: " + ", ".join(bench.FIGURES))
    bench_cmd.add_argument("--repeat", type=_count(1), default=3,
                           help="repetitions of repeated figures (default 3; builds: at least 5)")
    command("down", cmd_down, "run")
    command("status", cmd_status, "run")
    logs_cmd = command("logs", cmd_logs, "run")
    logs_cmd.add_argument("component", nargs="?", help="one component (default: all)")
    logs_cmd.add_argument("--tail", type=_count(1), help="only the last N lines")
    exec_cmd = command("exec", cmd_exec, "run")
    exec_cmd.add_argument("component")
    exec_cmd.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARG ...]")
    command("gc", cmd_gc).add_argument("--all", action="store_true",
                                       help="remove every run, live ones too")
    command("env", cmd_env, "run")
    fault_cmd = command("fault", cmd_fault, "run")
    fault_cmd.add_argument("target", metavar="COMPONENT|INSTANCE", help="e.g. backend, builder-1")
    fault_cmd.add_argument("action", choices=faults.ACTIONS)
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
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point: run one subcommand and turn errors into exit codes."""
    args = parse(argv)
    interrupts.install()
    try:
        code = args.func(args)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
        return code
    except BrokenPipeError:  # `copr-harness logs | head -1`: the reader has what it wanted
        processes.drop_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt as error:  # interrupts.Interrupted: SIGINT or SIGTERM
        print(f"copr-harness: {str(error) or 'interrupted'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except HarnessError as error:
        print(f"copr-harness: {error}", file=sys.stderr)
        return error.exit_code
    except (requests.ConnectionError, APIError) as error:  # Podman's API went away or failed
        print(f"copr-harness: {http.api_failure(error)}", file=sys.stderr)
        return EXIT_INFRA
    except Exception:  # noqa: BLE001 - unforeseen (a Podman API error, a bug): never "tests failed"
        traceback.print_exc()
        print("copr-harness: unexpected error (infrastructure)", file=sys.stderr)
        return EXIT_INFRA


if __name__ == "__main__":
    sys.exit(main())
