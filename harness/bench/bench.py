"""`make bench`: the performance figures of docs/architecture.md, measured, written to
build/bench/<time>.json and printed as a table beside their targets. Figures are measured, never
asserted by tests."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from copr.v3 import Client

from harness import progress, stack, wait
from harness.artifacts import images
from harness.artifacts.srpms import make_srpm
from harness.bench import load
from harness.errors import HarnessError, InfraError, InputError
from harness.gates import suites
from harness.model.components import services
from harness.model.scenario import load_scenario
from harness.naming import DEFAULT_CHROOT, LABEL_RUN, labels, network_name, new_run_id
from harness.paths import ROOT
from harness.podman.engine import ContainerSpec, Engine, ExecResult
from harness.reports.stats import median, mib
from harness.stack import memory, users
from harness.upgrade import rehearse

# One file per bench run (kept: a history), and latest.json beside them.
OUTPUT = Path("build/bench") / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
LATEST = "latest.json"
RELEASE_SCENARIO = ROOT / "scenarios" / "release-good.yaml"
SCRATCH_REPO = "localhost/copr-harness-bench"
CHROOT = DEFAULT_CHROOT


@dataclass
class Figure:
    """One measured figure beside its target (docs/architecture.md) (None: no target, shown for context)."""

    name: str
    value: float | None
    unit: str
    target: float | None = None
    what: str = ""
    detail: dict = field(default_factory=dict)
    error: str = ""  # why it could not be measured

    @property
    def verdict(self) -> str:
        if self.error:
            return "FAILED"
        if self.value is None:
            return "n/a"
        if self.target is None:
            return "-"
        return "ok" if self.value <= self.target else "OVER"


def table(figures: list[Figure]) -> str:
    """The figures as an aligned text table: name, measured, target, verdict, what."""
    rows = [("FIGURE", "MEASURED", "TARGET", "VERDICT", "WHAT")]
    for f in figures:
        measured = "-" if f.value is None else f"{f.value:g} {f.unit}"
        target = "-" if f.target is None else f"<= {f.target:g} {f.unit}"
        rows.append((f.name, measured, target, f.verdict, f.what))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(widths[i]) if i < 4 else cell
                               for i, cell in enumerate(row)).rstrip() for row in rows)


def document(figures: list[Figure], repeat: int, scenario: Path | None = None) -> dict:
    """What build/bench.json holds: the figures and the conditions they were measured in."""
    return {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "scenario": str(scenario) if scenario else "scenarios/default.yaml",
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "repeat": repeat,
        "figures": [asdict(f) | {"verdict": f.verdict} for f in figures],
    }


def write(figures: list[Figure], repeat: int, path: Path = OUTPUT,
          scenario: Path | None = None) -> Path:
    """Write this run's figures to `path` and to latest.json beside it (earlier runs stay)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document(figures, repeat, scenario), indent=2) + "\n"
    path.write_text(text)
    if path.name != LATEST:
        (path.parent / LATEST).write_text(text)
    return path


class Bench:
    """Measures the figures; some share work (the memory peak is sampled during sanity -n auto,
    the cold `make sanity` estimate adds the cold image build and that sanity run)."""

    def __init__(self, engine: Engine, repeat: int, scenario: Path | None = None) -> None:
        self.engine = engine
        self.repeat = repeat
        # The stack the figures are measured on (default: scenarios/default.yaml); the
        # rehearsal's window is always release-good.yaml's.
        _, self.scenario = load_scenario(scenario)
        self.done: dict[str, Figure] = {}

    def figure(self, name: str) -> Figure:
        """Measure a figure once; one that fails is recorded as failed and the others go on."""
        if name not in self.done:
            try:
                with progress.step(f"bench: {name}"):
                    self.done[name] = FIGURES[name][1](self)
            except HarnessError as error:
                self.done[name] = Figure(name, None, "", what=FIGURES[name][0],
                                         error=str(error).splitlines()[0])
        return self.done[name]

    # -- figures ------------------------------------------------------------------------------

    def up(self) -> Figure:
        times = []
        for _ in range(self.repeat):
            run_id = new_run_id()
            began = time.monotonic()
            with stack.running(self.engine, self.scenario, run_id, logs=False):
                times.append(time.monotonic() - began)
        return Figure("up", round(median(times), 1), "s", 15, f"warm up to all ready, median of "
                      f"{len(times)}", {"seconds": [round(t, 1) for t in times]})

    def images(self) -> Figure:
        repo = f"{SCRATCH_REPO}-{secrets.token_hex(3)}"
        names = sorted(services())
        began = time.monotonic()
        try:
            built = images.ensure(self.engine, names, rebuild=True, repo=repo)
            seconds = time.monotonic() - began
        finally:
            for tag in [images.component_tag(c, repo) for c in reversed(names)] + [
                    images.base_tag(repo), images.rootfs_tag(repo)]:
                self.engine.remove_image(tag)
        return Figure("images-cold", round(seconds, 1), "s", None,
                      "mmdebstrap + import + every image, scratch tags (removed after)",
                      {"images": sorted(built)})

    def build(self) -> Figure:
        run_id = new_run_id()
        count = max(5, self.repeat)
        times = []
        with stack.running(self.engine, self.scenario, run_id, logs=False):
            client = Client.create_from_config_file(str(users.configs(run_id)[users.DEFAULT_USER]))
            client.project_proxy.add(users.DEFAULT_USER, "bench", chroots=[CHROOT])
            with tempfile.TemporaryDirectory(prefix="copr-harness-bench-") as tmp:
                srpm = make_srpm(Path(tmp), "hello")
                for _ in range(count):
                    began = time.monotonic()
                    made = client.build_proxy.create_from_file(
                        users.DEFAULT_USER, "bench", str(srpm), buildopts={"chroots": [CHROOT]})
                    wait.until(lambda: _succeeded(client, made.id), what=f"build {made.id} to succeed",
                               timeout=300, interval=0.2, max_interval=0.5)
                    times.append(time.monotonic() - began)
        return Figure("build", round(median(times), 1), "s", 10,
                      f"one small build, submit -> succeeded, median of {count}",
                      {"seconds": [round(t, 1) for t in times]})

    def _suite(self, suite: str, n: str | None, sample: bool = False) -> tuple[float, int, memory.Peaks]:
        run_id = self.suite_run = new_run_id()
        sampler = memory.Sampler(self.engine, run_id).start() if sample else None
        began = time.monotonic()
        try:
            code = suites.gate(self.engine, self.scenario, run_id, suite,
                               ["-n", n] if n else [], keep=False)
        finally:
            peaks = sampler.stop() if sampler else memory.Peaks()
        return time.monotonic() - began, code, peaks

    def sanity_1(self) -> Figure:
        seconds, code, _ = self._suite("sanity", "1")
        return Figure("sanity-n1", round(seconds, 1), "s", None,
                      "copr-harness sanity -n 1 (up, suite, logs, down)", {"exit_code": code})

    def sanity_auto(self) -> Figure:
        seconds, code, peaks = self._suite("sanity", "auto", sample=True)
        self.sanity_peaks, self.sanity_run = peaks, self.suite_run
        return Figure("sanity-auto", round(seconds, 1), "s", 180,
                      "copr-harness sanity -n auto (up, suite, logs, down)", {"exit_code": code})

    def post_release(self) -> Figure:
        seconds, code, _ = self._suite("post_release", None)
        return Figure("post-release", round(seconds, 1), "s", 60,
                      "copr-harness post-release (up, suite, logs, down)", {"exit_code": code})

    def rehearsal(self) -> Figure:
        _, scenario = load_scenario(RELEASE_SCENARIO)
        began = time.monotonic()
        verdict = rehearse.rehearse(self.engine, scenario, new_run_id(), keep=False)
        return Figure("rehearsal-window", verdict.window_seconds, "s", 60,
                      f"window of {RELEASE_SCENARIO.name} (first stop to all ready)",
                      {"verdict": verdict.verdict, "whole_seconds": round(time.monotonic() - began, 1)})

    def memory(self) -> Figure:
        self.figure("sanity-auto")
        peaks = self.sanity_peaks
        return Figure("memory-peak", mib(peaks.total), "MiB", mib(load.MEMORY_LIMIT),
                      "whole stack during sanity -n auto, sampled each second",
                      {"by_component_mib": {c: mib(v) for c, v in
                                            peaks.by_component(self.sanity_run).items()},
                       "samples": peaks.samples})

    def overhead(self) -> Figure:
        count = max(3, self.repeat)
        harness, cli = [], []
        for _ in range(count):  # interleaved, so a burst of load on the machine hits both
            harness.append(self._containers_by_engine())
            cli.append(self._containers_by_cli())
        ratio = median(harness) / median(cli)
        return Figure("overhead", round(ratio, 2), "x", None,
                      "harness / podman CLI: network, container run, exec, remove (median of "
                      f"{count})", {"harness_seconds": [round(t, 2) for t in harness],
                                   "cli_seconds": [round(t, 2) for t in cli]})

    def cold_sanity(self) -> Figure:
        parts = {"images-cold": self.figure("images-cold").value,
                 "sanity-auto": self.figure("sanity-auto").value}
        if None in parts.values():
            raise InfraError("a part of the estimate failed: "
                             + ", ".join(k for k, v in parts.items() if v is None))
        total = sum(parts.values())
        return Figure("cold-sanity", round(total, 1), "s", 600,
                      "estimate: cold images + sanity -n auto (apt-get and pip not included)",
                      {"parts_seconds": parts})

    # -- the same container work, through the harness and through the podman CLI ------------

    def _containers_by_engine(self) -> float:
        run_id = f"bench-{secrets.token_hex(3)}"
        began = time.monotonic()
        try:
            self.engine.create_network(network_name(run_id), labels(run_id))
            name = f"{run_id}-c"
            self.engine.create_container(ContainerSpec(
                name=name, image=images.rootfs_tag(), labels=labels(run_id),
                network=network_name(run_id), aliases=["c"], command=["sleep", "infinity"]))
            self.engine.start(name)
            if not self.engine.exec(name, ["true"]).ok:
                raise InfraError(f"exec in {name} failed")
        finally:
            self.engine.remove_run(run_id)
        return time.monotonic() - began

    def _containers_by_cli(self) -> float:
        run_id = f"bench-{secrets.token_hex(3)}"
        label = f"{LABEL_RUN}={run_id}"
        network, name = network_name(run_id), f"{run_id}-c"
        ulimits = [f"--ulimit={k}={v}:{v}" for k, v in self.engine.host.ulimits.items()]
        began = time.monotonic()
        try:
            for args in (["network", "create", "--label", label, network],
                         ["run", "-d", "--name", name, "--label", label, "--network", network,
                          "--network-alias", "c", *ulimits, images.rootfs_tag(), "sleep", "infinity"],
                         ["exec", name, "true"]):
                result = podman_cli(self.engine, args)
                if not result.ok:
                    raise InfraError(f"podman {' '.join(args[:2])} failed: {result.output.strip()}")
        finally:
            podman_cli(self.engine, ["rm", "-f", "-t", "0", name])
            podman_cli(self.engine, ["network", "rm", "-f", network])
        return time.monotonic() - began


def _succeeded(client: Client, build_id: int) -> None:
    state = client.build_proxy.get(build_id).state
    if state != "succeeded":
        if state in ("failed", "canceled", "skipped"):
            raise InfraError(f"bench build {build_id} ended {state}")
        raise wait.NotYet(f"build {build_id} is {state}")


FIGURES: dict[str, tuple[str, Callable[[Bench], Figure]]] = {
    "up": ("warm up to all ready", Bench.up),
    "images-cold": ("cold image build under scratch tags", Bench.images),
    "build": ("one build submit -> succeeded", Bench.build),
    "sanity-n1": ("sanity suite, one worker", Bench.sanity_1),
    "sanity-auto": ("sanity suite, -n auto", Bench.sanity_auto),
    "post-release": ("post-release suite", Bench.post_release),
    "rehearsal-window": ("release window of release-good.yaml", Bench.rehearsal),
    "memory-peak": ("the stack's peak memory", Bench.memory),
    "overhead": ("harness vs podman CLI", Bench.overhead),
    "cold-sanity": ("cold make sanity estimate", Bench.cold_sanity),
}


def run(engine: Engine, only: list[str] | None, repeat: int,
        output: Path | None = None, scenario: Path | None = None) -> list[Figure]:
    """Measure the figures named in `only` (default: all), in the table's order; with `output`,
    write the JSON document there after each figure."""
    unknown = sorted(set(only or []) - set(FIGURES))
    if unknown:
        raise InputError(f"--only: unknown figure(s) {', '.join(unknown)} "
                         f"(known: {', '.join(FIGURES)})")
    if repeat < 1:
        raise InputError("--repeat must be at least 1")
    bench = Bench(engine, repeat, scenario)
    wanted = [name for name in FIGURES if not only or name in only]

    def measured() -> list[Figure]:
        return [bench.done[name] for name in FIGURES if name in bench.done]

    for name in wanted:
        bench.figure(name)
        if output is not None:  # after each figure: an interrupted bench keeps what it measured
            write(measured(), repeat, output, scenario)
    return measured()


def podman_cli(engine: Engine, args: list[str], timeout: float = 120) -> ExecResult:
    """Run the plain `podman` CLI (local, with the host's quirks in its own containers.conf), to
    compare the harness with the CLI doing the same work."""
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
        conf.write(engine.host.containers_conf())
        conf.flush()
        result = subprocess.run(["podman", *args], capture_output=True, text=True,
                                timeout=timeout, env=dict(os.environ, CONTAINERS_CONF=conf.name))
    return ExecResult(result.returncode, result.stdout + result.stderr)
