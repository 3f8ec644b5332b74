"""Commands that judge a Copr: sanity, post-release, target, plan, rehearse, load, bench."""

from __future__ import annotations

import argparse
import os
import sys

from harness import paths, stack
from harness.bench import bench, load
from harness.cli.output import emit_json
from harness.errors import EXIT_FAILED, EXIT_OK, InputError
from harness.gates import suites, target_run
from harness.model.scenario import load_scenario
from harness.naming import new_run_id
from harness.podman.engine import Engine
from harness.upgrade import plan, rehearse


def cmd_sanity(args: argparse.Namespace) -> int:
    """The pre-release gate: up, run the sanity suite, save reports and logs, tear down."""
    return _gate(args, "sanity")


def cmd_post_release(args: argparse.Namespace) -> int:
    """Up, run the post-release suite (versions, health, one build, data intact), tear down."""
    return _gate(args, "post_release")


def _pytest_args(args: argparse.Namespace) -> list[str]:
    return (["-k", args.k] if args.k else []) + (["-n", args.n] if args.n else [])


def _gate(args: argparse.Namespace, suite: str) -> int:
    if args.target or args.dry_run:
        return _gate_target(args, suite)
    _, scenario = load_scenario(args.scenario)
    paths.check_output_folders()
    run_id = args.run_id or new_run_id()
    pytest_args = _pytest_args(args)
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
    return target_run.gate(args.target, suite, _pytest_args(args), keep=args.keep,
                           dry_run=args.dry_run)


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
    if args.format == "json":
        emit_json({
            "scenario": str(args.scenario),
            "steps": [{"number": number, "component": step.component, "describe": step.describe(),
                       "upgrades": {name: {"from": old, "to": new}
                                    for name, (old, new) in step.upgrades.items()},
                       "migrate": step.migrate, "replace": step.replace, "origins": step.origins}
                      for number, step in enumerate(made.steps, 1)],
            "notes": made.notes,
            "problems": [{"rule": p.rule, "step": p.step, "message": p.message} for p in made.problems],
        })
        return EXIT_FAILED if made.problems else EXIT_OK
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
    """Measure the performance figures (docs/architecture.md) into build/bench.json."""
    with Engine.connect() as engine:
        figures = bench.run(engine, args.only, args.repeat, output=bench.OUTPUT,
                            scenario=args.scenario)
    print(bench.table(figures))
    print(f"written: {bench.OUTPUT} (load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    for figure in figures:
        if figure.error:
            print(f"{figure.name} FAILED: {figure.error}", file=sys.stderr)
    return EXIT_FAILED if any(f.error for f in figures) else EXIT_OK
