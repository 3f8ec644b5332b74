"""copr-be.conf and the builders' SSH setup, written from the run's settings."""

from __future__ import annotations

import configparser
import getpass
import shutil
import stat
import subprocess
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


def test_two_build_workers_per_builder() -> None:
    """While one worker signs and publishes what its builder built, another uses the builder."""
    parser = configparser.ConfigParser()
    parser.read_string(config.backend_conf({**ENV, "BUILDERS": "builder-1 builder-2"}, Path("/x")))
    assert parser["backend"]["builds_max_workers"] == "4"
    assert parser["backend"]["actions_max_workers"] == "4"
    parser.read_string(config.backend_conf(ENV, Path("/x")))
    assert parser["backend"]["builds_max_workers"] == "2"


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


@pytest.mark.skipif(shutil.which("ssh") is None, reason="needs OpenSSH's client to read the file")
def test_ssh_shares_one_master_connection_per_builder(tmp_path: Path) -> None:
    """2.11 runs about five ssh commands per build on its builder: the file makes them share
    one master connection that outlives the worker, and one that drops a silent builder."""
    path = tmp_path / "builder_config"
    path.write_text(config.ssh_config(tmp_path / "id_builder", control_dir=str(tmp_path / "ssh")))
    path.chmod(0o600)
    # What OpenSSH itself makes of the file (an unknown or misspelt option is an error here).
    shown = subprocess.run(["ssh", "-G", "-F", str(path), "root@builder-1"],
                           capture_output=True, text=True, check=True).stdout
    effective = dict(line.split(" ", 1) for line in shown.splitlines() if " " in line)
    assert effective["controlmaster"] == "auto"
    # %C: one socket per (local host, builder, port, user), so builders never share one.
    assert effective["controlpath"].startswith(f"{tmp_path}/ssh/")
    other = subprocess.run(["ssh", "-G", "-F", str(path), "root@builder-2"],
                           capture_output=True, text=True, check=True).stdout
    assert f"controlpath {effective['controlpath']}" not in other
    assert int(effective["controlpersist"]) >= 60
    alive = int(effective["serveraliveinterval"]) * int(effective["serveralivecountmax"])
    assert 0 < alive <= 10


def test_the_ssh_control_directory_is_made_private(tmp_path: Path) -> None:
    config.write_all(ENV, user=getpass.getuser(), root=tmp_path)
    control = tmp_path / config.SSH_CONTROL_DIR.lstrip("/")
    assert control.is_dir() and stat.S_IMODE(control.stat().st_mode) == 0o700
    ssh = (tmp_path / "var/lib/copr/.ssh/builder_config").read_text()
    assert f"ControlPath {config.SSH_CONTROL_DIR}/%C" in ssh
