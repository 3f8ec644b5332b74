"""Images: the root file system bootstrapped with mmdebstrap, the base image, component images.

Every tag is a hash of its definition (and of its parent's tag), so an unchanged definition is a
cache hit and a changed one gets a new image. Nothing inside a build reaches a network.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from harness import progress
from harness.artifacts.archive import reproducible_tar
from harness.errors import InfraError, InputError
from harness.paths import CACHE
from harness.paths import CONTAINERS
from harness.podman.engine import Engine

REPO = "localhost/copr-harness"
LABEL_IMAGE = "copr-harness.image"


@dataclass
class ImageResult:
    """An image the harness ensured: its tag and whether it was already there."""

    tag: str
    cached: bool


def _digest(*parts: bytes) -> str:
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:12]


def _context(folder: Path) -> bytes:
    """The build context of a folder: its Containerfile and its `image/` files, reproducibly."""
    return reproducible_tar(folder, [folder / "Containerfile", *(folder / "image").rglob("*")])


def rootfs_definition() -> dict:
    """The validated contents of containers/base/rootfs.yaml."""
    path = CONTAINERS / "base" / "rootfs.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    for field in ("suite", "variant", "packages"):
        if field not in data:
            raise InputError(f"{path}: {field}: missing")
    if not isinstance(data["packages"], list) or not all(isinstance(p, str) for p in data["packages"]):
        raise InputError(f"{path}: packages: must be a list of Debian package names")
    return data


# `repo` is the name prefix of the images: REPO for the cache every run uses; the benchmark
# builds cold under a scratch prefix of its own and removes only that.
def rootfs_tag(repo: str = REPO) -> str:
    definition = rootfs_definition()
    return f"{repo}/rootfs:{_digest(repr(sorted(definition.items())).encode())}"


def base_tag(repo: str = REPO) -> str:
    return f"{repo}/base:{_digest(rootfs_tag(repo).encode(), _context(CONTAINERS / 'base'))}"


def component_tag(component: str, repo: str = REPO) -> str:
    return f"{repo}/{component}:{_digest(base_tag(repo).encode(), _context(CONTAINERS / component))}"


@contextmanager
def _lock(repo: str = REPO) -> Iterator[None]:
    """One image build at a time per prefix on this host (parallel runs share the cache; a
    scratch prefix does not hold up runs that use the cache)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    name = "images.lock" if repo == REPO else f"images-{hashlib.sha256(repo.encode()).hexdigest()[:8]}.lock"
    with (CACHE / name).open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _bootstrap(engine: Engine, tag: str) -> None:
    """mmdebstrap the root file system into a tarball and `podman import` it as `tag`."""
    if shutil.which("mmdebstrap") is None:
        raise InfraError("mmdebstrap is not installed", hint="run 'apt-get install -y mmdebstrap'")
    definition = rootfs_definition()
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rootfs-", dir=CACHE) as tmp:
        tarball = Path(tmp) / "rootfs.tar"
        command = [
            "mmdebstrap", f"--variant={definition['variant']}",
            "--include=" + ",".join(definition["packages"]),
            definition["suite"], str(tarball),
        ]
        with progress.step(f"bootstrapping {definition['suite']} with mmdebstrap "
                           f"({len(definition['packages'])} packages; about a minute)"):
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True, stdin=subprocess.DEVNULL)
            tail: list[str] = []
            assert process.stdout is not None
            for line in process.stdout:
                line = line.rstrip()
                tail = (tail + [line])[-20:]
                if line.startswith(("I: ", "E: ", "W: ")):
                    progress.say(f"  mmdebstrap: {line[3:]}")
            if process.wait() != 0:
                raise InfraError("mmdebstrap failed:\n" + "\n".join(tail))
        size = tarball.stat().st_size / 2**20
        with progress.step(f"importing the root file system ({size:.0f} MiB) as {tag}"):
            engine.import_image(tarball, tag, changes=['CMD ["/bin/bash"]'])


def _build(engine: Engine, folder: Path, tag: str, buildargs: dict[str, str], nocache: bool) -> None:
    with progress.step(f"building image {tag}"):
        engine.build_image(
            _context(folder), tag, buildargs, {LABEL_IMAGE: folder.name},
            on_line=lambda line: progress.say(f"  {folder.name}: {line}"), nocache=nocache,
        )


def ensure(engine: Engine, components: list[str], rebuild: bool = False,
           repo: str = REPO) -> dict[str, ImageResult]:
    """Make sure the rootfs, base and component images exist; return them by name."""
    results: dict[str, ImageResult] = {}
    with _lock(repo):
        tag = rootfs_tag(repo)
        cached = not rebuild and engine.image_id(tag) is not None
        if not cached:
            _bootstrap(engine, tag)
        results["rootfs"] = ImageResult(tag, cached)

        chain = [("base", CONTAINERS / "base", base_tag(repo), {"ROOTFS": tag})]
        chain += [(c, CONTAINERS / c, component_tag(c, repo), {"BASE": base_tag(repo)})
                  for c in components]
        for name, folder, image, args in chain:
            cached = not rebuild and engine.image_id(image) is not None
            if not cached:
                _build(engine, folder, image, args, nocache=rebuild)
            results[name] = ImageResult(image, cached)
    return results
