"""The shell command that ends a build a killed backend left on a builder, run for real (bash)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness import wait


from copr_backend import builders


def end_leftover(pidfile: Path) -> subprocess.CompletedProcess[str]:
    command = builders.END_LEFTOVER.replace(builders.REMOTE_PID, str(pidfile))
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)


def session(argv0: str) -> subprocess.Popen:
    """A process leading its own session, as the build shell that sshd starts."""
    return subprocess.Popen(["bash", "-c", f"exec -a {argv0} sleep 300"], start_new_session=True)


def test_a_leftover_copr_rpmbuild_session_is_ended(tmp_path: Path) -> None:
    build = session("copr-rpmbuild")
    pidfile = tmp_path / "copr-backend.pid"
    pidfile.write_text(f"{build.pid}\n")
    try:
        # /proc shows the new argv0 once bash has exec'd.
        def execed() -> None:
            if b"copr-rpmbuild" not in Path(f"/proc/{build.pid}/cmdline").read_bytes():
                raise wait.NotYet("bash has not exec'd yet")

        wait.until(execed, what="the fake build to start", timeout=10)
        result = end_leftover(pidfile)
        assert result.returncode == 0, result.stderr
        assert f"ending a leftover copr-rpmbuild (session {build.pid})" in result.stdout
        assert build.wait(timeout=10) == -15  # SIGTERM
    finally:
        build.kill()


def test_another_process_with_the_recorded_pid_is_left_alone(tmp_path: Path) -> None:
    other = session("sshd")
    pidfile = tmp_path / "copr-backend.pid"
    pidfile.write_text(f"{other.pid}\n")
    try:
        result = end_leftover(pidfile)
        assert result.returncode == 0 and result.stdout == ""
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_no_pid_file_means_nothing_to_end(tmp_path: Path) -> None:
    result = end_leftover(tmp_path / "missing.pid")
    assert result.returncode == 0 and result.stdout == ""
