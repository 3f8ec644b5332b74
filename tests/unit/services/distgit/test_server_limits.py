"""dist-git's HTTP server against malformed, oversized and idle clients (raw sockets, loopback).

Each answer must come at once (no body is buffered, nothing waits for bytes that will not come),
and nothing may raise in the server (a traceback is logged at ERROR by `handle_error`).
"""

from __future__ import annotations

import logging
import resource
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from copr_dist_git.config import Config
from copr_dist_git.server import MAX_BODY, DistGitServer

UPLOAD_PACK = "/git/alice/proj/tiny.git/git-upload-pack"


@pytest.fixture
def server(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[DistGitServer]:
    config = Config(git_root=tmp_path / "git", lookaside_root=tmp_path / "lookaside",
                    log_dir=tmp_path / "logs", idle_timeout=2.0)
    (tmp_path / "git/alice/proj/tiny.git").mkdir(parents=True)
    caplog.set_level(logging.INFO, logger="copr_dist_git")
    made = DistGitServer(config, lambda: (True, {"status": "ok"}), address=("127.0.0.1", 0))
    thread = threading.Thread(target=made.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        made.shutdown()
        made.server_close()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], errors


def exchange(server: DistGitServer, request: bytes, timeout: float = 5) -> bytes:
    """Send `request` on a new connection; what the server answers before it closes (or within
    `timeout`: a server still waiting for bytes fails the test)."""
    with socket.create_connection(server.server_address[:2], timeout=timeout) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR) if not request.endswith(b"\r\n\r\n") else None
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer:
                    break
        except TimeoutError:
            pytest.fail(f"no answer within {timeout}s; got {answer!r}")
    return answer


def status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1."), answer[:200]
    return int(answer.split()[1])


def post(path: str, headers: str) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-git-upload-pack-request\r\n"
            f"{headers}\r\n").encode()


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "0x10", " "])
@pytest.mark.parametrize("path", [UPLOAD_PACK, "/nothing-here"])
def test_a_bad_content_length_answers_400(server: DistGitServer, length: str, path: str) -> None:
    assert status(exchange(server, post(path, f"Content-Length: {length}\r\n"))) == 400


def test_a_body_over_the_cap_answers_413_before_it_is_sent(server: DistGitServer) -> None:
    assert status(exchange(server, post(UPLOAD_PACK, f"Content-Length: {MAX_BODY + 1}\r\n"))) == 413


@pytest.mark.parametrize("size, expected", [("-1", 400), ("zz", 400), ("", 400),
                                            (f"{MAX_BODY + 1:x}", 413), ("FFFFFFFFFFFF", 413)])
def test_chunk_sizes_are_checked_before_reading(server: DistGitServer, size: str, expected: int) -> None:
    request = post(UPLOAD_PACK, "Transfer-Encoding: chunked\r\n") + f"{size}\r\n".encode()
    assert status(exchange(server, request)) == expected


def test_chunks_adding_up_over_the_cap_answer_413(server: DistGitServer) -> None:
    cap = replace(server.config, max_body=1000)
    server.config = cap
    chunk = b"600\r\n" + b"0" * 0x600 + b"\r\n"
    request = post(UPLOAD_PACK, "Transfer-Encoding: chunked\r\n") + chunk + chunk
    assert status(exchange(server, request)) == 413


def test_a_70kb_request_line_answers_414(server: DistGitServer) -> None:
    answer = exchange(server, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status(answer) == 414


def test_an_idle_client_is_disconnected(server: DistGitServer) -> None:
    with socket.create_connection(server.server_address[:2], timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /health HTTP/1.1\r\n")  # a partial request, never finished
        assert sock.recv(100) == b""  # closed by the server
        assert time.monotonic() - started < 6


def test_a_thousand_idle_connections_do_not_make_it_unreachable(server: DistGitServer) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * 1000 + 200  # both ends live in this process
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"needs {wanted} file descriptors (hard limit {hard})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    idle: list[socket.socket] = []
    try:
        for _ in range(1000):
            try:
                idle.append(socket.create_connection(server.server_address[:2], timeout=5))
            except OSError:
                break  # the listen queue is full: the server is refusing, as it may
        started = time.monotonic()
        answer = exchange(server, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=15)
        assert status(answer) == 200
        print(f"{len(idle)} idle connections open; /health answered in {time.monotonic() - started:.2f}s")
    finally:
        for sock in idle:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
