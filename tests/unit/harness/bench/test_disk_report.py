"""The load test's disk report, run the way the load test runs it in the backend: `python3 -c`
with the file's text, on a results tree made here."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

PRIMARY = ('<metadata><package><location href="00000007-hello/hello-1-1.noarch.rpm"/></package>'
           '</metadata>')


def results_tree(root: Path) -> None:
    chroot = root / "alice" / "p" / "fedora-44-x86_64"
    build = chroot / "00000007-hello"
    build.mkdir(parents=True)
    (build / "hello-1-1.noarch.rpm").write_bytes(b"rpm")
    (build / "hello-1-1.src.rpm").write_bytes(b"srpm")
    (build / "results.json").write_text('{"packages": [{"name": "hello"}]}')
    (build / "success").write_text("")
    (chroot / "not-a-build").mkdir()
    (root / "alice" / "p" / "srpm-builds" / "00000007").mkdir(parents=True)
    repodata = chroot / "repodata"
    repodata.mkdir()
    with gzip.open(repodata / "abc-primary.xml.gz", "wt") as handle:
        handle.write(PRIMARY)
    (repodata / "repomd.xml").write_text(
        '<repomd><data type="other"><location href="repodata/x-other.xml.gz"/></data>'
        '<data type="primary"><location href="repodata/abc-primary.xml.gz"/></data></repomd>')


def test_the_report_lists_result_dirs_rpms_and_repodata(tmp_path):
    results_tree(tmp_path)
    script = resources.files("harness.bench").joinpath("disk_report.py").read_text()
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path), "alice/p", "bob/none"],
                          capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    assert report["bob/none"] == {"srpm_dirs": [], "chroots": {}}
    project = report["alice/p"]
    assert project["srpm_dirs"] == ["00000007"]
    chroot = project["chroots"]["fedora-44-x86_64"]
    assert chroot["dirs"] == {"00000007-hello": {
        "rpms": ["hello-1-1.noarch.rpm", "hello-1-1.src.rpm"],
        "results": {"packages": [{"name": "hello"}]}, "success": True}}
    assert chroot["rpms"] == ["00000007-hello/hello-1-1.noarch.rpm", "00000007-hello/hello-1-1.src.rpm"]
    assert chroot["repodata"] == ["00000007-hello/hello-1-1.noarch.rpm"]
