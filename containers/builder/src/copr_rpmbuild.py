#!/usr/bin/python3
"""copr-rpmbuild for the copr-harness mock stack: runs Copr build tasks with plain rpmbuild.

The command line and the result files follow Copr's builder (see the protocol reference,
section 4); builds use the container's rpmbuild instead of mock, so chroot names are labels
that only choose the dist tag, the distribution macros and the target architecture.

Outcomes, all in the result directory: success = `success` (content `done`) + results.json,
exit 0; a chroot the spec excludes (ExcludeArch/ExclusiveArch) = results.json with
`"skipped": true` and no `success`, exit 0; failure = no `success`, exit 1. The live log is
always copied there as builder-live.log.

Installed as `copr-rpmbuild`; the same file also answers as `copr-rpmbuild-log`,
`copr-rpmbuild-cancel` and `copr-builder-ready` (symbolic links), the helpers the backend
runs over SSH.
"""

from __future__ import annotations

import argparse
import configparser
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO
from urllib.parse import unquote, urlparse

VERSION = "0+unknown"  # the package's %install puts the package version here
DEFAULT_CONFIG = "/etc/copr-rpmbuild/main.ini"
TIMEOUT_LINE = "Copr timeout => sending INT"

# BuildSourceEnum values the frontend sends as `source_type`.
SOURCE_TYPES = {0: "unset", 1: "link", 2: "upload", 5: "pypi", 6: "rubygems", 8: "scm",
                9: "custom", 10: "distgit"}
SUPPORTED_SOURCES = {"link", "upload", "spec"}

RPM_FIELDS = ("task_id", "chroot", "project_owner", "project_name", "git_repo")
SRPM_FIELDS = ("task_id", "project_owner", "project_name", "source_type", "source_json")


class BuildError(Exception):
    """The task failed; the message is the one line the live log ends with."""


class TaskError(BuildError):
    """The task definition is missing or unusable."""


class Canceled(BuildError):
    """copr-rpmbuild-cancel (or a Ctrl-C) stopped the task."""


# -- configuration ------------------------------------------------------------------------------


@dataclass
class Config:
    """The [main] section of main.ini, with defaults for every key."""

    frontend_url: str = "http://frontend:5000"
    resultdir: Path = Path("/var/lib/copr-rpmbuild/results")
    workspace: Path = Path("/var/lib/copr-rpmbuild/workspace")
    logfile: Path = Path("/var/lib/copr-rpmbuild/main.log")
    pidfile: Path = Path("/var/lib/copr-rpmbuild/pid")
    logger_pidfile: Path = Path("/var/lib/copr-rpmbuild/logger_pid")
    lockfile: Path = Path("/var/lib/copr-rpmbuild/lockfile")
    rpm_vendor_copr_name: str = "Copr harness"
    lookaside_url: str = "{scheme}://{netloc}/repo/pkgs"
    clone_path_prefix: str = "/git/"
    rawhide_version: int = 45
    default_timeout: int = 18000
    timeout_grace: float = 10.0
    network_timeout: float = 60.0


def load_config(path: str | Path) -> Config:
    """Read main.ini (a missing file means all defaults)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    config = Config()
    if not parser.has_section("main"):
        return config
    section = parser["main"]
    for name, default in vars(Config()).items():
        if name not in section:
            continue
        raw = section[name].strip()
        try:
            value: Any = type(default)(raw)
        except ValueError:
            raise TaskError(f"{path}: {name} = {raw!r} is not a valid {type(default).__name__}") from None
        setattr(config, name, value)
    return config


# -- pure helpers (unit tested) -----------------------------------------------------------------


def split_chroot(chroot: str) -> tuple[str, str]:
    """Split a chroot name into its distribution and architecture: fedora-44-x86_64 -> fedora-44."""
    distro, _, arch = chroot.rpartition("-")
    if not distro or not arch or "-" not in distro:
        raise TaskError(f"'{chroot}' is not a chroot name like fedora-44-x86_64")
    return distro, arch


def distro_macros(distro: str, rawhide_version: int) -> dict[str, str]:
    """RPM macros a Fedora-like buildroot of `distro` (e.g. fedora-44) defines: %dist and friends.

    fedora-rawhide builds as Fedora `rawhide_version`. Unknown distributions get no macros, so
    `%{?dist}` expands to nothing there.
    """
    name, _, release = distro.rpartition("-")
    if name == "fedora" and release == "rawhide":
        release = str(rawhide_version)
    major = release.split(".")[0]
    if not major.isdigit():
        return {}
    if name == "fedora":
        return {"dist": f".fc{major}", "fedora": major}
    if name == "epel":
        return {"dist": f".el{major}", "rhel": major, "epel": major}
    if name in ("centos-stream", "rhel", "almalinux", "rocky"):
        return {"dist": f".el{major}", "rhel": major}
    if name == "mageia":
        return {"dist": f".mga{major}", "mageia": major}
    return {}


def build_id_of(task_id: str) -> str:
    """The build id in a task id: '7-fedora-44-x86_64' -> '7', '7' -> '7'."""
    build_id = str(task_id).split("-", 1)[0]
    if not build_id.isdigit():
        raise TaskError(f"task_id '{task_id}' does not start with a build id")
    return build_id


def copr_macros(project_owner: str, project_name: str, task_id: str, vendor_name: str) -> dict[str, str]:
    """The macros every Copr build defines: %copr_username, %copr_projectname, %vendor, %buildtag."""
    kind = "group" if project_owner.startswith("@") else "user"
    macros = {"copr_username": project_owner, "copr_projectname": project_name}
    if vendor_name:
        macros["vendor"] = f"{vendor_name} - {kind} {project_owner}"
    macros["buildtag"] = f".copr{build_id_of(task_id)}"
    return macros


def arch_exclusion(arch: str, exclusivearch: list[str], excludearch: list[str]) -> str | None:
    """Why a spec cannot build for `arch` (None when it can), by its ExclusiveArch/ExcludeArch."""
    if arch in excludearch:
        return f"ExcludeArch ({' '.join(excludearch)}) excludes {arch}"
    # A noarch package that lists noarch as exclusive builds everywhere, as rpmbuild allows.
    if exclusivearch and arch not in exclusivearch and "noarch" not in exclusivearch:
        return f"ExclusiveArch ({' '.join(exclusivearch)}) does not include {arch}"
    return None


@dataclass
class SourceEntry:
    """One line of a dist-git `sources` file."""

    filename: str
    hashtype: str
    digest: str


def parse_sources(text: str) -> list[SourceEntry]:
    """Parse a dist-git `sources` file: old `<md5>  <file>` lines or new `SHA512 (file) = <hash>`."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        tagged = re.fullmatch(r"([A-Za-z0-9]+) \((.+)\) = ([0-9a-fA-F]+)", line)
        plain = re.fullmatch(r"([0-9a-fA-F]{32})\s+(\S.*)", line)
        if tagged:
            entries.append(SourceEntry(tagged.group(2), tagged.group(1).lower(), tagged.group(3).lower()))
        elif plain:
            entries.append(SourceEntry(plain.group(2), "md5", plain.group(1).lower()))
        else:
            raise BuildError(f"sources file, line {number}: cannot parse {line!r}")
        if "/" in entries[-1].filename or entries[-1].filename in (".", ".."):
            raise BuildError(f"sources file, line {number}: bad file name {entries[-1].filename!r}")
    return entries


def repo_path(git_repo: str, clone_path_prefix: str) -> str:
    """The `<owner>/<dir>/<package>` part of a dist-git clone URL."""
    path = unquote(urlparse(git_repo).path).rstrip("/")
    prefix = "/" + clone_path_prefix.strip("/") + "/" if clone_path_prefix.strip("/") else "/"
    if path.startswith(prefix):
        path = path[len(prefix):]
    path = path.strip("/")
    return path[:-4] if path.endswith(".git") else path


def lookaside_url(base: str, git_repo: str, clone_path_prefix: str, entry: SourceEntry) -> str:
    """Where dist-git's lookaside cache serves one source file of a package."""
    parsed = urlparse(git_repo)
    root = base.format(scheme=parsed.scheme, netloc=parsed.netloc).rstrip("/")
    return (f"{root}/{repo_path(git_repo, clone_path_prefix)}/{entry.filename}/"
            f"{entry.hashtype}/{entry.digest}/{entry.filename}")


def parse_epoch(value: str) -> int | None:
    """An rpm query's EPOCH ('(none)' when unset) as results.json wants it."""
    value = value.strip()
    return int(value) if value.isdigit() else None


def rpm_results(packages: list[dict[str, Any]]) -> dict[str, Any]:
    """results.json of an RPM build: every built package, the SRPM with arch 'src'."""
    keys = ("name", "epoch", "version", "release", "arch")
    return {"packages": [{key: package[key] for key in keys} for package in packages]}


def skipped_results(reason: str) -> dict[str, Any]:
    """results.json of an RPM task whose chroot the spec excludes (no `success` file goes with it)."""
    return {"packages": [], "skipped": True, "reason": reason}


def srpm_results(header: dict[str, Any], arch_tags: dict[str, dict[str, list[str]]]) -> dict[str, Any]:
    """results.json of an SRPM build: the NEVR and, per distribution, the spec's arch tags."""
    return {
        "name": header["name"],
        "epoch": header["epoch"],
        "version": header["version"],
        "release": header["release"],
        "architecture_specific_tags": arch_tags,
    }


@dataclass
class Task:
    """A build task as copr-rpmbuild uses it (the frontend's record, checked)."""

    kind: str  # "srpm" or "rpm"
    task_id: str
    build_id: str
    project_owner: str
    project_name: str
    chroot: str | None = None
    timeout: int | None = None
    source_type: str = ""
    source: dict[str, Any] = field(default_factory=dict)
    distributions: list[str] = field(default_factory=list)
    git_repo: str = ""
    git_hash: str = ""
    package_name: str = ""
    with_opts: list[str] = field(default_factory=list)
    without_opts: list[str] = field(default_factory=list)
    lookaside_url: str = ""


def parse_task(data: Any, kind: str, chroot: str | None = None) -> Task:
    """Check a task record and turn it into a Task; `chroot` (from -r) overrides the record's."""
    if not data or not isinstance(data, dict):
        raise TaskError("No valid build_config: the task is empty, null or not a JSON object")
    required = SRPM_FIELDS if kind == "srpm" else RPM_FIELDS
    given = dict(data, chroot=chroot or data.get("chroot"))
    missing = [name for name in required if given.get(name) in (None, "")]
    if missing:
        raise TaskError(f"No valid build_config: missing {', '.join(missing)}")
    task = Task(
        kind=kind,
        task_id=str(data["task_id"]),
        build_id=build_id_of(str(data["task_id"])),
        project_owner=str(data["project_owner"]),
        project_name=str(data["project_name"]),
        chroot=chroot or data.get("chroot"),
        timeout=_positive_int(data.get("timeout"), "timeout"),
    )
    if kind == "srpm":
        # The frontend sends BuildSourceEnum numbers; hand-written tasks may use the names.
        task.source_type = SOURCE_TYPES.get(data["source_type"], str(data["source_type"]))
        source = data["source_json"]
        if isinstance(source, str):
            try:
                source = json.loads(source)
            except ValueError:
                raise TaskError("source_json is not valid JSON") from None
        if not isinstance(source, dict):
            raise TaskError("source_json is not a JSON object")
        task.source = source
        task.distributions = list(data.get("distributions_in_build")
                                  or data.get("distributions_in_project") or [])
    else:
        split_chroot(task.chroot or "")
        task.git_repo = str(data["git_repo"])
        task.git_hash = str(data.get("git_hash") or "")
        task.package_name = str(data.get("package_name") or repo_path(task.git_repo, "").rsplit("/", 1)[-1])
        task.with_opts = [str(opt) for opt in data.get("with_opts") or []]
        task.without_opts = [str(opt) for opt in data.get("without_opts") or []]
        task.lookaside_url = str(data.get("lookaside_url") or "")
    return task


def _positive_int(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise TaskError(f"{name} {value!r} is not a number") from None
    if number <= 0:
        raise TaskError(f"{name} must be positive, not {number}")
    return number


def task_url(config: Config, kind: str, build_id: str, chroot: str | None) -> str:
    """The frontend URL of a task given by --build-id."""
    base = config.frontend_url.rstrip("/")
    if kind == "srpm":
        return f"{base}/backend/get-srpm-build-task/{build_id}"
    if not chroot:
        raise TaskError("--build-id of an RPM task needs -r/--chroot")
    return f"{base}/backend/get-build-task/{build_id}-{chroot}"


# -- the live log and child processes -----------------------------------------------------------


class LiveLog:
    """main.log, written line by line (copr-rpmbuild-log tails it), echoed to stdout if attached."""

    def __init__(self, path: Path, echo: TextIO | None) -> None:
        self.path = path
        self.echo = echo
        self.lock = threading.Lock()
        self.handle = path.open("w", encoding="utf-8", errors="replace")

    def write(self, text: str) -> None:
        """Append text (one or more whole lines) to the log."""
        if not text.endswith("\n"):
            text += "\n"
        with self.lock:
            self.handle.write(text)
            self.handle.flush()
            if self.echo is not None:
                try:
                    self.echo.write(text)
                    self.echo.flush()
                except (OSError, ValueError):
                    # The caller's SSH session is gone: build on, the results stay for collection.
                    self.echo = None

    def close(self) -> None:
        with self.lock:
            self.handle.close()


class _Current:
    """The child process running now and how to stop it, for the cancel signal handler."""

    stop: Callable[[], None] | None = None
    canceled = False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except OSError:
        return False
    return True


def _on_cancel(signum: int, frame: object) -> None:
    """Signal handler: stop the running child, or the task itself when none runs."""
    _Current.canceled = True
    if _Current.stop is not None:
        _Current.stop()  # run() raises Canceled once the child has ended
        return
    raise Canceled(f"canceled by signal {signal.Signals(signum).name}")


def run(command: list[str], log: LiveLog, *, cwd: Path | None = None, timeout: float | None = None,
        grace: float = 10.0, env: dict[str, str] | None = None) -> int:
    """Run a command with its output in the live log; return its exit code.

    The command leads its own process group. When `timeout` runs out the group gets SIGINT (and
    the log one line saying so), then SIGKILL if anything of it still runs `grace` seconds later;
    a cancel signal does the same without the timeout line. Raises BuildError on timeout and
    Canceled when the task was canceled meanwhile.
    """
    log.write("Running: " + " ".join(_quote(part) for part in command))
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, errors="replace", process_group=0,
    )
    timed_out, finished = threading.Event(), threading.Event()
    timers: list[threading.Timer] = []

    def later(delay: float, action: Callable[[], None]) -> None:
        timer = threading.Timer(delay, action)
        timer.daemon = True
        timers.append(timer)
        timer.start()

    def kill() -> None:
        # `finished`: once reaped, the PGID may belong to someone else.
        if not finished.is_set() and _group_alive(process.pid):
            log.write(f"Copr {'timeout' if timed_out.is_set() else 'cancel'} => sending KILL")
            os.killpg(process.pid, signal.SIGKILL)

    def stop() -> None:
        # No logging here: this also runs in the signal handler, maybe while the log is locked.
        if finished.is_set():
            return
        try:
            os.killpg(process.pid, signal.SIGINT)
        except OSError:
            return
        later(grace, kill)

    def expire() -> None:
        if finished.is_set():
            return
        timed_out.set()
        log.write(TIMEOUT_LINE)
        stop()

    _Current.stop = stop
    if timeout:
        later(timeout, expire)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
        code = process.wait()
    finally:
        _Current.stop = None
        if process.poll() is None:  # left by an exception: nothing may outlive the task
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        finished.set()
        for timer in list(timers):
            timer.cancel()
    if timed_out.is_set():
        raise BuildError(f"build timed out after {timeout:g} s")
    if _Current.canceled:
        raise Canceled("build canceled")
    return code


def _quote(part: str) -> str:
    return part if re.fullmatch(r"[\w@%+=:,./-]+", part) else "'" + part.replace("'", "'\\''") + "'"


def capture(command: list[str], what: str) -> str:
    """Run a short query (rpm -qp, rpmspec -q) and return its stdout; BuildError if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, errors="replace",
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        detail = "; ".join(line for line in result.stderr.splitlines()
                           if line.strip() and not line.startswith("rpm: "))
        raise BuildError(f"{what} failed: {detail or 'exit code %d' % result.returncode}")
    return result.stdout


def define_args(macros: dict[str, str]) -> list[str]:
    """--define arguments for rpm, rpmbuild and rpmspec."""
    args = []
    for name, value in macros.items():
        args += ["--define", f"{name} {value}"]
    return args


# -- downloads ----------------------------------------------------------------------------------


# dist-git and the frontend restart during a release window: network steps retry for about 30 s.
NETWORK_ATTEMPTS = 6


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, 4, 8, then 15)."""
    return float(min(2 ** (attempt - 1), 15))


def download(url: str, target: Path, log: LiveLog, timeout: float,
             attempts: int = NETWORK_ATTEMPTS) -> None:
    """Fetch a URL (http, https or file) into `target`."""
    log.write(f"Downloading {url}")
    parsed = urlparse(url)
    if parsed.scheme == "file":
        try:
            shutil.copyfile(unquote(parsed.path), target)
        except OSError as error:
            raise BuildError(f"cannot read {url}: {error.strerror}") from None
        return
    if parsed.scheme not in ("http", "https"):
        raise BuildError(f"cannot download {url}: only http, https and file URLs are supported")
    import requests  # imported late: the helper commands (log, cancel) start faster without it

    for attempt in range(1, attempts + 1):
        try:
            with requests.get(url, stream=True, timeout=timeout) as response:
                if response.status_code >= 500 and attempt < attempts:
                    raise requests.ConnectionError(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise BuildError(f"downloading {url} failed: HTTP {response.status_code}")
                with target.open("wb") as handle:
                    for chunk in response.iter_content(65536):
                        handle.write(chunk)
                return
        except requests.RequestException as error:
            if attempt == attempts:
                raise BuildError(f"downloading {url} failed: {error}") from None
            log.write(f"  attempt {attempt} failed ({error}); retrying")
            time.sleep(backoff(attempt))


def fetch_task(url: str, timeout: float, attempts: int = 5) -> Any:
    """GET a task record from the frontend, retrying server errors and lost connections."""
    import requests

    for attempt in range(1, attempts + 1):
        try:
            response = requests.get(url, timeout=timeout)
            if (response.status_code >= 500 or response.status_code == 408) and attempt < attempts:
                raise requests.ConnectionError(f"HTTP {response.status_code}")
            if response.status_code >= 400:
                raise TaskError(f"GET {url} answered HTTP {response.status_code}: {response.text[:200]}")
            try:
                return response.json()
            except ValueError:
                raise TaskError(f"No valid build_config at {url}: the answer is not JSON") from None
        except requests.RequestException as error:
            if attempt == attempts:
                raise TaskError(f"GET {url} failed: {error}") from None
            time.sleep(attempt)
    raise TaskError(f"GET {url} failed")


# -- the builds ---------------------------------------------------------------------------------


@dataclass
class Build:
    """What one task run shares: configuration, log, and its private work directory."""

    config: Config
    log: LiveLog
    workdir: Path

    @property
    def resultdir(self) -> Path:
        return self.config.resultdir

    def rpm_env(self) -> dict[str, str]:
        # A private HOME: the root account's ~/.rpmmacros must not change what gets built.
        return dict(os.environ, HOME=str(self.workdir), LC_ALL="C.UTF-8")

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        (self.resultdir / name).write_text(json.dumps(data, indent=4) + "\n")


def query_package(path: Path) -> dict[str, Any]:
    """Name, epoch, version, release and arch of an RPM file ('src' for a source RPM)."""
    out = capture(["rpm", "-qp", "--nosignature", "--nodigest", "--qf",
                   "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n", str(path)],
                  f"rpm -qp {path.name}")
    name, epoch, version, release, arch = out.splitlines()[0].split("\t")
    if path.name.endswith(".src.rpm"):
        arch = "src"
    return {"name": name, "epoch": parse_epoch(epoch), "version": version, "release": release, "arch": arch}


def spec_arch_tags(spec: Path, macros: dict[str, str]) -> dict[str, list[str]]:
    """The spec's ExclusiveArch, ExcludeArch and BuildArch with `macros` defined."""
    out = capture(["rpmspec", "-q", "--srpm", *define_args(macros), "--qf",
                   "[%{EXCLUSIVEARCH} ]|[%{EXCLUDEARCH} ]|[%{BUILDARCHS} ]\\n", str(spec)],
                  f"parsing {spec.name}")
    exclusive, exclude, buildarch = (out.splitlines() or ["||"])[0].split("|")
    return {"exclusivearch": exclusive.split(), "excludearch": exclude.split(),
            "buildarch": buildarch.split()}


def build_srpm(task: Task, build: Build) -> str:
    """An SRPM task: fetch the .src.rpm, or the .spec and `rpmbuild -bs` it; write the results."""
    if task.source_type not in SUPPORTED_SOURCES:
        raise BuildError(f"source type '{task.source_type}' is not supported by this builder "
                         f"(supported: {', '.join(sorted(SUPPORTED_SOURCES))})")
    url = task.source.get("url")
    if not url:
        raise BuildError(f"source_json of a '{task.source_type}' task has no 'url'")
    filename = os.path.basename(str(task.source.get("pkg") or unquote(urlparse(url).path)))
    if not filename.endswith((".src.rpm", ".spec")):
        raise BuildError(f"'{filename}' is neither a .src.rpm nor a .spec file")
    fetched = build.workdir / filename
    download(url, fetched, build.log, build.config.network_timeout)

    macros = copr_macros(task.project_owner, task.project_name, task.task_id,
                         build.config.rpm_vendor_copr_name)
    if filename.endswith(".spec"):
        # SRPM names carry no dist tag; remote SourceN URLs may be fetched, as upstream allows.
        macros.update({"dist": "%{nil}", "_disable_source_fetch": "0"})
        command = ["rpmbuild", "-bs", *define_args({
            "_topdir": str(build.workdir / "rpmbuild"), "_sourcedir": str(build.workdir),
            "_srcrpmdir": str(build.resultdir), **macros}), str(fetched)]
        code = run(command, build.log, cwd=build.workdir, env=build.rpm_env(),
                   timeout=task.timeout or build.config.default_timeout, grace=build.config.timeout_grace)
        if code != 0:
            raise BuildError(f"rpmbuild -bs exited with {code}")
    else:
        shutil.copyfile(fetched, build.resultdir / filename)

    srpms = sorted(build.resultdir.glob("*.src.rpm"))
    if len(srpms) != 1:
        raise BuildError(f"expected one source RPM, found {len(srpms)}")
    header = query_package(srpms[0])
    spec = extract_spec(srpms[0], build)
    arch_tags = {}
    for distro in task.distributions:
        defines = {**macros, "dist": "%{nil}", **distro_macros(distro, build.config.rawhide_version)}
        arch_tags[distro] = spec_arch_tags(spec, defines)
    build.write_json("results.json", srpm_results(header, arch_tags))
    build.log.write(f"Built {srpms[0].name}")
    return "succeeded"


def extract_spec(srpm: Path, build: Build) -> Path:
    """Unpack the spec of a source RPM into the resultdir."""
    unpacked = build.workdir / "unpacked"
    capture(["rpm", "-i", "--nodeps", "--nosignature", "--nodigest",
             "--define", f"_topdir {unpacked}", str(srpm)], f"unpacking {srpm.name}")
    specs = sorted((unpacked / "SPECS").glob("*.spec"))
    if len(specs) != 1:
        raise BuildError(f"{srpm.name} holds {len(specs)} spec files, expected one")
    target = build.resultdir / specs[0].name
    shutil.copyfile(specs[0], target)
    return target


def locate_spec(checkout: Path, package_name: str) -> Path:
    """The package's spec in a dist-git checkout: <package>.spec, or the only spec there."""
    preferred = checkout / f"{package_name}.spec"
    if preferred.is_file():
        return preferred
    specs = sorted(checkout.glob("*.spec"))
    if len(specs) != 1:
        raise BuildError(f"the repository has {len(specs)} spec files and no {package_name}.spec")
    return specs[0]


def fetch_sources(task: Task, checkout: Path, build: Build) -> None:
    """Download the files the `sources` file lists from the lookaside cache, checking hashes."""
    listing = checkout / "sources"
    if not listing.is_file():
        build.log.write("No sources file: nothing to fetch from the lookaside cache")
        return
    base = task.lookaside_url or build.config.lookaside_url
    for entry in parse_sources(listing.read_text()):
        if entry.hashtype not in hashlib.algorithms_available:
            raise BuildError(f"sources file: unknown hash type {entry.hashtype}")
        target = checkout / entry.filename
        url = lookaside_url(base, task.git_repo, build.config.clone_path_prefix, entry)
        download(url, target, build.log, build.config.network_timeout)
        digest = hashlib.new(entry.hashtype, target.read_bytes()).hexdigest()
        if digest != entry.digest:
            raise BuildError(f"{entry.filename}: {entry.hashtype} is {digest}, "
                             f"the sources file says {entry.digest}")


def build_rpm(task: Task, build: Build) -> str:
    """An RPM task: clone dist-git at the commit, fetch sources, `rpmbuild -ba`; write the results."""
    assert task.chroot is not None
    distro, arch = split_chroot(task.chroot)
    checkout = build.workdir / (task.package_name or "package")
    grace = build.config.timeout_grace
    network = build.config.network_timeout * 5
    for attempt in range(1, NETWORK_ATTEMPTS + 1):
        shutil.rmtree(checkout, ignore_errors=True)
        if run(["git", "clone", "--quiet", task.git_repo, str(checkout)], build.log,
               timeout=network, grace=grace) == 0:
            break
        if attempt == NETWORK_ATTEMPTS:
            raise BuildError(f"git clone {task.git_repo} failed")
        build.log.write(f"  git clone attempt {attempt} failed; retrying")
        time.sleep(backoff(attempt))
    if task.git_hash and run(["git", "-C", str(checkout), "checkout", "--quiet", task.git_hash],
                             build.log, timeout=network, grace=grace) != 0:
        raise BuildError(f"git checkout {task.git_hash} failed")
    spec = locate_spec(checkout, task.package_name)
    fetch_sources(task, checkout, build)

    macros = distro_macros(distro, build.config.rawhide_version)
    macros.update(copr_macros(task.project_owner, task.project_name, task.task_id,
                              build.config.rpm_vendor_copr_name))
    tags = spec_arch_tags(spec, macros)
    reason = arch_exclusion(arch, tags["exclusivearch"], tags["excludearch"])
    if reason:
        build.log.write(f"Skipping chroot {task.chroot}: {reason}")
        build.write_json("results.json", skipped_results(reason))
        return "skipped"

    command = ["rpmbuild", "-ba", "--target", arch, *define_args({
        "_topdir": str(build.workdir / "rpmbuild"),
        "_sourcedir": str(checkout),
        "_specdir": str(checkout),
        "_rpmdir": str(build.resultdir),
        "_srcrpmdir": str(build.resultdir),
        # Flat result directory, as the backend expects, instead of per-arch subfolders.
        "_rpmfilename": "%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
        "_build_id_links": "none",
        # As on a builder of the chroot's architecture: rpmbuild checks a noarch package's
        # ExcludeArch/ExclusiveArch against this, not against --target.
        "_host_cpu": arch,
        **macros,
    })]
    for option in task.with_opts:
        command += ["--with", option]
    for option in task.without_opts:
        command += ["--without", option]
    code = run(command + [str(spec)], build.log, cwd=checkout, env=build.rpm_env(),
               timeout=task.timeout or build.config.default_timeout, grace=grace)
    if code != 0:
        raise BuildError(f"rpmbuild -ba exited with {code}")
    built = sorted(build.resultdir.glob("*.rpm"))
    if not built:
        raise BuildError("rpmbuild produced no packages")
    packages = [query_package(path) for path in built]
    build.write_json("results.json", rpm_results(packages))
    build.log.write("Built " + ", ".join(path.name for path in built))
    return "succeeded"


# -- running a task -----------------------------------------------------------------------------


class Busy(Exception):
    """Another copr-rpmbuild holds the lock."""


def _lock(config: Config) -> int:
    config.lockfile.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(config.lockfile, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Busy(f"another copr-rpmbuild is running (lock {config.lockfile} is held)") from None
    return fd


def _clean(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def load_task(args: argparse.Namespace, config: Config) -> Any:
    """The raw task record named on the command line."""
    if args.task_file:
        try:
            return json.loads(Path(args.task_file).read_text())
        except OSError as error:
            raise TaskError(f"cannot read {args.task_file}: {error.strerror}") from None
        except ValueError:
            raise TaskError(f"No valid build_config: {args.task_file} is not JSON") from None
    url = args.task_url or task_url(config, args.kind, args.build_id, args.chroot)
    return fetch_task(url, config.network_timeout)


def run_task(args: argparse.Namespace, config: Config, echo: TextIO | None,
             started: Callable[[str | None], None] = lambda error: None) -> int:
    """Run one task: lock, clean the result directory and log, build, leave the result files.

    Returns 0 when the build succeeded (`success` written) or the chroot is skipped, else 1.
    `started` is told once the task owns the lock and its log (or why it could not start).
    """
    try:
        lock = _lock(config)
    except Busy as error:
        started(str(error))
        print(f"copr-rpmbuild: {error}", file=sys.stderr)
        return 1
    try:
        _clean(config.resultdir)
        _clean(config.workspace)  # leftovers of a killed task; we hold the lock, so none is live
        config.logfile.parent.mkdir(parents=True, exist_ok=True)
        log = LiveLog(config.logfile, echo)
        started(None)
        begin = time.monotonic()
        workdir = Path(tempfile.mkdtemp(prefix="workdir-", dir=config.workspace))
        outcome = "failed"
        try:
            log.write(f"copr-rpmbuild version {VERSION} (copr-harness mock builder: rpmbuild, no mock)")
            log.write("Command: " + " ".join(_quote(a) for a in sys.argv))
            task = parse_task(load_task(args, config), args.kind, args.chroot)
            log.write(f"Task {task.task_id} ({task.kind.upper()} build of {task.project_owner}/"
                      f"{task.project_name}" + (f", chroot {task.chroot}" if task.chroot else "") + ")")
            build = Build(config, log, workdir)
            outcome = build_srpm(task, build) if task.kind == "srpm" else build_rpm(task, build)
        except Canceled as error:
            log.write(f"Copr build canceled: {error}")
        except BuildError as error:
            log.write(f"Copr build error: {error}")
        except Exception:  # noqa: BLE001 - a bug must still end as a failed build with a log
            log.write("Copr build error (unexpected):\n" + traceback.format_exc())
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        log.write(f"Build {outcome} in {time.monotonic() - begin:.2f} s")
        log.close()
        shutil.copyfile(config.logfile, config.resultdir / "builder-live.log")
        if outcome == "succeeded":
            # Last: a backend that sees `success` finds every other result file in place.
            (config.resultdir / "success").write_text("done")
        return 0 if outcome in ("succeeded", "skipped") else 1
    finally:
        os.close(lock)


def detach(args: argparse.Namespace, config: Config) -> int:
    """Run the task in a background session; return once it owns the lock and the log."""
    read_end, write_end = os.pipe()
    if os.fork():
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            answer = pipe.read().decode(errors="replace")
        if answer == "ok":
            return 0
        print(f"copr-rpmbuild: {answer or 'the background build did not start'}", file=sys.stderr)
        return 1
    os.close(read_end)
    os.setsid()  # our own session and process group: the PGID copr-rpmbuild-cancel signals
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)

    def started(error: str | None) -> None:
        if error is None:
            config.pidfile.write_text(f"{os.getpgrp()}\n")
            config.logger_pidfile.write_text(f"{os.getpid()}\n")
        os.write(write_end, (error or "ok").encode())
        os.close(write_end)

    code = 1
    try:
        code = run_task(args, config, None, started)
    finally:
        os._exit(code)


# -- the helper commands ------------------------------------------------------------------------


def tail_log(config: Config, wait: float = 120.0) -> int:
    """copr-rpmbuild-log: print the live log, following it until the background build ends."""
    deadline = time.monotonic() + wait
    while not (config.logger_pidfile.is_file() and config.logfile.is_file()):
        if time.monotonic() > deadline:
            print("Unable to wait for copr-rpmbuild process, exit.")
            return 1
        time.sleep(0.5)
    pid = config.logger_pidfile.read_text().strip()
    os.execv("/usr/bin/tail", ["tail", "-F", "-n", "+0", "-s", "0.5", f"--pid={pid}", str(config.logfile)])
    return 1  # not reached


def session_members(sid: int) -> list[int]:
    """The processes of a session (a detached copr-rpmbuild and every build it started)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state, ppid, pgrp, session, ...
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def cancel(config: Config, patience: float = 30.0) -> int:
    """copr-rpmbuild-cancel: interrupt the background build, kill what is left after `patience`."""
    try:
        sid = int(config.pidfile.read_text().strip())
    except (OSError, ValueError):
        print(f"no background build: {config.pidfile} is missing or empty")
        return 0
    if not session_members(sid):
        print(f"PID {sid} not found")
        return 0
    # copr-rpmbuild passes the INT on to the build's own process group and records the cancel.
    try:
        os.killpg(sid, signal.SIGINT)
    except OSError:
        pass
    deadline = time.monotonic() + patience
    while members := session_members(sid):
        if time.monotonic() > deadline:
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.2)
    print("success")
    return 0


def builder_ready(chroot: str) -> int:
    """copr-builder-ready: can this builder take a task for `chroot`?"""
    if chroot != "srpm-builds":
        try:
            split_chroot(chroot)
        except TaskError as error:
            print(error)
            return 1
    for tool in ("rpmbuild", "rpmspec", "git"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed")
            return 1
    return 0


# -- command line -------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    """The options of copr-rpmbuild (a subset of upstream's, with the same spelling)."""
    cli = argparse.ArgumentParser(prog="copr-rpmbuild", description="Run a Copr build task with rpmbuild.")
    cli.add_argument("--version", action="version", version=f"%(prog)s version {VERSION}")
    kind = cli.add_mutually_exclusive_group()
    kind.add_argument("--srpm", dest="kind", action="store_const", const="srpm",
                      help="build a source RPM (SRPM task)")
    kind.add_argument("--rpm", dest="kind", action="store_const", const="rpm",
                      help="build binary RPMs from dist-git (RPM task, the default)")
    source = cli.add_mutually_exclusive_group()
    source.add_argument("--task-url", help="URL of the task's JSON definition")
    source.add_argument("--task-file", help="a local file with the task's JSON definition")
    source.add_argument("--build-id", help="fetch the task of this build from the frontend")
    cli.add_argument("-r", "--chroot", help="the chroot to build for (overrides the task's)")
    cli.add_argument("-d", "--detached", action="store_true",
                     help="run in the background; follow it with copr-rpmbuild-log")
    cli.add_argument("--drop-resultdir", action="store_true",
                     help="accepted for compatibility: the result directory is always emptied")
    cli.add_argument("-v", "--verbose", action="store_true", help="accepted for compatibility")
    cli.add_argument("-c", "--config", default=DEFAULT_CONFIG,
                     help=f"configuration (default {DEFAULT_CONFIG})")
    cli.set_defaults(kind="rpm")
    return cli


def main(argv: list[str] | None = None) -> int:
    """Dispatch on the name this file is called by, then run copr-rpmbuild's command line."""
    argv = sys.argv[1:] if argv is None else argv
    name = os.path.basename(sys.argv[0])
    if name == "copr-rpmbuild-log":
        return tail_log(load_config(DEFAULT_CONFIG))
    if name == "copr-rpmbuild-cancel":
        return cancel(load_config(DEFAULT_CONFIG))
    if name == "copr-builder-ready":
        return builder_ready(argv[0] if argv else "srpm-builds")

    args = parser().parse_args(argv)
    if not (args.task_url or args.task_file or args.build_id):
        parser().error("one of --task-url, --task-file or --build-id is required")
    if args.chroot and "/" in args.chroot:
        parser().error("-r/--chroot takes a chroot name (e.g. fedora-44-x86_64), not a path")
    try:
        config = load_config(args.config)
    except TaskError as error:
        print(f"copr-rpmbuild: {error}", file=sys.stderr)
        return 1
    # A lost SSH session (HUP) must not leave a build running without anyone to collect it.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_cancel)
    if args.detached:
        return detach(args, config)
    return run_task(args, config, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
