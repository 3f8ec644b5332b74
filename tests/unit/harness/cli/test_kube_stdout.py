"""`kube -o -`: the manifests as one YAML stream on stdout (for `kubectl apply -f -`), nothing
else there, nothing written to a folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness import cli
from harness.kube import manifests as kube
from harness.kube import play as kube_play
from harness.paths import ROOT

RUN = "ch-kube-out"
COMPONENTS = ["database", "frontend", "backend", "builder"]
SECRETS = {"db_password": "pw-1", "backend_password": "pw-2", "builder_ssh_key": "k",
           "builder_ssh_pubkey": "p"}
PORTS = {"frontend": 41001, "backend": 41002}


@pytest.fixture(scope="module")
def files() -> dict[str, list[dict]]:
    tags = {c: f"localhost/copr-harness/{c}-installed:abc" for c in COMPONENTS}
    return kube.manifests(RUN, COMPONENTS, tags, PORTS, SECRETS)


def test_the_stream_holds_every_resource_in_apply_order_in_its_namespace(files):
    documents = list(yaml.safe_load_all(kube.stream(files)))
    kustomization = files["kustomization.yaml"][0]
    expected = [d for name in kustomization["resources"] for d in files[name]]
    assert [(d["kind"], d["metadata"]["name"]) for d in documents] == \
        [(d["kind"], d["metadata"]["name"]) for d in expected]
    assert documents[0]["kind"] == "Namespace"
    for document in documents[1:]:
        assert document["metadata"]["namespace"] == kustomization["namespace"], document["kind"]
    assert "namespace" not in files["config.yaml"][0]["metadata"]  # the files are left as they are


def test_kube_o_dash_prints_only_the_manifests(engine, files, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    seen = {}

    def export(engine, scenario, run_id, folder, package_set="candidate"):
        seen["folder"] = folder
        return kube_play.Export(run_id, COMPONENTS, folder, files, PORTS, Path("s.yaml"))

    monkeypatch.setattr(kube_play, "export", export)
    scenario = str(ROOT / "scenarios" / "default.yaml")
    assert cli.main(["kube", scenario, "-o", "-", "--run-id", RUN]) == 0
    out = capsys.readouterr().out
    assert seen["folder"] is None  # nothing written
    assert list(yaml.safe_load_all(out)) == list(yaml.safe_load_all(kube.stream(files)))
    assert not (tmp_path / "build").exists()


def test_kube_o_dash_with_play_is_bad_input(engine, capsys):
    assert cli.main(["kube", "-o", "-", "--play"]) == 2
    assert capsys.readouterr().err == \
        "copr-harness: kube: -o - prints the manifests; --play needs a folder (-o FOLDER)\n"
    assert engine.calls == []
