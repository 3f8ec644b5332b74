"""The real backend's message bus configuration (/etc/copr/msgbuses), from the run's settings."""

from __future__ import annotations

import getpass
import runpy
import stat
import tomllib
from pathlib import Path

import pytest

from copr_backend_glue import config, msgbus
from tests.unit.services.backend_glue.test_config import ENV

BROKER = {"BROKER_HOST": "broker", "BROKER_PASSWORD": "p@ss/w:rd"}


def test_no_broker_means_no_bus() -> None:
    assert msgbus.wanted(ENV) is None
    assert msgbus.wanted({**ENV, "BROKER_HOST": "", "BROKER_PASSWORD": "x"}) is None


def test_a_broker_host_without_its_password_is_named() -> None:
    with pytest.raises(ValueError, match="BROKER_PASSWORD"):
        msgbus.wanted({**ENV, "BROKER_HOST": "broker"})


def test_the_bus_conf_is_what_copr_backend_reads(tmp_path: Path) -> None:
    # copr-backend executes the .conf as Python and reads these attributes of it.
    files = msgbus.wanted({**ENV, **BROKER})
    path = tmp_path / "bus.conf"
    path.write_text(files[msgbus.BUS_CONF])
    bus = runpy.run_path(str(path))
    assert bus["bus_type"] == "fedora-messaging"
    assert bus["toml_config"] == "/etc/copr/msgbuses/fedora-messaging.toml"
    assert bus["bus_publish_retries"] == 1


def test_the_toml_points_fedora_messaging_at_the_broker_with_a_quoted_password() -> None:
    toml = tomllib.loads(msgbus.wanted({**ENV, **BROKER})[msgbus.TOML])
    assert toml["amqp_url"] == "amqp://copr:p%40ss%2Fw%3Ard@broker:5672/%2F"
    assert toml["publish_exchange"] == "amq.topic"
    assert toml["topic_prefix"] == ""


def test_write_all_writes_the_bus_privately_and_removes_it_without_a_broker(tmp_path: Path) -> None:
    config.write_all({**ENV, **BROKER}, user=getpass.getuser(), root=tmp_path)
    bus_dir = tmp_path / "etc/copr/msgbuses"
    for name in (msgbus.BUS_CONF, msgbus.TOML):
        assert stat.S_IMODE((bus_dir / name).stat().st_mode) == 0o640
    assert "p%40ss" in (bus_dir / msgbus.TOML).read_text()
    config.write_all(ENV, user=getpass.getuser(), root=tmp_path)
    assert list(bus_dir.iterdir()) == []
