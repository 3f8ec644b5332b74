"""gunicorn settings beyond the service's command line (gunicorn reads ./gunicorn.conf.py).

gunicorn 20.1's threaded worker has no read timeout: a client that sends half a request holds one
of the worker's threads for as long as it keeps the connection open, and a few such clients block
the whole API. Each connection's socket gets a timeout instead, and the service runs 64 threads
per worker (started only when needed): 50 half-sent requests, even all on one worker, leave
threads free for the API.
"""

from __future__ import annotations

import logging

from gunicorn.workers.gthread import ThreadWorker

# Seconds a client may leave its connection silent (mid-request, or not reading the answer).
CLIENT_TIMEOUT = 10


class ShortTimeoutLines(logging.Filter):
    """A client that timed out is routine: one line instead of gunicorn's traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], TimeoutError):
            record.msg, record.args = f"client silent for {CLIENT_TIMEOUT}s: disconnected", ()
            record.exc_info, record.exc_text = None, None
        return True


def post_worker_init(worker: ThreadWorker) -> None:
    """Give each client socket CLIENT_TIMEOUT as a thread takes it (gunicorn 20.1 accepts no
    worker class object in its configuration, only a name it can import)."""
    logging.getLogger("gunicorn.error").addFilter(ShortTimeoutLines())
    if not isinstance(worker, ThreadWorker):
        return
    plain = worker.handle

    def handle(conn):  # type: ignore[no-untyped-def]
        # The worker made the socket blocking (no timeout) just before handing it to a thread.
        conn.sock.settimeout(CLIENT_TIMEOUT)
        return plain(conn)

    worker.handle = handle  # type: ignore[method-assign]
