"""The build dispatcher: polls the frontend's queue and runs each new task in a worker thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from .builders import BuilderPool
from .frontend import ChangeLog, FrontendClient, FrontendError, FrontendTooOld

log = logging.getLogger("copr-backend.dispatcher")

# How long a finished task's id is remembered, to skip it in lists fetched before it ended.
FORGET_AFTER = 600
# Workers per builder. A worker holds its builder only while the build runs there and its
# results come back; signing, createrepo and the frontend updates happen after it let go. A
# second worker per builder has its task ready meanwhile, so the builder is not left idle. Each
# builder still runs one task at a time: the pool hands a host to one worker at once.
WORKERS_PER_BUILDER = 2


class Worker(Protocol):
    task_id: str
    running_reported: bool
    retry_in: float

    def run(self) -> None: ...

    def cancel(self) -> None: ...

    def shutdown(self) -> None: ...


class BuildDispatcher:
    """Starts at most WORKERS_PER_BUILDER workers per builder; a task already in a worker is
    never started twice."""

    def __init__(
        self,
        frontend: FrontendClient,
        pool: BuilderPool,
        make_worker: Callable[[dict[str, Any]], Worker],
        clock: Callable[[], float] = time.monotonic,
        start_thread: Callable[[Callable[[], None], str], threading.Thread] | None = None,
    ) -> None:
        self.frontend = frontend
        self.pool = pool
        self.make_worker = make_worker
        self.clock = clock
        self.start_thread = start_thread or _daemon_thread
        self.active: dict[str, tuple[Worker, threading.Thread]] = {}
        self.finished: dict[str, float] = {}
        self.waiting: dict[str, float] = {}  # task id -> when it may be tried again
        self._lock = threading.Lock()
        self._queue_state = ChangeLog(log)
        self._cancel_state = ChangeLog(log)
        self._capacity_state = ChangeLog(log)

    # -- the queue ----------------------------------------------------------------------------

    def pending_tasks(self) -> list[dict[str, Any]]:
        """The frontend's queue, or [] for this cycle when it cannot be had (logged on change)."""
        try:
            tasks = self.frontend.get("pending-jobs", try_indefinitely=False)
        except FrontendTooOld:
            return []  # the client logged it, once per change
        except FrontendError as error:
            self._queue_state.report(str(error), logging.WARNING, f"cannot get pending jobs: {error}")
            return []
        self._queue_state.clear(message="getting pending jobs works again")
        if not isinstance(tasks, list):
            self._queue_state.report("not a list", logging.WARNING,
                                     "pending-jobs answered something that is not a list")
            return []
        return [t for t in tasks if isinstance(t, dict) and "task_id" in t and "build_id" in t]

    def handle_cancel_requests(self) -> None:
        """Cancel what the frontend asks for and confirm each request."""
        try:
            ids = self.frontend.get("build-tasks/cancel-requests", try_indefinitely=False)
        except FrontendTooOld:
            return
        except FrontendError as error:
            self._cancel_state.report(str(error), logging.WARNING, f"cannot get cancel requests: {error}")
            return
        self._cancel_state.clear()
        for task_id in ids if isinstance(ids, list) else []:
            task_id = str(task_id)
            with self._lock:
                entry = self.active.get(task_id)
            was_running = entry is not None
            if entry is not None:
                entry[0].cancel()
            log.info("task %s: cancel requested (%s)", task_id,
                     "stopping its worker" if was_running else "no worker runs it")
            try:
                self.frontend.post(f"build-tasks/canceled/{task_id}", True if was_running else None,
                                   try_indefinitely=False)
            except FrontendError as error:
                log.warning("task %s: confirming the cancel failed: %s", task_id, error)

    # -- workers ------------------------------------------------------------------------------

    def _reap(self) -> None:
        now = self.clock()
        with self._lock:
            for task_id, (_, thread) in list(self.active.items()):
                if not thread.is_alive():
                    del self.active[task_id]
            for task_id, ended in list(self.finished.items()):
                if now - ended > FORGET_AFTER:
                    del self.finished[task_id]

    def _worker_done(self, task_id: str, retry_in: float = 0.0) -> None:
        with self._lock:
            self.finished[task_id] = self.clock()
            if retry_in:
                self.waiting[task_id] = self.clock() + retry_in

    def _start(self, task: dict[str, Any]) -> None:
        worker = self.make_worker(task)
        task_id = worker.task_id

        def body() -> None:
            try:
                worker.run()
            except Exception:  # noqa: BLE001 - a worker's crash must not end the dispatcher
                log.exception("task %s: worker crashed", task_id)
            finally:
                self._worker_done(task_id, getattr(worker, "retry_in", 0.0))

        with self._lock:
            self.active[task_id] = (worker, self.start_thread(body, f"task-{task_id}"))

    def cycle(self) -> int:
        """One poll: confirm cancels, start workers for new tasks; return how many were started."""
        self._reap()
        listed_at = self.clock()
        self.handle_cancel_requests()
        tasks = self.pending_tasks()
        if not self.pool.size:
            if tasks:
                self._capacity_state.report("none", logging.WARNING,
                                            "no builders configured (BUILDERS is empty): tasks wait")
            return 0
        started = 0
        for task in tasks:
            task_id = str(task["task_id"])
            with self._lock:
                if task_id in self.active:
                    continue
                if self.waiting.get(task_id, float("-inf")) > listed_at:
                    continue
                # Ended after the list was asked for: the list may predate its final update.
                if self.finished.get(task_id, float("-inf")) >= listed_at:
                    continue
                if len(self.active) >= self.pool.size * WORKERS_PER_BUILDER:
                    break
            self._start(task)
            started += 1
        return started

    def shutdown(self, timeout: float) -> None:
        """Tell every worker the backend stops and give them `timeout` seconds to end their builds."""
        with self._lock:
            entries = list(self.active.values())
        if not entries:
            return
        log.info("stopping %d running task(s); the next backend runs them again", len(entries))
        for worker, _ in entries:
            worker.shutdown()
        deadline = self.clock() + timeout
        for _, thread in entries:
            thread.join(max(0.0, deadline - self.clock()))

    def run(self, interval: float, stop: threading.Event, shutdown_timeout: float = 15) -> None:
        """Poll every `interval` seconds until `stop` is set, then stop the running tasks."""
        log.info("build dispatcher polling %s every %.1fs with builders: %s", self.frontend.base_url,
                 interval, " ".join(self.pool.hosts) or "(none)")
        while not stop.is_set():
            try:
                self.cycle()
            except Exception:  # noqa: BLE001 - keep polling whatever one cycle hit
                log.exception("dispatcher cycle failed")
            stop.wait(interval)
        self.shutdown(shutdown_timeout)


def _daemon_thread(target: Callable[[], None], name: str) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread
