"""run.json, summary.md, tmt's results and the history index, from fixture runs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from harness.model.scenario import load_scenario
from harness.reports import build_times, history, junit_html, publish, run_record, summary

from . import report_fixtures as fx


def write_run(reports: Path, run_id: str, started: float, junit_text: str, code: int) -> Path:
    folder = reports / run_id
    folder.mkdir(parents=True)
    (folder / "sanity.junit.xml").write_text(junit_text)
    (folder / "bringup.json").write_text(json.dumps({"run_id": run_id, "events": fx.bringup()}))
    (folder / build_times.FILE).write_text(json.dumps(fx.builds()))
    path, scenario = load_scenario(None)
    publish.suite(folder, "sanity", run_id, path, scenario, started, code)
    return folder


def test_a_suite_run_leaves_its_record_page_summary_and_tmt_results(tmp_path, monkeypatch):
    monkeypatch.setattr("harness.paths.REPORTS", tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    folder = write_run(tmp_path, "r1", fx.T, fx.JUNIT, 1)
    record = json.loads((folder / "run.json").read_text())
    path, scenario = load_scenario(None)
    assert record["scenario"] == {"path": "scenarios/default.yaml",
                                  "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    frontend = record["components"]["frontend"]["packages"]
    assert frontend and {p["name"]: p["source"] for p in frontend} == {
        "python3-copr-common": "PyPI copr-common==1.7", "copr-frontend": "spec"}
    assert frontend[0]["nvr"] == f"{frontend[0]['name']}-{scenario.candidate[frontend[0]['name']].evr}"
    assert record["verdict"] == "failed" and record["pytest_exit_code"] == 1
    assert record["harness"]["version"] and set(record["tools"]) == {"podman", "copr-cli", "python-copr"}
    assert record["tools"]["python-copr"] and record["host"]
    assert record["timings"]["bringup_seconds"] == 7.8
    assert record["timings"]["build_latency_p50"] == fx.LATENCY_MEDIAN
    page = (folder / "sanity.html").read_text()
    assert page.index("FAILED") < page.index(record["scenario"]["sha256"][:12]) < page.index("Failures")
    text = (folder / summary.FILE).read_text()
    assert text.splitlines()[0] == "## ❌ copr-harness sanity suite, run r1: FAILED"
    assert "**1 failed, 1 passed, 1 expected failure, 1 skipped**" in text
    # Inside HTML tags, escaped: GitHub would take <fails> for a tag.
    assert "<details><summary>❌ <code>tests.sanity.test_builds::test_build_&lt;fails&gt;</code>" in text
    assert f"`{frontend[0]['nvr']}`" in text
    results = yaml.safe_load((folder / summary.TMT_FILE).read_text())
    assert [(r["name"], r["result"]) for r in results] == [
        ("/tests/sanity/test_smoke/test_frontend_answers", "pass"),
        ("/tests/sanity/test_builds/test_build_<fails>", "fail"),
        ("/tests/sanity/test_results/test_skipped", "skip"),
        ("/tests/sanity/test_results/test_known_bug", "pass")]
    assert results[1]["duration"] == "00:00:12" and results[3]["note"].startswith("expected failure")


def test_the_summary_goes_to_the_github_step_summary_too(tmp_path, monkeypatch):
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    cases = junit_html.cases(fx.junit(tmp_path))
    summary.write(tmp_path, "sanity", "failed", cases, None)
    assert step.read_text().startswith("earlier step\n## ❌ sanity: FAILED")


def test_the_history_lists_every_run_newest_first_with_a_trend(tmp_path, monkeypatch):
    monkeypatch.setattr("harness.paths.REPORTS", tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    passing = fx.JUNIT.replace("<failure", "<system-out").replace("</failure>", "</system-out>")
    write_run(tmp_path, "older", fx.T, passing, 0)
    write_run(tmp_path, "newer", fx.T + 1000, fx.JUNIT, 1)
    (tmp_path / "no-record").mkdir()  # a folder without run.json is not a run
    records = history.runs(tmp_path)
    assert [r["run_id"] for r in records] == ["older", "newer"]
    page = (tmp_path / history.FILE).read_text()
    assert page.index('<a href="newer/sanity.html">') < page.index('<a href="older/sanity.html">')
    assert '<td class="passed">PASSED</td>' in page and '<td class="failed">FAILED</td>' in page
    assert page.count("<circle") == 2 and "<script" not in page
    assert f"<td>{fx.LATENCY_MEDIAN}</td>" in page


def test_a_package_source_comes_from_the_scenario_when_it_says(tmp_path):
    class Given:
        source, rpm = "pypi", None

    class Prebuilt:
        rpm = Path("x.rpm")

    class FromSpec:
        rpm = None

    assert [run_record.source_of(v) for v in (Given(), Prebuilt(), FromSpec())] == ["pypi", "rpm", "spec"]


def test_a_rehearsal_leaves_its_record_with_both_package_sets_and_a_summary(tmp_path, monkeypatch):
    from harness.paths import ROOT

    monkeypatch.setattr("harness.paths.REPORTS", tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    folder = tmp_path / "r2"
    folder.mkdir()
    path, scenario = load_scenario(ROOT / "scenarios" / "migration-fails.yaml")
    publish.rehearsal(folder, "r2", path, scenario, fx.T, fx.rehearsal_summary(), [Path("logs/backend.log")])
    record = run_record.load(folder)
    assert record["kind"] == "rehearsal" and record["verdict"] == "failed"
    assert set(record["package_sets"]) == {"production", "candidate"}
    assert record["rules"] == {"rpm-transactions": True, "builds-completed": False}
    page = (folder / "rehearsal.html").read_text()
    assert page.index('<div class="banner failed"') < page.index(record["scenario"]["sha256"][:12])
    assert "builds-completed" in (folder / summary.FILE).read_text()
    assert [r["run_id"] for r in history.runs(tmp_path)] == ["r2"]
