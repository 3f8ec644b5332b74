"""The end user's path: `dnf copr enable owner/project` against the stack's frontend, then
`dnf install` with gpgcheck=1 against the project's key; a fork's repository installs the fork's
build; a deleted build's package is gone once the repository is regenerated.

dnf 4 and its copr plugin are Debian's (dnf, dnf-plugins-core), in a client container on the
run's network (tests/sanity/_dnf_client.py).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from harness import wait

from ._dnf_client import HUB, dnf_client
from .conftest import wait_url
from .test_fork_delete import build_hello

CHROOT = "fedora-44-x86_64"


def key_id(key: str) -> str:
    """The short (8 hex digits) id of an armoured public key, as rpm names signatures."""
    with tempfile.TemporaryDirectory() as home:
        (Path(home) / "key").write_text(key)
        out = subprocess.run(["gpg", "--homedir", home, "--with-colons", "--show-keys", f"{home}/key"],
                             capture_output=True, text=True, check=True).stdout
    return next(line.split(":")[4] for line in out.splitlines() if line.startswith("pub:"))[-8:].lower()


def signed_by(machine, package: str) -> str:
    """The key id of the installed package's signature (`rpm -qi`'s Signature line), lower case."""
    code, out = machine.run("rpm", "-qi", package)
    assert code == 0, out
    line = next((line for line in out.splitlines() if line.startswith("Signature")), "")
    assert "Key ID" in line, f"{package} is not signed: {out}"
    return line.strip().lower()


@pytest.mark.slow
# The client machine is a container on the run's network: only a copr-harness run on this
# machine gives that (its hub is the frontend's internal URL).
@pytest.mark.needs("containers")
def test_dnf_copr_enable_and_install(copr_stack, copr_cli, client, owner, backend_url, project, tmp_path):
    source = project()
    kept, doomed = build_hello(client, owner, source, tmp_path, "dnfkept", "dnfgone")
    fork = f"{source}-fork"
    forked = copr_cli("fork", source, fork)
    assert forked.returncode == 0, forked.stdout + forked.stderr
    try:
        source_key = key_id(wait_url(f"{backend_url}/results/{owner}/{source}/pubkey.gpg").text)
        fork_key = key_id(wait_url(f"{backend_url}/results/{owner}/{fork}/pubkey.gpg").text)
        assert source_key != fork_key
        with dnf_client(copr_stack["run_id"], "dnf") as machine:
            _install_from_the_project(machine, owner, source, source_key)
            _fork_installs_the_forks_build(machine, owner, source, fork, fork_key)
            _deleted_build_is_gone(machine, copr_cli, owner, source, fork, doomed)
    finally:
        client.project_proxy.delete(owner, fork)


def _install_from_the_project(machine, owner: str, source: str, source_key: str) -> None:
    code, out = machine.dnf("copr", "enable", "--hub", HUB, f"{owner}/{source}", CHROOT)
    assert code == 0, out
    assert "Repository successfully enabled." in out
    code, out = machine.run("grep", "-h", "^gpgcheck=1$", "-r", "/etc/yum.repos.d/")
    assert code == 0, out
    code, out = machine.dnf("install", "dnfkept")
    assert code == 0, out
    # dnf imported the project's key and checked the package against it.
    assert "Importing GPG key" in out, out
    assert signed_by(machine, "dnfkept").endswith(source_key)


def _fork_installs_the_forks_build(machine, owner: str, source: str, fork: str, fork_key: str) -> None:
    for args in (("remove", "dnfkept"), ("copr", "remove", "--hub", HUB, f"{owner}/{source}"),
                 ("copr", "enable", "--hub", HUB, f"{owner}/{fork}", CHROOT)):
        code, out = machine.dnf(*args)
        assert code == 0, f"dnf {' '.join(args)}: {out}"

    def installed_from_fork() -> str:
        # The fork action copies and re-signs the builds a moment after `copr-cli fork` returns.
        code, out = machine.dnf("--refresh", "install", "dnfkept")
        if code != 0:
            raise wait.NotYet(f"dnf install from the fork failed: {out[-300:]}")
        return out

    wait.until(installed_from_fork, what="dnfkept to install from the fork's repository", timeout=90)
    assert signed_by(machine, "dnfkept").endswith(fork_key)
    code, out = machine.dnf("repoquery", "--installed", "--qf", "%{from_repo}", "dnfkept")
    assert code == 0 and f":{fork}" in out, out


def _deleted_build_is_gone(machine, copr_cli, owner: str, source: str, fork: str, doomed: int) -> None:
    # Only the source project's repository: the fork keeps its copy of the build.
    for args in (("copr", "remove", "--hub", HUB, f"{owner}/{fork}"),
                 ("copr", "enable", "--hub", HUB, f"{owner}/{source}", CHROOT)):
        code, out = machine.dnf(*args)
        assert code == 0, f"dnf {' '.join(args)}: {out}"
    code, out = machine.dnf("--refresh", "list", "--available", "dnfgone")
    assert code == 0, out
    deleted = copr_cli("delete-build", str(doomed))
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr

    def gone() -> None:
        code, out = machine.dnf("--refresh", "list", "--available", "dnfgone")
        if code == 0:
            raise wait.NotYet("dnfgone is still in the project's repository")

    wait.until(gone, what="the deleted build's package to leave the regenerated repository", timeout=90)
    code, out = machine.dnf("install", "dnfgone")
    assert code != 0 and "No match for argument: dnfgone" in out, out
