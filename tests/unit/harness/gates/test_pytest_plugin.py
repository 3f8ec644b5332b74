"""The copr_harness pytest plugin without Podman: inert in sessions that use none of its
fixtures, and clear errors when a test asks for a stack that is not there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# A conftest of the inner session: records, at its very end, whether the plugin was loaded and
# whether anything imported the Podman engine (which any Podman access needs).
RECORDER = """
import json, os, sys
import pytest

@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    if hasattr(config, "workerinput"):
        return
    with open(os.environ["RECORD"], "w") as out:
        json.dump({"plugin": config.pluginmanager.hasplugin("copr_harness"),
                   "engine": [m for m in ("harness.podman.engine", "podman") if m in sys.modules]}, out)
"""


def inner_pytest(folder: Path, tests: str, *args: str, environ: dict[str, str] | None = None
                 ) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Run pytest on `tests` (a test module's text) in `folder`; return it and the record."""
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "conftest.py").write_text(RECORDER)
    (folder / "test_inner.py").write_text(tests)
    env = {k: v for k, v in os.environ.items() if k not in ("COPR_STACK", "PYTEST_ADDOPTS")}
    env |= {"RECORD": str(folder / "record.json")} | (environ or {})
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                            cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    record = json.loads((folder / "record.json").read_text())
    return result, record


def test_a_session_without_its_fixtures_never_touches_podman(tmp_path):
    result, record = inner_pytest(tmp_path, "def test_plain():\n    assert 1 + 1 == 2\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert record == {"plugin": True, "engine": []}


def test_xdist_workers_without_its_fixtures_never_touch_podman(tmp_path):
    tests = ("import sys\n\ndef test_worker():\n"
             "    assert 'harness.podman.engine' not in sys.modules and 'podman' not in sys.modules\n")
    result, record = inner_pytest(tmp_path, tests, "-n", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert record == {"plugin": True, "engine": []}


def test_asking_for_a_stack_without_one_fails_with_what_to_do(tmp_path):
    result, record = inner_pytest(tmp_path, "def test_needs(copr_stack):\n    pass\n")
    assert result.returncode == 1
    assert "no copr-harness stack: pass --copr-stack FILE" in result.stdout
    assert record["engine"] == []


def test_a_missing_description_is_named(tmp_path):
    missing = tmp_path / "gone" / "stack.json"
    result, _ = inner_pytest(tmp_path, "def test_needs(copr_stack):\n    pass\n",
                             environ={"COPR_STACK": str(missing)})
    assert result.returncode == 1
    assert f"the stack description {missing} does not exist" in result.stdout


def test_fixtures_read_a_described_stack(tmp_path):
    config = tmp_path / "alice.conf"
    config.write_text("[copr-cli]\nlogin = a\nusername = alice\ntoken = t\n"
                      "copr_url = http://127.0.0.1:9\nencrypted = False\n")
    description = tmp_path / "stack.json"
    description.write_text(json.dumps({
        "run_id": "x", "default_user": "alice", "users": {"alice": str(config)},
        "hosts": {"builder-1": "podman://x-builder-1"}, "urls": {"frontend": "http://127.0.0.1:9"},
    }))
    tests = (
        "import pytest\n\n"
        "def test_reads(copr_stack, copr_client):\n"
        "    assert copr_stack['run_id'] == 'x'\n"
        "    assert copr_client.config['username'] == 'alice'\n\n"
        "def test_unknown_user(copr_client_for):\n"
        "    copr_client_for('mallory')\n\n"
        "def test_unknown_host(stack_host):\n"
        "    stack_host('frontend')\n"
    )
    result, record = inner_pytest(tmp_path, tests, "--copr-stack", str(description), "-rf")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed" in result.stdout and "2 failed" in result.stdout, result.stdout
    assert "the stack has no user 'mallory' (it has: alice)" in result.stdout
    assert "the stack has no host 'frontend' (it has: builder-1)" in result.stdout
    assert record["engine"] == []


def test_described_and_brought_up_stacks_exclude_each_other(tmp_path):
    result, record = inner_pytest(tmp_path, "def test_plain():\n    pass\n",
                                  "--copr-up", "--copr-stack", str(tmp_path / "stack.json"))
    assert result.returncode == 4  # pytest's usage error
    assert "--copr-stack and --copr-up exclude each other" in result.stderr
    assert record["engine"] == []


def test_what_the_target_does_not_give_is_skipped_with_the_reason(tmp_path):
    config = tmp_path / "alice.conf"
    config.write_text("[copr-cli]\nusername = alice\ncopr_url = http://127.0.0.1:9\n")
    target = tmp_path / "target.yaml"
    target.write_text("urls: {frontend: 'http://127.0.0.1:9', backend: 'http://127.0.0.1:9'}\n"
                      f"users: {{alice: {config}}}\n")
    tests = (
        "import pytest\n\n"
        "def test_black_box(copr_stack):\n"
        "    assert copr_stack['owner'] == 'alice'\n\n"
        "def test_inside_a_host(stack_host):\n"
        "    raise AssertionError('must not run')\n\n"
        "@pytest.mark.needs('backend_password')\n"
        "def test_password():\n"
        "    raise AssertionError('must not run')\n"
    )
    result, _ = inner_pytest(tmp_path, tests, "--copr-stack", str(target), "-rs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 2 skipped" in result.stdout, result.stdout
    assert "needs shell access to the Copr's hosts" in result.stdout
    assert "needs the backend's password" in result.stdout
    assert "copr-harness: testing the Copr at http://127.0.0.1:9" in result.stdout


# copr_project's teardown against a fake python-copr: one build that never ends (in a failing
# test's project), one that ends on the second look (in a passing test's).
TEARDOWN_TESTS = '''
import types
import pytest


class Builds:
    def __init__(self):
        self.states, self.canceled = {}, []

    def get_list(self, owner, project):
        found = [types.SimpleNamespace(id=i, state=s) for i, s in self.states[project].items()]
        for build_id, state in self.states[project].items():
            if state == "ends-soon":
                self.states[project][build_id] = "succeeded"
        return [types.SimpleNamespace(id=b.id, state="running" if b.state == "ends-soon" else b.state)
                for b in found]

    def cancel(self, build_id):
        self.canceled.append(build_id)
        for states in self.states.values():
            if build_id in states:
                states[build_id] = "canceled"


class Projects:
    def __init__(self, builds):
        self.builds, self.deleted = builds, []

    def add(self, owner, name, chroots, **options):
        self.builds.states[name] = {}

    def get(self, owner, name):
        return types.SimpleNamespace(name=name)

    def delete(self, owner, name):
        self.deleted.append(name)


BUILDS = Builds()
CLIENT = types.SimpleNamespace(build_proxy=BUILDS, project_proxy=Projects(BUILDS))


@pytest.fixture(scope="session")
def copr_stack():
    return {"default_user": "alice", "chroots": ["fedora-44-x86_64"]}


@pytest.fixture(scope="session")
def copr_client_for():
    return lambda user=None: CLIENT


def test_fails_with_a_build_that_never_ends(copr_project):
    BUILDS.states[copr_project()][7] = "running"
    assert False, "the test fails"


def test_passes_with_a_build_that_ends_soon(copr_project):
    BUILDS.states[copr_project()][8] = "ends-soon"


def test_what_the_teardowns_did():
    assert BUILDS.canceled == [7]
    assert len(CLIENT.project_proxy.deleted) == 2
'''


def test_a_failed_tests_unfinished_builds_are_canceled_before_its_project_is_deleted(tmp_path):
    # Without the cancel, the failed test's teardown waits out wait_all_finished's 120 s.
    result, _ = inner_pytest(tmp_path, TEARDOWN_TESTS, "-rf")
    assert "2 passed" in result.stdout and "1 failed" in result.stdout, result.stdout
    assert "the test fails" in result.stdout
