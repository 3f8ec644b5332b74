"""The Python dependencies of a wrapped package: the ones Debian has come from the image
(containers/base/rootfs.yaml); the others are pure-Python wheels fetched on the host (cached)
and packed into the package's RPM, since the containers have no network."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path

import yaml
from packaging.requirements import InvalidRequirement, Requirement

from harness.paths import CONTAINERS
from harness.errors import InfraError, InputError
from harness.artifacts import pip

# The containers' Python (Debian bookworm): the environment dependency markers are judged in.
TARGET_PYTHON = "3.11"
MARKER_ENV = {"python_version": "3.11", "python_full_version": "3.11.2", "sys_platform": "linux",
              "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
              "platform_python_implementation": "CPython", "extra": ""}
# PyPI projects whose Debian package is not simply python3-<name>.
DEBIAN_NAMES = {"pyyaml": "python3-yaml", "python-daemon": "python3-daemon",
                "python-dateutil": "python3-dateutil", "psycopg2-binary": "python3-psycopg2",
                "pyopenssl": "python3-openssl", "pytz": "python3-tz"}


def normalize(name: str) -> str:
    """A project name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def debian_package(project: str) -> str:
    """The Debian package that would carry a PyPI project."""
    name = normalize(project)
    return DEBIAN_NAMES.get(name, f"python3-{name}")


def image_packages() -> set[str]:
    """The Debian packages every container image has (containers/base/rootfs.yaml)."""
    data = yaml.safe_load((CONTAINERS / "base" / "rootfs.yaml").read_text()) or {}
    return set(data.get("packages") or [])


def wheel_requires(wheel: Path) -> list[Requirement]:
    """The Requires-Dist of a wheel that apply in the containers (no extras, markers judged)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode())
    found = []
    for text in metadata.get_all("Requires-Dist") or []:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            raise InputError(f"{wheel.name}: cannot read its dependency '{text}'") from None
        if requirement.marker is None or requirement.marker.evaluate(MARKER_ENV):
            found.append(requirement)
    return found


def split(requirements: list[Requirement]) -> tuple[list[str], list[Requirement]]:
    """(the Debian packages of the image that cover some of `requirements`, the rest)."""
    have = image_packages()
    covered, rest = [], []
    for requirement in requirements:
        package = debian_package(requirement.name)
        if package in have:
            covered.append(package)
        else:
            rest.append(requirement)
    return covered, rest


def fetch(requirements: list[Requirement], cache: Path) -> list[Path]:
    """Pure-Python wheels for `requirements` and what they need in turn (except what the image
    has), downloaded once into `cache/wheels/<hash>/`. A dependency with no such wheel is bad
    input, named."""
    if not requirements:
        return []
    texts = sorted(str(r) for r in requirements)
    folder = cache / "wheels" / hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    if not (folder / "done").is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".pip-", dir=folder.parent) as temp:
            result = pip.run(
                ["download", "--only-binary", ":all:", "--python-version", TARGET_PYTHON,
                 "--platform", "any", "--implementation", "py", "--abi", "none",
                 "--dest", temp, *texts], "downloading dependency wheels")
            output = result.stdout + result.stderr
            if result.returncode != 0:
                missing = pip.missing_distribution(output)
                if missing or pip.known_versions(output) is not None:
                    raise InputError(
                        f"dependency {missing or ', '.join(texts)} has no pure-Python wheel for "
                        f"Python {TARGET_PYTHON} on PyPI (the containers have no network or "
                        "compiler): add its Debian package to containers/base/rootfs.yaml")
                raise InfraError(f"downloading wheels of {', '.join(texts)} failed: "
                                 f"{pip.last_error(output)}")
            staging = Path(temp) / "wheels"
            staging.mkdir()
            for wheel in Path(temp).glob("*.whl"):
                shutil.move(str(wheel), staging / wheel.name)
            (staging / "done").write_text("\n".join(texts) + "\n")
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
            try:
                staging.rename(folder)
            except OSError:  # another process fetched the same set first
                pass
    have = image_packages()
    return sorted(w for w in folder.glob("*.whl")
                  if debian_package(w.name.split("-")[0]) not in have)
