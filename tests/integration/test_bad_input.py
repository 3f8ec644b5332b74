"""Bad input through the real CLI: one line naming the culprit, the right exit code, and no
container, network or volume of the run (nor any report folder) left behind.

Every bring-up attempt names its run id, so "nothing was created" is checked for exactly the run
the command would have made (other runs on a shared host come and go meanwhile)."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from harness.artifacts import packages
from harness.model.scenario import PackageVersion
from harness.paths import ROOT
from tests.support.scenarios import SMALL, common_package

from .conftest import leftovers

pytestmark = pytest.mark.integration

GOOD = SMALL


def errors(stderr: str) -> list[str]:
    """The error lines of a command's stderr (progress lines start with '[', hints with '  ')."""
    return [ln for ln in stderr.splitlines() if ln.startswith("copr-harness")]


def refused(result, code: int, line: str) -> None:
    """The command exited `code` and printed exactly one error line, starting with `line`."""
    assert result.returncode == code, result.stderr
    found = errors(result.stderr)
    assert len(found) == 1 and found[0].startswith(line), result.stderr


def nothing_made(engine, run_id: str, reports_dir: Path) -> None:
    assert not leftovers(engine, run_id)
    assert not (reports_dir / run_id).exists()


def write(folder: Path, text: str, name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def build(folder: Path, name: str, version: PackageVersion) -> Path:
    """An RPM built by the harness, copied next to the scenario files as a user would."""
    built = packages.build_rpm(name, version)
    shutil.copy(built, folder / built.name)
    return folder / built.name


@pytest.mark.parametrize("text, line, message", [
    ("candidate:\n  a: [1, 2\n  b: 3\n", 3, "malformed YAML"),
    (GOOD.replace("[database, frontend]", "[database, fronted]"), 1,
     "components: unknown component 'fronted'"),
    (GOOD + "  copr-nonsense: {version: '1'}\n", 7, "candidate.copr-nonsense: unknown package"),
    (GOOD.replace('"2.7"', '"2.7-1"'), 5, "candidate.copr-frontend.version: '2.7-1' is not an RPM version"),
    (GOOD.replace('"2.7"', "2.10"), 5, "candidate.copr-frontend.version: version 2.1 was read by YAML as a number"),
    (GOOD.replace("macros:", "macro:"), 6, "candidate.copr-frontend.macro: unknown field"),
    (GOOD.replace("[database, frontend]", "database"), 1, "components: Input should be a valid list"),
    (GOOD + "upgrade: {order: [backend, fronted]}\n", 7, "upgrade.order: unknown upgrade step 'fronted'"),
    (GOOD + "expect: {failed_rules: [nope]}\n", 7, "expect.failed_rules: unknown rule 'nope'"),
    (GOOD + "  copr-backend: {version: '2.11', macros: {min_fe_be_api: 9}}\n", 7,
     "candidate.copr-backend: no spec builds 'copr-backend' (containers/*/copr-backend.spec): give "
     "its code with pypi, sdist or source, or a prebuilt rpm"),
], ids=["malformed-yaml", "unknown-component", "unknown-package", "dash-version", "float-version",
        "unknown-field", "wrong-type", "unknown-step", "unknown-rule", "backend-without-its-code"])
def test_bad_scenario_is_refused(engine, cli, run_id, reports_dir, tmp_path, text, line, message):
    path = write(tmp_path, text)
    result = cli("up", "--run-id", run_id, str(path))
    refused(result, 2, f"copr-harness: {path}:{line}: {message}")
    nothing_made(engine, run_id, reports_dir)
    assert path.read_text() == textwrap.dedent(text)


def test_unknown_scenario_path(engine, cli, run_id, reports_dir, tmp_path):
    result = cli("up", "--run-id", run_id, str(tmp_path / "nope.yaml"))
    refused(result, 2, f"copr-harness: {tmp_path / 'nope.yaml'}: no such file")
    nothing_made(engine, run_id, reports_dir)


@pytest.mark.parametrize("damage, message", [
    ("missing", "missing.rpm: no such file"),
    ("flip", "broken.rpm: corrupt RPM: rpm -K: "),
    ("text", "broken.rpm: not an RPM file"),
])
def test_bad_prebuilt_rpm_is_refused(engine, cli, run_id, reports_dir, tmp_path, damage, message):
    good = build(tmp_path, "python3-copr-common", common_package("1.7"))
    data = good.read_bytes()
    broken = tmp_path / "broken.rpm"
    if damage == "flip":
        broken.write_bytes(data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:])
    elif damage == "text":
        broken.write_text("not a package\n")
    name = "missing.rpm" if damage == "missing" else "broken.rpm"
    path = write(tmp_path, GOOD.replace('{pypi: "copr-common==1.7"}', f"{{rpm: {name}}}"))
    result = cli("up", "--run-id", run_id, str(path))
    refused(result, 2, f"copr-harness: {path}:3: candidate.python3-copr-common.rpm: "
                       f"{tmp_path}/{message}")
    nothing_made(engine, run_id, reports_dir)
    assert good.read_bytes() == data  # the files given are left as they were


@pytest.mark.parametrize("command", ["up", "sanity"])
def test_set_rpm_would_refuse_is_refused_before_anything_is_made(engine, cli, run_id, reports_dir,
                                                                 command):
    scenario = ROOT / "scenarios" / "backend-needs-newer-common.yaml"
    result = cli(command, "--run-id", run_id, str(scenario))
    refused(result, 1, f"copr-harness: {scenario} (candidate set): rpm would refuse component "
                       "backend's packages (rpm -Uvh --test): Failed dependencies: "
                       "python3-copr-common >= 1.8 is needed by copr-backend-2.12-1.noarch")
    nothing_made(engine, run_id, reports_dir)


def test_plan_of_that_set_still_predicts_the_failed_step(cli):
    """The rehearsal's candidate set is not refused up front: its window must fail at step backend."""
    result = cli("plan", "scenarios/backend-needs-newer-common.yaml")
    assert result.returncode == 1, result.stderr
    assert ("PROBLEM [rpm-transactions] at step backend: copr-backend-2.12-1 requires "
            "python3-copr-common >= 1.8, the set has 1.7") in result.stdout



def test_plan_predicts_what_rpm_lets_through_real_backend_and_common_1_8(cli):
    """rpm's Requires (python3-copr-common >= 1.2.1) let copr-common 1.8 beside copr-backend 2.11;
    plan imports the candidate set's code on the host and names the import that fails."""
    result = cli("plan", "scenarios/copr-common-1.8.yaml")
    assert result.returncode == 1, result.stderr
    problems = [line for line in result.stdout.splitlines() if line.startswith("PROBLEM")]
    assert problems == [
        "PROBLEM [components-start] at step backend: copr-backend-2.11-1 cannot run with "
        "python3-copr-common-1.8-1 in the backend: importing copr_backend.actions (and 1 more of "
        "its modules) fails: cannot import name 'lock' from 'copr_common.lock'; rpm's Requires "
        "let this set through"], result.stdout

def test_podman_missing(engine, cli, run_id, reports_dir, tmp_path):
    result = cli("up", "--run-id", run_id, env={"PATH": str(tmp_path)})
    refused(result, 3, "copr-harness: Podman is not installed")
    assert "hint: install Podman and runc: 'apt-get update && apt-get install -y podman runc'" \
        in result.stderr
    nothing_made(engine, run_id, reports_dir)


def test_api_socket_unreachable(engine, cli, run_id, reports_dir):
    result = cli("up", "--run-id", run_id, env={"CONTAINER_HOST": "unix:///nonexistent"})
    refused(result, 3, "copr-harness: the Podman API at CONTAINER_HOST=unix:///nonexistent does not answer")
    nothing_made(engine, run_id, reports_dir)


def test_invalid_run_id(cli):
    result = cli("up", "--run-id", "Not_A_Run")
    assert result.returncode == 2
    assert "copr-harness up: error: argument --run-id: run id 'Not_A_Run' is not valid" in result.stderr


@pytest.mark.parametrize("command", ["status", "down", "logs"])
def test_run_id_of_no_run(cli, run_id, command):
    result = cli(command, "--run-id", run_id)
    refused(result, 2, f"copr-harness: no run '{run_id}' on this host")


def test_prebuilt_rpms_come_up_and_mistakes_against_the_run_change_nothing(
        engine, cli, run_id, reports_dir, tmp_path):
    build(tmp_path, "python3-copr-common", common_package("1.7.3"))
    build(tmp_path, "copr-frontend", PackageVersion(
        version="2.7.90", release="3", macros={"copr_common_version": "1.7.3", "fe_be_api_version": 9}))
    path = write(tmp_path, """\
        components: [database, frontend]
        candidate:
          python3-copr-common: {rpm: python3-copr-common-1.7.3-1.noarch.rpm}
          copr-frontend: {rpm: copr-frontend-2.7.90-3.noarch.rpm}
        """)
    up = cli("up", "--run-id", run_id, str(path))
    assert up.returncode == 0, up.stderr

    status = cli("status", "--run-id", run_id)
    assert status.returncode == 0, status.stdout + status.stderr
    row = next(ln for ln in status.stdout.splitlines() if ln.startswith("frontend "))
    assert "copr-frontend-2.7.90-3, python3-copr-common-1.7.3-1" in row
    env = dict(ln.removeprefix("export ").split("=", 1) for ln in cli("env", "--run-id", run_id).stdout.splitlines())
    described = json.loads(Path(env["COPR_STACK"]).read_text())
    assert described["expected_packages"]["frontend"] == ["python3-copr-common-1.7.3-1",
                                                          "copr-frontend-2.7.90-3"]

    before = leftovers(engine, run_id)
    again = cli("up", "--run-id", run_id, str(path))
    refused(again, 2, f"copr-harness: run id '{run_id}' is already in use")
    wrong = cli("exec", "--run-id", run_id, "frontnd", "--", "true")
    refused(wrong, 2, f"copr-harness: run {run_id} has no container 'frontnd' (it has: ")
    logs = cli("logs", "--run-id", run_id, "backend")
    refused(logs, 2, f"copr-harness: run {run_id} has no component 'backend' (it has: database, frontend)")
    assert leftovers(engine, run_id) == before
    assert all(engine.state(name) == "running" for name in before.containers)

    down = cli("down", "--run-id", run_id)
    assert down.returncode == 0, down.stderr
    assert not leftovers(engine, run_id)
