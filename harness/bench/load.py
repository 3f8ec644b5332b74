"""The load test: many builds at once across projects and users, then checks that each ran once
and that results and repositories agree, with throughput, latency and peak memory."""

from __future__ import annotations

import json
import secrets
import tempfile
from collections import Counter
from importlib import resources
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from copr.v3 import Client

from harness import progress, wait
from harness.artifacts.srpms import make_srpm
from harness.errors import InfraError
from harness.naming import DEFAULT_CHROOT
from harness.gates.copr_waits import FINISHED
from harness.podman.engine import Engine
from harness.reports.stats import mib, summary
from harness.stack import memory, users
from harness.upgrade import backend_log

CHROOT = DEFAULT_CHROOT
MEMORY_LIMIT = int(1.5 * 2**30)  # docs/architecture.md: the whole stack within 1.5 GiB
BACKEND_RESULTS = "/var/lib/copr/public_html/results"
SUBMITTERS = 10  # threads submitting at once

@dataclass
class Build:
    """One build of the load: where it went, who sent it, what became of it."""

    number: int
    owner: str
    project: str
    user: str
    package: str
    build_id: int = 0
    state: str = ""
    submitted_on: int = 0
    ended_on: int = 0

    @property
    def latency(self) -> int:
        """Seconds from submission to the end, by the frontend's clock."""
        return self.ended_on - self.submitted_on


@dataclass
class LoadResult:
    """What a load run measured and the consistency problems it found (none means it passed)."""

    run_id: str
    builds: list[Build]
    seconds: float  # first submission to last end, by the frontend's clock
    peaks: memory.Peaks
    problems: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        """Builds per minute."""
        return round(len(self.builds) * 60 / self.seconds, 1) if self.seconds else 0.0

    @property
    def latency(self) -> dict[str, float]:
        return summary([b.latency for b in self.builds])

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id, "builds": len(self.builds),
            "states": dict(Counter(b.state for b in self.builds)),
            "seconds": self.seconds, "builds_per_minute": self.throughput,
            "latency_seconds": self.latency,
            "peak_memory_mib": mib(self.peaks.total),
            "peak_memory_by_component_mib": {c: mib(v) for c, v in
                                             self.peaks.by_component(self.run_id).items()},
            "memory_samples": self.peaks.samples,
            "problems": self.problems,
        }

    def write(self, path: Path) -> Path:
        """Write `as_dict()` as JSON (load.json); return the path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n")
        return path

    def lines(self) -> list[str]:
        """The report a person reads."""
        lat = self.latency
        peak = ", ".join(f"{c} {mib(v)}" for c, v in self.peaks.by_component(self.run_id).items())
        states = ", ".join(f"{n} {s}" for s, n in sorted(Counter(b.state for b in self.builds).items()))
        lines = [
            f"builds:      {len(self.builds)} ({states}) in {len({b.project for b in self.builds})} "
            f"projects of {len({b.user for b in self.builds})} users",
            f"throughput:  {self.throughput} builds/min ({self.seconds:.0f} s from first submit to last end)",
            f"latency:     min {lat['min']:.0f} s, median {lat['median']:.0f} s, "
            f"p90 {lat['p90']:.0f} s, max {lat['max']:.0f} s (submitted -> ended)",
            f"peak memory: {mib(self.peaks.total)} MiB (limit {mib(MEMORY_LIMIT)} MiB; "
            f"{self.peaks.samples} samples): {peak}",
        ]
        lines += [f"PROBLEM: {p}" for p in self.problems] or ["consistency: all checks passed"]
        return lines


def plan(builds: int, projects: int, tag: str, owners: list[str]) -> list[Build]:
    """Spread `builds` round-robin over `projects` projects, owned in turn by `owners`."""
    return [Build(number=n, owner=owners[(n % projects) % len(owners)],
                  project=f"load-{tag}-{n % projects}", user=owners[(n % projects) % len(owners)],
                  package=f"load{n:03d}")
            for n in range(builds)]


def run(engine: Engine, run_id: str, builds: int = 50, projects: int = 5,
        timeout: float | None = None) -> LoadResult:
    """Submit `builds` builds at once, wait for all to end, check consistency, measure."""
    configs = users.configs(run_id)
    owners = [name for name in users.USERS if name in configs]
    clients = {name: Client.create_from_config_file(str(configs[name])) for name in owners}
    todo = plan(builds, projects, secrets.token_hex(2), owners)
    timeout = timeout or 300 + 30 * builds  # generous: seen 880 s for 50 at load average 40+
    with tempfile.TemporaryDirectory(prefix="copr-harness-load-") as tmp:
        with progress.step(f"making {builds} SRPMs"):
            srpms = {b.package: make_srpm(Path(tmp), b.package) for b in todo}
        sampler = memory.Sampler(engine, run_id).start()
        try:
            for project in sorted({(b.owner, b.project) for b in todo}):
                clients[project[0]].project_proxy.add(project[0], project[1], chroots=[CHROOT])

            def submit(build: Build) -> None:
                made = clients[build.user].build_proxy.create_from_file(
                    build.owner, build.project, str(srpms[build.package]),
                    buildopts={"chroots": [CHROOT]})
                build.build_id = int(made.id)

            with progress.step(f"submitting {builds} builds to {projects} projects"):
                with ThreadPoolExecutor(max_workers=SUBMITTERS) as pool:
                    list(pool.map(submit, todo))
            with progress.step(f"waiting for {builds} builds to end"):
                wait.until(lambda: _all_ended(clients, todo), what=f"{builds} load builds to end",
                           timeout=timeout, interval=1, max_interval=5)
        finally:
            peaks = sampler.stop()
    start = min(b.submitted_on for b in todo)
    end = max(b.ended_on for b in todo)
    result = LoadResult(run_id, todo, float(end - start), peaks)
    with progress.step("checking results, repositories and the backend's log"):
        result.problems = check(engine, run_id, todo, peaks)
    return result


def _all_ended(clients: dict[str, Client], todo: list[Build]) -> None:
    """Fill in each build's state and times; NotYet while any has not ended."""
    by_id = {b.build_id: b for b in todo}
    for owner, project in sorted({(b.owner, b.project) for b in todo}):
        for item in clients[owner].build_proxy.get_list(owner, project):
            build = by_id.get(int(item.id))
            if build is not None:
                build.state = item.state
                build.submitted_on = int(item.submitted_on or 0)
                build.ended_on = int(item.ended_on or 0)
    waiting = Counter(b.state or "unlisted" for b in todo if b.state not in FINISHED)
    if waiting:
        raise wait.NotYet(f"{sum(waiting.values())} of {len(todo)} still "
                          + ", ".join(f"{n} {s}" for s, n in sorted(waiting.items())))


def check(engine: Engine, run_id: str, todo: list[Build], peaks: memory.Peaks) -> list[str]:
    """Every consistency problem of a finished load (an empty list when all is well)."""
    problems = [f"build {b.build_id} ({b.owner}/{b.project} {b.package}) ended {b.state}"
                for b in todo if b.state != "succeeded"]
    ids = Counter(b.build_id for b in todo)
    problems += [f"build id {i} was given to {n} submissions" for i, n in ids.items() if n > 1]
    backend = f"{run_id}-backend"
    disk = _disk(engine, backend, sorted({f"{b.owner}/{b.project}" for b in todo}))
    problems += check_disk(todo, disk)
    problems += check_backend_log(todo, backend_log.collect(engine, backend))
    if peaks.total > MEMORY_LIMIT:
        problems.append(f"peak memory {mib(peaks.total)} MiB is above {mib(MEMORY_LIMIT)} MiB")
    return problems


def _disk(engine: Engine, backend: str, projects: list[str]) -> dict:
    script = resources.files("harness.bench").joinpath("disk_report.py").read_text()
    result = engine.exec(backend, ["python3", "-c", script, BACKEND_RESULTS, *projects])
    if not result.ok:
        raise InfraError(f"reading the results tree in {backend} failed: {result.output[-500:]}")
    return json.loads(result.output)


def check_disk(todo: list[Build], disk: dict) -> list[str]:
    """One result dir per build and chroot (and per SRPM build), each dir's results.json naming
    exactly its RPMs, and each repository's metadata listing exactly the RPMs on disk."""
    problems = []
    for full in sorted({f"{b.owner}/{b.project}" for b in todo}):
        mine = [b for b in todo if f"{b.owner}/{b.project}" == full]
        entry = disk.get(full) or {"srpm_dirs": [], "chroots": {}}
        expected_srpm = sorted(f"{b.build_id:08d}" for b in mine)
        if entry["srpm_dirs"] != expected_srpm:
            problems.append(f"{full}/srpm-builds holds {entry['srpm_dirs']}, expected {expected_srpm}")
        chroot = entry["chroots"].get(CHROOT)
        if chroot is None:
            problems.append(f"{full}/{CHROOT} does not exist")
            continue
        expected = sorted(f"{b.build_id:08d}-{b.package}" for b in mine)
        if sorted(chroot["dirs"]) != expected:
            problems.append(f"{full}/{CHROOT} holds result dirs {sorted(chroot['dirs'])}, "
                            f"expected one per build: {expected}")
        for name, found in sorted(chroot["dirs"].items()):
            problems += _check_result_dir(f"{full}/{CHROOT}/{name}", found)
        if chroot["repodata"] is None:
            problems.append(f"{full}/{CHROOT} has no readable repodata")
        elif chroot["repodata"] != chroot["rpms"]:
            missing = sorted(set(chroot["rpms"]) - set(chroot["repodata"]))
            extra = sorted(set(chroot["repodata"]) - set(chroot["rpms"]))
            problems.append(f"{full}/{CHROOT} repodata differs from the RPMs on disk: "
                            f"not listed {missing}, listed but absent {extra}")
    return problems


def _check_result_dir(where: str, found: dict) -> list[str]:
    if not found["success"]:
        return [f"{where} has no success file"]
    results = found["results"]
    if not isinstance(results, dict) or not isinstance(results.get("packages"), list):
        return [f"{where}/results.json is missing or has no package list"]
    named = sorted(f"{p['name']}-{p['version']}-{p['release']}.{p['arch']}.rpm"
                   for p in results["packages"])
    if named != found["rpms"]:
        return [f"{where}/results.json names {named} but the dir holds {found['rpms']}"]
    return []


def check_backend_log(todo: list[Build], log: str) -> list[str]:
    """The backend started each task of the load exactly once: the SRPM task (its id is the
    build id) and the chroot's task (`<build id>-<chroot>`)."""
    started = backend_log.started_counts(log)
    problems = []
    for build in todo:
        for task in (str(build.build_id), f"{build.build_id}-{CHROOT}"):
            if started[task] != 1:
                problems.append(f"the backend started task {task} {started[task]} times")
    return problems
