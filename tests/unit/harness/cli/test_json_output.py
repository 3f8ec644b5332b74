"""--format json on status, env and plan: one JSON document on stdout, the same exit codes."""

from __future__ import annotations

import json

import pytest

from harness import cli
from harness.paths import ROOT
from harness.stack import ComponentStatus


def test_status_json(engine, capsys, monkeypatch):
    rows = [ComponentStatus("database", "ch-one-database", "running", ready=True,
                            packages=["postgresql-15"]),
            ComponentStatus("frontend", "ch-one-frontend", "exited", ready=False, detail="exited")]
    monkeypatch.setattr(cli.stack, "status", lambda engine, info: rows)
    assert cli.main(["status", "--format", "json"]) == 1  # a component not ready: as in text
    body = json.loads(capsys.readouterr().out)
    assert (body["run_id"], body["ready"], body["kept"]) == ("ch-one", False, True)
    assert [c["component"] for c in body["components"]] == ["database", "frontend"]
    assert body["components"][0]["packages"] == ["postgresql-15"]
    assert body["components"][1]["detail"] == "exited"


def test_env_json_is_the_same_variables_as_the_export_lines(engine, capsys, monkeypatch):
    values = {"COPR_HARNESS_RUN_ID": "ch-one", "FRONTEND_URL": "http://127.0.0.1:1234",
              "COPR_CONFIG": "/some where/copr-alice.conf"}
    monkeypatch.setattr(cli.stack, "environment", lambda engine, info: dict(values))
    assert cli.main(["env", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == values
    assert cli.main(["env"]) == 0
    assert "export COPR_CONFIG='/some where/copr-alice.conf'" in capsys.readouterr().out


@pytest.mark.parametrize("name, code", [("release-good.yaml", 0), ("frontend-first.yaml", 1)])
def test_plan_json(capsys, name, code):
    path = ROOT / "scenarios" / name
    assert cli.main(["plan", str(path), "--format", "json"]) == code
    body = json.loads(capsys.readouterr().out)
    assert body["scenario"] == str(path)
    assert [s["number"] for s in body["steps"]] == list(range(1, len(body["steps"]) + 1))
    assert all(s["describe"].startswith(s["component"]) for s in body["steps"])
    assert bool(body["problems"]) == bool(code)
    for problem in body["problems"]:
        assert set(problem) == {"rule", "step", "message"}


def test_a_format_that_does_not_exist_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["status", "--format", "yaml"])
    assert exited.value.code == 2
    assert "argument --format: invalid choice: 'yaml'" in capsys.readouterr().err
