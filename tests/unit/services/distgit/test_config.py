"""dist-git's settings: the backend password comes from a file, so it is not in the environment
of the process that serves files (/proc/self/environ keeps what a process started with)."""

from __future__ import annotations

from pathlib import Path

import pytest

from copr_dist_git.config import Config


def test_the_password_is_read_from_its_file(tmp_path: Path) -> None:
    secret = tmp_path / "backend-password"
    secret.write_text("s3cret\n")
    config = Config.from_env({"BACKEND_PASSWORD_FILE": str(secret), "FRONTEND_URL": "http://fe:5000/"})
    assert config.backend_password == "s3cret" and config.frontend_url == "http://fe:5000"
    assert "s3cret" not in repr(config)


def test_a_missing_password_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"BACKEND_PASSWORD_FILE: .*missing: cannot read it"):
        Config.from_env({"BACKEND_PASSWORD_FILE": str(tmp_path / "missing")})


def test_the_service_hands_the_password_over_in_a_file_only() -> None:
    service = (Path(__file__).resolve().parents[4] / "containers/distgit/src/service").read_text()
    exec_line = service[service.index("exec "):]
    assert "env -u BACKEND_PASSWORD" in exec_line and "BACKEND_PASSWORD_FILE=" in exec_line
