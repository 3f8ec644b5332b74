"""scripts/system_deps.py: the distro logic of scripts/install-system-deps, with fake os-release
files and a fake package manager (commands recorded, answers scripted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("system_deps", ROOT / "scripts" / "system_deps.py")
system_deps = importlib.util.module_from_spec(spec)
sys.modules["system_deps"] = system_deps  # dataclasses look their module up
spec.loader.exec_module(system_deps)  # type: ignore[union-attr]

OS_RELEASES = {
    "debian": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
    "ubuntu": 'PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nID_LIKE=debian\n',
    "fedora": 'NAME="Fedora Linux"\nPRETTY_NAME="Fedora Linux 41 (Container Image)"\nID=fedora\n',
    "centos": 'PRETTY_NAME="CentOS Stream 9"\nID="centos"\nID_LIKE="rhel fedora"\n',
    "arch": 'PRETTY_NAME="Arch Linux"\nID=arch\n',
}


class FakePackages:
    """A package manager whose installed and available packages are sets."""

    def __init__(self, installed: set[str], available: set[str]) -> None:
        self.installed, self.available, self.ran = installed, available, []

    def check(self, command: list[str]) -> int:
        package = command[-1]
        if command[0] in ("dpkg-query", "rpm"):
            return 0 if package in self.installed else 1
        if command[0] in ("apt-cache", "dnf"):
            return 0 if package in self.available | self.installed else 1
        return 0  # apt-get update

    def run(self, command: list[str]) -> int:
        self.ran.append(command)
        return 0


def run_main(tmp_path, distro, fake, uid=0, *extra):
    release = tmp_path / "os-release"
    release.write_text(OS_RELEASES[distro])
    said = []
    code = system_deps.main(["--os-release", str(release), *extra], check=fake.check, run=fake.run,
                            uid=uid, say=said.append)
    return code, said


@pytest.mark.parametrize(("distro", "kind"), [("debian", "debian"), ("ubuntu", "debian"),
                                              ("fedora", "fedora"), ("centos", "fedora"),
                                              ("arch", None)])
def test_the_family_comes_from_id_and_id_like(distro, kind):
    assert system_deps.family(system_deps.os_release(OS_RELEASES[distro])) == kind


def test_fedora_installs_the_missing_packages_with_dnf(tmp_path):
    fake = FakePackages(installed={"podman", "python3"}, available={"chromium", "mmdebstrap"})
    code, said = run_main(tmp_path, "fedora", fake)
    assert code == 0
    [command] = fake.ran
    assert command[:3] == ["dnf", "install", "-y"]
    assert {"crun", "rpm-build", "createrepo_c", "mmdebstrap", "chromium"} <= set(command)
    assert "podman" not in command and "python3" not in command
    assert "with dnf" in said[-1]


def test_centos_without_epel_skips_the_optional_packages_and_says_so(tmp_path):
    fake = FakePackages(installed=set(), available=set())
    code, said = run_main(tmp_path, "centos", fake)
    assert code == 0 and "mmdebstrap" not in fake.ran[0] and "chromium" not in fake.ran[0]
    assert any("mmdebstrap is not available on CentOS Stream 9: skipped" in s for s in said)


def test_debian_updates_then_installs_with_apt(tmp_path):
    fake = FakePackages(installed={"podman"}, available={"chromium"})
    code, _ = run_main(tmp_path, "debian", fake)
    assert code == 0
    assert fake.ran[0] == ["apt-get", "update", "-q"]
    assert fake.ran[1][:2] == ["apt-get", "install"] and "runc" in fake.ran[1]
    assert "podman" not in fake.ran[1] and "chromium" in fake.ran[1]


def test_nothing_missing_runs_nothing(tmp_path):
    everything = set(sum(system_deps.PACKAGES["debian"], []))
    fake = FakePackages(installed=everything, available=set())
    assert run_main(tmp_path, "ubuntu", fake) == (0, []) and fake.ran == []


def test_not_root_prints_the_command_and_installs_nothing(tmp_path):
    fake = FakePackages(installed=set(), available=set())
    code, said = run_main(tmp_path, "fedora", fake, 1000)
    assert code == 3 and fake.ran == []
    assert "needs root" in said[-1] and "sudo dnf install -y podman" in said[-1]


def test_an_unknown_system_installs_nothing_and_says_what_to_install(tmp_path):
    fake = FakePackages(installed=set(), available=set())
    code, said = run_main(tmp_path, "arch", fake)
    assert code == 3 and fake.ran == []
    assert "Arch Linux is neither Debian/Ubuntu (apt) nor Fedora/CentOS Stream (dnf)" in said[0]
    assert "podman" in said[0]


def test_dry_run_says_the_commands(tmp_path):
    fake = FakePackages(installed=set(), available=set())
    code, said = run_main(tmp_path, "fedora", fake, 1000, "--dry-run")
    assert code == 0 and fake.ran == [] and said[-1].startswith("dnf install -y podman crun")
