"""`logs -f`: new lines as they come, until the containers stop or Ctrl-C (exit 130, one line,
no traceback)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from harness import cli, interrupts

FAKE_CLI = Path(__file__).parents[1] / "fake_cli.py"
ROOT = Path(__file__).resolve().parents[4]


def test_following_one_component_until_ctrl_c(engine, capsys):
    engine.logs_text["ch-one-frontend"] = "a\nb\nc\n"
    engine.follow_end = interrupts.Interrupted("interrupted by SIGINT")
    assert cli.main(["logs", "-f", "frontend", "--tail", "2"]) == 130
    out, err = capsys.readouterr()
    assert out == "b\nc\n"
    assert err == "copr-harness: interrupted by SIGINT\n"


def test_following_every_component_prefixes_lines_and_ends_when_they_stop(engine, capsys):
    engine.logs_text = {"ch-one-database": "ready\n", "ch-one-frontend": "GET /\nGET /api\n"}
    assert cli.main(["logs", "--follow"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines) == ["database  | ready", "frontend  | GET /", "frontend  | GET /api"]
    assert lines.index("frontend  | GET /") < lines.index("frontend  | GET /api")


def test_a_stream_that_fails_says_so_in_its_lane(engine, capsys):
    engine.logs_text = {"ch-one-database": "ready\n"}
    engine.fail("follow_logs", RuntimeError("connection reset"), always=True)
    assert cli.main(["logs", "-f"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "database  | (log ended: connection reset)" in lines


def test_following_an_unknown_component_is_bad_input(engine, capsys):
    assert cli.main(["logs", "-f", "backend"]) == 2
    assert capsys.readouterr().err == \
        "copr-harness: run ch-one has no component 'backend' (it has: database, frontend)\n"


def test_ctrl_c_ends_a_followed_log_cleanly_as_a_process():
    """A real SIGINT to a process following a log that never ends."""
    process = subprocess.Popen([sys.executable, str(FAKE_CLI), "logs", "-f", "frontend"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               env={**os.environ, "FAKE_LOG_LINES": "2"})
    try:
        assert process.stdout.readline() == "line 0\n"  # it follows: the output came, it runs on
        assert process.stdout.readline() == "line 1\n"
        time.sleep(0.2)
        assert process.poll() is None
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err == "copr-harness: interrupted by SIGINT\n"
