"""The Kubernetes export played with podman kube play: the stack comes up from the manifests,
a real copr-cli build succeeds on it, and taking it down leaves nothing of the run."""

from __future__ import annotations

import stat

import pytest
import requests

from harness import stack, wait
from harness.artifacts import packages
from harness.kube import play as kube_play
from harness.model.scenario import load_scenario
from harness.stack import users

from ..support.srpms import make_srpm
from .conftest import leftovers
from .copr_stack import Stack

pytestmark = pytest.mark.integration


def test_export_only_writes_files(cli, engine, run_id, tmp_path):
    out = tmp_path / "manifests"
    result = cli("kube", "--run-id", run_id, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / "kustomization.yaml").is_file()
    assert stat.S_IMODE((out / "secret.yaml").stat().st_mode) == 0o600
    assert not leftovers(engine, run_id)  # writing manifests creates nothing in Podman


def test_played_stack_builds_with_copr_cli_and_down_leaves_nothing(engine, built_images, run_id,
                                                                   tmp_path):
    path, scenario = load_scenario(None)
    made = kube_play.export(engine, scenario, run_id, tmp_path / "manifests")
    secret_values = kube_play.secret_values(made)
    assert secret_values
    for manifest in (tmp_path / "manifests").iterdir():
        if manifest.name != "secret.yaml":
            text = manifest.read_text()
            assert not [k for k, v in secret_values.items() if v.strip() in text], manifest.name

    try:
        kube_play.play(engine, made, keep=False)
        frontend = kube_play.container_name(f"{run_id}-frontend", "frontend")
        expected = scenario.package_set("candidate")["copr-frontend"].evr
        assert f"copr-frontend-{expected}" in packages.installed(engine, frontend)

        client = Stack(run_id, {"FRONTEND_URL": made.url("frontend"),
                                "COPR_CONFIG_ALICE": str(users.configs(run_id)["alice"])})
        created = client.copr("create", "kube", "--chroot", "fedora-44-x86_64")
        assert created.returncode == 0, created.stderr
        submitted = client.copr("build", "kube", str(make_srpm(tmp_path, "hello")), "--nowait")
        assert submitted.returncode == 0, submitted.stderr
        build_id = int(submitted.stdout.split("Created builds:")[1].split()[0])

        def finished() -> str:
            answer = requests.get(f"{client.frontend_url}/api_3/build/{build_id}", timeout=10).json()
            if answer["state"] not in ("succeeded", "failed", "canceled", "skipped"):
                raise wait.NotYet(f"build {build_id} is {answer['state']}")
            return answer["state"]

        assert wait.until(finished, what=f"build {build_id} to finish", timeout=300) == "succeeded"
    finally:
        stack.down(engine, run_id)
    assert not leftovers(engine, run_id)
    assert run_id not in engine.run_ids()
    assert not users.configs(run_id)
