"""Security of the stack, on two real runs at once: API tokens and the backend password guard
every write route (taken from the frontend's own route table), one user cannot touch another's
project, keygen and dist-git refuse outsiders, runs' networks are isolated from each other,
ports are loopback-only, no container is privileged, and secrets are made per run.

(That no secret leaks into logs, reports or output is checked on a whole sanity gate run, in
test_gates.py.)"""

from __future__ import annotations

import json
import re
import socket
import struct
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from harness import naming, stack
from harness.messages import bus
from harness.podman.engine import Engine

from .copr_stack import Stack, client_view, running
from .run_secrets import stack_env

pytestmark = pytest.mark.integration

PROJECT = "guarded"
CHROOT = "fedora-44-x86_64"
# Capabilities no container may have: beyond Podman's defaults, or dropped by the engine
# (NET_RAW would let a container forge its peers' addresses; nothing makes device nodes).
DANGEROUS_CAPS = {"CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13, "CAP_SYS_MODULE": 16,
                  "CAP_SYS_PTRACE": 19, "CAP_SYS_ADMIN": 21, "CAP_MKNOD": 27}
# Placeholder values for the frontend's URL rules (a route's own checks come after auth).
PLACEHOLDERS = {"ownername": "alice", "projectname": PROJECT, "chrootname": CHROOT,
                "package_name": "pkg", "source_type_text": "scm"}


class Runs:
    """Run A (every component) and run B (database, frontend, builders), up at the same time."""

    def __init__(self, engine: Engine, a: stack.RunInfo, b: stack.RunInfo) -> None:
        self.engine, self.a, self.b = engine, a, b
        self.client = client_view(engine, a)

    def name(self, component: str, run: stack.RunInfo | None = None) -> str:
        return naming.resource_name((run or self.a).run_id, component)

    def address(self, component: str) -> str:
        """A component's address on run A's network."""
        return self.engine.address(self.name(component), naming.network_name(self.a.run_id))

    def curl(self, container: str, url: str) -> str:
        """The HTTP status a container gets for `url`, or 'no connection (curl exit N)'."""
        result = self.engine.exec(container, ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                              "--connect-timeout", "5", "--max-time", "20", url])
        return result.output.strip()[-3:] if result.ok else f"no connection (curl exit {result.exit_code})"

    def routes(self) -> list[tuple[str, str]]:
        """(method, rule) of every write route in the frontend's own URL map."""
        result = self.engine.exec(self.name("frontend"), ["svc", "exec", "copr-frontend", "routes"])
        assert result.ok, result.output
        return [(method, route["rule"]) for route in json.loads(result.output)
                for method in route["methods"] if method != "GET"]


@pytest.fixture(scope="module")
def runs(engine: Engine, built_images: dict) -> Iterator[Runs]:
    with ExitStack() as started:
        a = started.enter_context(running(engine))
        b = started.enter_context(running(engine, components=["database", "frontend", "builder"]))
        made = Runs(engine, a, b)
        created = made.client.copr("create", PROJECT, "--chroot", CHROOT, "--description", "alice's")
        assert created.returncode == 0, created.stderr
        yield made


def url_for(rule: str) -> str:
    """A concrete path for a URL rule: `<int:build_id>` -> 1, `<ownername>` -> alice, ..."""
    def value(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        return "1" if converter == "int" else PLACEHOLDERS.get(name, "x")

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule)


def default_gateway(route_table: str) -> str:
    """The default gateway in a /proc/net/route table (the host's address on the bridge)."""
    for line in route_table.splitlines()[1:]:
        columns = line.split()
        if columns[1] == "00000000" and columns[2] != "00000000":
            return socket.inet_ntoa(struct.pack("<L", int(columns[2], 16)))
    raise AssertionError(f"no default route in:\n{route_table}")


def config_value(client: Stack, user: str, key: str) -> str:
    text = Path(client.config(user)).read_text()
    return re.search(rf"^{key} = (.*)$", text, re.MULTILINE).group(1)


def refused(response: requests.Response) -> bool:
    """A 401 with the JSON `error` body copr-cli reports (upstream's shape)."""
    try:
        return response.status_code == 401 and "error" in response.json()
    except ValueError:
        return False


def test_every_api3_write_route_needs_a_valid_token(runs: Runs):
    writes = [(method, rule) for method, rule in runs.routes() if rule.startswith("/api_3/")]
    assert len(writes) >= 20, f"the route table looks incomplete: {writes}"
    alice_login = config_value(runs.client, "alice", "login")
    attempts = {"no token": {}, "a wrong token": {"auth": (alice_login, "0" * 32)},
                "an unknown login": {"auth": ("nobody", "0" * 32)},
                "a malformed header": {"headers": {"Authorization": "Basic %%%"}}}
    accepted = []
    for method, rule in writes:
        for what, kwargs in attempts.items():
            response = requests.request(method, runs.client.frontend_url + url_for(rule),
                                        json={}, timeout=30, **kwargs)
            if not refused(response):
                accepted.append(f"{method} {rule} with {what}: {response.status_code}")
    assert accepted == []
    # The same check lets a valid token through (so the 401s above are about the token).
    alice = (alice_login, config_value(runs.client, "alice", "token"))
    edit = requests.put(f"{runs.client.frontend_url}/api_3/project/edit/alice/{PROJECT}",
                        json={"description": "alice's"}, auth=alice, timeout=30)
    assert edit.status_code == 200, edit.text


def test_a_user_cannot_modify_another_users_project(runs: Runs):
    client = runs.client
    bob = (config_value(client, "bob", "login"), config_value(client, "bob", "token"))
    edit = requests.put(f"{client.frontend_url}/api_3/project/edit/alice/{PROJECT}",
                        json={"description": "bob's now"}, auth=bob, timeout=30)
    assert edit.status_code == 403 and "error" in edit.json(), edit.text
    full = f"alice/{PROJECT}"
    attempts = [["modify", full, "--description", "bob's now"], ["delete", full],
                ["build", "--nowait", full, "http://example.org/x-1-1.src.rpm"],
                ["add-package-scm", full, "--name", "pkg", "--clone-url", "http://example.org/x.git"],
                ["regenerate-repos", full], ["edit-chroot", f"{full}/{CHROOT}", "--packages", "evil"]]
    for args in attempts:
        result = client.copr(*args, user="bob")
        assert result.returncode == 7, f"copr-cli {' '.join(args)} as bob: exit {result.returncode}\n" \
                                       + result.stderr
        assert "Operation requires API authentication" in result.stderr
    project = requests.get(f"{client.frontend_url}/api_3/project",
                           params={"ownername": "alice", "projectname": PROJECT}, timeout=30).json()
    assert project["description"] == "alice's"
    assert client.copr("list-builds", full).stdout.strip() == ""
    # alice herself may.
    assert client.copr("modify", full, "--description", "alice's").returncode == 0


def test_backend_write_routes_need_the_backend_password(runs: Runs):
    writes = [(method, rule) for method, rule in runs.routes() if rule.startswith("/backend/")]
    assert len(writes) >= 10, f"the route table looks incomplete: {writes}"
    frontend = runs.client.frontend_url
    accepted = []
    for method, rule in writes:
        for what, auth in (("no password", None), ("a wrong password", ("user", "wrong-password"))):
            response = requests.request(method, frontend + url_for(rule), json={}, auth=auth, timeout=30)
            if response.status_code not in (401, 403):
                accepted.append(f"{method} {rule} with {what}: {response.status_code}")
    assert accepted == []
    password = stack_env(runs.engine, runs.name("frontend"), "BACKEND_PASSWORD")
    right = requests.post(f"{frontend}/backend/update/", json={"builds": []},
                          auth=("user", password), timeout=30)
    assert right.status_code == 200, right.text


def test_keygen_is_reachable_only_from_the_backend(runs: Runs):
    keygen = runs.name("keygen")
    assert runs.engine.port_bindings(keygen) == []
    ping = f"http://{runs.address('keygen')}:5003/ping"
    # The backend (by alias and by address).
    assert runs.curl(runs.name("backend"), "http://keygen:5003/ping") == "200"
    assert runs.curl(runs.name("backend"), ping) == "200"
    # Its own network's other containers (builds run on the builders): refused.
    for other in ("builder-1", "builder-2", "frontend", "distgit"):
        assert runs.curl(runs.name(other), "http://keygen:5003/ping") == "403", other
    # The host reaches a rootful bridge through the gateway address: refused by the keygen.
    try:
        from_host = str(requests.get(ping, timeout=10).status_code)
    except requests.ConnectionError:
        from_host = "no connection"  # rootless Podman: the bridge is not routed from the host
    assert from_host in ("403", "no connection")
    # Another run's container does not even get a connection (isolated networks).
    assert runs.curl(runs.name("frontend", runs.b), ping).startswith("no connection")


def test_runs_networks_are_isolated_from_each_other(runs: Runs):
    for run in (runs.a, runs.b):
        assert runs.engine.network_options(naming.network_name(run.run_id)).get("isolate") == "true"
    other = runs.name("frontend", runs.b)
    target = f"http://{runs.address('frontend')}:5000/health"
    assert runs.curl(runs.name("backend"), target) == "200"  # the address serves, inside run A
    assert runs.curl(other, target).startswith("no connection")
    # Nor through the host: run A's published port is bound to the host's loopback only.
    port = runs.engine.published_port(runs.name("frontend"), 5000)
    routes = runs.engine.exec(other, ["cat", "/proc/net/route"]).output
    assert runs.curl(other, f"http://{default_gateway(routes)}:{port}/health").startswith("no connection")
    assert runs.curl(other, "http://frontend:5000/health") == "200"  # its own frontend


def test_dist_git_refuses_a_push_from_outside(runs: Runs, tmp_path: Path):
    distgit = runs.name("distgit")
    repo = "/var/lib/dist-git/git/alice/guarded/pkg.git"
    made = runs.engine.exec(distgit, ["runuser", "-u", "copr-dist-git", "--", "sh", "-c",
                                      f"git init -q --bare {repo} && git -C {repo} update-server-info"])
    assert made.ok, made.output
    url = f"{runs.client.env['DISTGIT_URL']}/git/alice/guarded/pkg"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "m", "GIT_AUTHOR_EMAIL": "m@example.org",
           "GIT_COMMITTER_NAME": "m", "GIT_COMMITTER_EMAIL": "m@example.org"}

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=60)

    assert git("clone", "-q", url, "clone").returncode == 0  # reading is allowed
    assert git("-C", "clone", "commit", "-q", "--allow-empty", "-m", "intruder").returncode == 0
    pushed = git("-C", "clone", "push", "origin", "HEAD:refs/heads/master")
    assert pushed.returncode != 0 and "403" in pushed.stderr, pushed.stderr
    refs = runs.engine.exec(distgit, ["git", "-C", repo, "for-each-ref"], user="copr-dist-git")
    assert refs.ok and refs.output.strip() == ""


def test_ports_loopback_only_and_no_privileges(runs: Runs):
    checked = 0
    for run in (runs.a, runs.b):
        for container in stack.containers_of(run):
            checked += 1
            assert {host for host, _ in runs.engine.port_bindings(container)} <= {"127.0.0.1"}
            assert runs.engine.privileges(container)["privileged"] is False
            assert runs.engine.privileges(container)["cap_add"] == []
            status = runs.engine.exec(container, ["grep", "^CapEff:", "/proc/1/status"])
            effective = int(status.output.split()[1], 16)
            granted = [cap for cap, bit in DANGEROUS_CAPS.items() if effective & (1 << bit)]
            assert granted == [], f"{container} has {granted}"
    assert checked == 12  # A: 8 containers (the broker among them), B: 4


def test_the_broker_takes_only_the_runs_user_and_keeps_erlang_on_loopback(runs: Runs):
    """AMQP is the broker's only socket beyond loopback (epmd and the node's distribution port
    listen on 127.0.0.1), and only the run's user logs in: RabbitMQ's guest is loopback-only,
    so a build on a builder gets nowhere with it."""
    broker = runs.name("broker")
    listening = runs.engine.exec(broker, ["bash", "-c", "cat /proc/net/tcp /proc/net/tcp6"]).output
    # /proc/net/tcp{,6}: "local_address" is hex address:port, state 0A is LISTEN.
    listeners = [line.split()[1].split(":") for line in listening.splitlines()
                 if len(line.split()) > 3 and line.split()[3] == "0A"]
    loopback = ("0100007F", "00000000000000000000000001000000")
    wide = [(address, int(port, 16)) for address, port in listeners
            if address not in loopback and int(port, 16) != 5672]
    assert wide == [] and any(int(port, 16) == 5672 for _, port in listeners), listeners
    guest = ("import pika; pika.BlockingConnection(pika.ConnectionParameters("
             "'broker', credentials=pika.PlainCredentials('guest', 'guest')))")
    tried = runs.engine.exec(runs.name("builder-1"), ["python3", "-c", guest])
    assert not tried.ok and "ACCESS_REFUSED" in tried.output, tried.output
    collector = bus.connect(runs.engine, broker)  # the run's user, from the host's loopback port
    collector.close()


def test_containers_ask_only_their_runs_dns_server(runs: Runs):
    """The stack's names are in every container's /etc/hosts (fixed addresses: no DNS wait while
    aardvark-dns reloads); for any other name a container asks only its run network's
    aardvark-dns, never the host's resolvers (a query would leave the machine)."""
    servers = {}
    for run in (runs.a, runs.b):
        gateway = runs.engine.network_gateway(run.run.network)
        for container in stack.containers_of(run):
            conf = runs.engine.exec(container, ["cat", "/etc/resolv.conf"]).output.splitlines()
            assert [line.split()[1] for line in conf if line.startswith("nameserver")] == [gateway], conf
            assert "options timeout:1 attempts:5" in conf, conf
        frontend = runs.engine.address(runs.name("frontend", run), run.run.network)
        for container in stack.containers_of(run):
            hosts = runs.engine.exec(container, ["cat", "/etc/hosts"]).output.split()
            assert hosts[hosts.index("frontend") - 1] == frontend, (container, hosts)
        servers[run.run_id] = gateway
    assert servers[runs.a.run_id] != servers[runs.b.run_id]


def test_secrets_are_made_per_run(runs: Runs):
    a, b = runs.a, runs.b
    values = {}
    for run in (a, b):
        frontend, builder = runs.name("frontend", run), runs.name("builder-1", run)
        values[run.run_id] = (stack_env(runs.engine, frontend, "BACKEND_PASSWORD"),
                              stack_env(runs.engine, runs.name("database", run), "DB_PASSWORD"),
                              stack_env(runs.engine, builder, "BUILDER_AUTHORIZED_KEY"))
        mode = runs.engine.exec(frontend, ["stat", "-c", "%a %U", "/etc/copr-harness/stack.env"])
        assert mode.output.strip() == "600 root"
    for first, second in zip(values[a.run_id], values[b.run_id]):
        assert first and second and first != second
    # Run A's backend holds the private half of the key its builders authorise.
    derived = runs.engine.exec(runs.name("backend"), ["bash", "-c",
                               'set -a; . /etc/copr-harness/stack.env; umask 077; '
                               'printf "%s\\n" "$BUILDER_SSH_KEY" > /tmp/k; ssh-keygen -y -f /tmp/k; rm -f /tmp/k'])
    assert derived.ok, derived.output
    assert derived.output.split()[:2] == values[a.run_id][2].split()[:2]
