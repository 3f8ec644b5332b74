"""Builder selection and retries, and the build dispatcher's queue handling (all faked)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest


from copr_backend import builders, errors
from copr_backend import dispatcher as dispatcher_mod
from copr_backend import frontend as frontend_mod


# -- builder pool and selection ---------------------------------------------------------------


class VersionRemote:
    """Each host reports its copr-rpmbuild version (None: not installed)."""

    def __init__(self, versions: dict[str, str | None]) -> None:
        self.versions = versions
        self.asked: list[str] = []

    def run(self, host: str, command: str, timeout: float = 60) -> tuple[int, str, str]:
        if command.startswith("rpm -q"):
            self.asked.append(host)
            version = self.versions[host]
            return (0, f"{version}\n", "") if version else (1, "package copr-rpmbuild is not installed\n", "")
        return 0, "", ""


def test_pool_hands_out_free_hosts_least_recently_used_first() -> None:
    pool = builders.BuilderPool(["b1", "b2", "b1"])
    assert pool.hosts == ["b1", "b2"]
    first = pool.acquire()
    second = pool.acquire()
    assert {first, second} == {"b1", "b2"} and pool.free_count() == 0
    pool.release(first)
    assert pool.acquire() == first


def test_pool_returns_none_when_every_host_is_excluded() -> None:
    pool = builders.BuilderPool(["b1", "b2"])
    assert pool.acquire(exclude=["b1", "b2"]) is None
    assert builders.BuilderPool([]).acquire() is None


def test_pool_waits_for_a_busy_host() -> None:
    pool = builders.BuilderPool(["b1"])
    host = pool.acquire()
    threading.Timer(0.1, pool.release, args=[host]).start()
    assert pool.acquire(poll=0.05) == "b1"


def test_pool_wait_can_be_canceled() -> None:
    pool = builders.BuilderPool(["b1"])
    pool.acquire()
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(errors.Canceled):
        pool.acquire(cancel=cancel, poll=0.01)


def test_pick_skips_old_builders() -> None:
    pool = builders.BuilderPool(["old", "new"])
    remote = VersionRemote({"old": "1.5", "new": "1.8"})
    said: list[str] = []
    host, version = builders.pick_builder(pool, remote, "1.6.1", "fedora-44-x86_64", said.append)
    assert (host, version) == ("new", "1.8")
    assert said == ["builder old refused: Minimum version for builder is 1.6.1 (old has 1.5)"]
    assert pool.free_count() == 1  # "old" was released, "new" is held for the task


def test_pick_gives_up_after_three_distinct_hosts() -> None:
    hosts = ["b1", "b2", "b3", "b4"]
    pool = builders.BuilderPool(hosts)
    remote = VersionRemote({h: "1.0" for h in hosts} | {"b4": "9.9"})
    said: list[str] = []
    with pytest.raises(builders.NoBuilder, match="3 builder"):
        builders.pick_builder(pool, remote, "1.6.1", "srpm-builds", said.append)
    assert remote.asked == ["b1", "b2", "b3"] and len(said) == 3
    assert pool.free_count() == 4


def test_pick_gives_up_when_every_configured_host_refused() -> None:
    pool = builders.BuilderPool(["b1", "b2"])
    remote = VersionRemote({"b1": None, "b2": "1.6"})
    with pytest.raises(builders.NoBuilder, match="b1, b2"):
        builders.pick_builder(pool, remote, "1.6.1", "srpm-builds", lambda _: None)
    assert remote.asked == ["b1", "b2"]


def test_build_command() -> None:
    srpm = builders.build_command("http://frontend:5000/backend/get-srpm-build-task/7", None)
    assert srpm.endswith("exec copr-rpmbuild --verbose --drop-resultdir --srpm --task-url "
                         "http://frontend:5000/backend/get-srpm-build-task/7")
    rpm = builders.build_command("http://fe/backend/get-build-task/7-fedora-44-x86_64", "fedora-44-x86_64")
    assert rpm.endswith("--rpm --task-url http://fe/backend/get-build-task/7-fedora-44-x86_64 "
                        "--chroot fedora-44-x86_64")


def test_ssh_command_line(tmp_path) -> None:
    argv = builders.SSH(tmp_path / "key").argv("builder-1", "true")
    assert argv[:3] == ["ssh", "-i", str(tmp_path / "key")]
    for option in ("StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null", "BatchMode=yes"):
        assert option in argv
    assert argv[-2:] == ["root@builder-1", "true"]


# -- the dispatcher ---------------------------------------------------------------------------


class FakeFrontend:
    """The dispatcher's view of the frontend: a queue, cancel requests, confirmations."""

    base_url = "http://fe"

    def __init__(self) -> None:
        self.queue: list[dict[str, Any]] = []
        self.cancels: list[str] = []
        self.posts: list[tuple[str, Any]] = []
        self.too_old = False

    def get(self, path: str, *, try_indefinitely: bool = True) -> Any:
        if self.too_old:
            raise frontend_mod.FrontendTooOld(8, 9)
        if path == "pending-jobs":
            return [dict(t) for t in self.queue]
        if path == "build-tasks/cancel-requests":
            return list(self.cancels)
        raise AssertionError(path)

    def post(self, path: str, data: Any, *, try_indefinitely: bool = True) -> Any:
        self.posts.append((path, data))
        return "success"


class FakeWorker:
    def __init__(self, task: dict[str, Any]) -> None:
        self.task_id = str(task["task_id"])
        self.running_reported = False
        self.retry_in = 0.0
        self.canceled = False
        self.go = threading.Event()
        self.ran = threading.Event()

    def run(self) -> None:
        self.ran.set()
        self.go.wait(5)

    def cancel(self) -> None:
        self.canceled = True
        self.go.set()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def make(hosts: list[str]) -> tuple[Any, FakeFrontend, list[FakeWorker]]:
    fe = FakeFrontend()
    made: list[FakeWorker] = []

    def factory(task: dict[str, Any]) -> FakeWorker:
        made.append(FakeWorker(task))
        return made[-1]

    return dispatcher_mod.BuildDispatcher(fe, builders.BuilderPool(hosts), factory, clock=Clock()), fe, made


def task(task_id: str) -> dict[str, Any]:
    build_id = int(task_id.split("-")[0])
    return {"task_id": task_id, "build_id": build_id, "project_owner": "alice",
            "chroot": None if "-" not in task_id else task_id.split("-", 1)[1]}


def finish(worker: FakeWorker, dispatcher) -> None:
    worker.go.set()
    dispatcher.active[worker.task_id][1].join(5)


def test_one_worker_per_task_and_two_per_builder() -> None:
    assert dispatcher_mod.WORKERS_PER_BUILDER == 2
    dispatcher, fe, made = make(["b1"])
    fe.queue = [task("1"), task("2"), task("3-fedora-44-x86_64")]
    assert dispatcher.cycle() == 2
    assert [w.task_id for w in made] == ["1", "2"]  # the queue's order: SRPM tasks come first
    assert dispatcher.cycle() == 0  # two workers for the one builder; 1 and 2 already have workers
    finish(made[0], dispatcher)
    fe.queue = [task("2"), task("3-fedora-44-x86_64")]
    assert dispatcher.cycle() == 1
    assert [w.task_id for w in made] == ["1", "2", "3-fedora-44-x86_64"]
    for worker in made:
        worker.go.set()


def test_workers_scale_with_the_builders() -> None:
    dispatcher, fe, made = make(["b1", "b2"])
    fe.queue = [task(str(n)) for n in range(1, 7)]
    assert dispatcher.cycle() == 4
    assert dispatcher.cycle() == 0
    for worker in made:
        worker.go.set()


def test_a_builder_runs_one_task_at_a_time_though_two_workers_want_it() -> None:
    """The second worker of a builder waits in the pool until the first lets the host go."""
    pool = builders.BuilderPool(["b1"])
    holding: list[str] = []
    overlaps: list[list[str]] = []
    got_it = [threading.Event(), threading.Event()]
    let_go = [threading.Event(), threading.Event()]

    def worker(n: int) -> None:
        host = pool.acquire()
        holding.append(f"w{n}")
        if len(holding) > 1:
            overlaps.append(list(holding))
        got_it[n].set()
        let_go[n].wait(10)
        holding.remove(f"w{n}")
        pool.release(host)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
    threads[0].start()
    assert got_it[0].wait(10)
    threads[1].start()
    assert not got_it[1].wait(0.5)  # the builder is taken: the second worker waits
    let_go[0].set()
    assert got_it[1].wait(10)
    let_go[1].set()
    for thread in threads:
        thread.join(10)
    assert overlaps == []


def test_a_list_older_than_the_final_update_does_not_restart_a_task() -> None:
    dispatcher, fe, made = make(["b1"])
    fe.queue = [task("1")]
    dispatcher.cycle()
    # The worker ends while the next list is being fetched: that list may still show the task.
    original = fe.get

    def slow_get(path: str, **kwargs: Any) -> Any:
        answer = original(path, **kwargs)
        if path == "pending-jobs" and made[0].go.is_set() is False:
            finish(made[0], dispatcher)
        return answer

    fe.get = slow_get  # type: ignore[method-assign]
    assert dispatcher.cycle() == 0
    # A list asked for after the task ended is current: a task still in it was rescheduled.
    assert dispatcher.cycle() == 1
    assert len(made) == 2
    made[1].go.set()


def test_a_task_that_found_no_builder_waits_before_its_next_try() -> None:
    dispatcher, fe, made = make(["b1"])
    fe.queue = [task("1")]
    dispatcher.cycle()
    made[0].retry_in = 5.0  # the Clock advances 1 s per reading
    finish(made[0], dispatcher)
    assert dispatcher.cycle() == 0  # still in the queue (pending again), but not yet
    assert len(made) == 1
    for _ in range(5):
        dispatcher.cycle()
    assert len(made) == 2  # tried again once the wait is over
    made[1].go.set()


def test_cancel_requests() -> None:
    dispatcher, fe, made = make(["b1"])
    fe.queue = [task("5-fedora-44-x86_64")]
    dispatcher.cycle()
    fe.queue = []
    fe.cancels = ["5-fedora-44-x86_64", "6"]
    dispatcher.cycle()
    assert made[0].canceled
    assert fe.posts == [("build-tasks/canceled/5-fedora-44-x86_64", True), ("build-tasks/canceled/6", None)]


def test_too_old_frontend_means_an_empty_queue(caplog: pytest.LogCaptureFixture) -> None:
    dispatcher, fe, made = make(["b1"])
    fe.queue = [task("1")]
    fe.too_old = True
    for _ in range(3):
        assert dispatcher.cycle() == 0
    assert made == [] and fe.posts == []
    fe.too_old = False
    assert dispatcher.cycle() == 1
    made[0].go.set()


def test_no_builders_means_tasks_wait(caplog: pytest.LogCaptureFixture) -> None:
    dispatcher, fe, made = make([])
    fe.queue = [task("1")]
    for _ in range(3):
        assert dispatcher.cycle() == 0
    assert made == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "no builders configured (BUILDERS is empty): tasks wait"]


def test_a_crashing_worker_does_not_stop_the_dispatcher(caplog: pytest.LogCaptureFixture) -> None:
    fe = FakeFrontend()
    fe.queue = [task("1")]

    class Crashing(FakeWorker):
        def run(self) -> None:
            raise RuntimeError("boom")

    dispatcher = dispatcher_mod.BuildDispatcher(fe, builders.BuilderPool(["b1"]), Crashing, clock=Clock())
    dispatcher.cycle()
    dispatcher.active["1"][1].join(5)
    assert "worker crashed" in caplog.text
    fe.queue = []
    dispatcher.cycle()
    assert dispatcher.active == {}


def test_shutdown_stops_running_workers() -> None:
    dispatcher, fe, made = make(["b1", "b2"])
    fe.queue = [task("1"), task("2")]
    dispatcher.cycle()
    stopped: list[str] = []
    for worker in made:
        worker.shutdown = lambda w=worker: (stopped.append(w.task_id), w.go.set())  # type: ignore[method-assign]
    stop = threading.Event()
    stop.set()
    dispatcher.run(0.01, stop, shutdown_timeout=5)
    assert sorted(stopped) == ["1", "2"]
    assert not any(thread.is_alive() for _, thread in dispatcher.active.values())
