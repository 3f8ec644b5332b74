"""Each kind of failure reaches the user with its own exit code: bad input 2, a failed verdict or
refused package set 1, the harness's or Podman's failure 3, and a bug 3 with its traceback (never
"bad usage")."""

from __future__ import annotations

import pytest

from harness import cli
from harness.errors import EXIT_FAILED, EXIT_INFRA, EXIT_USAGE, InputError, PackageError
from harness.naming import check_run_id
from harness.paths import ROOT
from harness.podman.engine import Engine
from harness.stack import ComponentStatus
from harness.upgrade import rehearse
from harness.wait import WaitTimeout
from tests.support.fake_engine import FakeEngine

SCENARIO = str(ROOT / "scenarios" / "release-good.yaml")


@pytest.fixture
def engine(monkeypatch):
    fake = FakeEngine(runs={"ch-one": {"copr-harness.components": "database,frontend"}})
    monkeypatch.setattr(Engine, "connect", classmethod(lambda cls, **kwargs: fake))
    return fake


def run(capsys, *argv: str) -> tuple[int, list[str]]:
    code = cli.main(list(argv))
    return code, [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


def test_a_bug_is_not_a_usage_error(capsys, engine, monkeypatch):
    """Before: every ValueError became exit 2, "bad usage", whatever raised it."""
    def buggy(*args, **kwargs):
        raise ValueError("invalid literal for int() with base 10: 'x'")

    monkeypatch.setattr(cli.stack, "status", buggy)
    code, lines = run(capsys, "status")
    assert code == EXIT_INFRA
    assert lines[-1] == "copr-harness: unexpected error (infrastructure)"
    assert any(ln.startswith("Traceback") for ln in lines)


def test_a_bad_run_id_is_input_error_wherever_it_is_checked():
    with pytest.raises(InputError, match="run id 'Bad_Id' is not valid") as raised:
        check_run_id("Bad_Id")
    assert raised.value.exit_code == EXIT_USAGE


def test_status_of_a_run_with_a_component_not_ready_is_a_failure(capsys, engine, monkeypatch):
    rows = [ComponentStatus("database", "ch-one-database", "running", ready=True),
            ComponentStatus("frontend", "ch-one-frontend", "exited", ready=False, detail="exited")]
    monkeypatch.setattr(cli.stack, "status", lambda engine, info: rows)
    code = cli.main(["status"])
    assert code == EXIT_FAILED
    assert "frontend   exited    NO" in capsys.readouterr().out


@pytest.mark.parametrize("fault, code, line", [
    (WaitTimeout("timed out after 30s waiting for Podman to copy files into r1-backend:/x"),
     EXIT_INFRA, "copr-harness: timed out after 30s waiting for Podman to copy files into r1-backend:/x"),
    (PackageError("scenario (production set): rpm would refuse component backend's packages"),
     EXIT_FAILED, "copr-harness: scenario (production set): rpm would refuse component backend's packages"),
])
def test_a_rehearsal_that_cannot_finish_exits_with_its_errors_code(capsys, engine, monkeypatch,
                                                                  fault, code, line):
    def failing(*args, **kwargs):
        raise fault

    monkeypatch.setattr(rehearse, "rehearse", failing)
    assert run(capsys, "rehearse", SCENARIO) == (code, [line])

