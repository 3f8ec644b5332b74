"""run.json: what a run tested and where, so an archived report answers "which copr-frontend
passed?": the scenario (path, sha256), each component's packages (NVR and where each came
from), the harness (version, commit), the tools (Podman, copr-cli, python-copr), the host, the
start and end, the timings and the verdict.

A run against a target (an existing Copr) has no scenario and no NVRs of its own: its record
names the target (file, URLs, owner, chroots) and the versions the Copr's API reported."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from harness import __version__
from harness.model.components import all_components
from harness.paths import ROOT
from harness.reports.stats import percentile

FILE = "run.json"


def _run(command: list[str]) -> str:
    """A command's first output line, or '' if it cannot run."""
    if shutil.which(command[0]) is None:
        return ""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout.strip() else ""


def _distribution(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""


def harness_info() -> dict[str, str]:
    """The harness's version, and its git commit when it runs from a checkout."""
    commit = _run(["git", "-C", str(ROOT), "rev-parse", "HEAD"]) if (ROOT / ".git").exists() else ""
    return {"version": __version__, "commit": commit}


def tools() -> dict[str, str]:
    """The versions of the tools the run used."""
    return {"podman": _run(["podman", "--version"]).removeprefix("podman version "),
            "copr-cli": _distribution("copr-cli"), "python-copr": _distribution("copr")}


def host() -> str:
    """This host's name and operating system (os-release's PRETTY_NAME)."""
    pretty = ""
    with_release = Path("/etc/os-release")
    if with_release.exists():
        for line in with_release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip('"')
    return f"{platform.node()} ({pretty or platform.platform()})"


def source_of(version: Any) -> str:
    """Where a package came from: the scenario's own word if it has one, else a prebuilt RPM
    file or the harness's spec."""
    origin = getattr(version, "origin", None)  # spec, rpm, PyPI pin, sdist, source dir + patches
    if isinstance(origin, str):
        return origin
    kind = getattr(version, "source", None)
    if isinstance(kind, str):
        return kind
    return "rpm" if getattr(version, "rpm", None) is not None else "spec"


def components(scenario: Any, package_set: str) -> dict[str, dict]:
    """Each component of the scenario with the NVR and source of every package it installs."""
    defined = all_components()
    found = {}
    for name in scenario.components:
        packages = (scenario.component_set(package_set, name) if hasattr(scenario, "component_set")
                    else scenario.package_set(package_set))  # by_component versions applied
        # A scenario may replace a component's package list (component_packages).
        names = (scenario.packages_of(name) if hasattr(scenario, "packages_of")
                 else defined[name].packages)
        found[name] = {"packages": [
            {"name": p, "nvr": f"{p}-{packages[p].evr}", "source": source_of(packages[p]),
             **({"file": str(packages[p].rpm)} if getattr(packages[p], "rpm", None) else {})}
            for p in names if p in packages]}
    return found


def timings(folder: Path, started: float, ended: float) -> dict[str, Any]:
    """The run's time, its bring-up's (bringup.json) and its builds' latency (builds.json)."""
    found: dict[str, Any] = {"total_seconds": round(ended - started, 1)}
    bringup = folder / "bringup.json"
    if bringup.exists():
        events = json.loads(bringup.read_text())["events"]
        if events:
            ends = [e["end"] or e["start"] for e in events]
            found["bringup_seconds"] = round(max(ends) - min(e["start"] for e in events), 1)
    builds = folder / "builds.json"
    if builds.exists():
        latencies = [b["ended"] - b["submitted"] for b in json.loads(builds.read_text())
                     if b["submitted"] and b["ended"]]
        found["builds"] = len(json.loads(builds.read_text()))
        if latencies:
            found["build_latency_p50"] = round(percentile(latencies, 50), 1)
            found["build_latency_p90"] = round(percentile(latencies, 90), 1)
    return found


def shown_path(path: Path) -> str:
    """A scenario's path as a reader knows it: relative to the harness's root when inside it
    (scenarios/default.yaml), else as given."""
    try:
        return str(path.resolve().relative_to(ROOT.resolve()))
    except ValueError:
        return str(path)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def write(folder: Path, kind: str, run_id: str, scenario_path: Path, scenario: Any, started: float,
          ended: float, verdict: str, package_sets: tuple[str, ...] = ("candidate",),
          extra: dict[str, Any] | None = None) -> Path:
    """Write `folder`/run.json; its path."""
    record = {
        "kind": kind, "run_id": run_id, "verdict": verdict,
        "scenario": {"path": shown_path(Path(scenario_path)),
                     "sha256": hashlib.sha256(Path(scenario_path).read_bytes()).hexdigest()},
        "package_sets": {s: components(scenario, s) for s in package_sets},
        "harness": harness_info(), "tools": tools(), "host": host(),
        "started": started, "ended": ended, "started_iso": _iso(started), "ended_iso": _iso(ended),
        "timings": timings(folder, started, ended), **(extra or {}),
    }
    record["components"] = record["package_sets"][package_sets[-1]]
    path = folder / FILE
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def write_target(folder: Path, kind: str, run_id: str, target_file: Path, target: Any,
                 versions: dict[str, str], started: float, ended: float, verdict: str,
                 extra: dict[str, Any] | None = None) -> Path:
    """Write `folder`/run.json for a run against a target (harness.model.target.Target)."""
    record = {
        "kind": kind, "run_id": run_id, "verdict": verdict,
        "target": {"file": str(target_file),
                   "sha256": hashlib.sha256(Path(target_file).read_bytes()).hexdigest(),
                   "urls": {k: v for k, v in target.urls.model_dump().items() if v},
                   "owner": target.owner, "default_user": target.default_user,
                   "users": sorted(target.users), "chroots": list(target.chroots)},
        # What the Copr said about itself, not what this machine installed.
        "versions": versions,
        # The target file's claim; checked only by the tests that may reach its hosts.
        "expected_packages": target.expected_packages,
        "harness": harness_info(), "tools": tools(), "host": host(),
        "started": started, "ended": ended, "started_iso": _iso(started), "ended_iso": _iso(ended),
        "timings": timings(folder, started, ended), **(extra or {}),
    }
    path = folder / FILE
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def tested(record: dict) -> str:
    """What a run tested, in a few words: its scenario's path, or the Copr at a target's URL."""
    if "target" in record:
        return f"the Copr at {record['target']['urls']['frontend']}"
    return record["scenario"]["path"]


def load(folder: Path) -> dict | None:
    """The run record saved in `folder` (None if none)."""
    path = folder / FILE
    return json.loads(path.read_text()) if path.exists() else None
