"""Engine helpers that need no Podman: socket discovery, stream decoding, rpm messages."""

from harness.artifacts.packages import rpm_failure
from harness.podman.engine import _unframe
from harness.podman.service import candidate_sockets


def test_container_host_wins():
    assert candidate_sockets({"CONTAINER_HOST": "unix:///x.sock"}, 0) == ["unix:///x.sock"]


def test_rootful_then_rootless():
    urls = candidate_sockets({"XDG_RUNTIME_DIR": "/run/user/1000"}, 0)
    assert urls == ["unix:///run/podman/podman.sock", "unix:///run/user/1000/podman/podman.sock"]
    assert candidate_sockets({"XDG_RUNTIME_DIR": "/run/user/1000"}, 1000) == urls[1:]


def test_unframe_joins_stdout_and_stderr_frames():
    data = b"\x01\x00\x00\x00\x00\x00\x00\x03out" + b"\x02\x00\x00\x00\x00\x00\x00\x04err\n"
    assert _unframe(data) == "outerr\n"
    assert _unframe(b"plain text") == "plain text"


def test_rpm_failure_names_the_missing_requirement():
    output = (
        "rpm: RPM should not be used directly install RPM packages, use Alien instead!\n"
        "error: Failed dependencies:\n"
        "\tpython3-copr-common >= 1.8 is needed by copr-frontend-2.7-1.noarch\n"
    )
    assert rpm_failure(output) == (
        "Failed dependencies: python3-copr-common >= 1.8 is needed by copr-frontend-2.7-1.noarch"
    )


def test_a_runs_secrets_are_found_by_their_name():
    from harness.naming import LABEL_RUN
    from harness.podman.engine import _carries

    assert _carries("copr-harness.ch-1.frontend-env", LABEL_RUN, "ch-1")
    assert _carries("copr-harness.ch-1.frontend-env", LABEL_RUN, "")
    assert not _carries("copr-harness.ch-1.frontend-env", LABEL_RUN, "ch-2")
    assert not _carries("copr-harness.ch-1-x.frontend-env", LABEL_RUN, "ch-1")
    assert not _carries("someone-elses", LABEL_RUN, "")
    assert not _carries("ch-1.a-users-own-secret", LABEL_RUN, "")
    assert not _carries("copr-harness.ch-1.frontend-env", "other.label", "")
