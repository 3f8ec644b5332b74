"""One build task (SRPM or RPM) from `starting_build` to the final `update` (reference 3.3)."""

from __future__ import annotations

import gzip
import logging
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copr_common.enums import StatusEnum

from .builders import (END_LEFTOVER, REMOTE_RESULTS, SSH_FAILED, BuilderLost, BuilderPool,
                       NoBuilder, Remote, build_command, pick_builder)
from .errors import Canceled
from .frontend import FrontendClient, FrontendRequestError
from .job import BuildJob, is_srpm_task
from .layout import Layout
from .logs import TaskLog
from .repo import DEVEL_DIR, Createrepo
from .signing import Signer

log = logging.getLogger("copr-backend.build")

DEFAULT_TIMEOUT = 5 * 3600
# How long a task that found no usable builder waits before it is tried again.
NO_BUILDER_RETRY = 10.0
# The builder enforces the task's timeout; the backend only guards against a hung session.
SAFETY_MARGIN = 3600
BACKUP_DIR = "prev_build_backup"


@dataclass
class Context:
    """What every worker of a dispatcher shares."""

    frontend: FrontendClient
    pool: BuilderPool
    remote: Remote
    signer: Signer
    createrepo: Createrepo
    layout: Layout
    min_builder_version: str
    clock: Callable[[], float] = time.time

    @property
    def staging_root(self) -> Path:
        # Next to the results tree (same file system: a rename publishes a file at once), but
        # outside what the results server serves.
        return self.layout.destdir.parent / ".copr-backend-staging"


def task_url(frontend_url: str, task: dict[str, Any]) -> str:
    """The URL the builder fetches its task from (no trailing slash, as upstream)."""
    base = frontend_url.rstrip("/")
    if is_srpm_task(task):
        return f"{base}/backend/get-srpm-build-task/{task['build_id']}"
    return f"{base}/backend/get-build-task/{task['task_id']}"


def prepare_results_dir(path: Path) -> None:
    """Make the result dir; logs of an earlier attempt go to prev_build_backup/, other non-RPM
    files are removed."""
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.iterdir():
        if not entry.is_file():
            continue
        if entry.name.endswith((".log", ".log.gz", ".info")):
            (path / BACKUP_DIR).mkdir(exist_ok=True)
            entry.replace(path / BACKUP_DIR / entry.name)
        elif not entry.name.endswith(".rpm"):
            entry.unlink()


def gzip_file(path: Path) -> None:
    """Replace `path` by `path.gz`."""
    if not path.is_file():
        return
    target = path.with_name(path.name + ".gz")
    with path.open("rb") as source, gzip.open(target, "wb") as compressed:
        shutil.copyfileobj(source, compressed)
    path.unlink()


def publish(staging: Path, results_dir: Path, with_rpms: bool) -> None:
    """Move the downloaded results into the public result dir (RPMs only if `with_rpms`)."""
    for entry in sorted(staging.iterdir()):
        if entry.name.endswith(".rpm") and not with_rpms:
            continue
        target = results_dir / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        entry.replace(target)


class BuildWorker:
    """Runs one task; `cancel()` may be called from the dispatcher's thread."""

    def __init__(self, task: dict[str, Any], context: Context) -> None:
        self.small = task
        self.ctx = context
        self.task_id = str(task["task_id"])
        self.canceled = threading.Event()
        self.stopping = False
        self.log = TaskLog(log, f"task {self.task_id}:")
        self.running_reported = False
        # Set when no builder could take the task: the dispatcher tries it again after this.
        self.retry_in = 0.0

    def cancel(self) -> None:
        self.canceled.set()

    def shutdown(self) -> None:
        """The backend stops: end the build, publish and report nothing. The task stays starting
        or running on the frontend, so the next backend runs it again."""
        self.stopping = True
        self.canceled.set()

    def _now(self) -> int:
        return int(self.ctx.clock())

    def _check_canceled(self) -> None:
        if self.canceled.is_set():
            raise Canceled("cancel requested")

    def run(self) -> None:
        """The whole task. A failed build is reported to the frontend; nothing raises except
        what the dispatcher logs as a crash."""
        try:
            self._run()
        except FrontendRequestError as error:
            self.log.error(f"the frontend refused a request: {error}")

    def _run(self) -> None:
        task = self._fetch_task()
        if task is None:
            self._report_failed("the frontend offers no task for it (chroot disabled?)")
            return
        job = BuildJob(task)
        try:
            results_dir = job.results_dir(self.ctx.layout)
        except ValueError as error:
            self._report_failed(f"cannot place its results: {error}")
            return
        prepare_results_dir(results_dir)
        self.log.open(results_dir / "backend.log")
        try:
            self._run_job(job, results_dir)
        finally:
            self.log.close()
            gzip_file(results_dir / "backend.log")

    def _fetch_task(self) -> dict[str, Any] | None:
        if is_srpm_task(self.small):
            return self.ctx.frontend.get(f"get-srpm-build-task/{self.small['build_id']}")
        return self.ctx.frontend.get(f"get-build-task/{self.task_id}")

    def _report_failed(self, why: str) -> None:
        """Fail a task that cannot even start, with the fields the frontend keys on."""
        self.log.warning(f"{why}: marking it failed")
        job = {"id": int(self.small["build_id"]), "build_id": int(self.small["build_id"]),
               "task_id": self.task_id, "chroot": self.small.get("chroot"),
               "status": int(StatusEnum.failed), "ended_on": self._now()}
        self.ctx.frontend.post("update", {"builds": [job]})

    def _run_job(self, job: BuildJob, results_dir: Path) -> None:
        job.status = StatusEnum.starting
        job.started_on = self._now()
        answer = self.ctx.frontend.post("starting_build", job.to_dict())
        if not (isinstance(answer, dict) and answer.get("can_start")):
            self.log.event("Frontend forbade to start the job (canceled or deleted build)")
            return
        self.log.event(f"starting build {job.build_id} ({job.chroot}) for "
                       f"{job.owner}/{job.dirname}, frontend FE/BE API {self.ctx.frontend.api_seen}")
        host: str | None = None
        staging = self.ctx.staging_root / self.task_id
        succeeded = False
        try:
            self._check_canceled()
            if not job.srpm:
                self._ensure_repodata(job)
            host, version = pick_builder(self.ctx.pool, self.ctx.remote, self.ctx.min_builder_version,
                                         job.chroot, self.log.event, self.canceled)
            (results_dir / "build.info").write_text(f"build_id={job.build_id}\nbuilder_ip={host}\n")
            self._report_running(job, host, version)
            self._build(job, host, results_dir)
            shutil.rmtree(staging, ignore_errors=True)
            dropped = self.ctx.remote.fetch_dir(host, REMOTE_RESULTS, staging)
            if dropped:
                self.log.event(f"dropped from the results (not a regular file): {', '.join(dropped)}")
            self.ctx.pool.release(host)
            host = None
            succeeded = self._finish_results(job, staging, results_dir)
        except (NoBuilder, BuilderLost) as error:
            # No builder can take it now (refused by the version gate, unreachable, being
            # replaced), or its builder went away mid-task: the task waits for one instead of
            # failing, and runs again from the start.
            self.retry_in = NO_BUILDER_RETRY
            self.log.event(f"no builder can take it now ({error}): the task waits, "
                           f"next try in {NO_BUILDER_RETRY:.0f}s")
            self._give_back(job)
            return
        except Canceled:
            if self.stopping:
                self.log.event("backend stopping: left for the next backend to run again")
                return
            self.log.event("canceled")
            if staging.is_dir():
                publish(staging, results_dir, with_rpms=job.srpm)
            return
        except Exception as error:  # noqa: BLE001 - any failure fails the task, never the backend
            if self.stopping:
                # Most likely the stop itself broke the step (a killed child): not the build's fault.
                self.log.event(f"backend stopping ({type(error).__name__}: {error}): "
                               "left for the next backend to run again")
                return
            self.log.error(f"build failed: {type(error).__name__}: {error}")
            if staging.is_dir():
                publish(staging, results_dir, with_rpms=job.srpm)
        finally:
            if host is not None:
                self.ctx.pool.release(host)
            shutil.rmtree(staging, ignore_errors=True)
            gzip_file(results_dir / "builder-live.log")
        self._finish(job, StatusEnum.succeeded if succeeded else StatusEnum.failed)

    def _give_back(self, job: BuildJob) -> None:
        """Tell the frontend the task is pending again (it was marked starting)."""
        try:
            self.ctx.frontend.post("reschedule_build_chroot", {
                "build_id": job.build_id, "task_id": self.task_id,
                "chroot": None if job.srpm else job.chroot})
        except FrontendRequestError as error:
            self.log.detail(f"rescheduling on the frontend failed: {error}")

    def _report_running(self, job: BuildJob, host: str, version: str) -> None:
        job.status = StatusEnum.running
        job.started_on = self._now()
        if not self.running_reported:
            self.ctx.frontend.post("update", {"builds": [job.to_dict()]})
            self.running_reported = True
        self.log.event(f"running on {host} (copr-rpmbuild {version})")

    def _build(self, job: BuildJob, host: str, results_dir: Path) -> None:
        url = task_url(self.ctx.frontend.base_url, job.task)
        command = build_command(url, None if job.srpm else job.chroot)
        self._end_leftover(host)
        self.log.detail(f"on {host}: {command}")
        timeout = (job.timeout or DEFAULT_TIMEOUT) + SAFETY_MARGIN
        with (results_dir / "builder-live.log").open("ab") as live:
            code = self.ctx.remote.stream(host, command, live, self.canceled, timeout)
        self.log.detail(f"copr-rpmbuild exited {code}")
        self._check_canceled()
        if code == SSH_FAILED:
            raise BuilderLost(f"the SSH connection to {host} failed during the build")

    def _end_leftover(self, host: str) -> None:
        """End a build a killed backend left running on `host` (it holds copr-rpmbuild's lock)."""
        try:
            code, out, err = self.ctx.remote.run(host, END_LEFTOVER, timeout=60)
        except subprocess.TimeoutExpired:
            raise BuilderLost(f"{host} did not answer while ending a leftover build") from None
        if code == SSH_FAILED:
            raise BuilderLost(f"the SSH connection to {host} failed: {err.strip()}")
        if out.strip():
            self.log.event(f"on {host}: {out.strip()}")

    def _finish_results(self, job: BuildJob, staging: Path, results_dir: Path) -> bool:
        """Check, sign and publish downloaded results; True when the build succeeded."""
        if not (staging / "success").exists():
            self.log.error("No success file => build failure")
            publish(staging, results_dir, with_rpms=job.srpm)
            return False
        job.apply_results(staging, results_dir, self.ctx.layout)
        if job.srpm:
            publish(staging, results_dir, with_rpms=True)
            self.log.detail(f"SRPM URL: {job.srpm_url}")
            return True
        rpms = sorted(staging.glob("*.rpm"))
        self.log.event(f"signing {len(rpms)} RPM(s) with {self.ctx.signer.email(job.owner, job.project)}")
        self.ctx.signer.sign_rpms(job.owner, job.project, rpms, job.chroot, self.canceled)
        pubkey = self.ctx.signer.pubkey(job.owner, job.project, self.canceled)
        pubkey_path = self.ctx.layout.pubkey_path(job.owner, job.dirname)
        pubkey_path.parent.mkdir(parents=True, exist_ok=True)
        pubkey_path.write_text(pubkey)
        publish(staging, results_dir, with_rpms=True)
        chroot_dir = job.chroot_dir(self.ctx.layout)
        # With auto-createrepo off only the devel repository gets the build (copr-repo --devel).
        self.ctx.createrepo.run(chroot_dir, devel=job.devel, baseurl=self.ctx.layout.repo_baseurl(chroot_dir))
        self.log.detail("createrepo done" + (" (devel repository)" if job.devel else ""))
        return True

    def _ensure_repodata(self, job: BuildJob) -> None:
        """The repositories the task lists for the build (copr_base, copr_base_devel) exist."""
        chroot_dir = job.chroot_dir(self.ctx.layout)
        if not (chroot_dir / "repodata").is_dir():
            self.ctx.createrepo.run(chroot_dir)
        if job.devel and not (chroot_dir / DEVEL_DIR / "repodata").is_dir():
            self.ctx.createrepo.run(chroot_dir, devel=True, baseurl=self.ctx.layout.repo_baseurl(chroot_dir))

    def _finish(self, job: BuildJob, status: int) -> None:
        job.status = status
        job.ended_on = self._now()
        self.ctx.frontend.post("update", {"builds": [job.to_dict()]})
        self.log.event(StatusEnum(int(status)))  # upstream's StatusEnum: number -> name
