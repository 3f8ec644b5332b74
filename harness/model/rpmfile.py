"""Prebuilt RPM files (a scenario's `rpm:` entries): checked with `rpm -K`, read with `rpm -qp`."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.errors import InfraError
from harness.model.versions import check_version

# Every RPM file starts with this lead; anything else is not a package (rpm -qp would read a
# text file as a list of package paths and complain about those instead).
RPM_MAGIC = b"\xed\xab\xee\xdb"


@dataclass(frozen=True)
class RpmHeader:
    """What the harness needs from a package's header."""

    name: str
    version: str
    release: str
    arch: str
    requires: tuple[str, ...]

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"


def rpm(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the host's `rpm`."""
    if shutil.which("rpm") is None:
        raise InfraError("rpm is not installed", hint="run 'apt-get install -y rpm'")
    return subprocess.run(["rpm", *args], capture_output=True, text=True)


def _rpm_lines(output: str) -> list[str]:
    # Debian's rpm prints an 'rpm: ... use Alien' notice on some operations: not rpm's answer.
    return [ln.strip() for ln in output.splitlines() if ln.strip() and not ln.startswith("rpm: ")]


def read(path: Path) -> RpmHeader:
    """Check that `path` is a readable RPM file whose digests match, and return its header.
    Raise ValueError saying what is wrong with the file."""
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    if not path.is_file():
        raise ValueError(f"{path}: not a regular file")
    try:
        with path.open("rb") as handle:
            lead = handle.read(len(RPM_MAGIC))
    except OSError as error:
        raise ValueError(f"{path}: cannot be read: {error.strerror}") from None
    if lead != RPM_MAGIC:
        raise ValueError(f"{path}: not an RPM file (it does not start with an RPM lead)")
    # Digests only: a package signed with a key this host lacks is still intact.
    checked = rpm("-Kv", "--nosignature", str(path))
    if checked.returncode != 0:
        lines = _rpm_lines(checked.stdout + checked.stderr)
        bad = [ln.split(" (Expected")[0] for ln in lines if ": BAD" in ln or "NOT OK" in ln]
        reason = bad[0] if bad else (lines[-1] if lines else f"exit code {checked.returncode}")
        raise ValueError(f"{path}: corrupt RPM: rpm -K: {reason}")
    query = rpm("-qp", "--qf", "%{NAME}\\n%{VERSION}\\n%{RELEASE}\\n%{ARCH}\\n[%{REQUIRENEVRS}\\n]",
                str(path))
    fields = query.stdout.splitlines()
    if query.returncode != 0 or len(fields) < 4:
        lines = _rpm_lines(query.stderr)
        raise ValueError(f"{path}: rpm -qp cannot read it: {lines[-1] if lines else 'no header'}")
    name, version, release, arch, *requires = fields
    check_version(version)
    check_version(release)
    return RpmHeader(name, version, release, arch,
                     tuple(r for r in requires if r and not r.startswith("rpmlib(")))
