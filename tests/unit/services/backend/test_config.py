"""The backend's settings from the run's stack.env."""

from __future__ import annotations

import stat
from pathlib import Path


from copr_backend import config

CONSTANTS = config.BuildConstants(version="2.13-1", min_fe_be_api=9, min_builder_version="1.6.1",
                                  copr_common_version="1.7.2")


def test_values_from_the_environment(tmp_path: Path) -> None:
    settings = config.Settings.from_env({
        "FRONTEND_URL": "http://frontend:5000/", "BACKEND_PASSWORD": "pw",
        "RESULTS_PUBLIC_URL": "http://127.0.0.1:4000/results", "RESULTS_INTERNAL_URL": "http://backend:5002/results",
        "KEYGEN_URL": "http://keygen:5003", "BUILDERS": "builder-1 builder-2", "BUILDER_SSH_KEY": "KEY",
        "COPR_BACKEND_STATE_DIR": str(tmp_path),
    }, CONSTANTS)
    assert settings.frontend_url == "http://frontend:5000"
    assert settings.builders == ("builder-1", "builder-2")
    assert settings.results_internal_url == "http://backend:5002/results"
    assert "pw" not in repr(settings) and "KEY" not in repr(settings)


def test_components_missing_from_the_stack_fall_back_to_defaults() -> None:
    # The harness renders placeholders of absent components (and of keygen, which publishes no
    # port) as empty strings.
    settings = config.Settings.from_env({"FRONTEND_URL": "", "KEYGEN_URL": "", "BUILDERS": ""}, CONSTANTS)
    assert settings.frontend_url == "http://frontend:5000"
    assert settings.keygen_url == "http://keygen:5003"
    assert settings.builders == ()
    assert settings.destdir == Path("/var/lib/copr/public_html/results")


def test_ssh_key_is_written_private(tmp_path: Path) -> None:
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----"
    settings = config.Settings.from_env({"BUILDER_SSH_KEY": key, "COPR_BACKEND_STATE_DIR": str(tmp_path / "s")},
                                        CONSTANTS)
    path = settings.write_ssh_key()
    assert path.read_text() == key + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
