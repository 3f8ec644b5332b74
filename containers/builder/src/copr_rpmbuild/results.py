"""results.json of SRPM and RPM builds (upstream: automation/srpm_results.py, rpm_results.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from .helpers import define_args
from .process import capture


def parse_epoch(value: str) -> int | None:
    """An rpm query's EPOCH ('(none)' when unset) as results.json wants it."""
    value = value.strip()
    return int(value) if value.isdigit() else None


def rpm_results(packages: list[dict[str, Any]]) -> dict[str, Any]:
    """results.json of an RPM build: every built package, the SRPM with arch 'src'."""
    keys = ("name", "epoch", "version", "release", "arch")
    return {"packages": [{key: package[key] for key in keys} for package in packages]}


def srpm_results(header: dict[str, Any], arch_tags: dict[str, dict[str, list[str]]]) -> dict[str, Any]:
    """results.json of an SRPM build: the NEVR and, per distribution, the spec's arch tags."""
    return {
        "name": header["name"],
        "epoch": header["epoch"],
        "version": header["version"],
        "release": header["release"],
        "architecture_specific_tags": arch_tags,
    }


def query_package(path: Path) -> dict[str, Any]:
    """Name, epoch, version, release and arch of an RPM file ('src' for a source RPM)."""
    out = capture(["rpm", "-qp", "--nosignature", "--nodigest", "--qf",
                   "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n", str(path)],
                  f"rpm -qp {path.name}")
    name, epoch, version, release, arch = out.splitlines()[0].split("\t")
    if path.name.endswith(".src.rpm"):
        arch = "src"
    return {"name": name, "epoch": parse_epoch(epoch), "version": version, "release": release, "arch": arch}


def spec_arch_tags(spec: Path, macros: dict[str, str],
                   query: Callable[[list[str], str], str] = capture) -> dict[str, list[str]]:
    """The spec's ExclusiveArch, ExcludeArch and BuildArch with `macros` defined; `query` runs
    rpmspec (as the build user: parsing a spec runs its %(...) code)."""
    out = query(["rpmspec", "-q", "--srpm", *define_args(macros), "--qf",
                 "[%{EXCLUSIVEARCH} ]|[%{EXCLUDEARCH} ]|[%{BUILDARCHS} ]\\n", str(spec)],
                f"parsing {spec.name}")
    exclusive, exclude, buildarch = (out.splitlines() or ["||"])[0].split("|")
    return {"exclusivearch": exclusive.split(), "excludearch": exclude.split(),
            "buildarch": buildarch.split()}
