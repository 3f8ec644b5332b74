"""Tiny offline test packages: specs written and built into SRPMs at test time (rpmbuild -bs)."""

from __future__ import annotations

from pathlib import Path

from harness.artifacts.srpms import FILES, make_srpm  # noqa: F401  (the tests import make_srpm from here)


# Section bodies of the fixtures the suites need; {name} is the package name.
BODIES = {
    "hello": FILES,
    "empty": "%files\n",
    "broken": '%build\necho "this build fails on purpose" >&2\nexit 1\n\n%files\n',
    "endless": "%build\nwhile :; do sleep 1; done\n\n%files\n",
    # %check fails unless the builder defines Copr's macros; it prints them for the log.
    "macros": (
        "%check\n"
        'echo "COPR USERNAME: %{{?copr_username}}"\n'
        'echo "COPR PROJECTNAME: %{{?copr_projectname}}"\n'
        'echo "COPR VENDOR: %{{?vendor}}"\n'
        'echo "COPR BUILDTAG: %{{?buildtag}}"\n'
        'test -n "%{{?copr_username}}" -a -n "%{{?copr_projectname}}"\n'
        'test -n "%{{?buildtag}}" -a -n "%{{?vendor}}"\n\n' + FILES
    ),
    "subpackages": (
        "%package extra\nSummary: the extra part of {name}\n%description extra\nExtra files.\n\n"
        + FILES + "\n%files extra\n"
    ),
    # The "hello" body; their headers (below) keep the aarch64 chroots out.
    "excludearch": FILES,
    "exclusivearch": FILES,
}

# Headers of the fixtures that need more than the default `BuildArch: noarch`.
HEADERS = {
    "excludearch": "BuildArch: noarch\nExcludeArch: aarch64",
    "exclusivearch": "BuildArch: noarch\nExclusiveArch: x86_64",
}


def fixture_srpm(folder: Path, kind: str, name: str | None = None, header: str | None = None,
                 release: str = "1%{?dist}") -> Path:
    """One of BODIES as an SRPM named `name` (default: the kind); `header` defaults to the
    kind's entry in HEADERS, else `BuildArch: noarch`."""
    header = header if header is not None else HEADERS.get(kind, "BuildArch: noarch")
    return make_srpm(folder, name or kind, BODIES[kind].format(name=name or kind), header=header,
                     release=release)


# A noarch package with one source file, for the build methods that start from a repository
# (scm, custom, distgit): `SOURCED_SPEC.format(name=..., version=...)` beside `<name>.txt`.
SOURCED_SPEC = """Name: {name}
Version: {version}
Release: 1%{{?dist}}
Summary: A build-method fixture
License: MIT
BuildArch: noarch
Source0: {name}.txt
%description
A build-method fixture.
%prep
%build
%install
mkdir -p %{{buildroot}}/usr/share/{name}
cp %{{SOURCE0}} %{{buildroot}}/usr/share/{name}/
%files
/usr/share/{name}
"""

# The smallest package there is: something to sign.
TINY_SPEC = """\
Name: tiny
Version: 1
Release: 1
Summary: a package to sign
License: MIT
BuildArch: noarch
%description
A package to sign.
%files
"""
