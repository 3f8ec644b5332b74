"""Reading a run's secrets back from where they live (containers, the run's state folder), for
the tests that prove they are made per run and never leak into an artefact."""

from __future__ import annotations

import base64
import configparser
import re

from harness.model.components import all_components
from harness.podman.engine import Engine
from harness.stack import users

KEYGEN_HOME = "/var/lib/copr-keygen/gnupg"
ARMOR_LINE = re.compile(r"^[A-Za-z0-9+/=]{40,}$")


def stack_env(engine: Engine, container: str, variable: str) -> str:
    """One value of a container's /etc/copr-harness/stack.env, as its services read it."""
    result = engine.exec(container, ["bash", "-c", 'set -a; . /etc/copr-harness/stack.env; '
                                                   f'printf %s "${{{variable}:-}}"'])
    assert result.ok, f"{container}: reading {variable}: {result.output}"
    return result.output


def _armor_lines(text: str) -> set[str]:
    return {line for line in text.splitlines() if ARMOR_LINE.match(line.strip())}


def keygen_secret_lines(engine: Engine, container: str) -> set[str]:
    """The base64 lines of the keygen's exported secret keys that its public keys (which are
    published on purpose) do not contain: any one of them in an artefact is a leaked key."""
    def export(what: str) -> str:
        result = engine.exec(container, ["gpg", "--homedir", KEYGEN_HOME, "--batch", "--armor",
                                         what], user="copr-signer")
        assert result.ok, f"gpg {what}: {result.output}"
        return result.output

    return _armor_lines(export("--export-secret-keys")) - _armor_lines(export("--export"))


def collect(engine: Engine, run_id: str) -> dict[str, str]:
    """Every secret of a run, by a name saying where it came from; multi-line secrets (the
    builder key, secret GnuPG keys) are split into their lines, each of which must not leak."""
    found: dict[str, str] = {}
    defined = all_components()
    names = {c: [i.name for i in defined[c].instances(run_id)] for c in defined if not defined[c].library}
    backend = names["backend"][0]
    found["db password"] = stack_env(engine, names["database"][0], "DB_PASSWORD")
    found["backend password"] = stack_env(engine, backend, "BACKEND_PASSWORD")
    key_lines = [line for line in stack_env(engine, backend, "BUILDER_SSH_KEY").splitlines()
                 if line and not line.startswith("-----")]
    # The first line is the same in every unencrypted OpenSSH key (format, cipher "none").
    for number, line in enumerate(key_lines[1:], start=2):
        found[f"builder ssh key, line {number}"] = line
    for user, path in users.configs(run_id).items():
        config = configparser.ConfigParser()
        config.read(path)
        login, token = config["copr-cli"]["login"], config["copr-cli"]["token"]
        found[f"{user}'s api token"] = token
        found[f"{user}'s Authorization header"] = base64.b64encode(f"{login}:{token}".encode()).decode()
    for number, line in enumerate(sorted(keygen_secret_lines(engine, names["keygen"][0]))):
        found[f"keygen secret key, armored line {number + 1}"] = line
    assert all(len(value) >= 16 for value in found.values()), "a secret read back is too short"
    return found


def leaks(secrets: dict[str, str], artefacts: dict[str, bytes]) -> list[str]:
    """'<secret> in <artefact>' for every secret found in an artefact's bytes."""
    return [f"{name} in {where}" for where, data in artefacts.items()
            for name, value in secrets.items() if value.encode() in data]
