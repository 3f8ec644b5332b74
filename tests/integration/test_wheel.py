"""The harness as a user installs it: the wheel, built from this checkout, installed into a fresh
virtualenv outside the repository, plans a scenario, brings a stack up and down from what it
ships (containers, scenarios), and its pytest plugin brings one up for a session (--copr-up)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import naming

from .conftest import ROOT, leftovers

pytestmark = pytest.mark.integration

TRIVIAL_TEST = """
def test_the_stack_answers(copr_client, copr_stack):
    assert copr_client.project_proxy.get_list(ownername=copr_stack["default_user"]) == []
"""


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 900
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory, built_images) -> tuple[Path, dict[str, str]]:
    """The fresh virtualenv's bin folder (the wheel and its dependencies installed, pip's cache
    reused), and an environment without this checkout on the path."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"  # a clean copy: the build writes build/ and *.egg-info beside it
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".git"))
    wheels = tmp / "wheels"
    built = run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels),
                 str(source)], tmp, dict(os.environ))
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = wheels.glob("copr_harness-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "COPR_STACK",
                                                            "COPR_HARNESS_ROOT")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    pip = run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)], tmp, env)
    assert pip.returncode == 0, pip.stderr[-3000:]
    return venv / "bin", env


def test_the_installed_wheel_ships_its_definitions_and_not_the_test_extras(installed, tmp_path):
    bin_dir, env = installed
    where = run([str(bin_dir / "python"), "-c", "import harness.paths as p; print(p.ROOT)"], tmp_path, env)
    root = Path(where.stdout.strip())
    assert root.name == "_shipped" and str(ROOT) not in str(root), where.stdout + where.stderr
    assert (root / "containers" / "backend" / "Containerfile").is_file()
    assert (root / "tests" / "sanity" / "conftest.py").is_file()
    flask = run([str(bin_dir / "python"), "-c", "import flask"], tmp_path, env)
    assert flask.returncode != 0  # a test-only dependency


def test_the_installed_wheel_plans_brings_up_and_tears_down(installed, tmp_path, engine):
    bin_dir, env = installed
    env = env | {"COPR_HARNESS_REPORTS": str(tmp_path / "reports")}
    scenario = tmp_path / "release.yaml"
    shutil.copy(ROOT / "scenarios" / "release-good.yaml", scenario)
    # Its patches to copr-backend are named relative to it: they go along.
    shutil.copytree(ROOT / "scenarios" / "patches", tmp_path / "patches")
    plan = run([str(bin_dir / "copr-harness"), "plan", str(scenario)], tmp_path, env)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "unknown component" not in plan.stdout + plan.stderr
    run_id = naming.new_run_id()
    try:
        up = run([str(bin_dir / "copr-harness"), "up", "--run-id", run_id], tmp_path, env)
        assert up.returncode == 0, up.stderr[-3000:]
        status = run([str(bin_dir / "copr-harness"), "status", "--run-id", run_id], tmp_path, env)
        assert status.returncode == 0 and "frontend" in status.stdout, status.stdout + status.stderr
    finally:
        down = run([str(bin_dir / "copr-harness"), "down", "--run-id", run_id], tmp_path, env)
    assert down.returncode == 0, down.stderr
    assert not leftovers(engine, run_id)


def test_the_installed_plugin_brings_a_stack_up_for_a_session(installed, tmp_path, engine):
    bin_dir, env = installed
    (tmp_path / "test_trivial.py").write_text(TRIVIAL_TEST)
    session = run([str(bin_dir / "pytest"), "-p", "no:cacheprovider", "--copr-up",
                   "test_trivial.py"], tmp_path, env)
    assert session.returncode == 0, session.stdout[-3000:] + session.stderr[-3000:]
    assert "1 passed" in session.stdout
    found = re.search(r"copr-harness: run (\S+), stack ", session.stdout)
    assert found, session.stdout[-3000:]
    assert not leftovers(engine, found.group(1))  # the session's stack is gone
