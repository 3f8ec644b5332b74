"""`logs -f`: new lines as they come, until the containers stop or Ctrl-C (exit 130, one line,
no traceback)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("component, first", [("frontend", "line 0\n"),
                                              (None, "database  | line 0\n")],
                         ids=["one", "all"])
def test_ctrl_c_ends_a_followed_log_cleanly_as_a_process(component, first):
    """A real SIGINT to a process following logs that never end (one, or all in threads)."""
    process = subprocess.Popen([sys.executable, str(FAKE_CLI), "logs", "-f", *([component] if component else [])],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               env={**os.environ, "FAKE_LOG_LINES": "1"})
    try:
        lines = {process.stdout.readline() for _ in range(1 if component else 2)}
        assert first in lines  # it follows: the output came, and it runs on
        with pytest.raises(subprocess.TimeoutExpired):  # it follows on instead of ending
            process.wait(timeout=0.5)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err == "copr-harness: interrupted by SIGINT\n"
