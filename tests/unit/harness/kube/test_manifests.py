"""The Kubernetes export's manifests, generated without Podman."""

from __future__ import annotations

import base64
import stat

import pytest
import yaml

from harness.kube import manifests as kube
from harness.model.components import all_components
from harness.naming import LABEL_RUN, secret_run_id

RUN = "ch-kube-1"
COMPONENTS = ["database", "frontend", "backend", "distgit", "keygen", "builder"]
SECRETS = {
    "db_password": "db-pw-Zq81",
    "backend_password": "be-pw-Xy27",
    "builder_ssh_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nkey-body-Qw93\n-----END OPENSSH PRIVATE KEY-----\n",
    "builder_ssh_pubkey": "ssh-ed25519 AAAApub-Rt55 copr-harness",
}
TOKENS = ["db-pw-Zq81", "be-pw-Xy27", "key-body-Qw93", "pub-Rt55"]  # one unique part of each
PORTS = {"frontend": 41001, "backend": 41002, "distgit": 41003}


@pytest.fixture(scope="module")
def files() -> dict[str, list[dict]]:
    tags = {c: f"localhost/copr-harness/{c}-installed:abc123" for c in COMPONENTS}
    return kube.manifests(RUN, COMPONENTS, tags, PORTS, SECRETS)


def kinds(files, kind):
    return [d for docs in files.values() for d in docs if d["kind"] == kind]


def pod(files, instance):
    return next(p for p in kinds(files, "Pod") if p["metadata"]["name"] == instance)


def env_of(files, component):
    """A component's whole environment: its ConfigMap plus its decoded Secret."""
    values = dict(next(c for c in kinds(files, "ConfigMap")
                       if c["metadata"]["name"] == f"{RUN}-{component}-env")["data"])
    for secret in kinds(files, "Secret"):
        if secret["metadata"]["labels"]["copr-harness.component"] == component:
            values |= {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    return values


def test_one_pod_and_one_headless_service_per_instance(files):
    instances = [i.name for c in COMPONENTS for i in all_components()[c].instances(RUN)]
    assert sorted(p["metadata"]["name"] for p in kinds(files, "Pod")) == sorted(instances)
    services = {s["metadata"]["name"]: s for s in kinds(files, "Service")}
    assert sorted(services) == sorted(instances)
    for name, service in services.items():
        assert service["spec"]["clusterIP"] == "None"
        assert service["spec"]["selector"] == pod(files, name)["metadata"]["labels"]
        assert service["spec"]["ports"], name


def test_every_resource_carries_the_run_label_and_the_kustomization_lists_every_file(files):
    for name, docs in files.items():
        if name == "kustomization.yaml":
            continue
        for doc in docs:
            assert doc["metadata"]["labels"][LABEL_RUN] == RUN, (name, doc["metadata"]["name"])
    kustomization = files["kustomization.yaml"][0]
    assert sorted(kustomization["resources"]) == sorted(n for n in files if n != "kustomization.yaml")
    assert kustomization["namespace"] == f"copr-harness-{RUN}"
    assert {i["name"] for i in kustomization["images"]} == {
        f"localhost/copr-harness/{c}-installed" for c in COMPONENTS}


def test_no_secret_outside_the_secret_file(files):
    for name, docs in files.items():
        if name != "secret.yaml":
            text = kube.dump(docs)
            assert not [t for t in TOKENS if t in text], name
    decoded = " ".join(str(env_of(files, c)) for c in COMPONENTS)
    assert all(token in decoded for token in TOKENS)
    assert env_of(files, "frontend")["DATABASE_URL"] == (
        f"postgresql+psycopg2://copr-fe:{SECRETS['db_password']}@{RUN}-database/coprdb")
    assert env_of(files, "backend")["BUILDER_SSH_KEY"] == SECRETS["builder_ssh_key"]
    assert all(secret_run_id(s["metadata"]["name"]) == RUN for s in kinds(files, "Secret"))


def test_internal_names_are_the_pods_and_public_urls_the_host_ports(files):
    backend = env_of(files, "backend")
    assert backend["FRONTEND_URL"] == f"http://{RUN}-frontend:5000"
    assert backend["KEYGEN_URL"] == f"http://{RUN}-keygen:5003"
    assert backend["BUILDERS"] == f"{RUN}-builder-1 {RUN}-builder-2"
    assert backend["RESULTS_PUBLIC_URL"] == f"http://127.0.0.1:{PORTS['backend']}/results"
    assert env_of(files, "frontend")["PUBLIC_URL"] == f"http://127.0.0.1:{PORTS['frontend']}"
    ports = pod(files, f"{RUN}-frontend")["spec"]["containers"][0]["ports"]
    assert ports == [{"containerPort": 5000, "hostPort": PORTS["frontend"], "hostIP": "127.0.0.1"}]
    assert "ports" not in pod(files, f"{RUN}-keygen")["spec"]["containers"][0]


def test_dependants_wait_for_their_dependencies_in_an_init_container(files):
    def waits(instance):
        init = pod(files, instance)["spec"].get("initContainers", [])
        return init[0]["command"][-1] if init else ""

    assert f"/dev/tcp/{RUN}-database/5432" in waits(f"{RUN}-frontend")
    assert f"/dev/tcp/{RUN}-frontend/5000" in waits(f"{RUN}-backend")
    assert f"/dev/tcp/{RUN}-keygen/5003" in waits(f"{RUN}-backend")
    assert waits(f"{RUN}-database") == ""
    assert f"deadline=$((SECONDS + {kube.DEPENDENCY_TIMEOUT}))" in waits(f"{RUN}-frontend")


def test_pods_refer_only_to_defined_configs_secrets_and_claims(files):
    configs = {c["metadata"]["name"] for c in kinds(files, "ConfigMap")}
    secrets = {s["metadata"]["name"] for s in kinds(files, "Secret")}
    claims = {c["metadata"]["name"] for c in kinds(files, "PersistentVolumeClaim")}
    for manifest in kinds(files, "Pod"):
        spec = manifest["spec"]
        assert spec["restartPolicy"] == "Never"
        container = spec["containers"][0]
        for source in container["envFrom"]:
            if "configMapRef" in source:
                assert source["configMapRef"]["name"] in configs
            else:
                assert source["secretRef"]["name"] in secrets
        assert "readinessProbe" in container
        mounted = {m["name"] for m in container["volumeMounts"]}
        assert mounted == {v["name"] for v in spec.get("volumes", [])}
        for volume in spec.get("volumes", []):
            assert volume["persistentVolumeClaim"]["claimName"] in claims
    assert f"{RUN}-database-data" in claims


def test_written_files_parse_back_and_the_secret_is_private(files, tmp_path):
    written = kube.write(tmp_path, files)
    assert sorted(p.name for p in written) == sorted(files)
    for path in written:
        assert list(yaml.safe_load_all(path.read_text())) == files[path.name]
        assert "&id" not in path.read_text()  # no YAML anchors: every tool reads plain YAML
    assert stat.S_IMODE((tmp_path / "secret.yaml").stat().st_mode) == 0o600


def test_images_with_rpms_get_a_tag_per_content(tmp_path):
    one, two = tmp_path / "a-1.rpm", tmp_path / "b-1.rpm"
    one.write_bytes(b"one")
    two.write_bytes(b"two")
    tag = kube.installed_tag("frontend", [one, two])
    assert tag.startswith("localhost/copr-harness/frontend-installed:")
    assert kube.installed_tag("frontend", [two, one]) == tag
    two.write_bytes(b"changed")
    assert kube.installed_tag("frontend", [one, two]) != tag
