"""The backend component in a real container, without a frontend: its package and constants,
the results web server, and how it behaves while the frontend cannot be reached."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests

from harness import stack, wait
from harness.model.components import all_components
from harness.model.scenario import load_scenario
from harness.naming import resource_name
from harness.podman.engine import Engine, ExecResult

from .copr_stack import running

pytestmark = pytest.mark.integration

MACROS = load_scenario(None)[1].candidate["copr-backend"].macros
RESULTS = "/var/lib/copr/public_html/results"
UNREACHABLE = "frontend http://frontend:5000 is unreachable"


class Backend:
    """A running backend container and the URL of its published results port."""

    def __init__(self, engine: Engine, run_id: str) -> None:
        self.engine = engine
        self.run_id = run_id
        self.container = resource_name(run_id, "backend")
        self.url = stack.url(engine, run_id, all_components()["backend"])

    def exec(self, *command: str) -> ExecResult:
        return self.engine.exec(self.container, list(command))

    def must(self, *command: str) -> str:
        result = self.exec(*command)
        assert result.ok, f"{' '.join(command)}: exit {result.exit_code}: {result.output}"
        return result.output

    def logs(self) -> str:
        return self.engine.logs(self.container)


@pytest.fixture(scope="module")
def backend(engine: Engine, built_images: dict) -> Iterator[Backend]:
    with running(engine, components=["backend"]) as info:
        yield Backend(engine, info.run_id)


def test_package_and_build_constants(backend: Backend) -> None:
    assert backend.must("rpm", "-q", "copr-backend").strip() == "copr-backend-2.13-1.noarch"
    constants = json.loads(backend.must("copr-backend", "constants"))
    assert constants == {"version": "2.13-1", "min_fe_be_api": 9, "min_builder_version": "1.6.1",
                         "copr_common_version": "1.7"}
    health = requests.get(f"{backend.url}/health", timeout=10).json()
    assert health["min_fe_be_api"] == 9 and health["min_builder_version"] == "1.6.1"


def test_services_run_as_copr(backend: Backend) -> None:
    assert backend.must("svc", "status").split() == [
        "copr-backend-action", "running", "copr-backend-build", "running", "copr-backend-results", "running"]
    users = backend.must("ps", "-o", "user=", "-C", "python3").split()
    assert users and set(users) == {"copr"}


def test_results_server_lists_directories(backend: Backend) -> None:
    build = f"{RESULTS}/@copr/tools/fedora-44-x86_64/00000007-hello"
    backend.must("install", "-d", "-o", "copr", "-g", "copr", build)
    backend.engine.put_files(backend.container, build, {"hello-1.0-1.noarch.rpm": b"rpm", "results.json": b"{}"})
    backend.must("createrepo_c", "--quiet", f"{RESULTS}/@copr/tools/fedora-44-x86_64")

    listing = requests.get(f"{backend.url}/results/@copr/tools/fedora-44-x86_64/", timeout=10)
    assert listing.ok and 'href="00000007-hello/"' in listing.text and 'href="repodata/"' in listing.text
    files = requests.get(f"{backend.url}/results/@copr/tools/fedora-44-x86_64/00000007-hello/", timeout=10)
    assert 'href="hello-1.0-1.noarch.rpm"' in files.text
    repomd = requests.get(f"{backend.url}/results/@copr/tools/fedora-44-x86_64/repodata/repomd.xml", timeout=10)
    assert repomd.ok and "<repomd" in repomd.text
    assert requests.get(f"{backend.url}/results/nobody/", timeout=10).status_code == 404


def test_unreachable_frontend_is_logged_once_and_nothing_crashes(backend: Backend) -> None:
    def logged() -> str:
        logs = backend.logs()
        if logs.count(UNREACHABLE) < 2:  # the build dispatcher and the action worker
            raise wait.NotYet("not logged yet")
        return logs

    wait.until(logged, what="the backend to report the frontend unreachable", timeout=30)
    # The dispatchers poll every second: watch a few polls to prove the log does not grow.
    time.sleep(4)
    logs = backend.logs()
    assert logs.count(UNREACHABLE) == 2
    assert logs.count("cannot get pending jobs") == 1 and logs.count("cannot get pending actions") == 1
    assert "Traceback" not in logs
    backend.must("svc", "status")
    assert "BUILDERS is empty" not in logs  # nothing is queued, so there is nothing to warn about


def test_logs_hold_no_secrets(backend: Backend) -> None:
    env = backend.must("cat", "/etc/copr-harness/stack.env")
    secrets = [line.split("=", 1)[1].strip("'") for line in env.splitlines()
               if line.startswith(("BACKEND_PASSWORD=", "BUILDER_SSH_KEY="))]
    assert secrets and all(secrets)
    logs = backend.logs()
    assert not any(secret in logs for secret in secrets)
    assert "PRIVATE KEY" not in logs
    # The key reaches ssh only as a file of the copr user.
    assert backend.must("stat", "-c", "%U %a", "/var/lib/copr/state/builder_id_ed25519").split() == ["copr", "600"]


def test_results_survive_a_container_restart(backend: Backend) -> None:
    backend.must("install", "-d", "-o", "copr", "-g", "copr", f"{RESULTS}/alice/kept")
    backend.engine.put_files(backend.container, f"{RESULTS}/alice/kept", {"pubkey.gpg": b"key"})
    backend.engine.stop(backend.container)
    backend.engine.start(backend.container)

    def served() -> str:
        try:
            answer = requests.get(f"{backend.url}/results/alice/kept/pubkey.gpg", timeout=5)
        except requests.RequestException as error:
            raise wait.NotYet(type(error).__name__) from None
        if not answer.ok:
            raise wait.NotYet(f"answered {answer.status_code}")
        return answer.text

    # The published port may change with the restart.
    backend.url = stack.url(backend.engine, backend.run_id, all_components()["backend"])
    assert wait.until(served, what="the results server after a restart", timeout=30) == "key"
