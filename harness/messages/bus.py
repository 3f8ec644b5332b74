"""Copr's build messages as a consumer of a stack's broker sees them: a queue bound to every
topic of RabbitMQ's amq.topic exchange, where fedora-messaging publishes."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import pika

from harness import wait
from harness.errors import InfraError
from harness.podman.engine import Engine

# What copr-backend 2.11's build worker announces for each chroot of a build (srpm-builds
# included): build.start and chroot.start when the job starts, build.end when it finished.
TOPICS_PER_CHROOT = ("copr.build.start", "copr.chroot.start", "copr.build.end")
AMQP_PORT = 5672


@dataclass
class Message:
    topic: str
    schema: str
    message_id: str
    body: dict
    received: float = 0.0  # when the collector took it off its queue (time.time())

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.topic} (id {self.message_id}, build {self.body.get('build')}, " \
               f"chroot {self.body.get('chroot')})"


class Collector:
    """A queue bound to every topic of amq.topic, declared before the builds it watches."""

    def __init__(self, host: str, port: int, password: str) -> None:
        params = pika.ConnectionParameters(
            host=host, port=port, credentials=pika.PlainCredentials("copr", password),
            connection_attempts=3, retry_delay=1, socket_timeout=10,
            # A blocking connection answers heartbeats only while called: a collector idle for
            # a whole suite would be dropped with its queue (and the messages in it).
            heartbeat=0)
        self.connection = pika.BlockingConnection(params)
        self.channel = self.connection.channel()
        self.queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        self.channel.queue_bind(self.queue, "amq.topic", routing_key="#")
        self.seen: list[Message] = []

    def drain(self) -> list[Message]:
        """Every message queued so far (kept in `seen` too)."""
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return self.seen
            headers = properties.headers or {}
            self.seen.append(Message(method.routing_key,
                                     str(headers.get("fedora_messaging_schema", "")),
                                     str(properties.message_id), json.loads(body), time.time()))

    def of_build(self, build_id: int) -> list[Message]:
        return [m for m in self.seen if m.body.get("build") == build_id]

    def wait_for_build(self, build_id: int, chroots: list[str], timeout: float = 120) -> list[Message]:
        """The build's messages once every chroot's start/end messages have arrived."""
        expected = len(chroots) * len(TOPICS_PER_CHROOT)

        def arrived() -> list[Message]:
            self.drain()
            got = self.of_build(build_id)
            if len(got) < expected:
                raise wait.NotYet(f"{len(got)} of {expected} messages of build {build_id}: "
                                  + ", ".join(str(m) for m in got))
            return got

        return wait.until(arrived, what=f"the broker's messages of build {build_id}",
                          timeout=timeout)

    def close(self) -> None:
        if self.connection.is_open:
            try:
                self.connection.close()
            except pika.exceptions.AMQPError:
                pass  # already going: nothing left to release



def broker_password(engine: Engine, container: str) -> str:
    """The run's broker password, as the broker's container has it (made per run)."""
    result = engine.exec(container, ["bash", "-c", "set -a; . /etc/copr-harness/stack.env; "
                                                   'printf %s "${BROKER_PASSWORD:-}"'])
    if not result.ok or not result.output:
        raise InfraError(f"{container}: no BROKER_PASSWORD in its stack.env: {result.output}")
    return result.output


def connect(engine: Engine, container: str) -> Collector:
    """A collector on the broker container's published AMQP port (loopback)."""
    port = engine.published_port(container, AMQP_PORT)
    try:
        return Collector("127.0.0.1", port, broker_password(engine, container))
    except (pika.exceptions.AMQPError, OSError) as error:
        raise InfraError(f"{container}: no consumer on its AMQP port 127.0.0.1:{port} "
                         f"(is the broker running? 'copr-harness status'): {error!r}") from error
