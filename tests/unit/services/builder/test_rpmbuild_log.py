"""copr-rpmbuild-log: the live log the backend follows over SSH until the build ends."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from copr_rpmbuild import commands
from copr_rpmbuild.config import Config


def _config(tmp_path: Path) -> Config:
    return replace(Config(), logfile=tmp_path / "main.log", logger_pidfile=tmp_path / "logger_pid",
                   pidfile=tmp_path / "pid")


def test_the_follower_checks_the_logger_often(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The backend downloads the results only once copr-rpmbuild-log ended: tail's check of the
    logger (its -s interval with --pid) is the time the builder idles after each build."""
    config = _config(tmp_path)
    config.logfile.write_text("built\n")
    config.logger_pidfile.write_text("4242\n")
    ran: list[list[str]] = []
    monkeypatch.setattr(commands.os, "execv", lambda path, argv: ran.append([path, *argv]))
    commands.tail_log(config, wait=1)
    [[path, *argv]] = ran
    assert path == "/usr/bin/tail" and "--pid=4242" in argv and argv[-1] == str(config.logfile)
    assert float(argv[argv.index("-s") + 1]) <= 0.1


@pytest.mark.skipif(shutil.which("tail") is None, reason="needs coreutils' tail")
def test_real_tail_takes_the_command_and_ends_with_a_gone_logger(tmp_path: Path) -> None:
    config = _config(tmp_path)
    config.logfile.write_text("line 1\nline 2\n")
    gone = subprocess.Popen(["true"])
    gone.wait()  # a PID no process has now (reaped)
    done = subprocess.run(commands.tail_command(config, str(gone.pid)), capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "line 1\nline 2\n"
