"""-q and -v through Python logging: progress lines on stderr by default, none with -q, debug
lines with -v; the choice reaches the processes the harness starts (COPR_HARNESS_LOG_LEVEL)."""

from __future__ import annotations

import os

import pytest

from harness import cli, progress


def stderr_lines(capsys) -> list[str]:
    return capsys.readouterr().err.splitlines()


def test_progress_lines_by_default(engine, capsys):
    assert cli.main(["down"]) == 0
    lines = stderr_lines(capsys)
    assert any(line.endswith("] removing run ch-one ...") for line in lines), lines
    assert not any("debug:" in line for line in lines)
    assert os.environ[progress.LEVEL_VARIABLE] == "info"


@pytest.mark.parametrize("argv", [["-q", "down"], ["down", "-q"], ["down", "--quiet"]])
def test_quiet_silences_progress_wherever_it_is_given(engine, capsys, argv):
    assert cli.main(argv) == 0
    assert stderr_lines(capsys) == []
    assert ("remove_run", "ch-one") in engine.calls  # it did its work, silently
    assert os.environ[progress.LEVEL_VARIABLE] == "warning"  # pytest, started by a gate, too


def test_quiet_keeps_errors(engine, capsys):
    assert cli.main(["-q", "down", "--run-id", "ch-nope"]) == 2
    assert stderr_lines(capsys) == ["copr-harness: no run 'ch-nope' on this host (runs: ch-one)"]


@pytest.mark.parametrize("argv", [["-v", "down"], ["down", "-v"]])
def test_verbose_adds_debug_lines(engine, capsys, argv):
    assert cli.main(argv) == 0
    lines = stderr_lines(capsys)
    assert any(line.endswith("] debug: runs on this host: ch-one") for line in lines), lines
    assert any(line.endswith("] removing run ch-one ...") for line in lines), lines
    assert os.environ[progress.LEVEL_VARIABLE] == "debug"


def test_the_environment_variable_sets_the_level(engine, capsys, monkeypatch):
    monkeypatch.setenv(progress.LEVEL_VARIABLE, "WARNING")
    assert cli.main(["down"]) == 0
    assert stderr_lines(capsys) == []


def test_a_bad_level_in_the_environment_is_bad_input(engine, capsys, monkeypatch):
    monkeypatch.setenv(progress.LEVEL_VARIABLE, "loud")
    assert cli.main(["down"]) == 2
    assert stderr_lines(capsys) == [
        "copr-harness: COPR_HARNESS_LOG_LEVEL='loud': use one of warning, info, debug"]
    assert engine.calls == []  # refused before anything was done


def test_quiet_and_verbose_together_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["-q", "down", "-v"])
    assert exited.value.code == 2
    assert "-q and -v contradict each other" in capsys.readouterr().err


def test_progress_goes_through_the_harness_logger(caplog):
    """A library user (the pytest plugin) can catch the lines with logging as any other."""
    with caplog.at_level("INFO", logger="harness"):
        progress.say("hello")
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == \
        [("harness", "INFO", "hello")]
