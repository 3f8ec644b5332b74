"""The components' RPM packages: built on the host with rpmbuild, installed with `rpm -Uvh`."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.artifacts import pyrpm
from harness.artifacts.archive import reproducible_tar
from harness.errors import InfraError, InputError, PackageError
from harness.model.components import spec_path
from harness.model.rpmfile import rpm
from harness.model.scenario import PackageVersion
from harness.paths import CACHE
from harness.podman.engine import Engine

RPM_DIR_IN_CONTAINER = "/var/lib/copr-harness/rpms"


def _source_tar(src: Path) -> bytes:
    """A reproducible tar of a spec's `src/` folder (its Source0)."""
    return reproducible_tar(src, src.rglob("*") if src.is_dir() else [])


def _defines(package: PackageVersion) -> dict[str, str]:
    macros = {"pkg_version": package.version, "pkg_release": package.release}
    macros.update({key: str(value) for key, value in package.macros.items()})
    return macros


def build_rpm(name: str, package: PackageVersion) -> Path:
    """Build (or take from the cache) the RPM of `name` at `package`'s version; return its path.
    A prebuilt RPM (checked when the scenario was loaded) is used as it is."""
    if package.rpm is not None:
        return package.rpm
    if package.python_source is not None:
        return pyrpm.build(name, package.version, package.release, package.python_source,
                           package.requires, CACHE)
    if shutil.which("rpmbuild") is None:
        raise InfraError("rpmbuild is not installed", hint="run 'apt-get install -y rpm'")
    spec = spec_path(name)
    source = _source_tar(spec.parent / "src")
    defines = _defines(package)
    key = hashlib.sha256(
        spec.read_bytes() + source + repr(sorted(defines.items())).encode()
    ).hexdigest()[:16]
    target = CACHE / "rpms" / f"{name}-{package.evr}-{key}"
    if target.is_dir() and list(target.glob("*.rpm")):
        return next(target.glob("*.rpm"))

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"rpmbuild-{name}-") as top:
        (Path(top) / "SOURCES").mkdir()
        (Path(top) / "SOURCES" / f"{name}-src.tar").write_bytes(source)
        command = ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}",
                   "--define", "__os_install_post %{nil}", "--define", "_build_id_links none"]
        for macro, value in defines.items():
            command += ["--define", f"{macro} {value}"]
        result = subprocess.run(command + [str(spec)], capture_output=True, text=True)
        if result.returncode != 0:
            lines = [ln for ln in (result.stderr + result.stdout).splitlines() if ln.strip()]
            errors = [ln for ln in lines if "error" in ln.lower()] or lines[-5:]
            raise InputError(f"building {name}-{package.evr} from {spec} failed: " + "; ".join(errors))
        built = list((Path(top) / "RPMS").rglob("*.rpm"))
        if len(built) != 1:
            raise InfraError(f"building {name} from {spec} gave {len(built)} RPMs, expected 1")
        return pyrpm.cache_rpm(built[0], target)


def build_set(names: list[str], packages: dict[str, PackageVersion],
              component: str | None = None) -> dict[str, Path]:
    """Build the RPMs of `names` from a package set (as `component` gets them)."""
    return {name: build_rpm(name, packages[name].for_component(component)) for name in names}


def check_installable(rpms: dict[str, list[Path]], what: str) -> None:
    """Refuse a package set rpm would refuse, before any container exists: `rpm -Uvh --test` of
    each component's packages against an empty rpm database on the host (a new container's
    database holds no other package, so the answer is the same). `what` names the set."""
    for component, files in rpms.items():
        if not files:
            continue
        with tempfile.TemporaryDirectory(prefix="copr-harness-rpmdb-") as db:
            result = rpm("--dbpath", db, "-Uvh", "--test", *map(str, files))
        if result.returncode != 0:
            raise PackageError(f"{what}: rpm would refuse component {component}'s packages "
                               "(rpm -Uvh --test): " + rpm_failure(result.stdout + result.stderr))


def install(engine: Engine, container: str, rpms: list[Path], downgrade: bool = False) -> None:
    """Install or upgrade RPMs in one `rpm -Uvh` transaction; rpm enforces their Requires.
    With `downgrade`, older versions replace newer ones (a rolled-back step)."""
    engine.put_files(container, RPM_DIR_IN_CONTAINER, {p.name: p.read_bytes() for p in rpms})
    paths = [f"{RPM_DIR_IN_CONTAINER}/{p.name}" for p in rpms]
    options = ["--oldpackage"] if downgrade else []
    result = engine.exec(container, ["rpm", "-Uvh", "--quiet", *options, *paths])
    engine.exec(container, ["rm", "-f", *paths])
    if not result.ok:
        raise PackageError(f"{container}: rpm -Uvh {' '.join(p.name for p in rpms)} failed: "
                           + rpm_failure(result.output))


def rpm_failure(output: str) -> str:
    """The part of rpm's output that says why a transaction failed (unmet Requires first)."""
    lines = [ln.strip() for ln in output.splitlines()
             if ln.strip() and not ln.startswith("rpm: ")]  # Debian's 'use alien' notice
    needed = [ln for ln in lines if " is needed by " in ln]
    if needed:
        return "Failed dependencies: " + "; ".join(needed)
    return "; ".join(lines[-5:]) or "(rpm printed nothing)"


def installed(engine: Engine, container: str) -> list[str]:
    """The NVRs of the RPM packages installed in a container, sorted."""
    result = engine.exec(container, ["rpm", "-qa", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}\\n"])
    if not result.ok:
        raise InfraError(f"{container}: rpm -qa failed: {result.output.strip()}")
    return sorted(ln.strip() for ln in result.output.splitlines() if ln.strip() and not ln.startswith("rpm: "))
