"""The results web server: `/results/` with HTML directory listings (what `wget -r` follows)."""

from __future__ import annotations

import json
import logging
import os
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("copr-backend.results")

PREFIX = "/results"
INDEX = b"""<!DOCTYPE html>
<html><head><title>Copr backend</title></head>
<body><h1>Copr backend</h1><ul><li><a href="results/">results/</a></li></ul></body></html>
"""


class ResultsHandler(SimpleHTTPRequestHandler):
    """Serves `destdir` under /results/; `/` and `/health` answer for probes and people."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".rpm": "application/x-rpm",
        ".log": "text/plain; charset=utf-8",
        ".spec": "text/plain; charset=utf-8",
        ".info": "text/plain; charset=utf-8",
        ".json": "application/json",
        ".gpg": "application/pgp-keys",
        ".repo": "text/plain; charset=utf-8",
        ".xml": "text/xml",
    }

    def __init__(self, *args: Any, health: dict[str, Any], **kwargs: Any) -> None:
        self.health = health
        super().__init__(*args, **kwargs)

    def _route(self) -> str | None:
        """Answer `/` and `/health` here; return the path to serve from the tree otherwise."""
        path = urlsplit(self.path).path
        if path == "/health":
            self._send(HTTPStatus.OK, json.dumps(self.health).encode(), "application/json")
            return None
        if path in ("", "/"):
            self._send(HTTPStatus.OK, INDEX, "text/html; charset=utf-8")
            return None
        if path == PREFIX:
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", PREFIX + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if not path.startswith(PREFIX + "/"):
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        return path

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self, head: bool) -> None:
        path = self._route()
        if path is None:
            return
        local = Path(self.translate_path(path))
        if not self._inside_tree(local):
            # A link a build planted (to a key, to /proc/self/environ, to /) is not followed.
            log.warning("refused %s: it resolves outside the results tree", path)
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        # A finished build's logs are gzipped: `X.log` falls back to `X.log.gz` (decoded by clients).
        if path.endswith(".log") and not local.exists() and local.with_name(local.name + ".gz").is_file():
            self._send_gzipped_log(local.with_name(local.name + ".gz"), head)
            return
        if head:
            super().do_HEAD()
        else:
            super().do_GET()

    def _inside_tree(self, local: Path) -> bool:
        """Whether `local`, with every link resolved, is the results tree or below it."""
        root = os.path.realpath(self.directory)
        real = os.path.realpath(local)
        if real != root and not real.startswith(root + os.sep):
            return False
        # The gzipped log a plain `.log` name falls back to must stay inside too.
        if local.name.endswith(".log") and not os.path.lexists(local):
            return self._inside_tree(local.with_name(local.name + ".gz"))
        return True

    def _send_gzipped_log(self, path: Path, head: bool) -> None:
        data = path.read_bytes()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def translate_path(self, path: str) -> str:
        """Map /results/<rest> into destdir (the base class keeps it inside `directory`)."""
        parts = urlsplit(path).path
        rest = parts[len(PREFIX):] if parts.startswith(PREFIX) else parts
        return super().translate_path(rest or "/")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base class signature
        pass  # access lines would drown the task lines in the container log

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s: " + format, self.client_address[0], *args)


def make_server(destdir: Path, port: int, health: dict[str, Any], host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """A threading HTTP server of `destdir` on `port` (0: any free port)."""
    destdir.mkdir(parents=True, exist_ok=True)
    handler = partial(ResultsHandler, directory=os.fspath(destdir), health=health)
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
