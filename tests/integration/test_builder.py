"""The builder component in a real container: copr-rpmbuild's SRPM and RPM builds with rpmbuild,
upstream's command-line contract (chroot rules, --copr, --dump-configs, the blocking lock,
--drop-resultdir, mock-like result files), timeouts, the detached mode and helpers the backend
uses, and sshd with the run's key. The builder is alone in its stack, so a file server inside it stands in for the frontend
(task and upload URLs) and for dist-git (git over plain HTTP, the lookaside cache)."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness import wait
from harness.model.scenario import load_scenario
from harness.podman.engine import Engine, ExecResult

from .copr_stack import running

pytestmark = pytest.mark.integration

VERSION = load_scenario(None)[1].candidate["copr-rpmbuild"].version
WWW = "/srv/www"
HTTP = "http://127.0.0.1:8000"
RESULTS = "/var/lib/copr-rpmbuild/results"
LIVE_LOG = "/var/lib/copr-rpmbuild/main.log"
TIMEOUT_LINE = "Copr timeout => sending INT"
SSH = "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
# The brackets keep pgrep from finding the shell that runs it.
RPMBUILD_RUNNING = "pgrep -f '[r]pmbuild -ba'"
SOURCE_TEXT = b"hello from the lookaside cache\n"

HELLO_SPEC = """\
%bcond_with shout
Name: hello
Version: {version}
Release: 1%{{?dist}}
Summary: a tiny package with a lookaside source
License: MIT
BuildArch: noarch
Source0: hello.txt
%description
owner=%{{copr_username}} project=%{{copr_projectname}} buildtag=%{{buildtag}} shout=%{{with shout}}
%prep
%build
%install
install -D -m 0644 %{{SOURCE0}} %{{buildroot}}/usr/share/hello/hello.txt
%files
/usr/share/hello/hello.txt
"""
TINY_SPEC = """\
Name: tiny
Version: 2.0
Release: 1%{?dist}
Summary: a package built from a spec link
License: MIT
BuildArch: noarch
ExcludeArch: s390x
%description
Tiny.
%files
"""
# Tries what issue 18 found: links from the package output folders to the builders' secrets, to
# /proc/self/environ and to /, a FIFO, a directory, a write into the results, a daemon.
PLANTER_BUILD = """\
%build
echo "building as $(id -un)"
%install
mkdir -p %{_rpmdir} %{_srcrpmdir}
ln -s /root/.ssh/authorized_keys %{_rpmdir}/authorized_keys.rpm
ln -s /proc/self/environ %{_srcrpmdir}/environ.src.rpm
ln -s / %{_rpmdir}/slash.rpm
ln -s /root/.ssh %{_rpmdir}/ssh
mkfifo %{_rpmdir}/fifo.rpm
mkdir %{_rpmdir}/planted.rpm
touch /var/lib/copr-rpmbuild/results/planted 2>/dev/null && echo "results writable" || echo "results read-only"
cat /root/.ssh/authorized_keys >/dev/null 2>&1 && echo "root key readable" || echo "root key unreadable"
setsid sleep 600 </dev/null >/dev/null 2>&1 &
"""
SPECS = {
    "broken": "%build\necho 'compiler says no' >&2\nexit 1\n",
    "planter": PLANTER_BUILD,
    "endless": "%build\nwhile :; do sleep 1; done\n",
    "excluded": "ExcludeArch: x86_64\n",
}


def simple_spec(name: str, extra: str) -> str:
    """A spec without sources; `extra` is a header line or a %build section."""
    header, body = (extra, "") if extra.startswith("ExcludeArch") else ("", extra)
    return (f"Name: {name}\nVersion: 1\nRelease: 1%{{?dist}}\nSummary: {name}\nLicense: MIT\n"
            f"BuildArch: noarch\n{header}%description\n{name}\n{body}%files\n")


@dataclass
class Builder:
    """The builder container of the test run, driven through the engine."""

    engine: Engine
    name: str
    ssh_key: str
    alias: str
    tasks: int = 0

    def sh(self, script: str) -> ExecResult:
        return self.engine.exec(self.name, ["bash", "-c", script])

    def must(self, script: str) -> str:
        result = self.sh(script)
        assert result.ok, f"{script!r} exited {result.exit_code}:\n{result.output}"
        return result.output

    def put(self, directory: str, files: dict[str, str | bytes], mode: int = 0o644) -> None:
        self.must(f"mkdir -p {shlex.quote(directory)}")
        encoded = {name: data.encode() if isinstance(data, str) else data for name, data in files.items()}
        self.engine.put_files(self.name, directory, encoded, mode=mode)

    def results(self) -> set[str]:
        return set(self.must(f"ls {RESULTS}").split())

    def read(self, path: str) -> str:
        return self.must(f"cat {shlex.quote(path)}")

    def build(self, kind: str, task: dict, *options: str, drop: bool = True) -> tuple[ExecResult, float]:
        """Run copr-rpmbuild on a task file as the backend does (--drop-resultdir, and --chroot
        for an RPM task unless `options` give one); return its result and the wall time it took."""
        self.tasks += 1
        name = f"task-{self.tasks}.json"
        self.put("/tmp/tasks", {name: json.dumps(task)})
        if kind == "rpm" and not {"-r", "--chroot"} & set(options):
            options += ("--chroot", task["chroot"])
        if drop:
            options += ("--drop-resultdir",)
        start = time.monotonic()
        result = self.engine.exec(self.name, ["copr-rpmbuild", f"--{kind}", "--task-file",
                                              f"/tmp/tasks/{name}", *options])
        return result, time.monotonic() - start


@pytest.fixture(scope="module")
def builder(engine: Engine, built_images: dict) -> Iterator[Builder]:
    """A run with only the builder; the SSH secrets the harness made for it are captured."""
    with running(engine, components=["builder"]) as info:
        first = info.run.first("builder")
        yield Builder(engine, first.name, info.secrets["builder_ssh_key"], first.aliases[0])


@pytest.fixture(scope="module")
def served(builder: Builder) -> dict[str, list[str]]:
    """The file server, dist-git repositories and lookaside files; returns each repo's commits."""
    builder.put(WWW, {"tiny.spec": TINY_SPEC, "null-task.json": "null"})
    builder.must(f"setsid -f python3 -m http.server 8000 --bind 127.0.0.1 --directory {WWW} "
                 ">/tmp/http.log 2>&1 </dev/null")

    def answering() -> None:
        if not builder.sh(f"curl -sf -o /dev/null {HTTP}/tiny.spec").ok:
            raise wait.NotYet("the file server does not answer yet")

    wait.until(answering, what="the file server in the builder", timeout=20)
    # An SRPM for the 'upload' task, as the frontend would serve an uploaded file.
    builder.must(f"cd /tmp && rpmbuild -bs --define '_topdir /tmp/srpm' "
                 f"--define '_srcrpmdir {WWW}/tmp/tmpab12' {WWW}/tiny.spec")

    md5 = hashlib.md5(SOURCE_TEXT).hexdigest()
    builder.put(f"{WWW}/repo/pkgs/alice/hello/hello/hello.txt/md5/{md5}", {"hello.txt": SOURCE_TEXT})
    commits = {"hello": [
        make_repo(builder, "hello", {"hello.spec": HELLO_SPEC.format(version=version),
                                     "sources": f"{md5}  hello.txt\n"})
        for version in ("1.0", "2.0")
    ]}
    for name, extra in SPECS.items():
        commits[name] = [make_repo(builder, name, {f"{name}.spec": simple_spec(name, extra)})]
    return commits


def make_repo(builder: Builder, package: str, files: dict[str, str]) -> str:
    """Commit files to alice/hello/<package> in dist-git's layout, served over dumb HTTP; return the hash."""
    work, bare = f"/tmp/work/{package}", f"{WWW}/git/alice/hello/{package}"
    builder.put(work, files)
    return builder.must(
        # touch: the copied files all have mtime 0, and git must not take a changed one for clean.
        f"set -e; cd {work}; touch -- *; [ -d .git ] || git init -q -b main .; git add -A; "
        f"git -c user.name=t -c user.email=t@example.org commit -q -m update; "
        f"[ -d {bare} ] || git init -q --bare -b main {bare}; git push -q {bare} main; "
        f"git -C {bare} update-server-info; git rev-parse HEAD").strip()


def rpm_task(package: str, git_hash: str, **extra: object) -> dict:
    """An RPM task as the frontend's get-build-task gives it (with the fields copr-rpmbuild reads)."""
    task = {
        "task_id": "7-fedora-44-x86_64", "build_id": 7, "chroot": "fedora-44-x86_64",
        "project_owner": "alice", "project_name": "hello", "project_dirname": "hello",
        "git_repo": f"{HTTP}/git/alice/hello/{package}", "git_hash": git_hash, "package_name": package,
        "timeout": 600, "with_opts": [], "without_opts": [], "enable_net": False, "buildroot_pkgs": [],
        "repos": [{"id": "copr_base", "name": "Copr repository",
                   "baseurl": "http://backend/results/alice/hello/fedora-44-x86_64/"}],
    }
    task.update(extra)
    return task


def srpm_task(source_type: int, source: dict) -> dict:
    """An SRPM task as get-srpm-build-task gives it (source_json is a JSON string)."""
    return {"task_id": "8", "build_id": 8, "chroot": None, "project_owner": "@copr", "project_name": "tools",
            "source_type": source_type, "source_json": json.dumps(source), "package_name": None,
            "distributions_in_build": ["fedora-44", "epel-9"], "repos": []}


def build_seconds(log: str) -> float:
    """The duration copr-rpmbuild logged for the whole task."""
    match = re.search(r"^Build \w+ in ([0-9.]+) s$", log, re.M)
    assert match, log
    return float(match.group(1))


# -- the package -----------------------------------------------------------------------------------


def test_rpm_reports_the_scenario_version(builder: Builder) -> None:
    assert builder.must('rpm -q copr-rpmbuild --qf "%{VERSION}\\n"') == f"{VERSION}\n"
    assert builder.must("copr-rpmbuild --version").strip() == f"copr-rpmbuild version {VERSION}"
    assert builder.sh("copr-builder-ready fedora-44-x86_64").ok


# -- SRPM builds -----------------------------------------------------------------------------------


def test_srpm_from_a_spec_link(builder: Builder, served: dict, record_property) -> None:
    result, seconds = builder.build("srpm", srpm_task(1, {"url": f"{HTTP}/tiny.spec"}))
    assert result.ok, result.output
    # No builder-live.log: the backend saves the live log itself (copr-rpmbuild-log).
    assert builder.results() == {"tiny-2.0-1.src.rpm", "tiny.spec", "results.json", "success"}
    tags = {"exclusivearch": [], "excludearch": ["s390x"], "buildarch": ["noarch"]}
    assert json.loads(builder.read(f"{RESULTS}/results.json")) == {
        "name": "tiny", "epoch": None, "version": "2.0", "release": "1",
        "architecture_specific_tags": {"fedora-44": tags, "epel-9": tags},
    }
    assert builder.read(f"{RESULTS}/success") == "done"
    assert builder.read(f"{RESULTS}/tiny.spec") == TINY_SPEC
    log = builder.read(LIVE_LOG)
    record_property("srpm_build_seconds", build_seconds(log))
    record_property("srpm_exec_seconds", round(seconds, 2))
    print(f"SRPM build: {build_seconds(log):.2f} s in copr-rpmbuild, {seconds:.2f} s through exec")


def test_srpm_from_an_uploaded_srpm(builder: Builder, served: dict) -> None:
    source = {"url": f"{HTTP}/tmp/tmpab12/tiny-2.0-1.src.rpm", "pkg": "tiny-2.0-1.src.rpm", "tmp": "tmpab12"}
    result, _ = builder.build("srpm", srpm_task(2, source))
    assert result.ok, result.output
    assert {"tiny-2.0-1.src.rpm", "tiny.spec", "results.json", "success"} <= builder.results()
    assert json.loads(builder.read(f"{RESULTS}/results.json"))["version"] == "2.0"


def test_srpm_with_a_missing_link_fails(builder: Builder, served: dict) -> None:
    result, _ = builder.build("srpm", srpm_task(1, {"url": f"{HTTP}/gone.spec"}))
    assert result.exit_code == 1
    assert builder.results() == set()
    assert "HTTP 404" in builder.read(LIVE_LOG)


def test_unsupported_source_type_fails(builder: Builder, served: dict) -> None:
    result, _ = builder.build("srpm", srpm_task(3, {"url": f"{HTTP}/tiny.spec"}))
    assert result.exit_code == 1
    assert "source type '3' is not supported" in builder.read(LIVE_LOG)


def test_pypi_fails_as_upstream_without_a_spec_generator(builder: Builder, served: dict) -> None:
    result, _ = builder.build("srpm", srpm_task(5, {
        "pypi_package_name": "x", "pypi_package_version": "", "python_versions": ["3"],
        "spec_generator": "pyp2rpm"}))
    assert result.exit_code == 1
    assert "Please, install `pyp2rpm'." in builder.read(LIVE_LOG)


def test_null_task_is_no_valid_build_config(builder: Builder, served: dict) -> None:
    result = builder.sh(f"copr-rpmbuild --rpm --task-url {HTTP}/null-task.json -r fedora-44-x86_64 --drop-resultdir")
    assert result.exit_code == 1
    assert "No valid build_config" in builder.read(LIVE_LOG)
    assert "success" not in builder.results()


# -- RPM builds ------------------------------------------------------------------------------------


def test_rpm_from_dist_git(builder: Builder, served: dict, record_property) -> None:
    first = served["hello"][0]  # not the branch head: the build must check the commit out
    result, seconds = builder.build("rpm", rpm_task("hello", first, with_opts=["shout"]))
    assert result.ok, result.output
    rpms = {"hello-1.0-1.fc44.noarch.rpm", "hello-1.0-1.fc44.src.rpm"}
    # As mock's result folder: root.log, build.log, the spec, configs.tar.gz.
    assert builder.results() == rpms | {"results.json", "success", "build.log", "root.log", "hello.spec",
                                        "configs.tar.gz"}
    assert json.loads(builder.read(f"{RESULTS}/results.json")) == {"packages": [
        {"name": "hello", "epoch": None, "version": "1.0", "release": "1.fc44", "arch": "noarch"},
        {"name": "hello", "epoch": None, "version": "1.0", "release": "1.fc44", "arch": "src"},
    ]}
    query = builder.must("rpm -qp --qf '%{RELEASE}|%{VENDOR}|%{DESCRIPTION}' "
                         f"{RESULTS}/hello-1.0-1.fc44.noarch.rpm")
    assert query == "1.fc44|Copr harness - user alice|owner=alice project=hello buildtag=.copr7 shout=1"
    # The source came from the lookaside cache into the package.
    assert builder.must(f"cd /tmp && rpm2archive - < {RESULTS}/hello-1.0-1.fc44.noarch.rpm | tar xzOf - "
                        "./usr/share/hello/hello.txt") == SOURCE_TEXT.decode()
    build_log = builder.read(f"{RESULTS}/build.log")
    assert build_log.startswith("Running: rpmbuild -ba") and "Wrote: " in build_log
    assert "Buildroot of fedora-44-x86_64" in builder.read(f"{RESULTS}/root.log")
    assert "git clone" in builder.read(f"{RESULTS}/root.log") and "git clone" not in build_log
    child = builder.must(f"tar -xzOf {RESULTS}/configs.tar.gz configs/child.cfg")
    assert "config_opts['macros']['%buildtag'] = '.copr7'" in child.splitlines()
    log = builder.read(LIVE_LOG)
    record_property("rpm_build_seconds", build_seconds(log))
    record_property("rpm_exec_seconds", round(seconds, 2))
    print(f"RPM build: {build_seconds(log):.2f} s in copr-rpmbuild, {seconds:.2f} s through exec")


def test_chroot_option_overrides_the_task(builder: Builder, served: dict) -> None:
    latest = served["hello"][1]
    result, _ = builder.build("rpm", rpm_task("hello", latest), "-r", "epel-9-aarch64")
    assert result.ok, result.output
    assert "hello-2.0-1.el9.noarch.rpm" in builder.results()


def test_wrong_lookaside_hash_fails(builder: Builder, served: dict) -> None:
    task = rpm_task("hello", served["hello"][0], lookaside_url=f"{HTTP}/nowhere")
    result, _ = builder.build("rpm", task)
    assert result.exit_code == 1
    assert "HTTP 404" in builder.read(LIVE_LOG)
    assert "success" not in builder.results()


def test_failing_build(builder: Builder, served: dict) -> None:
    result, _ = builder.build("rpm", rpm_task("broken", served["broken"][0]))
    assert result.exit_code == 1
    # No success and no results.json; the logs and configs stay for the user to read.
    assert builder.results() == {"build.log", "root.log", "broken.spec", "configs.tar.gz"}
    assert "compiler says no" in builder.read(f"{RESULTS}/build.log")
    log = builder.read(LIVE_LOG)
    assert "compiler says no" in log
    assert "Copr build error: rpmbuild -ba exited with 1" in log


def test_timeout_interrupts_the_build(builder: Builder, served: dict) -> None:
    result, seconds = builder.build("rpm", rpm_task("endless", served["endless"][0], timeout=3))
    assert result.exit_code == 1
    assert seconds < 12, f"the build ran {seconds:.1f} s with a 3 s timeout"
    log = builder.read(LIVE_LOG)
    assert log.splitlines().count(TIMEOUT_LINE) == 1
    assert "Copr build error: build timed out after 3 s" in log
    assert "success" not in builder.results()
    assert not builder.sh(RPMBUILD_RUNNING).ok, "the build's processes outlived the timeout"


def test_planted_links_never_reach_the_results(builder: Builder, served: dict) -> None:
    builder.must("test -s /root/.ssh/authorized_keys")  # the run's key, which sshd authorises
    result, _ = builder.build("rpm", rpm_task("planter", served["planter"][0]))
    assert result.ok, result.output
    assert builder.results() == {"planter-1-1.fc44.noarch.rpm", "planter-1-1.fc44.src.rpm", "planter.spec",
                                 "build.log", "root.log", "configs.tar.gz", "results.json", "success"}
    assert builder.must(f"find {RESULTS} -mindepth 1 ! -type f") == ""
    build_log = builder.read(f"{RESULTS}/build.log")
    for line in ("building as mockbuild", "results read-only", "root key unreadable"):
        assert line in build_log.splitlines()
    log = builder.read(LIVE_LOG)
    for dropped in ("authorized_keys.rpm is a symbolic link", "environ.src.rpm is a symbolic link",
                    "slash.rpm is a symbolic link", "fifo.rpm is a FIFO", "planted.rpm is a directory",
                    "ssh is not a file the build makes"):
        assert f"Dropped from the results: {dropped}" in log
    assert "Killed the processes rpmbuild left running as mockbuild" in log
    assert not builder.sh("pgrep -u mockbuild").ok, "a process of the build outlived it"


def test_planted_links_in_an_srpm_build(builder: Builder, served: dict) -> None:
    # Parsing the spec runs its %(...): as the build user, in the work directory.
    spec = TINY_SPEC.replace("%description", "%global planted %(ln -s /root/.ssh/authorized_keys "
                             "%{_srcrpmdir}/key.src.rpm; id -un)\n%description")
    builder.put(WWW, {"planter.spec": spec})
    result, _ = builder.build("srpm", srpm_task(1, {"url": f"{HTTP}/planter.spec"}))
    assert result.ok, result.output
    assert builder.results() == {"tiny-2.0-1.src.rpm", "planter.spec", "results.json", "success"}
    assert builder.must(f"find {RESULTS} -mindepth 1 ! -type f") == ""
    assert "Dropped from the results: key.src.rpm is a symbolic link" in builder.read(LIVE_LOG)


def test_excluded_arch_is_not_skipped_by_the_builder(builder: Builder, served: dict) -> None:
    # Upstream's builder never skips: the frontend marks excluded chroots skipped from the SRPM's
    # architecture_specific_tags, so a task that reaches the builder anyway fails in rpmbuild.
    commit = served["excluded"][0]
    result, _ = builder.build("rpm", rpm_task("excluded", commit))
    assert result.exit_code == 1
    assert not {"success", "results.json"} & builder.results()
    assert "Architecture is excluded: x86_64" in builder.read(f"{RESULTS}/build.log")
    # Other architectures build.
    result, _ = builder.build("rpm", rpm_task("excluded", commit), "--chroot", "fedora-44-aarch64")
    assert result.ok, result.output
    assert "success" in builder.results()


# -- upstream's command-line contract ---------------------------------------------------------------


@pytest.mark.parametrize(("kind", "options", "message"), [
    ("rpm", [], "Missing --chroot parameter"),
    ("srpm", ["--chroot", "fedora-44-x86_64"], "--chroot option is not supported with --srpm"),
    ("srpm", ["--copr", "alice/hello"], "--copr option is not supported with --srpm"),
])
def test_chroot_rules(builder: Builder, served: dict, kind: str, options: list[str], message: str) -> None:
    builder.put("/tmp/tasks", {"rules.json": json.dumps(rpm_task("hello", served["hello"][0]))})
    result = builder.sh(f"copr-rpmbuild --{kind} --task-file /tmp/tasks/rules.json "
                        f"--drop-resultdir {shlex.join(options)}")
    assert result.exit_code == 1
    assert f"Copr build error: {message}" in builder.read(LIVE_LOG)
    assert builder.results() == set()


def test_resultdir_is_dropped_only_when_asked(builder: Builder, served: dict) -> None:
    builder.must(f"touch {RESULTS}/left-by-an-earlier-task")
    task = srpm_task(1, {"url": f"{HTTP}/gone.spec"})  # fails at once
    builder.build("srpm", task, drop=False)
    assert "left-by-an-earlier-task" in builder.results()
    builder.build("srpm", task)
    assert builder.results() == set()


def test_dump_configs_of_a_project_chroot(builder: Builder, served: dict) -> None:
    # --copr asks the frontend's project-chroot/build-config (the file server plays the frontend).
    config = {"chroot": "fedora-44-x86_64", "repos": [
        {"id": "copr_base", "name": "Copr repository", "baseurl": "http://backend/results/alice/hello/fedora-44-x86_64/"}],
        "additional_packages": ["make"], "enable_net": True, "with_opts": [], "without_opts": []}
    builder.put(f"{WWW}/api_3/project-chroot", {"build-config": json.dumps(config)})
    builder.put("/tmp/conf", {"main.ini": f"[main]\nfrontend_url = {HTTP}\n"})
    result = builder.sh("copr-rpmbuild -c /tmp/conf/main.ini --dump-configs --copr @copr/tools "
                        "-r fedora-44-x86_64 --drop-resultdir")
    assert result.ok, result.output
    assert f"Wrote: {RESULTS}/configs/child.cfg" in builder.read(LIVE_LOG)
    assert builder.results() == {"configs"}
    child = builder.read(f"{RESULTS}/configs/child.cfg").splitlines()
    for line in ("config_opts['root'] = 'fedora-44-x86_64'", "config_opts['rpmbuild_networking'] = True",
                 "config_opts['chroot_additional_packages'] = 'make'",
                 "config_opts['macros']['%copr_username'] = '@copr'",
                 "config_opts['macros']['%buildtag'] = '.coprgroup_copr'",
                 "baseurl=http://backend/results/alice/hello/fedora-44-x86_64/"):
        assert line in child


# -- what the backend does over SSH ------------------------------------------------------------------


def test_detached_build_with_live_log(builder: Builder, served: dict) -> None:
    builder.put("/tmp/tasks", {"detached.json": json.dumps(rpm_task("hello", served["hello"][1]))})
    start = time.monotonic()
    builder.must("copr-rpmbuild --verbose --drop-resultdir --task-file /tmp/tasks/detached.json "
                 "--chroot fedora-44-x86_64 --detached")
    # copr-rpmbuild-log follows the log until the background build ends.
    log = builder.must("timeout 60 copr-rpmbuild-log")
    assert time.monotonic() - start < 60
    assert "Build succeeded in" in log
    assert "success" in builder.results()


def test_cancel_a_detached_build(builder: Builder, served: dict) -> None:
    builder.put("/tmp/tasks", {"cancel.json": json.dumps(rpm_task("endless", served["endless"][0]))})
    builder.must("copr-rpmbuild --task-file /tmp/tasks/cancel.json -r fedora-44-x86_64 --drop-resultdir --detached")

    def building() -> None:
        if not builder.sh(RPMBUILD_RUNNING).ok:
            raise wait.NotYet("rpmbuild does not run yet")

    wait.until(building, what="the endless build to start", timeout=30)
    # A second task waits for the lock (upstream's blocking lockf) instead of failing at once.
    second = builder.sh("timeout 3 copr-rpmbuild --srpm --task-file /tmp/tasks/cancel.json")
    assert second.exit_code == 124, second.output
    assert "waiting for /var/lib/copr-rpmbuild/lockfile: another copr-rpmbuild is running" in second.output
    assert builder.must("timeout 60 copr-rpmbuild-cancel").strip() == "success"
    log = builder.must("timeout 60 copr-rpmbuild-log")
    assert "Copr build canceled" in log
    assert "success" not in builder.results()
    assert not builder.sh(RPMBUILD_RUNNING).ok


def test_attached_build_streams_its_log_and_stops_on_term(builder: Builder, served: dict) -> None:
    # As the backend runs it: attached, the log on stdout, the session's PID recorded for a cancel.
    builder.put("/tmp/tasks", {"attached.json": json.dumps(rpm_task("endless", served["endless"][0]))})
    builder.must("setsid -f bash -c 'echo $$ >/tmp/session.pid; exec copr-rpmbuild --rpm "
                 "--task-file /tmp/tasks/attached.json -r fedora-44-x86_64 >/tmp/stream.log 2>&1' </dev/null")

    def building() -> None:
        if not builder.sh(RPMBUILD_RUNNING).ok:
            raise wait.NotYet("rpmbuild does not run yet")

    def stopped() -> None:
        if builder.sh("pgrep -f '[c]opr-rpmbuild --rpm' || " + RPMBUILD_RUNNING).ok:
            raise wait.NotYet("the build still runs")

    wait.until(building, what="the endless build to start", timeout=30)
    builder.must('kill -TERM -- "-$(cat /tmp/session.pid)"')
    wait.until(stopped, what="the build to stop", timeout=30)
    log = builder.read(LIVE_LOG)
    assert "Copr build canceled" in log
    assert builder.read("/tmp/stream.log") == log
    assert "success" not in builder.results()


def test_backend_logs_in_as_root_with_the_run_key(builder: Builder) -> None:
    builder.put("/root/.ssh", {"backend_key": builder.ssh_key}, mode=0o600)
    for host in ("127.0.0.1", builder.alias):  # the stack network alias, as the backend uses
        output = builder.must(f"{SSH} -i /root/.ssh/backend_key root@{host} "
                              "rpm -q copr-rpmbuild --qf '%{VERSION}\\\\n'")
        assert output == f"{VERSION}\n"
    builder.must("rm -f /tmp/other && ssh-keygen -q -t ed25519 -N '' -f /tmp/other")
    refused = builder.sh(f"{SSH} -i /tmp/other root@127.0.0.1 true")
    assert refused.exit_code == 255 and "Permission denied" in refused.output


def test_results_can_be_fetched_over_ssh(builder: Builder, served: dict) -> None:
    result, _ = builder.build("rpm", rpm_task("hello", served["hello"][0]))
    assert result.ok, result.output
    builder.put("/root/.ssh", {"backend_key": builder.ssh_key}, mode=0o600)
    listing = builder.must(f"{SSH} -i /root/.ssh/backend_key root@{builder.alias} tar -C {RESULTS} -cf - . "
                           "| tar tf -")
    assert "./success" in listing.split() and "./results.json" in listing.split()


def test_host_keys_are_made_per_container(builder: Builder) -> None:
    # The keys the root file system was bootstrapped with are gone; sshd's own key is new.
    assert builder.must("ls /etc/ssh/ | grep ssh_host_ || true").split() == [
        "ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"]
    fingerprint = builder.must("ssh-keyscan -t ed25519 127.0.0.1 2>/dev/null | ssh-keygen -lf -")
    own = builder.must("ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub")
    assert fingerprint.split()[1] == own.split()[1]
