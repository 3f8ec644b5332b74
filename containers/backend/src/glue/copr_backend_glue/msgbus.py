"""The real backend's message bus: /etc/copr/msgbuses/*.conf from the run's settings.

copr-backend reads every /etc/copr/msgbuses/*.conf as Python (its `pyconffile`): a bus of type
`fedora-messaging` names the TOML file fedora-messaging reads (FEDORA_MESSAGING_CONF). The glue
writes both when the stack has a broker (BROKER_HOST set) and removes them when it has none, so
a backend without a broker sends nothing, as upstream's does with no bus configured."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

BUS_DIR = Path("/etc/copr/msgbuses")
BUS_CONF = "fedora-messaging.conf"
TOML = "fedora-messaging.toml"
AMQP_PORT = 5672
# The number of publish attempts per message (upstream's default is 5). Each attempt waits up to
# fedora-messaging's publish timeout (30 s) while the broker is down, and the build worker
# announces three messages per build: 5 attempts would hold a build for 7.5 minutes.
PUBLISH_ATTEMPTS = 1


def amqp_url(host: str, password: str) -> str:
    """The broker's URL with the run's user (the password quoted for the URL)."""
    return f"amqp://copr:{quote(password, safe='')}@{host}:{AMQP_PORT}/%2F"


def toml_text(host: str, password: str) -> str:
    """fedora-messaging's configuration: publish to the broker's amq.topic exchange, topics as
    upstream names them (no prefix)."""
    # TOML basic strings: a URL-quoted password holds no quote or backslash.
    return "\n".join([
        f'amqp_url = "{amqp_url(host, password)}"',
        'publish_exchange = "amq.topic"',
        'topic_prefix = ""',
        'passive_declares = false',
        "",
        "[client_properties]",
        'app = "copr-backend"',
        "",
    ])


def bus_conf_text(toml_path: Path) -> str:
    """The bus definition copr-backend executes (Python: values written with repr)."""
    return "\n".join([
        f"bus_type = {'fedora-messaging'!r}",
        f"bus_id = {'copr-harness'!r}",
        f"toml_config = {str(toml_path)!r}",
        f"bus_publish_retries = {PUBLISH_ATTEMPTS!r}",
        "",
    ])


def wanted(env: dict[str, str]) -> dict[str, str] | None:
    """{file name: text} of the bus configuration, or None when the stack has no broker."""
    host = env.get("BROKER_HOST", "").split()
    if not host:
        return None
    password = env.get("BROKER_PASSWORD", "").strip()
    if not password:
        raise ValueError("BROKER_PASSWORD is not set (stack.env) though BROKER_HOST is")
    return {TOML: toml_text(host[0], password), BUS_CONF: bus_conf_text(BUS_DIR / TOML)}
