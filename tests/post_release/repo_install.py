"""Installing a package from a Copr repository over HTTP only (black-box): the repository's
metadata lists it, its RPM downloads, verifies against the project's key and installs in a
scratch rpm root with a real rpm transaction."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import requests

from harness.gates.copr_waits import wait_url
from tests.sanity._builds import REPO_NS, _decompress


def install_from_repo(repo_url: str, package: str, pubkey_url: str, root: Path) -> str:
    """Install `package` from the repository at `repo_url` into the rpm root `root`; return the
    installed NVR (rpm -q)."""
    repo_url = repo_url.rstrip("/")
    repomd = ET.fromstring(wait_url(f"{repo_url}/repodata/repomd.xml").content)
    primary = repomd.find("repo:data[@type='primary']/repo:location", REPO_NS)
    assert primary is not None, f"{repo_url}/repodata/repomd.xml lists no primary metadata"
    href = primary.get("href")
    metadata = ET.fromstring(_decompress(href, requests.get(f"{repo_url}/{href}", timeout=30).content))
    common = "{http://linux.duke.edu/metadata/common}"
    locations = [p.find(f"{common}location").get("href") for p in metadata.iter(f"{common}package")
                 if p.findtext(f"{common}name") == package]
    assert locations, f"{repo_url}: the repository does not list {package}"
    rpm = root.parent / Path(locations[0]).name
    response = requests.get(f"{repo_url}/{locations[0]}", timeout=60)
    assert response.ok, f"{repo_url}/{locations[0]}: {response.status_code}"
    rpm.write_bytes(response.content)
    key = root.parent / "pubkey.gpg"
    key.write_text(wait_url(pubkey_url).text)
    root.mkdir(parents=True, exist_ok=True)
    for command in (["rpmkeys", "--root", str(root), "--import", str(key)],
                    ["rpmkeys", "--root", str(root), "--checksig", str(rpm)],
                    ["rpm", "--root", str(root), "-i", "--nodeps", "--ignoreos", str(rpm)]):
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 0, f"{' '.join(command[:1] + command[3:])}: {done.stdout}{done.stderr}"
    return subprocess.run(["rpm", "--root", str(root), "-q", package], capture_output=True,
                          text=True, check=True).stdout.strip()
