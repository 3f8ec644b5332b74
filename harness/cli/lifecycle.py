"""Commands that make or remove things: doctor, images, up, kube, down, gc."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import __version__, paths, stack
from harness.artifacts import images
from harness.errors import EXIT_OK, InputError
from harness.kube import manifests
from harness.kube import play as kube_play
from harness.model.components import services
from harness.model.scenario import load_scenario
from harness.naming import new_run_id
from harness.podman import doctor
from harness.podman.engine import Engine
from harness.stack import users

STDOUT = Path("-")  # `kube -o -`


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
    """Write Kubernetes manifests of a scenario's stack (images with its RPMs installed).

    With --play, run them here with podman kube play and leave the run up. With -o -, print
    them on stdout as one YAML stream (for kubectl apply -f -)."""
    to_stdout = args.output == STDOUT
    if to_stdout and args.play:
        raise InputError("kube: -o - prints the manifests; --play needs a folder (-o FOLDER)")
    _, scenario = load_scenario(args.scenario)
    scenario.package_set(args.versions)
    if args.play:
        paths.check_output_folders()
    run_id = args.run_id or new_run_id()
    folder = None if to_stdout else args.output or kube_play.default_folder(run_id)
    with Engine.connect() as engine:
        made = kube_play.export(engine, scenario, run_id, folder, package_set=args.versions)
        if to_stdout:
            sys.stdout.write(manifests.stream(made.files))
            return EXIT_OK
        print(f"manifests of run {run_id} in {folder}/ (apply with: kubectl apply -k {folder})")
        if args.play:
            kube_play.play(engine, made, package_set=args.versions)
            print(f"run {run_id} is up (podman kube play): {', '.join(made.components)}")
            for component, port in made.host_ports.items():
                print(f"  {component}: http://127.0.0.1:{port}")
            for name, config in users.configs(run_id).items():
                print(f"  export COPR_CONFIG_{name.upper()}={config}")
            print(f"take it down with: copr-harness down --run-id {run_id}")
    return EXIT_OK


def cmd_down(args: argparse.Namespace) -> int:
    """Remove a run."""
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        stack.down(engine, info.run_id)
    return EXIT_OK


def cmd_gc(args: argparse.Namespace) -> int:
    """Remove the leftovers of dead runs (or of all runs with --all)."""
    with Engine.connect() as engine:
        removed = stack.gc(engine, everything=args.all)
    print("removed runs: " + (", ".join(removed) if removed else "none"))
    return EXIT_OK
