"""A `copr-harness` command started in the background, watched through its progress lines, and
what a run may leave on the host besides Podman resources (test processes, Podman services)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from harness import wait

ROOT = Path(__file__).resolve().parents[2]


class Harness:
    """`copr-harness ARGS...` running in the background; its stdout and stderr are collected
    as they come, so a test can wait for a progress line (the phase it wants to hit)."""

    def __init__(self, *args: str, reports_dir: Path) -> None:
        env = dict(os.environ, COPR_HARNESS_REPORTS=str(reports_dir))
        self.args = args
        self.process = subprocess.Popen([sys.executable, "-m", "harness.cli", *args], cwd=ROOT,
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self.pid = self.process.pid
        self.lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self.readers = [threading.Thread(target=self._read, args=(name, stream), daemon=True)
                        for name, stream in (("stdout", self.process.stdout),
                                             ("stderr", self.process.stderr))]
        for reader in self.readers:
            reader.start()

    def _read(self, name: str, stream) -> None:
        for line in stream:
            self.lines[name].append(line)

    @property
    def stderr(self) -> str:
        return "".join(self.lines["stderr"])

    @property
    def stdout(self) -> str:
        return "".join(self.lines["stdout"])

    def wait_for_line(self, text: str, timeout: float = 300) -> None:
        """Wait until a line containing `text` is on stderr (fail if the command ended first)."""

        def seen() -> None:
            if text in self.stderr:
                return
            if self.process.poll() is not None:
                raise AssertionError(f"{self.args} ended (exit {self.process.returncode}) before "
                                     f"printing {text!r}:\n{self.stderr[-3000:]}")
            raise wait.NotYet(f"no line with {text!r} yet")

        wait.until(seen, what=f"a line with {text!r} from copr-harness {self.args[0]}",
                   timeout=timeout, interval=0.05, max_interval=0.5)

    def wait_for(self, check, what: str, timeout: float = 300) -> None:
        """Wait until `check()` is true while the command still runs."""

        def poll() -> None:
            if check():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"{self.args} ended (exit {self.process.returncode}) before "
                                     f"{what}:\n{self.stderr[-3000:]}")
            raise wait.NotYet(f"not yet: {what}")

        wait.until(poll, what=what, timeout=timeout, interval=0.05, max_interval=0.5)

    def finish(self, timeout: float = 300) -> int:
        """Wait for the command to end; return its exit code."""
        self.process.wait(timeout=timeout)
        for reader in self.readers:
            reader.join(timeout=30)
        return self.process.returncode


def processes_of_run(run_id: str) -> list[int]:
    """Live Python processes on this host whose environment names the run: the suite's pytest,
    its xdist workers and the copr-cli they run (the harness passes COPR_HARNESS_RUN_ID to them,
    not to itself). Processes inside the run's containers carry it too: other pid namespaces and
    other programs (conmon) are left out."""
    marker = f"COPR_HARNESS_RUN_ID={run_id}".encode()
    python = os.path.realpath(sys.executable)
    own_namespace = os.readlink("/proc/self/ns/pid")
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (os.readlink(proc / "ns" / "pid") == own_namespace
                    and os.path.realpath(proc / "exe") == python
                    and marker in (proc / "environ").read_bytes().split(b"\0")
                    and not _zombie(proc)):
                found.append(int(proc.name))
        except OSError:
            continue  # gone meanwhile
    return found


def services_of(pid: int) -> list[int]:
    """Live `podman system service` processes the harness process `pid` started for itself
    (their socket lives in a folder named service-<pid>-...)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"service" in args and any(f"/service-{pid}-".encode() in a for a in args) \
                and not _zombie(cmdline.parent):
            found.append(int(cmdline.parent.name))
    return found


def _zombie(proc: Path) -> bool:
    try:
        return (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def wait_gone(find, what: str, timeout: float = 60) -> None:
    """Wait until `find()` returns nothing (processes die asynchronously after a kill)."""

    def gone() -> None:
        left = find()
        if left:
            raise wait.NotYet(f"still running: {left}")

    wait.until(gone, what=what, timeout=timeout)
