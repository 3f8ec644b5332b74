"""`exec -it`: a shell (or a command) in a component's container with the terminal passed
through, by the podman client against the harness's own API."""

from __future__ import annotations

import signal

import pytest

from harness import cli, interrupts
from harness.cli import interactive


class FakePopen:
    """Records the command line and what the child would inherit."""

    started: list[dict] = []

    def __init__(self, argv, stdin=None):
        FakePopen.started.append({"argv": argv, "stdin": stdin,
                                  "sigint": signal.getsignal(signal.SIGINT)})

    def wait(self):
        return 7


@pytest.fixture
def popen(monkeypatch):
    FakePopen.started = []
    monkeypatch.setattr(interactive.subprocess, "Popen", FakePopen)
    monkeypatch.setattr(interactive.shutil, "which", lambda name: "/usr/bin/podman")
    return FakePopen.started


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setattr(interactive.sys.stdin, "isatty", lambda: True, raising=False)


def test_exec_it_without_a_command_opens_a_shell_in_the_container(engine, popen, terminal):
    assert cli.main(["exec", "-it", "frontend"]) == 7  # the shell's exit code
    [child] = popen
    assert child["argv"] == ["podman", "--remote", "--url", engine.url, "exec", "-i", "-t",
                             "ch-one-frontend", *interactive.SHELL]
    assert child["stdin"] is None  # this process's stdin: the terminal
    # Ctrl-C belongs to the shell: a handler (reset at exec), never SIG_IGN (podman would inherit it)
    assert child["sigint"] not in (signal.SIG_IGN, signal.SIG_DFL, interrupts._handler)
    assert signal.getsignal(signal.SIGINT) is interrupts._handler  # the harness's again, after


def test_exec_i_passes_stdin_to_a_command(engine, popen):
    assert cli.main(["exec", "-i", "database", "--", "psql", "-U", "copr"]) == 7
    assert popen[0]["argv"][-5:] == ["-i", "ch-one-database", "psql", "-U", "copr"]
    assert "-t" not in popen[0]["argv"]


def test_exec_t_without_a_terminal_is_bad_input(engine, popen, monkeypatch, capsys):
    monkeypatch.setattr(interactive.sys.stdin, "isatty", lambda: False, raising=False)
    assert cli.main(["exec", "-it", "frontend"]) == 2
    assert capsys.readouterr().err == ("copr-harness: exec -t: the input is not a terminal "
                                       "(leave out -t, or run it from one)\n")
    assert popen == []


def test_exec_without_a_command_or_it_is_bad_input(engine, popen, capsys):
    assert cli.main(["exec", "frontend"]) == 2
    assert "exec needs a command" in capsys.readouterr().err
    assert popen == []


def test_exec_it_in_a_container_the_run_lacks(engine, popen, terminal, capsys):
    assert cli.main(["exec", "-it", "backend"]) == 2
    assert capsys.readouterr().err == ("copr-harness: run ch-one has no container 'backend' "
                                       "(it has: database, frontend)\n")
    assert popen == []


def test_exec_without_it_still_goes_through_the_api(engine, popen, capsys):
    assert cli.main(["exec", "frontend", "--", "true"]) == 0
    assert ("exec", "ch-one-frontend", "true") in engine.calls
    assert popen == []
