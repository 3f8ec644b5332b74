"""The client API copr-backend's vm_alloc.py uses: Connection.newTicket(tags, sandbox) gives a
Ticket whose collect() fills ready/closed/failed/output, and close() gives the builder back.

It speaks XML-RPC to the allocator with resalloc's method names (takeTicket, collectTicket,
closeTicket), so the real resalloc server could take its place.
"""

from __future__ import annotations

import logging
import time
import xmlrpc.client
from typing import Any

log = logging.getLogger("resalloc.client")

# While the allocator restarts, a caller that asked to survive it retries this often, and for
# this long at most (its service restarts in about a second; longer means it is gone).
RETRY_SECONDS = 2.0
RESTART_TIMEOUT = 300.0


class Ticket:
    """One request for a builder; the fields are those of the last collect()."""

    def __init__(self, ticket_id: int, connection: "Connection") -> None:
        self.id = ticket_id
        self.connection = connection
        self.ready = False
        self.closed = False
        self.failed = False
        self.output: str | None = None

    def collect(self) -> bool:
        """Ask the allocator about this ticket; True once a builder is assigned."""
        state = self.connection.call("collectTicket", self.id)
        self.ready = bool(state["ready"])
        self.closed = bool(state["closed"])
        self.failed = bool(state["failed"])
        self.output = state["output"]
        return self.ready

    def close(self) -> None:
        """Give the builder back (or withdraw the request)."""
        self.connection.call("closeTicket", self.id)
        self.closed = True


class Connection:
    """An allocator at `url`. With `request_survives_server_restart`, calls wait for an
    allocator that is down instead of failing (resalloc's meaning of the flag)."""

    def __init__(self, url: str, request_survives_server_restart: bool = False) -> None:
        self.url = url
        self.survive_restart = request_survives_server_restart

    def call(self, method: str, *args: Any) -> Any:
        deadline = time.monotonic() + RESTART_TIMEOUT
        while True:
            try:
                proxy = xmlrpc.client.ServerProxy(self.url, allow_none=True)
                return getattr(proxy, method)(*args)
            except OSError as error:  # refused or reset: the allocator is (re)starting
                if not self.survive_restart:
                    raise
                if time.monotonic() > deadline:
                    raise OSError(f"allocator {self.url} did not come back within "
                                  f"{RESTART_TIMEOUT:g}s: {error}") from error
                log.warning("allocator %s: %s; retrying in %ss", self.url, error, RETRY_SECONDS)
                time.sleep(RETRY_SECONDS)

    def newTicket(self, tags: list[str], sandbox: str | None = None) -> Ticket:  # noqa: N802
        """Ask for a builder matching `tags`."""
        return Ticket(self.call("takeTicket", list(tags), sandbox), self)

    def getTicket(self, ticket_id: int) -> Ticket:  # noqa: N802
        """A ticket taken earlier (e.g. by another process)."""
        ticket = Ticket(ticket_id, self)
        ticket.collect()
        return ticket
