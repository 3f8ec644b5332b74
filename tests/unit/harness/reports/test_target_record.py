"""A run against a target leaves the same files as a local run (run.json, the page, summary.md,
the history row), naming the Copr tested and the versions its API reported, never local NVRs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.model.target import load_target
from harness.reports import history, publish, run_record, summary

from . import report_fixtures as fx

FRONTEND = "https://copr.dev.example.org"
VERSIONS = {"api_3": "3", "fe_be_api": "9"}


def write_target(folder: Path) -> Path:
    (folder / "alice.conf").write_text("[copr-cli]\n")
    path = folder / "dev.yaml"
    path.write_text(f"urls: {{frontend: '{FRONTEND}/', backend: 'https://download.dev.example.org',"
                    " distgit: 'https://distgit.dev.example.org'}\n"
                    "users: {alice: alice.conf}\nowner: '@copr'\nchroots: [fedora-44-x86_64]\n"
                    "expected_packages: {copr-fe: [copr-frontend-2.2-1.fc44]}\n")
    return path


def publish_run(reports: Path, code: int, versions: dict[str, str] = VERSIONS) -> Path:
    folder = reports / "t1"
    folder.mkdir(parents=True)
    (folder / "sanity.junit.xml").write_text(fx.JUNIT)
    target_file = write_target(reports)
    publish.target_suite(folder, "sanity", "t1", target_file, load_target(target_file), versions,
                         fx.T, code)
    return folder


def test_run_json_names_the_target_and_its_reported_versions(tmp_path, monkeypatch):
    monkeypatch.setattr("harness.paths.REPORTS", tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    folder = publish_run(tmp_path, 1)
    record = json.loads((folder / run_record.FILE).read_text())
    assert record["kind"] == "sanity" and record["run_id"] == "t1"
    assert record["verdict"] == "failed" and record["pytest_exit_code"] == 1
    assert record["target"]["urls"] == {"frontend": FRONTEND,
                                        "backend": "https://download.dev.example.org",
                                        "distgit": "https://distgit.dev.example.org"}
    target_file = tmp_path / "dev.yaml"
    assert record["target"]["sha256"] == hashlib.sha256(target_file.read_bytes()).hexdigest()
    assert (record["target"]["owner"], record["target"]["chroots"]) == ("@copr", ["fedora-44-x86_64"])
    assert record["versions"] == VERSIONS
    assert record["expected_packages"] == {"copr-fe": ["copr-frontend-2.2-1.fc44"]}
    # No scenario and no NVRs of this machine's packages: the target was not made here.
    assert "scenario" not in record and "components" not in record
    assert record["tests"] == {"passed": 1, "failed": 1, "error": 0, "skipped": 1, "xfailed": 1}
    assert record["harness"]["version"] and record["tools"]["python-copr"]


def test_the_reports_first_line_says_which_copr_was_tested(tmp_path, monkeypatch):
    monkeypatch.setattr("harness.paths.REPORTS", tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    folder = publish_run(tmp_path, 0)
    text = (folder / summary.FILE).read_text()
    assert text.splitlines()[0] == (f"## ✅ copr-harness sanity suite against the Copr at "
                                    f"{FRONTEND}: PASSED")
    assert f"frontend {FRONTEND} · backend https://download.dev.example.org" in text
    assert "API versions: api_3 3, fe_be_api 9" in text
    assert "| component | packages |" not in text  # no local NVRs to list
    page = (folder / "sanity.html").read_text()
    assert f"<title>copr-harness sanity suite against the Copr at {FRONTEND}" in page
    assert f"<td><b>Copr tested</b></td><td>{FRONTEND}</td>" in page
    assert "copr-frontend-2.2-1.fc44" in page  # the target file's expectation, labelled as such
    assert "copr-fe (expected)" in page
    index = (tmp_path / history.FILE).read_text()
    assert f"the Copr at {FRONTEND}" in index and "t1" in index


def test_a_version_the_copr_did_not_report_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr("harness.paths.REPORTS", tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    folder = publish_run(tmp_path, 0, {"api_3": "3", "fe_be_api": ""})
    assert "API versions: api_3 3, fe_be_api not reported" in (folder / summary.FILE).read_text()
