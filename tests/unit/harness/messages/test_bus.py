"""Connecting to a run's broker: a broker that does not answer is one clear line naming the
container and the port, not a pika traceback."""

from __future__ import annotations

import types

import pika.exceptions
import pytest

from harness.errors import InfraError
from harness.messages import bus


class Engine:
    def published_port(self, name: str, port: int) -> int:
        assert port == bus.AMQP_PORT
        return 40123

    def exec(self, name: str, command: list[str]) -> types.SimpleNamespace:
        return types.SimpleNamespace(ok=True, output="s3cret")


def test_a_broker_that_does_not_answer_is_named_with_its_port(monkeypatch) -> None:
    def refused(*args) -> None:
        raise pika.exceptions.AMQPConnectionError("refused")

    monkeypatch.setattr(bus, "Collector", refused)
    with pytest.raises(InfraError, match=r"r1-broker: no consumer on its AMQP port "
                                         r"127\.0\.0\.1:40123 \(is the broker running"):
        bus.connect(Engine(), "r1-broker")  # type: ignore[arg-type]


def test_a_broker_without_its_password_is_named() -> None:
    engine = Engine()
    engine.exec = lambda name, command: types.SimpleNamespace(ok=True, output="")  # type: ignore
    with pytest.raises(InfraError, match="r1-broker: no BROKER_PASSWORD in its stack.env"):
        bus.connect(engine, "r1-broker")  # type: ignore[arg-type]
