"""The benchmark's table, JSON document and figure selection (nothing measured here)."""

from __future__ import annotations

import json

import pytest

from harness.bench import bench
from harness.errors import InfraError, InputError


def figures() -> list[bench.Figure]:
    return [
        bench.Figure("up", 8.4, "s", 15, "warm up, median of 3", {"seconds": [8.1, 8.4, 9.0]}),
        bench.Figure("sanity-auto", 201.5, "s", 180, "sanity -n auto"),
        bench.Figure("overhead", 1.07, "x", None, "harness / podman CLI"),
        bench.Figure("cold-sanity", None, "s", 600, "not measured"),
    ]


def test_verdict_compares_with_the_target():
    assert [f.verdict for f in figures()] == ["ok", "OVER", "-", "n/a"]


def test_table_puts_targets_beside_the_figures():
    lines = bench.table(figures()).splitlines()
    assert lines[0].split() == ["FIGURE", "MEASURED", "TARGET", "VERDICT", "WHAT"]
    assert lines[1].split()[:6] == ["up", "8.4", "s", "<=", "15", "s"]
    assert "ok" in lines[1].split() and "OVER" in lines[2].split()
    assert lines[3].split()[:4] == ["overhead", "1.07", "x", "-"]
    assert lines[4].split()[:5] == ["cold-sanity", "-", "<=", "600", "s"]
    # columns line up: every row's MEASURED starts where the header's does
    column = lines[0].index("MEASURED")
    assert all(line[column - 2:column] == "  " for line in lines)


def test_json_document_has_figures_and_conditions(tmp_path):
    path = bench.write(figures(), repeat=3, path=tmp_path / "bench.json")
    data = json.loads(path.read_text())
    assert data["repeat"] == 3 and data["cores"] >= 1 and len(data["load_average"]) == 3
    assert data["figures"][0] == {"name": "up", "value": 8.4, "unit": "s", "target": 15,
                                  "what": "warm up, median of 3", "detail": {"seconds": [8.1, 8.4, 9.0]},
                                  "error": "", "verdict": "ok"}
    assert [f["verdict"] for f in data["figures"]] == ["ok", "OVER", "-", "n/a"]


def test_unknown_figures_and_bad_repeat_are_refused_before_anything_runs():
    with pytest.raises(InputError, match="unknown figure.*nope.*known: up, images-cold"):
        bench.run(engine=None, only=["up", "nope"], repeat=3)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="--repeat"):
        bench.run(engine=None, only=["up"], repeat=0)  # type: ignore[arg-type]


def test_selected_figures_come_in_table_order_with_what_they_need(monkeypatch):
    calls = []

    def fake(name: str):
        def measure(self: bench.Bench) -> bench.Figure:
            calls.append(name)
            if name == "cold-sanity":
                self.figure("images-cold")
            return bench.Figure(name, 1.0, "s")
        return measure

    monkeypatch.setattr(bench, "FIGURES", {n: (d, fake(n)) for n, (d, _) in bench.FIGURES.items()})
    monkeypatch.setattr(bench, "load_scenario", lambda path: (None, None))
    done = bench.run(engine=None, only=["cold-sanity", "up"], repeat=1)  # type: ignore[arg-type]
    assert [f.name for f in done] == ["up", "images-cold", "cold-sanity"]
    assert calls == ["up", "cold-sanity", "images-cold"]


def test_a_figure_that_fails_is_recorded_and_the_others_are_measured(monkeypatch):
    def broken(self: bench.Bench) -> bench.Figure:
        raise InfraError("copying files into x failed\nmore lines")

    def fine(name: str):
        return lambda self: bench.Figure(name, 9.0, "s", 15)

    figures = dict(bench.FIGURES)
    figures["up"] = (figures["up"][0], fine("up"))
    figures["images-cold"] = (figures["images-cold"][0], broken)
    figures["sanity-auto"] = (figures["sanity-auto"][0], fine("sanity-auto"))
    monkeypatch.setattr(bench, "FIGURES", figures)
    monkeypatch.setattr(bench, "load_scenario", lambda path: (None, None))
    done = bench.run(engine=None, only=["up", "cold-sanity"], repeat=1)  # type: ignore[arg-type]
    by_name = {f.name: f for f in done}
    assert list(by_name) == ["up", "images-cold", "sanity-auto", "cold-sanity"]
    assert by_name["up"].verdict == "ok"
    assert by_name["images-cold"].verdict == "FAILED"
    assert by_name["images-cold"].error == "copying files into x failed"
    assert by_name["cold-sanity"].error == "a part of the estimate failed: images-cold"
    assert "FAILED" in bench.table(done).splitlines()[2]



def test_the_document_is_written_after_each_figure(monkeypatch, tmp_path):
    path = tmp_path / "bench.json"
    seen = []

    def measure(name: str):
        def run(self: bench.Bench) -> bench.Figure:
            seen.append(json.loads(path.read_text())["figures"] if path.exists() else [])
            return bench.Figure(name, 1.0, "s")
        return run

    monkeypatch.setattr(bench, "FIGURES", {n: (d, measure(n)) for n, (d, _) in bench.FIGURES.items()})
    monkeypatch.setattr(bench, "load_scenario", lambda p: (None, None))
    bench.run(engine=None, only=["up", "build"], repeat=1, output=path)  # type: ignore[arg-type]
    assert [[f["name"] for f in figures] for figures in seen] == [[], ["up"]]
    assert [f["name"] for f in json.loads(path.read_text())["figures"]] == ["up", "build"]


def test_each_bench_run_keeps_its_own_file_and_latest_follows(tmp_path):
    first = bench.write([bench.Figure("up", 1.0, "s")], 1, tmp_path / "20260101T000000Z.json")
    second = bench.write([bench.Figure("up", 2.0, "s")], 1, tmp_path / "20260102T000000Z.json")
    assert json.loads(first.read_text())["figures"][0]["value"] == 1.0
    assert json.loads(second.read_text())["figures"][0]["value"] == 2.0
    assert json.loads((tmp_path / bench.LATEST).read_text())["figures"][0]["value"] == 2.0
    assert bench.OUTPUT.parent.name == "bench" and bench.OUTPUT.suffix == ".json"


def test_the_figures_are_measured_on_the_scenario_given(monkeypatch, tmp_path):
    """`bench SCENARIO` (e.g. the real backend's) measures that stack and says so in its file."""
    from harness.cli.grammar import parse

    loaded, path = [], tmp_path / "bench.json"

    def measure(self: bench.Bench) -> bench.Figure:
        return bench.Figure("up", 1.0, "s", detail={"scenario": self.scenario})

    monkeypatch.setattr(bench, "FIGURES", {n: (d, measure) for n, (d, _) in bench.FIGURES.items()})
    monkeypatch.setattr(bench, "load_scenario", lambda p: (loaded.append(p), f"loaded {p}"))
    given = parse(["bench", "scenarios/mixed-common.yaml", "--only", "up"]).scenario
    [figure] = bench.run(engine=None, only=["up"], repeat=1, output=path,  # type: ignore[arg-type]
                         scenario=given)
    assert loaded == [given] and str(given) == "scenarios/mixed-common.yaml"
    assert figure.detail == {"scenario": f"loaded {given}"}
    assert json.loads(path.read_text())["scenario"] == "scenarios/mixed-common.yaml"
    bench.run(engine=None, only=["up"], repeat=1, output=path)  # type: ignore[arg-type]
    assert loaded[-1] is None and json.loads(path.read_text())["scenario"] == "scenarios/default.yaml"
