"""`copr-harness list`: the runs on this host, with state, age and owner; --ids and --format json."""

from __future__ import annotations

import json
import time

from harness import cli
from harness.cli.output import age, table
from harness.podman.engine import RunOverview
from harness.stack.listing import state_of


def test_list_shows_each_run_with_state_age_and_owner(engine, capsys):
    engine.runs["ch-two"] = {"copr-harness.components": "database", "copr-harness.owner": "1:x"}
    engine.overview = {
        "ch-one": RunOverview(time.time() - 3 * 3600, {"ch-one-database": "running",
                                                       "ch-one-frontend": "exited"}),
        "ch-two": RunOverview(time.time() - 90, {}),
    }
    assert cli.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["RUN", "ID", "SCENARIO", "VERSIONS", "STATE", "AGE", "OWNER"]
    assert lines[1].split() == ["ch-one", "scenarios/default.yaml", "candidate", "degraded", "1/2",
                                "3h", "kept"]
    assert lines[2].split() == ["ch-two", "?", "?", "leftovers", "0/0", "1m", "orphaned"]


def test_list_ids_prints_only_ids(engine, capsys):
    assert cli.main(["list", "--ids"]) == 0
    assert capsys.readouterr().out == "ch-one\n"


def test_list_json(engine, capsys):
    engine.overview = {"ch-one": RunOverview(1000.0, {"ch-one-database": "running",
                                                      "ch-one-frontend": "running"})}
    assert cli.main(["list", "--format", "json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["run_id"] == "ch-one" and row["state"] == "running"
    assert (row["running"], row["containers"], row["created"]) == (2, 2, 1000.0)
    assert row["kept"] is True and row["owner"] == "kept" and row["age_seconds"] > 0
    assert row["components"] == ["database", "frontend"]


def test_list_of_no_runs_prints_the_header_only(engine, capsys):
    engine.runs.clear()
    assert cli.main(["list"]) == 0
    assert capsys.readouterr().out.split() == ["RUN", "ID", "SCENARIO", "VERSIONS", "STATE", "AGE",
                                               "OWNER"]
    assert cli.main(["list", "--ids"]) == 0
    assert capsys.readouterr().out == ""
    assert cli.main(["list", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_state_of_a_run():
    assert state_of([]) == "leftovers"
    assert state_of(["running", "running"]) == "running"
    assert state_of(["running", "exited"]) == "degraded"
    assert state_of(["exited", "created"]) == "stopped"


def test_ages_read_like_podman_ps():
    assert [age(s) for s in (None, 5, 59, 60, 3599, 3600, 86400 * 3)] == \
        ["?", "5s", "59s", "1m", "59m", "1h", "3d"]


def test_table_pads_every_column_but_the_last():
    assert table(["A", "BB"], [["xyz", "1"]]) == ["A    BB", "xyz  1"]
