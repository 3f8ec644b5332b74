"""The read-only HTTP server: git repositories, lookaside files, per-task logs, health.

Git is served both ways: the dumb protocol (static files, readable thanks to
`git update-server-info`) and the smart one through `git http-backend`, upload-pack only, so that
shallow clones work too. Nothing can be pushed.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .config import MAX_BODY, Config
from .gitrepo import git_env
from .layout import Target, map_url

log = logging.getLogger("copr_dist_git.http")

__all__ = ["MAX_BODY", "DistGitServer", "Handler"]


# The longest chunk-size or trailer line of a chunked body, and how many trailer lines.
MAX_LINE = 1024
MAX_TRAILERS = 64


class BadBody(Exception):
    """A request body that cannot be read: its HTTP status (400 or 413) and why."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status


class DistGitServer(ThreadingHTTPServer):
    """The server; `health` returns (ready, details) for /health."""

    daemon_threads = True
    allow_reuse_address = True
    # A burst of new connections waits in the listen queue instead of being dropped.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: tuple[str, int]) -> None:
        """A client that went away is routine; anything else is logged with its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            log.debug("client %s: %s", client_address[0], error)
            return
        log.exception("request from %s failed", client_address[0])

    def __init__(self, config: Config, health: Callable[[], tuple[bool, dict[str, Any]]],
                 address: tuple[str, int] | None = None) -> None:
        self.config = config
        self.health = health
        super().__init__(address or ("0.0.0.0", config.port), Handler)


class Handler(BaseHTTPRequestHandler):
    """One request."""

    server: DistGitServer
    protocol_version = "HTTP/1.1"
    server_version = "copr-dist-git"

    # -- helpers ---------------------------------------------------------------------------------

    def setup(self) -> None:
        # A silent client (an unfinished request, an idle kept connection) is disconnected.
        self.timeout = self.server.config.idle_timeout
        super().setup()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Successful requests are many (a dumb clone fetches every object): log only failures.
        if isinstance(code, HTTPStatus):
            code = code.value
        if str(code).isdigit() and int(code) >= 400:
            # A request line that could not be parsed (too long, malformed) sets no path.
            path = getattr(self, "path", "")
            log.info("%s %s -> %s", self.command or "-", path[:200] or "(unparsed request)", code)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        log.debug(format, *args)

    def _send(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _not_found(self) -> None:
        self._send(404, b"not found\n")

    def _file(self, root: Path, target: Target, content_type: str) -> None:
        """Send a file below `root`, or 404 (also for anything resolving outside `root`)."""
        path = root / target.path
        try:
            resolved = path.resolve(strict=True)
            resolved.relative_to(root.resolve())
        except (OSError, ValueError):
            return self._not_found()
        if not resolved.is_file():
            return self._not_found()
        try:
            handle = resolved.open("rb")
        except OSError:
            return self._not_found()
        with handle:
            size = resolved.stat().st_size
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if self.command == "HEAD":
                return
            while chunk := handle.read(1 << 20):
                self.wfile.write(chunk)

    def _content_length(self) -> int:
        """The Content-Length (0 when absent); BadBody when it is not a number or too large."""
        raw = self.headers.get("Content-Length")
        if raw is None:
            return 0
        if not raw.strip().isdigit():  # "-1", "abc", "1e3", "0x10" are no lengths
            raise BadBody(400, f"bad Content-Length: {raw[:40]!r}")
        length = int(raw)
        if length > self.server.config.max_body:
            raise BadBody(413, "request too large")
        return length

    def _read_exactly(self, size: int) -> bytes:
        data = self.rfile.read(size)
        if len(data) < size:
            raise BadBody(400, "the body ended early")
        return data

    def _chunked_body(self) -> bytes:
        """A chunked body; each chunk's size is checked before a byte of it is read."""
        data = bytearray()
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            text = line.split(b";")[0].strip()
            try:
                size = int(text, 16)
            except ValueError:
                size = -1
            if size < 0 or len(line) > MAX_LINE or not line.endswith(b"\n"):
                raise BadBody(400, f"bad chunk size: {text[:40]!r}")
            if len(data) + size > self.server.config.max_body:
                raise BadBody(413, "request too large")
            if size == 0:
                for _ in range(MAX_TRAILERS):
                    if self.rfile.readline(MAX_LINE + 1) in (b"\r\n", b"\n", b""):
                        return bytes(data)
                raise BadBody(400, "too many trailer lines")
            data += self._read_exactly(size)
            self.rfile.readline(MAX_LINE + 1)  # the CRLF after the chunk

    def _body(self) -> bytes:
        """The request body (Content-Length or chunked); BadBody when it is malformed or large."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._chunked_body()
        length = self._content_length()
        return self._read_exactly(length) if length else b""

    def _refuse_body(self, error: BadBody) -> None:
        # What is left of the body stays unread: the connection cannot be used again.
        self.close_connection = True
        self._send(error.status, f"{error}\n".encode())

    def _discard_body(self) -> bool:
        """Read and drop a small unwanted body (a client still sending would see a reset); for a
        large one, close the connection after answering instead. False (answered 400) when the
        body's framing is malformed."""
        try:
            length = self._content_length()
        except BadBody as error:
            if error.status == 413:
                self.close_connection = True
                return True
            self._refuse_body(error)
            return False
        if length <= 1024 * 1024 and "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            self.rfile.read(length)
        else:
            self.close_connection = True
        return True

    # -- git -------------------------------------------------------------------------------------

    def _smart(self, target: Target, query: str) -> bool:
        if not self.server.config.smart_http:
            return False
        if self.command == "POST":
            return target.rest == "git-upload-pack"
        return target.rest == "info/refs" and "service=git-upload-pack" in query

    def _http_backend(self, target: Target, query: str) -> None:
        """Answer a smart-protocol request by running `git http-backend` as a CGI program."""
        config = self.server.config
        try:
            body = self._body() if self.command == "POST" else b""
        except BadBody as error:
            return self._refuse_body(error)
        if not (config.git_root / target.repo).is_dir():
            return self._not_found()
        env = git_env()
        env.update({
            "GIT_PROJECT_ROOT": str(config.git_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": f"/{target.path}",
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            # Repositories belong to the service user; the server may run as another one.
            "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": "*",
        })
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        result = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                                timeout=600, check=False)
        output = result.stdout
        end = min((i for i in (output.find(b"\r\n\r\n"), output.find(b"\n\n")) if i >= 0), default=-1)
        if end < 0:
            log.warning("git http-backend gave no response for %s: %s", self.path,
                        result.stderr.decode(errors="replace").strip())
            return self._send(500, b"git http-backend failed\n")
        separator = 4 if output[end:end + 4] == b"\r\n\r\n" else 2
        head, payload = output[:end].decode("latin-1"), output[end + separator:]
        status, headers, content_type = 200, {}, "application/octet-stream"
        for line in head.splitlines():
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key.lower() == "content-type":
                content_type = value
            elif key.lower() not in ("content-length", "transfer-encoding", "connection"):
                headers[key] = value
        self._send(status, payload, content_type, headers)

    # -- methods ---------------------------------------------------------------------------------

    def do_GET(self) -> None:
        config = self.server.config
        target = map_url(self.path)
        query = urlsplit(self.path).query
        if target is None:
            return self._not_found()
        if target.kind == "health":
            ready, details = self.server.health()
            body = (json.dumps(details, sort_keys=True) + "\n").encode()
            return self._send(200 if ready else 503, body, "application/json")
        if target.kind == "git":
            if target.rest in ("git-upload-pack", "git-receive-pack"):
                return self._send(405, b"use POST\n")
            if self._smart(target, query):
                return self._http_backend(target, query)
            if "service=git-receive-pack" in query:
                return self._send(403, b"this dist-git is read-only over HTTP\n")
            kind = "text/plain; charset=utf-8" if target.rest == "info/refs" else "application/octet-stream"
            return self._file(config.git_root, target, kind)
        if target.kind == "lookaside":
            return self._file(config.lookaside_root, target, "application/octet-stream")
        return self._file(config.log_dir, target, "text/plain; charset=utf-8")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        target = map_url(self.path)
        if target is not None and target.kind == "git" and self._smart(target, ""):
            return self._http_backend(target, urlsplit(self.path).query)
        if not self._discard_body():
            return
        if target is not None and target.kind == "git" and target.rest == "git-receive-pack":
            return self._send(403, b"this dist-git is read-only over HTTP\n")
        self._send(405, b"method not allowed\n")
