"""A build worker end to end with a fake frontend, builder, keygen and createrepo."""

from __future__ import annotations

import copy
import gzip
import json
import threading
from pathlib import Path
from typing import Any, IO

import pytest


from copr_backend import frontend as frontend_mod
from copr_backend import worker as worker_mod
from copr_backend import builders
from copr_backend import layout as layout_mod
from copr_backend import signing

INTERNAL = "http://backend:5002/results"
SRPM_TASK = {
    "task_id": "7", "build_id": 7, "project_owner": "alice", "project_name": "hello",
    "project_dirname": "hello", "chroot": None, "source_type": 2, "source_json": "{}",
    "submitter": "alice", "appstream": False, "sandbox": "alice/hello--alice", "background": False,
}
RPM_TASK = {
    "task_id": "7-fedora-44-x86_64", "build_id": 7, "project_owner": "alice", "project_name": "hello",
    "project_dirname": "hello", "chroot": "fedora-44-x86_64", "package_name": "hello", "timeout": 600,
    "git_repo": "http://distgit/git/alice/hello/hello", "git_hash": "abc", "repos": [], "tags": [],
    "appstream": False, "sandbox": "alice/hello--alice", "background": False,
}
SRPM_RESULTS = {"name": "hello", "epoch": None, "version": "1.0", "release": "1", "architecture_specific_tags": {}}
RPM_PACKAGES = [{"name": "hello", "epoch": None, "version": "1.0", "release": "1.fc44", "arch": "src"},
                {"name": "hello", "epoch": None, "version": "1.0", "release": "1.fc44", "arch": "noarch"}]


class FakeFrontend:
    base_url = "http://frontend:5000"
    api_seen = 9

    def __init__(self, task: dict[str, Any], can_start: bool = True) -> None:
        self.task = task
        self.can_start = can_start
        self.gets: list[str] = []
        self.posts: list[tuple[str, Any]] = []

    def get(self, path: str, *, try_indefinitely: bool = True) -> Any:
        self.gets.append(path)
        return copy.deepcopy(self.task)

    def post(self, path: str, data: Any, *, try_indefinitely: bool = True) -> Any:
        self.posts.append((path, copy.deepcopy(data)))
        return {"can_start": self.can_start} if path == "starting_build" else {}

    def statuses(self) -> list[tuple[str, int]]:
        return [(path, data["status"] if path == "starting_build" else data["builds"][0]["status"])
                for path, data in self.posts]

    def final(self) -> dict[str, Any]:
        path, data = self.posts[-1]
        assert path == "update"
        return data["builds"][0]


class FakeBuilder:
    """A builder host: answers the gate, 'builds' by logging, leaves `files` as its results."""

    def __init__(self, version: str = "1.8", files: dict[str, bytes] | None = None,
                 block: bool = False) -> None:
        self.version = version
        self.files = files or {}
        self.block = block
        self.commands: list[str] = []
        self.building = threading.Event()

    def run(self, host: str, command: str, timeout: float = 60) -> tuple[int, str, str]:
        self.commands.append(command)
        return (0, f"{self.version}\n", "") if command.startswith("rpm -q") else (0, "", "")

    def stream(self, host: str, command: str, output: IO[bytes], cancel: threading.Event,
               timeout: float | None) -> int:
        self.commands.append(command)
        output.write(b"copr-rpmbuild: building\n")
        output.flush()
        self.building.set()
        if self.block:
            cancel.wait(5)
            raise worker_mod.Canceled("canceled while building")
        return 0

    def fetch_dir(self, host: str, remote_dir: str, local_dir: Path) -> None:
        local_dir.mkdir(parents=True, exist_ok=True)
        for name, content in self.files.items():
            (local_dir / name).write_bytes(content)


class FakeSignClient:
    """Stands in for the `sign` client and keygen's /gen_key."""

    def __init__(self, down_for: int = 0) -> None:
        self.keys: set[str] = set()
        self.down_for = down_for
        self.calls: list[list[str]] = []
        self.gen_key_bodies: list[dict] = []

    def run(self, argv: list[str], **kwargs: Any) -> Any:
        self.calls.append(argv)
        email = argv[argv.index("-u") + 1]

        class Done:
            def __init__(self, code: int, out: str = "", err: str = "") -> None:
                self.returncode, self.stdout, self.stderr = code, out, err

        if self.down_for:
            self.down_for -= 1
            return Done(1, err="cannot reach the keygen at http://keygen:5003/sign/x: ConnectionError\n")
        if email not in self.keys:
            return Done(1, err=f"unknown key: {email}\n")
        if "-p" in argv:
            return Done(0, out="-----BEGIN PGP PUBLIC KEY BLOCK-----\nkey\n")
        path = Path(argv[-1])
        path.write_bytes(path.read_bytes() + b" signed")
        return Done(0)

    def post(self, url: str, json: dict, timeout: float) -> Any:
        self.gen_key_bodies.append(json)
        created = json["name_email"] not in self.keys
        self.keys.add(json["name_email"])

        class Answer:
            status_code = 201 if created else 200

        return Answer()


class FakeCreaterepo:
    def __init__(self) -> None:
        self.dirs: list[Path] = []
        self.devel_runs: list[tuple[Path, str]] = []  # (chroot dir, baseurl) of devel runs

    def run(self, chroot_dir: Path, excludes: list[str] | None = None, devel: bool = False,
            baseurl: str = "") -> None:
        target = chroot_dir / "devel" if devel else chroot_dir
        (target / "repodata").mkdir(parents=True, exist_ok=True)
        if devel:
            self.devel_runs.append((chroot_dir, baseurl))
        else:
            self.dirs.append(chroot_dir)


def rpm_files(success: bool = True) -> dict[str, bytes]:
    files = {
        "hello-1.0-1.fc44.src.rpm": b"srpm", "hello-1.0-1.fc44.noarch.rpm": b"rpm",
        "results.json": json.dumps({"packages": RPM_PACKAGES}).encode(),
    }
    if success:
        files["success"] = b"done"
    return files


def srpm_files() -> dict[str, bytes]:
    return {"hello-1.0-1.src.rpm": b"srpm", "hello.spec": b"Name: hello", "success": b"done",
            "results.json": json.dumps(SRPM_RESULTS).encode()}


def run_worker(tmp_path: Path, task: dict[str, Any], builder: FakeBuilder, sign: FakeSignClient | None = None,
               can_start: bool = True, hosts: tuple[str, ...] = ("builder-1",)):
    sign = sign or FakeSignClient()
    frontend = FakeFrontend(task, can_start)
    sleeps: list[float] = []
    context = worker_mod.Context(
        frontend=frontend, pool=builders.BuilderPool(hosts), remote=builder,
        signer=signing.Signer("http://keygen:5003", "fedorahosted.org", "/usr/bin/sign", run=sign.run,
                              post=sign.post, sleep=sleeps.append),
        createrepo=FakeCreaterepo(),
        layout=layout_mod.Layout(tmp_path / "public_html" / "results", "http://127.0.0.1:1/results", INTERNAL),
        min_builder_version="1.6.1", clock=lambda: 1000.0,
    )
    worker = worker_mod.BuildWorker(task, context)
    return worker, context, frontend, sleeps


def test_srpm_build(tmp_path: Path) -> None:
    builder = FakeBuilder(files=srpm_files())
    worker, ctx, fe, _ = run_worker(tmp_path, SRPM_TASK, builder)
    worker.run()
    assert fe.gets == ["get-srpm-build-task/7"]
    assert fe.statuses() == [("starting_build", 6), ("update", 3), ("update", 1)]
    final = fe.final()
    assert final["id"] == 7 and final["chroot"] == "srpm-builds" and final["result_dir"] == "00000007"
    assert final["pkg_name"] == "hello" and final["pkg_version"] == "1.0-1"
    assert final["srpm_url"] == f"{INTERNAL}/alice/hello/srpm-builds/00000007/hello-1.0-1.src.rpm"
    assert final["results"] == SRPM_RESULTS and final["started_on"] == 1000 and final["ended_on"] == 1000
    result_dir = ctx.layout.destdir / "alice/hello/srpm-builds/00000007"
    assert sorted(p.name for p in result_dir.iterdir()) == [
        "backend.log.gz", "build.info", "builder-live.log.gz", "hello-1.0-1.src.rpm", "hello.spec",
        "results.json", "success"]
    assert (result_dir / "build.info").read_text() == "build_id=7\nbuilder_ip=builder-1\n"
    assert "succeeded" in gzip.decompress((result_dir / "backend.log.gz").read_bytes()).decode()
    assert builder.commands[-1].endswith("--srpm --task-url http://frontend:5000/backend/get-srpm-build-task/7")
    assert ctx.createrepo.dirs == []  # SRPM results are not a repository
    assert not (ctx.staging_root / "7").exists()


def test_rpm_build_is_signed_and_published(tmp_path: Path) -> None:
    sign = FakeSignClient()
    builder = FakeBuilder(files=rpm_files())
    worker, ctx, fe, _ = run_worker(tmp_path, RPM_TASK, builder, sign)
    worker.run()
    assert fe.gets == ["get-build-task/7-fedora-44-x86_64"]
    assert fe.statuses() == [("starting_build", 6), ("update", 3), ("update", 1)]
    final = fe.final()
    assert final["result_dir"] == "00000007-hello" and final["chroot"] == "fedora-44-x86_64"
    assert final["results"] == {"packages": RPM_PACKAGES} and final["built_packages"] == "hello 1.0"
    project = ctx.layout.destdir / "alice/hello"
    result_dir = project / "fedora-44-x86_64/00000007-hello"
    assert (result_dir / "hello-1.0-1.fc44.noarch.rpm").read_bytes() == b"rpm signed"
    assert (result_dir / "hello-1.0-1.fc44.src.rpm").read_bytes() == b"srpm signed"
    # The builder leaves no builder-live.log (upstream's contract): the backend saves the stream.
    assert gzip.decompress((result_dir / "builder-live.log.gz").read_bytes()) == b"copr-rpmbuild: building\n"
    assert (project / "pubkey.gpg").read_text().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    # Repodata made before the build (the builder's copr_base repo) and after publishing.
    assert ctx.createrepo.dirs == [project / "fedora-44-x86_64"] * 2
    assert sign.gen_key_bodies == [{"name_real": "alice_hello", "name_email": "alice#hello@copr.fedorahosted.org"}]
    sign_calls = [c for c in sign.calls if "-r" in c]
    assert all(c[:5] == ["/usr/bin/sign", "-4", "-h", "sha256", "-u"] for c in sign_calls)
    assert builder.commands[-1].endswith("--rpm --task-url http://frontend:5000/backend/get-build-task/"
                                         "7-fedora-44-x86_64 --chroot fedora-44-x86_64")


def test_devel_mode_build_goes_to_the_devel_repository_only(tmp_path: Path) -> None:
    task = dict(RPM_TASK, uses_devel_repo=True)
    worker, ctx, fe, _ = run_worker(tmp_path, task, FakeBuilder(files=rpm_files()))
    worker.run()
    assert fe.final()["status"] == 1
    chroot_dir = ctx.layout.destdir / "alice/hello/fedora-44-x86_64"
    # The public repository is made (empty) before the build, never updated after it.
    assert ctx.createrepo.dirs == [chroot_dir]
    baseurl = "http://127.0.0.1:1/results/alice/hello/fedora-44-x86_64/"
    assert ctx.createrepo.devel_runs == [(chroot_dir, baseurl)] * 2


def test_rpm_build_waits_for_a_down_keygen(tmp_path: Path) -> None:
    sign = FakeSignClient(down_for=3)
    worker, ctx, fe, sleeps = run_worker(tmp_path, RPM_TASK, FakeBuilder(files=rpm_files()), sign)
    worker.run()
    assert fe.statuses()[-1] == ("update", 1)
    assert len(sleeps) == 3
    result_dir = ctx.layout.destdir / "alice/hello/fedora-44-x86_64/00000007-hello"
    assert (result_dir / "hello-1.0-1.fc44.noarch.rpm").read_bytes() == b"rpm signed"


def test_no_success_file_fails_and_publishes_no_rpm(tmp_path: Path) -> None:
    worker, ctx, fe, _ = run_worker(tmp_path, RPM_TASK, FakeBuilder(files=rpm_files(success=False)))
    worker.run()
    assert fe.statuses() == [("starting_build", 6), ("update", 3), ("update", 0)]
    result_dir = ctx.layout.destdir / "alice/hello/fedora-44-x86_64/00000007-hello"
    assert not list(result_dir.glob("*.rpm"))  # never unsigned RPMs where createrepo looks
    assert (result_dir / "builder-live.log.gz").exists() and (result_dir / "results.json").exists()
    log = gzip.decompress((result_dir / "backend.log.gz").read_bytes()).decode()
    assert "No success file => build failure" in log


def test_old_builder_makes_the_task_wait(tmp_path: Path) -> None:
    worker, ctx, fe, _ = run_worker(tmp_path, RPM_TASK, FakeBuilder(version="1.5", files=rpm_files()))
    worker.run()
    # Neither "running" nor a failure is reported: the task goes back to pending and waits.
    assert [path for path, _ in fe.posts] == ["starting_build", "reschedule_build_chroot"]
    assert fe.posts[1][1]["chroot"] == "fedora-44-x86_64"
    assert worker.retry_in > 0
    log = gzip.decompress((ctx.layout.destdir / "alice/hello/fedora-44-x86_64/00000007-hello/backend.log.gz")
                          .read_bytes()).decode()
    assert "Minimum version for builder is 1.6.1" in log
    assert "the task waits" in log


def test_builder_lost_mid_task_makes_the_task_wait(tmp_path: Path) -> None:
    builder = FakeBuilder(files=rpm_files())

    def gone(host: str, remote_dir: str, local_dir: Path) -> None:
        raise builders.BuilderLost(f"downloading {host}:{remote_dir} failed: no such host")

    builder.fetch_dir = gone  # type: ignore[method-assign]
    worker, _, fe, _ = run_worker(tmp_path, RPM_TASK, builder)
    worker.run()
    # "running" was reported; no failure is: the task goes back to pending and runs again.
    assert [path for path, _ in fe.posts] == ["starting_build", "update", "reschedule_build_chroot"]
    assert fe.posts[1][1]["builds"][0]["status"] == 3
    assert worker.retry_in > 0


def test_frontend_forbids_start(tmp_path: Path) -> None:
    builder = FakeBuilder(files=rpm_files())
    worker, _, fe, _ = run_worker(tmp_path, RPM_TASK, builder, can_start=False)
    worker.run()
    assert fe.statuses() == [("starting_build", 6)]
    assert builder.commands == []


def test_cancel_while_building(tmp_path: Path) -> None:
    builder = FakeBuilder(files=rpm_files(), block=True)
    worker, ctx, fe, _ = run_worker(tmp_path, RPM_TASK, builder)
    thread = threading.Thread(target=worker.run)
    thread.start()
    assert builder.building.wait(5)
    worker.cancel()
    thread.join(5)
    assert not thread.is_alive()
    assert fe.statuses() == [("starting_build", 6), ("update", 3)]  # the frontend marks it canceled
    assert ctx.pool.free_count() == 1


def test_rerun_keeps_the_earlier_logs(tmp_path: Path) -> None:
    builder = FakeBuilder(files=srpm_files())
    worker, ctx, _, _ = run_worker(tmp_path, SRPM_TASK, builder)
    worker.run()
    worker, _, _, _ = run_worker(tmp_path, SRPM_TASK, builder)
    worker.run()
    result_dir = ctx.layout.destdir / "alice/hello/srpm-builds/00000007"
    assert sorted(p.name for p in (result_dir / "prev_build_backup").iterdir()) == [
        "backend.log.gz", "build.info", "builder-live.log.gz"]
    assert (result_dir / "backend.log.gz").exists()


def test_unavailable_task_is_failed(tmp_path: Path) -> None:
    worker, _, fe, _ = run_worker(tmp_path, RPM_TASK, FakeBuilder())
    fe.task = None
    worker.run()
    assert fe.posts == [("update", {"builds": [{
        "id": 7, "build_id": 7, "task_id": "7-fedora-44-x86_64", "chroot": "fedora-44-x86_64",
        "status": 0, "ended_on": 1000}]})]


@pytest.mark.parametrize(("chroot", "digest"), [("fedora-44-x86_64", "sha256"), ("fedora-26-x86_64", "sha1"),
                                                ("epel-4-i386", "sha1"), ("epel-9-x86_64", "sha256"),
                                                ("fedora-rawhide-x86_64", "sha256")])
def test_signature_digest(chroot: str, digest: str) -> None:
    assert signing.hash_for_chroot(chroot) == digest


def test_backend_stop_leaves_the_task_for_the_next_backend(tmp_path: Path) -> None:
    builder = FakeBuilder(files=rpm_files(), block=True)
    worker, ctx, fe, _ = run_worker(tmp_path, RPM_TASK, builder)
    thread = threading.Thread(target=worker.run)
    thread.start()
    assert builder.building.wait(5)
    worker.shutdown()
    thread.join(5)
    assert not thread.is_alive()
    # Still "running" on the frontend: the restarted backend runs it again; nothing is published.
    assert fe.statuses() == [("starting_build", 6), ("update", 3)]
    result_dir = ctx.layout.destdir / "alice/hello/fedora-44-x86_64/00000007-hello"
    assert not list(result_dir.glob("*.rpm")) and ctx.pool.free_count() == 1


def test_a_step_broken_by_the_stop_is_not_a_failure(tmp_path: Path) -> None:
    class KilledDownload(FakeBuilder):
        def fetch_dir(self, host: str, remote_dir: str, local_dir: Path) -> None:
            worker.shutdown()  # the stop arrives while results are downloaded
            raise OSError("downloading failed: Killed by signal 15.")

    worker, _, fe, _ = run_worker(tmp_path, RPM_TASK, KilledDownload(files=rpm_files()))
    worker.run()
    assert fe.statuses() == [("starting_build", 6), ("update", 3)]


def test_task_with_an_unusable_package_name_is_failed(tmp_path: Path) -> None:
    worker, ctx, fe, _ = run_worker(tmp_path, dict(RPM_TASK, package_name="../../etc"), FakeBuilder())
    worker.run()
    assert fe.statuses() == [("update", 0)]
    assert not (ctx.layout.destdir.parent / "etc").exists()


def test_frontend_refusing_the_task_does_not_crash_the_worker(tmp_path: Path) -> None:
    worker, _, fe, _ = run_worker(tmp_path, SRPM_TASK, FakeBuilder())

    def refuse(path: str, **kwargs: Any) -> Any:
        raise frontend_mod.FrontendRequestError(404, "Specified task ID not found")

    fe.get = refuse  # type: ignore[method-assign]
    worker.run()
    assert fe.posts == []


class LeftoverBuilder(FakeBuilder):
    """A builder where a killed backend's build still runs: ending it reports one line."""

    def run(self, host: str, command: str, timeout: float = 60) -> tuple[int, str, str]:
        if command == builders.END_LEFTOVER:
            self.commands.append(command)
            return 0, "ending a leftover copr-rpmbuild (session 42)\n", ""
        return super().run(host, command, timeout)


def test_a_leftover_build_is_ended_before_the_new_one_starts(tmp_path: Path) -> None:
    builder = LeftoverBuilder(files=srpm_files())
    worker, ctx, fe, _ = run_worker(tmp_path, SRPM_TASK, builder)
    worker.run()
    assert fe.final()["status"] == 1
    ended = builder.commands.index(builders.END_LEFTOVER)
    assert "copr-rpmbuild" in builder.commands[ended + 1]  # the build comes right after
    log = gzip.decompress((ctx.layout.destdir / "alice/hello/srpm-builds/00000007/backend.log.gz")
                          .read_bytes()).decode()
    assert "on builder-1: ending a leftover copr-rpmbuild (session 42)" in log


def test_a_builder_lost_while_ending_a_leftover_makes_the_task_wait(tmp_path: Path) -> None:
    class Gone(FakeBuilder):
        def run(self, host: str, command: str, timeout: float = 60) -> tuple[int, str, str]:
            if command == builders.END_LEFTOVER:
                return builders.SSH_FAILED, "", "Connection refused"
            return super().run(host, command, timeout)

    worker, _, fe, _ = run_worker(tmp_path, SRPM_TASK, Gone(files=srpm_files()))
    worker.run()
    assert worker.retry_in == worker_mod.NO_BUILDER_RETRY
    assert fe.posts[-1][0] == "reschedule_build_chroot"
