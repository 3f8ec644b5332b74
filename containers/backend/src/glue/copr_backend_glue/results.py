"""The results web server on port 5002: the results tree under /results/ with directory
listings (as lighttpd serves it in production), and /health, which answers 200 only when the
backend can take a build: redis answers, the allocator answers, and the dispatchers and the
log drain are running."""

from __future__ import annotations

import json
import os
import socket
import xmlrpc.client
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

DESTDIR = Path("/var/lib/copr/public_html/results")
PREFIX = "/results"
SERVICES = ["copr-backend-build", "copr-backend-action", "copr-backend-log",
            "copr-backend-allocator"]
PID_DIR = Path("/run/svc")


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    """True when redis answers PING (a plain RESP exchange: no client library needed)."""
    try:
        with socket.create_connection((host, port), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def allocator_answers(url: str = "http://127.0.0.1:49100") -> bool:
    try:
        xmlrpc.client.ServerProxy(url).system.listMethods()
        return True
    except (OSError, xmlrpc.client.Error):
        return False


def service_running(name: str, pid_dir: Path = PID_DIR) -> bool:
    """Whether the service `svc` started under `name` is alive."""
    try:
        pid = int((pid_dir / f"{name}.pid").read_text().strip())
    except (OSError, ValueError):
        return False
    return Path(f"/proc/{pid}").exists()


# A dispatcher writes <service>.ready (its PID) once the modules of the workers it spawns
# imported (copr_backend_glue.launchers): until then a running process is not yet ready.
READY_DIR = Path("/run/copr-backend")
DISPATCHERS = {"copr-backend-build": "builds", "copr-backend-action": "actions"}


def dispatcher_ready(name: str, pid_dir: Path = PID_DIR, ready_dir: Path = READY_DIR) -> bool:
    """Whether the dispatcher service `name` runs and said it is ready (same PID)."""
    if not service_running(name, pid_dir):
        return False
    try:
        said = (ready_dir / f"{DISPATCHERS[name]}.ready").read_text().strip()
        return said == (pid_dir / f"{name}.pid").read_text().strip()
    except OSError:
        return False


def health() -> dict[str, bool]:
    checks = {"redis": redis_answers(), "allocator": allocator_answers()}
    checks.update({name: dispatcher_ready(name) if name in DISPATCHERS else service_running(name)
                   for name in SERVICES})
    return checks


class ResultsHandler(SimpleHTTPRequestHandler):
    """Serves `directory` under /results/ and the health checks under /health."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".rpm": "application/x-rpm",
                      ".log": "text/plain; charset=utf-8", ".json": "application/json",
                      ".gpg": "application/pgp-keys", ".xml": "text/xml"}

    def __init__(self, *args: Any, checks: Callable[[], dict[str, bool]], **kwargs: Any) -> None:
        self.checks = checks
        super().__init__(*args, **kwargs)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str,
              encoding: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self) -> None:
        path = urlsplit(self.path).path
        if path == "/health":
            checks = self.checks()
            status = HTTPStatus.OK if all(checks.values()) else HTTPStatus.SERVICE_UNAVAILABLE
            self._send(status, json.dumps(checks).encode(), "application/json")
            return
        if path == PREFIX or not path.startswith(PREFIX + "/"):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", PREFIX + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        # The backend gzips a finished build's logs: `X.log` is served from `X.log.gz`.
        local = Path(self.translate_path(path))
        gzipped = local.with_name(local.name + ".gz")
        if path.endswith(".log") and not local.exists() and gzipped.is_file():
            self._send(HTTPStatus.OK, gzipped.read_bytes(), "text/plain; charset=utf-8", "gzip")
            return
        if self.command == "HEAD":
            super().do_HEAD()
        else:
            super().do_GET()

    do_GET = do_HEAD = _serve  # noqa: N815 - http.server's naming

    def translate_path(self, path: str) -> str:
        rest = urlsplit(path).path.removeprefix(PREFIX)
        return super().translate_path(rest or "/")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # access lines would drown the backend's own lines in the container log


def make_server(destdir: Path, port: int, checks: Callable[[], dict[str, bool]] = health,
                host: str = "0.0.0.0") -> ThreadingHTTPServer:
    handler = partial(ResultsHandler, directory=os.fspath(destdir), checks=checks)
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main() -> None:
    make_server(DESTDIR, int(os.environ.get("RESULTS_PORT", "5002"))).serve_forever()


if __name__ == "__main__":
    main()
