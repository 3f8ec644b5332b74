"""copr-be.conf and the builders' SSH setup, written from the run's settings."""

from __future__ import annotations

import configparser
import getpass
import stat
from pathlib import Path

import pytest

from copr_backend_glue import config

ENV = {
    "FRONTEND_URL": "http://frontend:5000", "BACKEND_PASSWORD": "s3cret",
    "RESULTS_INTERNAL_URL": "http://backend:5002/results", "KEYGEN_URL": "http://keygen:5003",
    "BUILDER_SSH_KEY": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
}


def test_the_config_maps_the_run_settings_to_the_backend_keys() -> None:
    parser = configparser.ConfigParser()
    parser.read_string(config.backend_conf(ENV, Path("/x/builder_config")))
    backend = parser["backend"]
    assert backend["frontend_base_url"] == "http://frontend:5000"
    assert backend["frontend_auth"] == "s3cret"
    assert backend["results_baseurl"] == "http://backend:5002/results"
    # sign.py builds http://<keygen_host>/gen_key itself: host and port, no scheme.
    assert backend["keygen_host"] == "keygen:5003"
    assert backend["build_user"] == "root"
    assert backend["destdir"] == config.DESTDIR
    assert backend["resalloc_connection"] == "http://127.0.0.1:49100"
    assert parser["ssh"]["builder_config"] == "/x/builder_config"


def test_one_build_worker_per_builder() -> None:
    parser = configparser.ConfigParser()
    parser.read_string(config.backend_conf({**ENV, "BUILDERS": "builder-1 builder-2"}, Path("/x")))
    assert parser["backend"]["builds_max_workers"] == "2"
    assert parser["backend"]["actions_max_workers"] == "2"
    parser.read_string(config.backend_conf(ENV, Path("/x")))
    assert parser["backend"]["builds_max_workers"] == "1"


def test_a_missing_setting_is_named() -> None:
    with pytest.raises(config.MissingSetting, match="BACKEND_PASSWORD"):
        config.backend_conf({**ENV, "BACKEND_PASSWORD": ""}, Path("/x"))


def test_write_all_keeps_the_key_private_and_points_ssh_at_it(tmp_path: Path) -> None:
    config.write_all(ENV, user=getpass.getuser(), root=tmp_path)
    key = tmp_path / "var/lib/copr/.ssh/id_builder"
    assert key.read_text() == ENV["BUILDER_SSH_KEY"] + "\n"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    ssh = (tmp_path / "var/lib/copr/.ssh/builder_config").read_text()
    assert "IdentityFile /var/lib/copr/.ssh/id_builder" in ssh
    assert "StrictHostKeyChecking no" in ssh
    conf = (tmp_path / "etc/copr/copr-be.conf").read_text()
    assert "builder_config=/var/lib/copr/.ssh/builder_config" in conf
    for directory in config.DIRECTORIES:
        assert (tmp_path / directory.lstrip("/")).is_dir()
