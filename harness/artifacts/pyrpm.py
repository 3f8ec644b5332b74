"""Wrap a Python package under test (harness.artifacts.pysource) into a noarch RPM with
upstream's package name: its wheel and the wheels of the dependencies Debian lacks, unpacked
into Debian's dist-packages, as the components' own specs install their code."""

from __future__ import annotations

import compileall
import hashlib
import py_compile
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

from harness.artifacts.archive import reproducible_tar
from harness.errors import InfraError, InputError
from harness.artifacts import pysource, wheelhouse

SITE = "usr/lib/python3/dist-packages"
WRAP_FORMAT = b"pyrpm-2"  # changed when the wrapping changes, so cached RPMs are rebuilt

# RPM Requires of upstream's specs between the packages the harness installs, used when a
# scenario gives no `requires:` (copr-backend 2.11's spec: python3-copr-common >= 1.2.1,
# python3-copr, obs-signd among those the harness packages).
UPSTREAM_REQUIRES: dict[str, list[str]] = {
    "python3-copr-common": [],
    "copr-backend": ["python3-copr-common >= 1.2.1", "python3-copr", "obs-signd"],
    "copr-dist-git": ["python3-copr-common"],
    "copr-keygen": [],
    "copr-frontend": ["python3-copr-common"],
    "copr-rpmbuild": ["python3-copr-common"],
    "python3-copr-messaging": ["python3-copr-common", "python3-fedora-messaging"],
    "python3-fedora-messaging": [],
    "python3-copr": [],
    "copr-cli": ["python3-copr"],
}

SPEC = """\
Name:           {name}
Version:        {version}
Release:        {release}
Summary:        {summary}
License:        see the upstream project
BuildArch:      noarch
AutoReqProv:    no
Source0:        payload.tar
{requires}
%description
{summary}. Python dependencies from Debian: {debian}. Packed wheels: {wheels}.

%prep
%setup -q -c -T
tar -xf %{{SOURCE0}}

%install
cp -a . %{{buildroot}}/

%files
{files}
"""


def _unpack_wheel(wheel: Path, root: Path) -> None:
    """Install a wheel's files as pip would: the code into dist-packages, scripts into
    /usr/bin (only pure-Python wheels reach here)."""
    site = root / SITE
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            if member.is_dir():
                continue
            parts = Path(member.filename).parts
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("scripts", "purelib", "platlib"):
                    continue
                target = (root / "usr/bin" if parts[1] == "scripts" else site) / Path(*parts[2:])
            else:
                target = site / member.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))
            if parts[0].endswith(".data") and parts[1] == "scripts":
                target.chmod(0o755)


def from_pypi(requirements: list[Requirement]) -> list[Requirement]:
    """The requirements to pack as wheels: not those the harness wraps into RPMs of their own
    (copr-messaging's fedora-messaging and copr-common): the set installs them, and a second
    copy in this RPM would clash with their files."""
    return [r for r in requirements if wheelhouse.debian_package(r.name) not in UPSTREAM_REQUIRES]


def _byte_compile(site: Path) -> None:
    """Ship the modules compiled, as Fedora's build does (brp-python-bytecompile): the services
    run them as users who cannot write __pycache__ into dist-packages, so every process would
    compile them again (a third of the CPU time a copr-backend worker takes to start). Checked
    hashes: valid whatever the files' times, ignored if a file is edited. A module this Python
    cannot compile is left without (it fails on import as it would have)."""
    compileall.compile_dir(str(site), ddir=f"/{SITE}", quiet=2, workers=1,
                           invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)


def cache_key(name: str, evr: str, source: pysource.Source, requires: list[str] | None) -> str:
    """The content hash a wrapped RPM is cached under: code, patches, overrides, image deps."""
    digest = hashlib.sha256(WRAP_FORMAT)
    for part in (name.encode(), evr.encode(), source.identity(), repr(requires).encode(),
                 repr(sorted(wheelhouse.image_packages())).encode()):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def build(name: str, version: str, release: str, source: pysource.Source,
          requires: list[str] | None, cache: Path) -> Path:
    """The RPM of `name` from `source` (built once, then taken from the cache)."""
    evr = f"{version}-{release}"
    target = cache / "rpms" / f"{name}-{evr}-py-{cache_key(name, evr, source, requires)}"
    if target.is_dir() and list(target.glob("*.rpm")):
        return next(target.glob("*.rpm"))
    if shutil.which("rpmbuild") is None:
        raise InfraError("rpmbuild is not installed", hint="run 'apt-get install -y rpm'")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"pyrpm-{name}-") as top_dir:
        top = Path(top_dir)
        tree = pysource.prepare_tree(source, cache, top / "tree")
        wheel = pysource.build_wheel(tree, top / "wheel", f"{name} ({source.describe()})")
        debian, rest = wheelhouse.split(wheelhouse.wheel_requires(wheel))
        deps = wheelhouse.fetch(from_pypi(rest), cache)
        stage = top / "stage"
        for each in [wheel, *deps]:
            _unpack_wheel(each, stage)
        _byte_compile(stage / SITE)
        spec = SPEC.format(
            name=name, version=version, release=release,
            summary=f"{name} from {source.describe()} (wrapped by copr-harness)",
            requires="".join(f"Requires:       {r}\n"
                             for r in (UPSTREAM_REQUIRES.get(name, []) if requires is None else requires)),
            debian=", ".join(debian) or "none", wheels=", ".join(w.name for w in deps) or "none",
            files="\n".join(sorted(f"/{p.relative_to(stage)}" for p in stage.glob("usr/*/*")
                                   if p.parent.name == "bin")
                            + sorted(f"/{SITE}/{p.name}" for p in (stage / SITE).iterdir())))
        (top / "SOURCES").mkdir()
        (top / "SOURCES" / "payload.tar").write_bytes(
            reproducible_tar(stage, stage.rglob("*"), compiled=True))
        (top / f"{name}.spec").write_text(spec)
        result = subprocess.run(
            ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}",
             "--define", "__os_install_post %{nil}", "--define", "_build_id_links none",
             str(top / f"{name}.spec")], capture_output=True, text=True)
        built = list((top / "RPMS").rglob("*.rpm"))
        if result.returncode != 0 or len(built) != 1:
            lines = [ln for ln in (result.stderr + result.stdout).splitlines() if ln.strip()]
            raise InputError(f"wrapping {name}-{version}-{release} ({source.describe()}) into an "
                             "RPM failed: " + "; ".join(lines[-5:]))
        return cache_rpm(built[0], target)


def cache_rpm(built: Path, target: Path) -> Path:
    """Move a freshly built RPM into its cache folder `target` atomically; return the cached
    file (another process's, if it cached the same build first)."""
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    shutil.move(str(built), staging / built.name)
    try:
        staging.rename(target)
    except OSError:  # another process cached the same build first
        shutil.rmtree(staging, ignore_errors=True)
    return next(target.glob("*.rpm"))
