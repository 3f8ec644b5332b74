"""Python package sources of a scenario: a PyPI pin, an sdist file or a source directory, plus
patches. Checked when the scenario is loaded (files, pin syntax, version); fetched, unpacked,
patched and built into a wheel on the host when the package is built."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from harness.artifacts.archive import reproducible_tar
from harness.errors import InfraError, InputError
from harness.artifacts import pip

PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)$")
PROJECT_FILES = ("setup.py", "pyproject.toml")
# Left out of a source directory's copy and hash: VCS data and build leftovers.
IGNORED = {".git", "__pycache__", "build", "dist", ".tox", ".venv", ".pytest_cache"}


@dataclass(frozen=True)
class Source:
    """Where a Python package's code comes from: kind is 'pypi', 'sdist' or 'source'."""

    kind: str
    where: str  # the pin (name==version), or the absolute path of the file or directory
    patches: tuple[Path, ...] = ()

    def describe(self) -> str:
        """A short provenance text for status, plan and reports."""
        text = {"pypi": f"PyPI {self.where}", "sdist": f"sdist {Path(self.where).name}",
                "source": f"source dir {self.where}"}[self.kind]
        if self.patches:
            text += " + patches " + ", ".join(p.name for p in self.patches)
        return text

    def identity(self) -> bytes:
        """The bytes that decide the built code (for the cache key): the pin, the sdist's
        bytes or the source tree's files, then each patch in order."""
        if self.kind == "pypi":
            data = self.where.encode()
        elif self.kind == "sdist":
            data = hashlib.sha256(Path(self.where).read_bytes()).digest()
        else:
            data = hashlib.sha256(_tree_tar(Path(self.where))).digest()
        for patch in self.patches:
            data += b"\0" + patch.name.encode() + b"\0" + patch.read_bytes()
        return data


def _kept(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return not any(p in IGNORED or p.endswith(".egg-info") for p in parts)


def _tree_tar(root: Path) -> bytes:
    return reproducible_tar(root, [p for p in root.rglob("*") if _kept(p, root)])


# -- checks when the scenario is loaded ---------------------------------------------------------


def check_pin(pin: str) -> tuple[str, str]:
    """(name, version) of a `name==version` pin, else ValueError."""
    found = PIN_RE.match(pin.strip())
    if not found:
        raise ValueError(f"'{pin}' is not a PyPI pin: write name==version (e.g. copr-common==1.7)")
    return found.group(1), found.group(2)


def _sdist_members(path: Path) -> list[str]:
    """The member names of an sdist archive (.tar.gz, .tar.bz2, .tar.xz, .tar or .zip)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return archive.namelist()
        with tarfile.open(path) as archive:
            return archive.getnames()
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"{path} is not a readable sdist archive ({error})") from None


def check_sdist(path: Path) -> None:
    """Refuse a file that is missing, unreadable, or not a Python sdist."""
    if not path.is_file():
        raise ValueError(f"{path} does not exist or is not a file")
    members = _sdist_members(path)
    top = [m for m in members if m.count("/") == 1 and m.split("/")[1] in PROJECT_FILES]
    if not top:
        raise ValueError(f"{path} is not a Python sdist: it has no <name-version>/setup.py "
                         "or pyproject.toml")


def check_source_dir(path: Path) -> None:
    """Refuse a directory that is missing or has no setup.py/pyproject.toml."""
    if not path.is_dir():
        raise ValueError(f"{path} is not a directory")
    if not any((path / name).is_file() for name in PROJECT_FILES):
        raise ValueError(f"{path} is not a Python project: it has no setup.py or pyproject.toml")


def check_patch(path: Path) -> None:
    if not path.is_file():
        raise ValueError(f"patch {path} does not exist or is not a file")
    try:
        path.read_bytes()
    except OSError as error:
        raise ValueError(f"patch {path} cannot be read ({error.strerror})") from None


def sdist_version(path: Path) -> str | None:
    """The version in an sdist's file name (`name-1.7.tar.gz` -> 1.7)."""
    stem = re.sub(r"\.(tar\.gz|tar\.bz2|tar\.xz|tgz|tar|zip)$", "", path.name)
    return stem.rsplit("-", 1)[1] if "-" in stem else None


def source_version(path: Path) -> str | None:
    """A source directory's version: PKG-INFO's, else the `Version:` of its one RPM spec (a
    fedora-copr/copr checkout keeps one spec per package directory), else a literal
    `version="..."` in setup.py or pyproject.toml."""
    specs = sorted(path.glob("*.spec"))
    for candidate in [path / "PKG-INFO", *(specs if len(specs) == 1 else [])]:
        if candidate.is_file():
            found = re.search(r"^Version:\s*([^\s%]+)\s*$", candidate.read_text(errors="replace"),
                              re.MULTILINE)
            if found:
                return found.group(1)
    for name in PROJECT_FILES:
        if (path / name).is_file():
            found = re.search(r"^\s*version\s*=\s*[\"']([^\"']+)[\"']",
                              (path / name).read_text(errors="replace"), re.MULTILINE)
            if found:
                return found.group(1)
    return None


# -- preparing the code on the host ----------------------------------------------------------


def fetch_sdist(pin: str, cache: Path) -> Path:
    """The sdist of a PyPI pin, downloaded once into `cache/pypi/<pin>/`."""
    name, version = check_pin(pin)
    folder = cache / "pypi" / pin
    found = sorted(folder.glob("*")) if folder.is_dir() else []
    if found:
        return found[0]
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pip-", dir=folder.parent) as temp:
        result = pip.run(["download", "--no-deps", "--no-binary", ":all:", "--dest", temp, pin],
                         f"downloading {pin}")
        output = result.stdout + result.stderr
        files = sorted(Path(temp).glob("*"))
        if result.returncode != 0 or len(files) != 1:
            versions = pip.known_versions(output)
            if versions is not None:
                listed = ", ".join(versions) if versions else "none"
                raise InputError(f"PyPI has no {name} {version} (versions there: {listed})")
            raise InfraError(f"downloading {pin} from PyPI failed: {pip.last_error(output)}")
        staging = Path(temp) / "done"
        staging.mkdir()
        shutil.move(str(files[0]), staging / files[0].name)
        try:
            staging.rename(folder)
        except OSError:  # another process fetched the same pin first
            pass
    return sorted(folder.glob("*"))[0]


def _unpack(archive: Path, into: Path) -> Path:
    """Unpack an sdist; return its project directory (the one with setup.py/pyproject.toml)."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as handle:
            handle.extractall(into)
    else:
        with tarfile.open(archive) as handle:
            handle.extractall(into, filter="data")
    for top in sorted(into.iterdir()):
        if top.is_dir() and any((top / name).is_file() for name in PROJECT_FILES):
            return top
    raise InputError(f"{archive}: no setup.py or pyproject.toml after unpacking")


def prepare_tree(source: Source, cache: Path, into: Path) -> Path:
    """A patched copy of the source's code under `into`; return the project directory."""
    if source.kind == "pypi":
        tree = _unpack(fetch_sdist(source.where, cache), into)
    elif source.kind == "sdist":
        tree = _unpack(Path(source.where), into)
    else:
        tree = into / Path(source.where).name
        shutil.copytree(source.where, tree, ignore=lambda folder, names: [
            n for n in names if n in IGNORED or n.endswith(".egg-info")])
    for patch in source.patches:
        apply_patch(patch, tree, source.describe())
    return tree


def apply_patch(patch: Path, tree: Path, what: str) -> None:
    """Apply `patch` with `patch -p1`; refuse it, naming the file and hunk, if it does not
    apply (checked with --dry-run first, so nothing is half applied)."""
    for dry in (True, False):
        result = subprocess.run(
            ["patch", "-p1", "--batch", "--forward", "--no-backup-if-mismatch", "-i", str(patch),
             *(["--dry-run"] if dry else [])],
            cwd=tree, capture_output=True, text=True)
        if result.returncode != 0:
            lines = [ln.strip() for ln in (result.stdout + result.stderr).splitlines() if ln.strip()]
            failed = [ln for ln in lines if "FAILED" in ln or "can't find file" in ln.lower()
                      or "Reversed" in ln or "malformed" in ln.lower() or "Only garbage" in ln]
            detail = "; ".join(failed or lines[-3:]) or "patch printed nothing"
            current = next((ln for ln in lines if ln.startswith("checking file")
                            or ln.startswith("patching file")), "")
            file_part = f" ({current})" if current and current not in detail else ""
            raise InputError(f"patch {patch} does not apply to {what}{file_part}: {detail}")


def build_wheel(tree: Path, into: Path, what: str) -> Path:
    """Build the project at `tree` into a wheel (no dependencies); return its path."""
    into.mkdir(parents=True, exist_ok=True)
    result = pip.run(["wheel", "--no-deps", "--wheel-dir", str(into), str(tree)],
                     f"building a wheel of {what}")
    wheels = sorted(into.glob("*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        raise InputError(f"building a wheel of {what} failed: "
                         f"{pip.last_error(result.stdout + result.stderr)}")
    return wheels[0]
