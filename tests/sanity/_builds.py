"""Helpers the build, build-option and results sanity tests share (no fixtures here).

Submitting builds with copr-cli, where a build's files live on the backend (the results layout of
the protocol reference, section 3.4), and reading a repository's metadata: through the backend's
public URL (what the suites use, so they run against any Copr), or inside the backend container
(integration tests of the harness's own stack).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import requests

# The backend's results tree (copr-be.conf `destdir`), served at {backend_url}/results/.
RESULTS_DIR = "/var/lib/copr/public_html/results"
CHROOT = "fedora-44-x86_64"
REPO_NS = {"repo": "http://linux.duke.edu/metadata/repo"}

CoprCli = Callable[..., subprocess.CompletedProcess]


def created_ids(result: subprocess.CompletedProcess) -> list[int]:
    """The ids of `Created builds: 7 8` in copr-cli's output."""
    match = re.search(r"^Created builds: ([\d ]+)$", result.stdout, re.MULTILINE)
    assert match, f"no 'Created builds:' line in: {result.stdout}{result.stderr}"
    return [int(number) for number in match.group(1).split()]


def submit(copr_cli: CoprCli, project: str, *args: str | Path) -> int:
    """`copr-cli build <project> <args> --nowait`; the new build's id."""
    result = copr_cli("build", project, *map(str, args), "--nowait")
    assert result.returncode == 0, result.stdout + result.stderr
    return created_ids(result)[0]


def build_dir(owner: str, project: str, chroot: str, build_id: int, package: str | None = None) -> str:
    """A build's result directory, relative to the results root: `<o>/<p>/<chroot>/%08d[-<pkg>]`."""
    name = f"{build_id:08d}" + (f"-{package}" if package else "")
    return f"{owner}/{project}/{chroot}/{name}"


def srpm_dir(owner: str, project: str, build_id: int) -> str:
    return build_dir(owner, project, "srpm-builds", build_id)


def get_json(url: str) -> object:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return response.json()


def download(url: str, target: Path) -> Path:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    target.write_bytes(response.content)
    return target


def listed_files(url: str, suffix: str = "") -> list[str]:
    """The file names a directory listing of the backend links to (ending in `suffix`)."""
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    names = re.findall(r'href="([^"?/]+)"', response.text)
    return sorted(name for name in names if name.endswith(suffix))


def sort_packages(packages: list[dict]) -> list[dict]:
    return sorted(packages, key=lambda p: (p["name"], p["arch"]))


def _decompress(name: str, data: bytes) -> bytes:
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name.endswith(".bz2"):
        return bz2.decompress(data)
    if name.endswith(".zst"):
        import zstandard  # only if the backend's createrepo_c ever defaults to zstd

        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return data


def _in_backend(host, repo_dir: str) -> Callable[[str], bytes | None]:
    """A reader of a repository's files inside the backend container (None: no such file)."""
    def read(name: str) -> bytes | None:
        found = host.file(f"{repo_dir}/{name}")
        return found.content if found.exists else None
    return read


def _over_http(repo_url: str) -> Callable[[str], bytes | None]:
    """A reader of a repository's files through the backend's public URL (None: 404)."""
    def read(name: str) -> bytes | None:
        response = requests.get(f"{repo_url.rstrip('/')}/{name}", timeout=30)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, f"{response.url} answered {response.status_code}"
        return response.content
    return read


def _counts(read: Callable[[str], bytes | None], where: str) -> dict[str, int]:
    repomd = read("repodata/repomd.xml")
    if repomd is None:
        raise AssertionError(f"{where}/repodata/repomd.xml does not exist")
    root = ET.fromstring(repomd)
    counts = {}
    for kind in ("primary", "filelists"):
        data = root.find(f"repo:data[@type='{kind}']", REPO_NS)
        assert data is not None, f"{where}/repodata/repomd.xml lists no {kind}"
        href = data.find("repo:location", REPO_NS).get("href")
        content = read(href)
        assert content is not None, f"{where}/{href} does not exist"
        match = re.search(rb'<(?:metadata|filelists)[^>]*\spackages="(\d+)"', _decompress(href, content))
        assert match, f"{href} has no packages count"
        counts[kind] = int(match.group(1))
    return counts


def _names(read: Callable[[str], bytes | None], where: str) -> list[str]:
    repomd = read("repodata/repomd.xml")
    assert repomd is not None, f"{where}/repodata/repomd.xml does not exist"
    href = ET.fromstring(repomd).find("repo:data[@type='primary']/repo:location", REPO_NS).get("href")
    content = read(href)
    assert content is not None, f"{where}/{href} does not exist"
    names = re.findall(r"<name>([^<]+)</name>\s*<arch>([^<]+)</arch>", _decompress(href, content).decode())
    return sorted(f"{name}.{arch}" for name, arch in names)


def repo_package_counts(host, repo_dir: str) -> dict[str, int]:
    """The `packages` attribute of the primary and filelists metadata of the repository whose
    `repodata/` is in `repo_dir` (read inside the backend container with testinfra)."""
    return _counts(_in_backend(host, repo_dir), repo_dir)


def repo_package_names(host, repo_dir: str) -> list[str]:
    """`name.arch` of every package in a repository's primary metadata (sorted)."""
    return _names(_in_backend(host, repo_dir), repo_dir)


def served_package_counts(repo_url: str) -> dict[str, int]:
    """repo_package_counts of the repository the backend serves at `repo_url` (black-box)."""
    return _counts(_over_http(repo_url), repo_url)


def served_package_names(repo_url: str) -> list[str]:
    """repo_package_names of the repository the backend serves at `repo_url` (black-box)."""
    return _names(_over_http(repo_url), repo_url)


def served(url: str) -> bool:
    """Whether the backend serves `url` (200) or not (404); anything else fails the test."""
    response = requests.get(url, timeout=10)
    assert response.status_code in (200, 404), f"{url} answered {response.status_code}"
    return response.status_code == 200


def rpm_query(path: Path, queryformat: str) -> str:
    result = subprocess.run(["rpm", "-qp", "--nosignature", "--qf", queryformat, str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout
