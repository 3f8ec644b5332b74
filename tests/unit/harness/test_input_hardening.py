"""Issue 18, items 10, 11, 12 and 16 (harness side): inputs that used to give a traceback, a hang
or silent nonsense get one line naming the culprit and exit 2, before Podman is asked anything.

The CLI runs as a process (as a user runs it); where a run is needed, a fake engine stands in
for Podman (`fake_cli.py`)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.naming import check_run_id
from tests.support.scenarios import SMALL

ROOT = Path(__file__).resolve().parents[3]
FAKE_CLI = Path(__file__).with_name("fake_cli.py")
NO_PODMAN = {"CONTAINER_HOST": "unix:///nonexistent/podman.sock"}  # reaching Podman fails (exit 3)


def harness(*args: str, env: dict[str, str] | None = None, fake: bool = False,
            timeout: float = 60, stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess:
    """`copr-harness ARGS` as a process; with `fake`, against a fake engine that has one run."""
    command = [sys.executable, str(FAKE_CLI)] if fake else [sys.executable, "-m", "harness.cli"]
    return subprocess.run(command + list(args), capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env={**os.environ, **NO_PODMAN, **(env or {})}, stdin=stdin)


def one_line(result: subprocess.CompletedProcess, code: int, start: str) -> str:
    """The command exited `code` with exactly one stderr line, which starts with `start`."""
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1 and lines[0].startswith(start), result.stderr
    return lines[0]


def scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


# -- item 10: tracebacks instead of one line ------------------------------------------------------


def test_duplicate_components_are_refused(tmp_path):
    path = scenario(tmp_path, SMALL.replace("[database, frontend]", "[database, frontend, database]"))
    one_line(harness("up", "--scenario", str(path)), 2,
             f"copr-harness: {path}:1: components: component 'database' is listed twice")


def test_deep_yaml_nesting_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("candidate: " + "[" * 5000 + "]" * 5000 + "\n")
    line = one_line(harness("up", "--scenario", str(path)), 2, f"copr-harness: {path}:1: ")
    assert "nested" in line


def test_deep_yaml_mapping_nesting_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("".join(f"{' ' * i}k{i}:\n" for i in range(300)) + " " * 300 + "x: 1\n")
    line = one_line(harness("up", "--scenario", str(path)), 2, f"copr-harness: {path}:")
    assert "nested" in line


@pytest.mark.parametrize("quote", ['"', ""], ids=["quoted", "unquoted"])
def test_a_5000_digit_version_is_refused(tmp_path, quote):
    digits = "1" * 5000
    path = scenario(tmp_path, SMALL.replace('"2.7"', f"{quote}{digits}{quote}"))
    line = one_line(harness("up", "--scenario", str(path)), 2, f"copr-harness: {path}:5: ")
    assert len(line) < 400, line  # the message names the field, it does not repeat 5000 digits


def test_a_symlink_loop_as_scenario_is_named(tmp_path):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    one_line(harness("up", "--scenario", str(tmp_path / "a.yaml")), 2,
             f"copr-harness: {tmp_path / 'a.yaml'}: a symlink loop")


@pytest.mark.parametrize("command", ["plan", "rehearse"])
def test_a_symlink_loop_as_positional_scenario(tmp_path, command):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "a.yaml")
    one_line(harness(command, str(tmp_path / "a.yaml")), 2,
             f"copr-harness: {tmp_path / 'a.yaml'}: a symlink loop")


@pytest.mark.parametrize("text", ["ch-abc\n", "ch-abc\r", "ch-abc ", "\nch-abc"])
def test_a_run_id_with_a_newline_or_space_is_refused(text):
    with pytest.raises(InputError, match="is not valid"):
        check_run_id(text)
    result = harness("up", "--run-id", text)
    assert result.returncode == 2 and "argument --run-id" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert f"run id {text!r} is not valid" in result.stderr.splitlines()[-1]  # on one line


def test_logs_into_a_closed_pipe_exits_quietly():
    """`copr-harness logs | head -1`: the reader goes away; no traceback, no message."""
    result = subprocess.run(
        f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE_CLI))} logs | head -1",
        shell=True, capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={**os.environ, "FAKE_LOG_LINES": "200000"}, executable="/bin/bash")
    assert result.stdout == "database  | line 0\n"
    assert result.stderr == "", result.stderr


def test_closed_pipe_exit_code(tmp_path):
    """The exit code of a command whose reader went away is 141 (128 + SIGPIPE), as a shell
    reports for a program killed by SIGPIPE."""
    result = subprocess.run(
        f"set -o pipefail; {shlex.quote(sys.executable)} {shlex.quote(str(FAKE_CLI))} logs "
        "| head -1 >/dev/null", shell=True, capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={**os.environ, "FAKE_LOG_LINES": "200000"}, executable="/bin/bash")
    assert result.returncode == 141, result.stderr
    assert result.stderr == ""


def test_an_unusable_state_folder_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    state = blocker / "state"  # its parent is a file: nothing can be made there, even as root
    result = harness("env", fake=True, env={"XDG_STATE_HOME": str(state)})
    one_line(result, 2, f"copr-harness: XDG_STATE_HOME={state}: ")
    result = harness("up", "--scenario", str(scenario(tmp_path, SMALL)),
                     env={"XDG_STATE_HOME": str(state)})
    one_line(result, 2, f"copr-harness: XDG_STATE_HOME={state}: ")


def test_an_unusable_reports_folder_is_named_before_podman(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    reports = blocker / "reports"
    result = harness("up", "--scenario", str(scenario(tmp_path, SMALL)),
                     env={"COPR_HARNESS_REPORTS": str(reports)})
    one_line(result, 2, f"copr-harness: COPR_HARNESS_REPORTS={reports}: ")


# -- item 11: nonsense that was accepted ----------------------------------------------------------


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e400"])
def test_an_infinite_budget_is_refused(tmp_path, value):
    path = scenario(tmp_path, SMALL + f"upgrade: {{budget_seconds: {value}}}\n")
    line = one_line(harness("plan", str(path)), 2, f"copr-harness: {path}:7: upgrade.budget_seconds: ")
    assert "finite" in line or "greater than 0" in line, line


@pytest.mark.parametrize("value", ['"%(touch /tmp/pwned)"', '"%{lua: os.execute(\'id\')}"',
                                   '"1.0\\nRelease: 9"', '"%{expand:%%(id)}"'],
                         ids=["shell", "lua", "newline", "expand"])
def test_a_macro_value_rpm_would_expand_is_refused(tmp_path, value):
    path = scenario(tmp_path, SMALL.replace('copr_common_version: "1.1.2"', f"copr_common_version: {value}"))
    line = one_line(harness("up", "--scenario", str(path)), 2,
                    f"copr-harness: {path}:6: candidate.copr-frontend.macros.copr_common_version: ")
    assert "may not contain" in line, line


@pytest.mark.parametrize("name", ["copr-*", "copr-front?nd", "../frontend/copr-frontend",
                                  "copr-[a-z]rontend", "..", "frontend/copr-frontend"])
def test_a_package_name_with_a_glob_or_path_is_refused(tmp_path, name):
    path = scenario(tmp_path, SMALL + f"  '{name}': {{version: '1'}}\n")
    one_line(harness("up", "--scenario", str(path)), 2,
             f"copr-harness: {path}:7: candidate.{name}: '{name}' is not a package name")


def test_a_duplicate_yaml_key_is_named_with_its_line(tmp_path):
    path = scenario(tmp_path, SMALL + '  python3-copr-common: {version: "1.8"}\n')
    one_line(harness("up", "--scenario", str(path)), 2,
             f"copr-harness: {path}:7: duplicate key 'python3-copr-common' (first on line 3)")


def test_a_duplicate_nested_key_is_named(tmp_path):
    path = scenario(tmp_path, SMALL.replace("fe_be_api_version: 9", "fe_be_api_version: 9, "
                                            "fe_be_api_version: 10"))
    one_line(harness("up", "--scenario", str(path)), 2,
             f"copr-harness: {path}:6: duplicate key 'fe_be_api_version' (first on line 6)")


@pytest.mark.parametrize("argv, option", [
    (["sanity", "-n", "-3"], "-n"),
    (["sanity", "-n", "many"], "-n"),
    (["post-release", "-n", "-1"], "-n"),
    (["load", "--builds", "-3"], "--builds"),
    (["load", "--projects", "0"], "--projects"),
    (["bench", "--repeat", "-3"], "--repeat"),
    (["logs", "--tail", "-5"], "--tail"),
    (["logs", "--tail", "0"], "--tail"),
], ids=["sanity-n", "sanity-n-word", "post-release-n", "builds", "projects", "repeat", "tail",
        "tail-zero"])
def test_a_count_below_its_minimum_is_a_usage_error(argv, option):
    result = harness(*argv)
    assert result.returncode == 2, result.stderr
    assert f"error: argument {option}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "500" not in result.stderr


def test_sanity_n_accepts_auto_and_whole_numbers():
    from harness.cli import _workers

    assert [_workers(v) for v in ("auto", "logical", "0", "4")] == ["auto", "logical", "0", "4"]


# -- item 16 (harness side): a scenario path that is no regular file -------------------------------


@pytest.mark.parametrize("kind", ["fifo", "char-device", "socket"])
def test_a_scenario_that_is_no_regular_file_is_refused_without_blocking(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "s.yaml"
        os.mkfifo(path)  # opening it for reading would wait for a writer for ever
    elif kind == "char-device":
        path = Path("/dev/zero")  # reading it would never end
    else:
        import socket
        path = tmp_path / "s.sock"
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
    one_line(harness("up", "--scenario", str(path), timeout=20), 2,
             f"copr-harness: {path}: not a regular file ")
    one_line(harness("plan", str(path), timeout=20), 2, f"copr-harness: {path}: not a regular file ")


def test_a_huge_scenario_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SMALL + "#" * (2 * 1024 * 1024) + "\n")
    one_line(harness("plan", str(path)), 2, f"copr-harness: {path}: too large")


# -- item 12: env output is shell-quoted ----------------------------------------------------------


@pytest.mark.parametrize("folder", ["with space", "$(touch PWNED)", "`touch PWNED`", "it's; touch PWNED",
                                    "new\nline"], ids=["space", "dollar-paren", "backticks", "quote",
                                                       "newline"])
def test_env_output_round_trips_through_eval(tmp_path, folder):
    state = tmp_path / folder
    env = {**os.environ, **NO_PODMAN, "XDG_STATE_HOME": str(state)}
    printed = subprocess.run([sys.executable, str(FAKE_CLI), "env"], capture_output=True,
                             text=True, timeout=60, cwd=tmp_path, env=env)
    assert printed.returncode == 0, printed.stderr
    script = ('eval "$(cat)"; printf "%s\\0" "$COPR_STACK" "$COPR_CONFIG" "$FRONTEND_URL" '
              '"$COPR_HARNESS_RUN_ID"')
    evaluated = subprocess.run(["bash", "-c", script], input=printed.stdout, capture_output=True,
                               text=True, timeout=30, cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    stack, config, frontend, run_id = evaluated.stdout.split("\0")[:4]
    assert stack == str(state / "copr-harness" / "runs" / "ch-fake" / "stack.json")
    assert Path(stack).is_file()
    assert config == str(state / "copr-harness" / "runs" / "ch-fake" / "copr-alice.conf")
    assert (frontend, run_id) == ("http://127.0.0.1:8080", "ch-fake")
    assert not list(tmp_path.rglob("PWNED"))  # nothing ran
