"""The backend's builder version gate: rpm's version ordering and the checks run over SSH."""

from __future__ import annotations

import shutil
import subprocess

import pytest


from copr_backend import rpmver
from copr_backend import builders

CASES = [
    ("1.6.1", "1.6.1", 0), ("1.6", "1.6.1", -1), ("1.8", "1.6.1", 1), ("1.10", "1.9", 1),
    ("1.0~rc1", "1.0", -1), ("1.0~rc1", "1.0~rc2", -1), ("1.0^git1", "1.0", 1),
    ("1.0^git1", "1.0.1", -1), ("1.0a", "1.0", 1), ("1.0a", "1.0.1", -1), ("001", "1", 0),
    ("1.a", "1.1", -1), ("2.0", "2_0", 0), ("1~~", "1~", -1), ("1.0^", "1.0^1", -1),
    ("1.6.1dev", "1.6.1", 1), ("5.5p1", "5.5p10", -1), ("2.13", "2.2", 1), ("0+unknown", "1.6.1", -1),
]


@pytest.mark.parametrize(("a", "b", "expected"), CASES)
def test_rpmvercmp(a: str, b: str, expected: int) -> None:
    assert rpmver.rpmvercmp(a, b) == expected
    assert rpmver.rpmvercmp(b, a) == -expected


@pytest.mark.skipif(shutil.which("rpm") is None, reason="rpm is not installed")
def test_rpmvercmp_agrees_with_rpm() -> None:
    """rpm's own comparison (its Lua rpm.vercmp) is the reference."""
    calls = "".join(f'print(rpm.vercmp("{a}", "{b}")) print(" ") ' for a, b, _ in CASES)
    output = subprocess.run(["rpm", "--eval", f"%{{lua: {calls}}}"], capture_output=True, text=True,
                            check=True).stdout.split()
    assert [int(x) for x in output] == [rpmver.rpmvercmp(a, b) for a, b, _ in CASES]


class FakeRemote:
    """Answers the gate's commands as a builder would."""

    def __init__(self, answers: dict[str, dict[str, tuple[int, str, str]]]) -> None:
        self.answers = answers
        self.commands: list[tuple[str, str]] = []

    def run(self, host: str, command: str, timeout: float = 60) -> tuple[int, str, str]:
        self.commands.append((host, command))
        key = "rpm" if command.startswith("rpm -q") else "ready"
        return self.answers[host].get(key, (0, "", ""))


def gate(host_answers: dict[str, tuple[int, str, str]], chroot: str = "fedora-44-x86_64"):
    remote = FakeRemote({"b1": host_answers})
    return builders.check_builder(remote, "b1", "1.6.1", chroot), remote


def test_gate_accepts_new_enough_builder() -> None:
    (reason, version), remote = gate({"rpm": (0, "1.8\n", "")})
    assert (reason, version) == (None, "1.8")
    assert remote.commands == [("b1", "rpm -q copr-rpmbuild --qf '%{VERSION}\\n'"),
                               ("b1", "copr-builder-ready fedora-44-x86_64")]


def test_gate_accepts_the_minimum_itself() -> None:
    assert gate({"rpm": (0, "1.6.1\n", "")})[0] == (None, "1.6.1")


def test_gate_refuses_old_builder() -> None:
    (reason, version), _ = gate({"rpm": (0, "1.6\n", "")})
    assert reason.startswith("Minimum version for builder is 1.6.1") and version == "1.6"


def test_gate_ignores_debian_rpm_notices() -> None:
    notice = "rpm: RPM should not be used directly install RPM packages, use Alien instead!\n"
    assert gate({"rpm": (0, notice + "1.8\n", "")})[0] == (None, "1.8")


def test_gate_refuses_builder_without_copr_rpmbuild() -> None:
    (reason, _), _ = gate({"rpm": (1, "package copr-rpmbuild is not installed\n", "")})
    assert reason == "The copr-rpmbuild package was not found: package copr-rpmbuild is not installed"


def test_gate_reports_ssh_failure() -> None:
    (reason, _), _ = gate({"rpm": (255, "", "ssh: connect to host b1 port 22: Connection refused\n")})
    assert reason == "SSH connection to b1 failed: ssh: connect to host b1 port 22: Connection refused"


def test_gate_refuses_builder_that_is_not_ready() -> None:
    (reason, _), _ = gate({"rpm": (0, "1.8\n", ""), "ready": (1, "rpmbuild is not installed\n", "")})
    assert reason == "Builder wasn't ready, trying a new one: rpmbuild is not installed"
