"""`up`, `status`, `env`, `exec`, `down`, two runs at once, and a run id already in use."""

from __future__ import annotations

import concurrent.futures
import textwrap

import pytest
import requests

from harness import naming
from harness import paths
from harness.stack import users

from .conftest import leftovers

pytestmark = pytest.mark.integration


def frontend_url(cli, rid: str) -> str:
    env = cli("env", "--run-id", rid)
    assert env.returncode == 0, env.stderr
    lines = dict(line.removeprefix("export ").split("=", 1) for line in env.stdout.splitlines())
    assert lines["COPR_HARNESS_RUN_ID"] == rid
    return lines["FRONTEND_URL"]


def test_up_status_exec_down_leaves_nothing(engine, cli, run_id):
    up = cli("up", "--run-id", run_id)
    assert up.returncode == 0, up.stderr
    for component in ("database", "frontend", "backend", "distgit", "keygen", "builder", "broker"):
        assert f"{component} ready" in up.stderr

    status = cli("status", "--run-id", run_id)
    assert status.returncode == 0, status.stdout + status.stderr
    rows = {line.split()[0]: line for line in status.stdout.splitlines()[2:]}
    assert "running   yes" in rows["database"]
    assert "copr-frontend-2.7-1" in rows["frontend"]
    assert "python3-copr-common-1.7-1" in rows["frontend"]
    assert "copr-backend-2.11-1" in rows["backend"] and "obs-signd-2.6.1-1" in rows["backend"]
    assert "copr-rpmbuild-1.8-1" in rows["builder"]

    url = frontend_url(cli, run_id)
    assert url.startswith("http://127.0.0.1:")
    assert requests.get(f"{url}/api_3/", timeout=10).json() == {"version": 3}

    rpm = cli("exec", "--run-id", run_id, "frontend", "--", "rpm", "-q", "copr-frontend")
    assert rpm.returncode == 0 and rpm.stdout.strip() == "copr-frontend-2.7-1.noarch"
    assert cli("exec", "--run-id", run_id, "frontend", "--", "false").returncode == 1

    resources = leftovers(engine, run_id)
    assert sorted(resources.containers) == [
        f"{run_id}-{name}" for name in ("backend", "broker", "builder-1", "builder-2", "database",
                                        "distgit", "frontend", "keygen")]
    assert resources.networks == [f"{run_id}-net"]
    assert users.configs(run_id)

    down = cli("down", "--run-id", run_id)
    assert down.returncode == 0, down.stderr
    assert not leftovers(engine, run_id)
    assert not paths.state_dir(run_id).exists()


def test_ports_are_published_on_loopback_only(engine, cli, run_id):
    up = cli("up", "--run-id", run_id)
    assert up.returncode == 0, up.stderr
    bindings = engine.port_bindings(f"{run_id}-frontend")
    assert bindings and all(address == "127.0.0.1" for address, _ in bindings)
    for private in ("database", "keygen", "builder-1", "builder-2"):
        assert engine.port_bindings(f"{run_id}-{private}") == []


def test_two_runs_at_once_both_come_up(engine, cli):
    rids = [naming.new_run_id(), naming.new_run_id()]
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda rid: cli("up", "--run-id", rid), rids))
        for rid, result in zip(rids, results):
            assert result.returncode == 0, f"{rid}: {result.stderr}"
            assert requests.get(f"{frontend_url(cli, rid)}/api_3/", timeout=10).ok
        assert frontend_url(cli, rids[0]) != frontend_url(cli, rids[1])
    finally:
        for rid in rids:
            cli("down", "--run-id", rid)
    for rid in rids:
        assert not leftovers(engine, rid)


def test_run_id_in_use_is_refused_and_changes_nothing(engine, cli, run_id):
    up = cli("up", "--run-id", run_id)
    assert up.returncode == 0, up.stderr
    before = leftovers(engine, run_id)
    again = cli("up", "--run-id", run_id)
    assert again.returncode == 2
    assert f"run id '{run_id}' is already in use" in again.stderr
    assert leftovers(engine, run_id) == before


def test_unmet_requires_is_refused_naming_it(engine, cli, run_id, tmp_path, reports_dir):
    scenario = tmp_path / "bad-requires.yaml"
    scenario.write_text(textwrap.dedent("""\
        components: [database, frontend]
        candidate:
          python3-copr-common: {pypi: "copr-common==1.7"}
          copr-frontend:
            version: "2.7"
            macros: {copr_common_version: "1.8", fe_be_api_version: 9}
        """))
    up = cli("up", "--run-id", run_id, str(scenario))
    assert up.returncode == 1, up.stderr
    assert "Failed dependencies: python3-copr-common >= 1.8 is needed by copr-frontend-2.7-1" in up.stderr
    assert not leftovers(engine, run_id)
    assert not (reports_dir / run_id).exists()  # refused by rpm -Uvh --test before any container
