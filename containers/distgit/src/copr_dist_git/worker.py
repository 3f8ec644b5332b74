"""The import worker: poll the frontend for builds to import, import each, report the result."""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .config import Config
from .frontend import Frontend, FrontendError, download
from .importer import import_srpm
from .layout import LayoutError, check_segment, task_log, unique_branches

log = logging.getLogger("copr_dist_git")

# Say again that the frontend still fails at most this often (it is polled every second).
REPEAT_PROBLEM_AFTER = 60.0


@dataclass
class ImportTask:
    """A validated import record of the frontend."""

    build_id: int
    owner: str
    project: str
    branches: list[str]
    pkg_name: str | None
    srpm_url: str

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ImportTask:
        """Check an import record's fields; raise LayoutError naming the first bad one."""
        build_id = record.get("build_id")
        if not isinstance(build_id, int) or isinstance(build_id, bool) or build_id < 0:
            raise LayoutError(f"build_id {build_id!r} is not a build id")
        url = record.get("srpm_url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise LayoutError(f"srpm_url {url!r} is not an http(s) URL")
        pkg = record.get("pkg_name")
        return cls(
            build_id=build_id,
            owner=check_segment(record.get("owner"), "owner"),  # type: ignore[arg-type]
            project=check_segment(record.get("project"), "project"),  # type: ignore[arg-type]
            branches=unique_branches(record.get("branches")),  # type: ignore[arg-type]
            pkg_name=check_segment(pkg, "package") if pkg else None,
            srpm_url=url,
        )


def task_logger(config: Config, build_id: int) -> tuple[logging.Logger, logging.Handler]:
    """A logger that writes only to the build's per-task log (appending: a retry adds to it)."""
    path = task_log(config.log_dir, build_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    # Not registered with logging's manager: one short-lived logger per task, no leak.
    task = logging.Logger(f"copr_dist_git.task.{build_id}", logging.INFO)
    task.addHandler(handler)
    task.propagate = False
    return task, handler


class Worker:
    """Polls `importing`, runs imports on a small pool; one import per build at a time."""

    def __init__(self, config: Config, frontend: Frontend | None = None) -> None:
        self.config = config
        self.frontend = frontend or Frontend(config.frontend_url, config.backend_password)
        self.pool = ThreadPoolExecutor(max_workers=config.max_workers, thread_name_prefix="import")
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._active: set[int] = set()
        self._not_before: dict[int, float] = {}
        self._problem = ""
        self._problem_logged = 0.0
        self.state = "starting"
        self.last_poll = 0.0
        self.imports_done = 0

    # -- polling ---------------------------------------------------------------------------------

    def poll_once(self) -> list[Future[str]]:
        """Ask the frontend what to import; start the builds not already being imported."""
        self.last_poll = time.time()
        try:
            records = self.frontend.importing()
        except FrontendError as error:
            self._note_problem(str(error))
            return []
        self._note_problem("")
        started = []
        now = time.monotonic()
        with self._lock:
            self._not_before = {b: t for b, t in self._not_before.items() if t > now}
        for record in records:
            build_id = record.get("build_id")
            if not isinstance(build_id, int):
                continue
            with self._lock:
                if build_id in self._active or self._not_before.get(build_id, 0) > now:
                    continue
                self._active.add(build_id)
            started.append(self.pool.submit(self._process_guarded, build_id))
        return started

    def _note_problem(self, problem: str) -> None:
        """Log a polling problem when it starts, changes or lasts; log when it is over."""
        now = time.monotonic()
        if problem and (problem != self._problem or now - self._problem_logged > REPEAT_PROBLEM_AFTER):
            log.warning("polling the frontend: %s (still polling every %.1f s)",
                        problem, self.config.poll_interval)
            self._problem_logged = now
        elif not problem and self._problem:
            log.info("polling the frontend works again")
        self._problem = problem

    @property
    def frontend_state(self) -> str:
        return self._problem or "ok"

    def run(self) -> None:
        """Poll until stopped."""
        if not self.config.frontend_url:
            self.state = "idle"
            log.warning("FRONTEND_URL is not set: the import worker stays idle")
            self.stopping.wait()
            return
        self.state = "polling"
        log.info("import worker polling %s/backend/importing/ every %.1f s with %d workers",
                 self.config.frontend_url, self.config.poll_interval, self.config.max_workers)
        while not self.stopping.is_set():
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - one bad poll must not end the worker
                log.exception("polling the frontend failed unexpectedly")
            self.stopping.wait(self.config.poll_interval)
        self.state = "stopped"

    def run_once(self) -> None:
        """One poll, then wait for the imports it started (the CLI's `work --once`)."""
        for future in self.poll_once():
            future.result()

    def stop(self) -> None:
        self.stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=True)

    # -- one import ------------------------------------------------------------------------------

    def _process_guarded(self, build_id: int) -> str:
        try:
            return self.process(build_id)
        except Exception as error:  # noqa: BLE001 - a thread's error must reach the log
            log.exception("import of build %d crashed", build_id)
            return f"crashed: {error}"
        finally:
            with self._lock:
                self._active.discard(build_id)

    def process(self, build_id: int) -> str:
        """Import one build and report it; return the outcome (also logged, one line)."""
        started = time.monotonic()
        try:
            record = self.frontend.import_task(build_id)
        except FrontendError as error:
            log.warning("import build %d: cannot get the task: %s", build_id, error)
            self._retry_later(build_id)
            return "no task"
        if record is None:
            log.info("import build %d: the frontend has no import task for it (null): skipped", build_id)
            return "skipped"

        tlog, handler = task_logger(self.config, build_id)
        report: dict[str, Any] = {"build_id": build_id}
        try:
            tlog.info("import of build %d started by copr-dist-git", build_id)
            try:
                task = ImportTask.from_record({**record, "build_id": build_id})
                with tempfile.TemporaryDirectory(prefix=f"build-{build_id}-") as tmp:
                    srpm = Path(tmp) / "package.src.rpm"
                    tlog.info("downloading %s", task.srpm_url)
                    size = download(task.srpm_url, srpm)
                    tlog.info("downloaded %d bytes", size)
                    result = import_srpm(self.config, srpm, task.owner, task.project, task.branches,
                                         pkg_name=task.pkg_name, build_id=build_id, log=tlog)
                report = {"build_id": build_id, "branch_commits": result.branch_commits,
                          "reponame": result.reponame}
                outcome = (f"imported {result.nvr} into {result.reponame}: "
                           + " ".join(f"{b}={c[:12]}" for b, c in result.branch_commits.items()))
            except Exception as error:  # noqa: BLE001 - any failure is reported as a failed import
                tlog.exception("import failed")
                outcome = f"failed: {type(error).__name__}: {error}"
            try:
                answer = self.frontend.import_completed(report)
                tlog.info("reported to the frontend: %s (answer %s)",
                               "success" if "branch_commits" in report else "failure", answer)
            except FrontendError as error:
                tlog.error("reporting to the frontend failed: %s", error)
                outcome += f"; reporting it failed: {error} (will try again)"
                self._retry_later(build_id)
        finally:
            handler.close()
        self.imports_done += 1
        log.info("import build %d: %s (%.2f s)", build_id, outcome, time.monotonic() - started)
        return outcome

    def _retry_later(self, build_id: int) -> None:
        with self._lock:
            self._not_before[build_id] = time.monotonic() + self.config.retry_after
