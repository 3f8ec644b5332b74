"""Target files: validated like a scenario; a credential in the file is refused naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import InputError
from harness.model.target import load_target


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "alice.conf").write_text("[copr-cli]\n")
    (tmp_path / "bob.conf").write_text("[copr-cli]\n")
    path = tmp_path / "target.yaml"
    path.write_text(text)
    return path


GOOD = """\
urls:
  frontend: https://copr.example.org/
  backend: https://download.copr.example.org
users:
  alice: alice.conf
chroots: [fedora-44-x86_64]
"""


def test_a_minimal_target_loads_with_its_defaults(tmp_path):
    target = load_target(_write(tmp_path, GOOD))
    assert target.urls.frontend == "https://copr.example.org"
    assert target.users["alice"] == (tmp_path / "alice.conf").resolve()
    assert target.default_user == "alice" and target.owner == "alice"
    assert target.capabilities() == set()


def test_capabilities_follow_what_the_file_gives(tmp_path):
    path = _write(tmp_path, GOOD + "hosts: {backend: ssh://copr-be.example.org}\n")
    path.write_text(path.read_text().replace("  alice: alice.conf\n",
                                             "  alice: alice.conf\n  bob: bob.conf\n"))
    assert load_target(path).capabilities() == {"hosts", "second_user"}


def test_container_access_needs_a_run_and_its_podman_hosts(tmp_path):
    # A run's black-box target file (run_id, no hosts) gives no access to its containers.
    assert "containers" not in load_target(_write(tmp_path, GOOD + "run_id: r1\n")).capabilities()
    ssh = _write(tmp_path, GOOD + "run_id: r1\nhosts: {backend: ssh://copr-be.example.org}\n")
    assert "containers" not in load_target(ssh).capabilities()
    podman = _write(tmp_path, GOOD + "run_id: r1\nhosts: {backend: podman://r1-backend}\n")
    assert load_target(podman).capabilities() == {"hosts", "containers"}


@pytest.mark.parametrize("text, field", [
    (GOOD.replace("  frontend: https://copr.example.org/\n", ""), "urls.frontend"),
    (GOOD.replace("https://copr.example.org/", "copr.example.org"), "urls.frontend"),
    (GOOD.replace("  backend: https://download.copr.example.org\n", ""), "urls.backend"),
    (GOOD.replace("alice.conf", "missing.conf"), "users.alice"),
    (GOOD + "token: abc\n", "token"),
    (GOOD.replace("  alice: alice.conf\n", "  alice: {login: x}\n"), "users.alice.login"),
    (GOOD + "owner: " + "q" * 30 + "\n", "owner"),
    (GOOD + "default_user: carol\n", "default_user"),
    (GOOD + "intact_project: lonely\n", "intact_project"),
    (GOOD + "surprise: 1\n", "surprise"),
])
def test_a_bad_target_is_one_line_naming_the_field(tmp_path, text, field):
    with pytest.raises(InputError) as caught:
        load_target(_write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message
    assert f": {field}: " in message, message
    assert "q" * 30 not in message  # a token-like value is never echoed
