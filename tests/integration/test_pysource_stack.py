"""Real Copr code as the packages under test, in real containers: PyPI's copr-common at two
versions in one stack (scenarios/mixed-common.yaml), and a patched source directory."""

from __future__ import annotations

import subprocess
import sys
import tarfile

import pytest

from harness.artifacts import wheelhouse
from harness.paths import ROOT

from .test_bad_input import write

pytestmark = pytest.mark.integration

SITE = "/usr/lib/python3/dist-packages"


def in_container(cli, run_id: str, container: str, *command: str) -> str:
    result = cli("exec", "--run-id", run_id, container, "--", *command)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_mixed_common_versions_per_component(cli, run_id):
    """The builders run copr-common 1.8 (its redis dependency packed as a wheel when the image
    lacks it), the rest of the stack 1.7 (upstream's copr-backend 2.11 cannot import 1.8);
    status and the stack description say so and where each came from."""
    up = cli("up", "--run-id", run_id, "--scenario", str(ROOT / "scenarios" / "mixed-common.yaml"),
             timeout=900)
    assert up.returncode == 0, up.stderr
    want = {"builder-1": "1.8", "builder-2": "1.8",
            "backend": "1.7", "frontend": "1.7", "distgit": "1.7", "keygen": "1.7"}
    for container, version in want.items():
        assert in_container(cli, run_id, container, "rpm", "-q", "python3-copr-common") == \
            f"python3-copr-common-{version}-1.noarch"
        assert in_container(cli, run_id, container, "python3", "-c",
                            "import copr_common; print(copr_common.__version__)") == version
    # copr-common 1.8 needs redis: from Debian when the image has python3-redis, else its wheel
    # is packed into the RPM.
    description = in_container(cli, run_id, "builder-1", "rpm", "-q", "--qf", "%{DESCRIPTION}",
                               "python3-copr-common")
    if "python3-redis" in wheelhouse.image_packages():
        assert "from Debian: python3-redis" in description
    else:
        assert in_container(cli, run_id, "builder-1", "rpm", "-qf", f"{SITE}/redis/__init__.py") == \
            "python3-copr-common-1.8-1.noarch"
    assert in_container(cli, run_id, "builder-1", "python3", "-c", "import redis; print('ok')") == "ok"
    assert in_container(cli, run_id, "builder-1", "python3", "-c",
                        "from copr_common.enums import StatusEnum; print(StatusEnum(0))") == "failed"
    status = cli("status", "--run-id", run_id)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "python3-copr-common: PyPI copr-common==1.8" in status.stdout
    assert "python3-copr-common: PyPI copr-common==1.7" in status.stdout


def _copr_common_checkout(tmp_path):
    """A source directory as a developer's checkout has it: PyPI's copr-common 1.7, unpacked."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    "--dest", str(tmp_path / "dl"), "copr-common==1.7"], check=True,
                   capture_output=True)
    with tarfile.open(next((tmp_path / "dl").glob("*.tar.gz"))) as archive:
        archive.extractall(tmp_path, filter="data")
    return tmp_path / "copr_common-1.7"


def test_source_dir_with_a_patch_is_what_the_container_runs(cli, run_id, tmp_path):
    checkout = _copr_common_checkout(tmp_path)
    first = (checkout / "copr_common" / "__init__.py").read_text().splitlines()
    (tmp_path / "change.patch").write_text(
        "--- a/copr_common/__init__.py\n+++ b/copr_common/__init__.py\n"
        f"@@ -{len(first)},1 +{len(first)},2 @@\n {first[-1]}\n+CHANGE_UNDER_TEST = 'harness'\n")
    path = write(tmp_path, f"""\
        components: [keygen]
        candidate:
          python3-copr-common: {{source: {checkout.name}, patches: [change.patch], version: "1.8~rc1"}}
          copr-keygen: {{version: "2.2", macros: {{copr_common_version: "1.7"}}}}
        """)
    up = cli("up", "--run-id", run_id, "--scenario", str(path), timeout=600)
    assert up.returncode == 0, up.stderr
    assert in_container(cli, run_id, "keygen", "rpm", "-q", "python3-copr-common") == \
        "python3-copr-common-1.8~rc1-1.noarch"
    installed = in_container(cli, run_id, "keygen", "cat", f"{SITE}/copr_common/__init__.py")
    assert "CHANGE_UNDER_TEST = 'harness'" in installed.splitlines()
    assert in_container(cli, run_id, "keygen", "python3", "-c",
                        "import copr_common; print(copr_common.CHANGE_UNDER_TEST)") == "harness"
    status = cli("status", "--run-id", run_id)
    assert f"source dir {checkout} + patches change.patch" in status.stdout
