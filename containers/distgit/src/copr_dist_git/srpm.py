"""Reading a source RPM: its header (rpm -qp) and its files (rpm2archive, read with tarfile).

Debian's rpm has rpm2cpio and rpm2archive but the base image has no cpio: rpm2archive turns the
payload into a gzip'd tar that Python reads itself, without touching any rpm database.
"""

from __future__ import annotations

import hashlib
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from .layout import LOOKASIDE_MIN_SIZE, LayoutError, check_filename, goes_to_lookaside


# How long one rpm query or rpm2archive run may take on an SRPM before it is killed.
RPM_TIMEOUT = 300


class SrpmError(Exception):
    """The file is not a usable source RPM."""


@dataclass(frozen=True)
class PackageFile:
    """One file of an SRPM, unpacked on disk."""

    name: str
    path: Path
    executable: bool
    size: int
    md5: str
    lookaside: bool


@dataclass
class Srpm:
    """The parts of an SRPM that an import needs."""

    name: str
    epoch: str | None
    version: str
    release: str
    spec: str
    files: list[PackageFile] = field(default_factory=list)

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"

    @property
    def git_files(self) -> list[PackageFile]:
        """The spec, patches and other small text files: committed to git."""
        return [f for f in self.files if not f.lookaside]

    @property
    def lookaside_files(self) -> list[PackageFile]:
        """Archives and binaries: kept in the lookaside, listed in `sources`."""
        return [f for f in self.files if f.lookaside]


def _run(command: list[str], stdin: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    # Own sessions: a dist-git stop signals its process group; an import in flight must finish.
    try:
        if stdin is None:
            return subprocess.run(command, capture_output=True, check=False, start_new_session=True,
                                  timeout=RPM_TIMEOUT)
        with stdin.open("rb") as handle:
            return subprocess.run(command, stdin=handle, capture_output=True, check=False,
                                  start_new_session=True, timeout=RPM_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise SrpmError(f"{command[0]} did not finish within {RPM_TIMEOUT}s: stopped") from None


def _error(result: subprocess.CompletedProcess[bytes]) -> str:
    text = (result.stderr or result.stdout).decode(errors="replace").strip()
    return text.splitlines()[-1] if text else f"exit {result.returncode}"


def read_header(path: Path) -> dict[str, str | None]:
    """NAME, EPOCH, VERSION, RELEASE of a source RPM, and which payload file is the spec."""
    query = "%{NAME}\\n%{EPOCH}\\n%{VERSION}\\n%{RELEASE}\\n%{SOURCEPACKAGE}\\n[%{FILEFLAGS:fflags} %{FILENAMES}\\n]"
    result = _run(["rpm", "-qp", "--nosignature", "--nodigest", "--qf", query, str(path)])
    if result.returncode != 0:
        raise SrpmError(f"not an RPM package: {_error(result)}")
    lines = result.stdout.decode(errors="replace").splitlines()
    if len(lines) < 5:
        raise SrpmError("rpm -qp printed no header")
    name, epoch, version, release, source = lines[:5]
    if source.strip() != "1":
        raise SrpmError(f"{name}-{version}-{release} is a binary RPM, not a source RPM")
    specs = [line.split(" ", 1)[1] for line in lines[5:] if " " in line and "s" in line.split(" ", 1)[0]]
    return {"name": name, "epoch": None if epoch == "(none)" else epoch, "version": version,
            "release": release, "spec": specs[0] if len(specs) == 1 else None}


def _is_text(path: Path, size: int) -> bool:
    if size >= LOOKASIDE_MIN_SIZE:
        return False
    data = path.read_bytes()
    if b"\0" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def unpack(path: Path, into: Path) -> Srpm:
    """Unpack the SRPM at `path` into the empty folder `into`; classify its files."""
    header = read_header(path)
    archive = into / ".payload.tgz"
    with archive.open("wb") as out, path.open("rb") as src:
        try:
            result = subprocess.run(["rpm2archive", "-"], stdin=src, stdout=out, stderr=subprocess.PIPE,
                                    check=False, start_new_session=True, timeout=RPM_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise SrpmError(f"rpm2archive did not finish within {RPM_TIMEOUT}s: stopped") from None
    if result.returncode != 0:
        raise SrpmError(f"rpm2archive failed: {result.stderr.decode(errors='replace').strip()}")
    files: list[PackageFile] = []
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = member.name[2:] if member.name.startswith("./") else member.name
                if member.isdir() and name in ("", "."):
                    continue
                if not member.isfile() or "/" in name:
                    raise SrpmError(f"unexpected entry in the SRPM payload: {member.name!r}")
                try:
                    check_filename(name)
                except LayoutError as error:
                    raise SrpmError(str(error)) from None
                target = into / name
                source = tar.extractfile(member)
                assert source is not None
                with source, target.open("wb") as out_file:
                    while chunk := source.read(1 << 20):
                        out_file.write(chunk)
                size = target.stat().st_size
                files.append(PackageFile(
                    name=name, path=target, executable=bool(member.mode & 0o111), size=size,
                    md5=_md5(target), lookaside=goes_to_lookaside(name, size, _is_text(target, size)),
                ))
    except tarfile.TarError as error:
        raise SrpmError(f"unreadable SRPM payload: {error}") from None
    finally:
        archive.unlink()
    spec = header["spec"] or ""
    if not spec:
        specs = [f.name for f in files if f.name.endswith(".spec")]
        if len(specs) != 1:
            raise SrpmError(f"the SRPM holds {len(specs)} spec files, expected one")
        spec = specs[0]
    if spec not in {f.name for f in files}:
        raise SrpmError(f"the spec file {spec} is missing from the SRPM payload")
    return Srpm(name=str(header["name"]), epoch=header["epoch"], version=str(header["version"]),
                release=str(header["release"]), spec=spec, files=sorted(files, key=lambda f: f.name))
