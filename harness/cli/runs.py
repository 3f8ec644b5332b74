"""Commands that look at runs: list, status, env, logs, exec, fault."""

from __future__ import annotations

import argparse
import queue
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict

from harness import stack
from harness.cli import interactive
from harness.cli.output import age, emit_json, table
from harness.errors import EXIT_FAILED, EXIT_OK, InputError
from harness.model.components import Instance
from harness.podman.engine import Engine
from harness.stack import faults
from harness.stack.listing import listing

# How often the main thread looks up from a followed log (so Ctrl-C is taken at once).
FOLLOW_POLL = 0.2


def cmd_list(args: argparse.Namespace) -> int:
    """List the runs on this host: id, scenario, state, age and whether they are kept."""
    with Engine.connect() as engine:
        rows = listing(engine)
    if args.format == "json":
        emit_json([row.as_json() for row in rows])
    elif args.ids_only:
        for row in rows:
            print(row.run_id)
    else:  # the header even with no run, as `podman ps` prints it
        cells = [[r.run_id, r.scenario or "?", r.package_set or "?",
                  f"{r.state} {r.running}/{r.containers}", age(r.age()), r.owner] for r in rows]
        for line in table(["RUN ID", "SCENARIO", "VERSIONS", "STATE", "AGE", "OWNER"], cells):
            print(line)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """Show each component of a run: state, readiness, URL, installed packages."""
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        rows = stack.status(engine, info)
    ready = all(r.ready for r in rows)
    kept = "kept" if info.kept else ("owned by a running process" if info.live else "orphaned")
    if args.format == "json":
        emit_json({"run_id": info.run_id, "scenario": info.scenario, "package_set": info.package_set,
                   "kept": info.kept, "live": info.live, "ready": ready,
                   "components": [asdict(row) for row in rows]})
        return EXIT_OK if ready else EXIT_FAILED
    print(f"run {info.run_id} ({info.package_set or '?'} versions of {info.scenario or '?'}; {kept})")
    print(f"{'COMPONENT':10} {'STATE':9} {'READY':6} {'URL':24} PACKAGES")
    for row in rows:
        print(f"{row.component:10} {row.state:9} {'yes' if row.ready else 'NO':6} {row.url or '-':24} "
              f"{', '.join(row.packages) or '-'}")
        if row.detail:
            print(f"{'':10} {row.detail}")
        if row.origins:
            print(f"{'':10} from: " + "; ".join(f"{n}: {o}" for n, o in row.origins.items()))
    return EXIT_OK if ready else EXIT_FAILED


def cmd_env(args: argparse.Namespace) -> int:
    """Print shell-quoted export lines for the run's URLs and copr-cli configs."""
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        values = stack.environment(engine, info)
    if args.format == "json":
        emit_json(values)
        return EXIT_OK
    for line in stack.export_lines(values):
        print(line)
    return EXIT_OK


def cmd_logs(args: argparse.Namespace) -> int:
    """Print the logs of one component, or of all; -f follows them until Ctrl-C."""
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        instances = info.run.instances()
        if args.component:  # a component (all its instances) or one instance (builder-1)
            instances = ([i for i in instances if i.short == args.component]
                         or (info.run.instances(args.component)
                             if args.component in info.components else []))
            if not instances:
                raise InputError(f"run {info.run_id} has no component '{args.component}' "
                                 f"(it has: {', '.join(info.components)})")
        if args.follow:
            _follow(engine, instances, args.tail)
            return EXIT_OK
        for instance in instances:
            text = engine.logs(instance.name, tail=args.tail)
            if len(instances) == 1:
                sys.stdout.write(text)
            else:
                for line in text.splitlines():
                    print(f"{instance.short:10}| {line}")
    return EXIT_OK


def _follow(engine: Engine, instances: list[Instance], tail: int | None) -> None:
    """Print the logs as they come until every container stopped (or Ctrl-C, which the caller
    turns into exit 130). One container: its lines as they are; several: prefixed, one reader
    thread each on a connection of its own."""
    if len(instances) == 1:
        for chunk in engine.follow_logs(instances[0].name, tail=tail):
            sys.stdout.write(chunk)
            sys.stdout.flush()
        return
    lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
    for instance in instances:
        threading.Thread(target=_read, args=(engine, instance, tail, lines), daemon=True).start()
    open_streams = len(instances)
    while open_streams:
        try:
            short, line = lines.get(timeout=FOLLOW_POLL)
        except queue.Empty:
            continue
        if line is None:
            open_streams -= 1
            continue
        print(f"{short:10}| {line}", flush=True)


def _read(engine: Engine, instance: Instance, tail: int | None,
          lines: queue.Queue[tuple[str, str | None]]) -> None:
    """A reader thread: one container's lines into `lines`, then None (also when it fails:
    the engine is closed under it when the command ends)."""
    try:
        connection = engine.connection()
        try:
            for line in _lines(connection.follow_logs(instance.name, tail=tail)):
                lines.put((instance.short, line))
        finally:
            connection.close()
    except Exception as error:  # noqa: BLE001 - said once in the stream, not as a traceback
        lines.put((instance.short, f"(log ended: {str(error).strip().splitlines()[0][:200]})"
                   if str(error).strip() else "(log ended)"))
    lines.put((instance.short, None))


def _lines(chunks: Iterator[str]) -> Iterator[str]:
    """Whole lines out of chunks of text (a chunk may hold several, or part of one)."""
    pending = ""
    for chunk in chunks:
        pending += chunk
        *done, pending = pending.split("\n")
        yield from done
    if pending:
        yield pending


def cmd_exec(args: argparse.Namespace) -> int:
    """Run a command inside a component's container and exit with its exit code; -it without a
    command gives an interactive shell."""
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command and not (args.interactive and args.tty):
        raise InputError("exec needs a command: copr-harness exec COMPONENT -- CMD ... "
                         "(or exec -it COMPONENT for a shell)")
    if args.tty:
        interactive.check_terminal()
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        names = {i.short: i.name for i in info.run.instances()}
        if args.component not in names:
            raise InputError(f"run {info.run_id} has no container '{args.component}' "
                             f"(it has: {', '.join(names)})")
        if args.interactive or args.tty:
            return interactive.run(engine.url, names[args.component], command or interactive.SHELL,
                                   stdin=args.interactive, tty=args.tty)
        result = engine.exec(names[args.component], command)
    sys.stdout.write(result.output)
    return result.exit_code


def cmd_fault(args: argparse.Namespace) -> int:
    """Inject a fault: kill, stop, start or restart a component or one instance of it."""
    with Engine.connect() as engine:
        info = stack.resolve_run(engine, args.run_id)
        names = faults.inject(engine, info, args.target, args.action)
    done = {"kill": "killed", "stop": "stopped", "start": "started and ready",
            "restart": "restarted and ready"}[args.action]
    print(f"{', '.join(info.run.short(n) for n in names)}: {done}")
    return EXIT_OK
