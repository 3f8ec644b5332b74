"""The builder allocator: an XML-RPC server with resalloc's ticket methods over the run's
builders. Each builder serves one ticket at a time, because each build of the real backend is
a separate daemon process; a ticket waits (not ready) until a builder is free.

resalloc's collectTicket answers at once. Ours waits up to COLLECT_WAIT seconds for a ticket
that has no builder yet: 2.11's worker sleeps 3, 3, 6, 6, 10... seconds between two collects
(vm_alloc.py, RemoteHost._incremental_sleep), sized for VMs that take minutes to start, while
the stack's builders come free within seconds. A close (the worker giving up, or cancelling)
ends the wait at once.

Beyond resalloc's methods, a builder can be drained (handed to no new ticket) and resumed: the
release window replaces a builder only once it holds no job, as resalloc replaces a machine
only when no ticket uses it. `--drain HOST` / `--resume HOST` ask a running allocator."""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import sys
import threading
import time
import xmlrpc.client
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from xmlrpc.server import SimpleXMLRPCServer

log = logging.getLogger("copr-backend-allocator")

PORT = 49100
# The longest a collect of a waiting ticket is held open (a builder normally frees up sooner).
COLLECT_WAIT = 30.0


@dataclass
class _Ticket:
    tags: list[str]
    host: str | None = None
    closed: bool = False


class Pool:
    """Tickets and the builders they hold; tickets get free builders in the order they came."""

    def __init__(self, hosts: list[str], collect_wait: float = 0.0) -> None:
        if not hosts:
            raise ValueError("the allocator needs at least one builder")
        self.hosts = list(hosts)
        self.collect_wait = collect_wait
        self.tickets: dict[int, _Ticket] = {}
        self.waiting = 0  # collects being held open
        self.drained: set[str] = set()  # handed to no new ticket (being replaced)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def _busy(self) -> set[str]:
        return {t.host for t in self.tickets.values() if t.host and not t.closed}

    def _assign(self) -> None:
        free = [h for h in self.hosts if h not in self._busy() and h not in self.drained]
        for ticket_id in sorted(self.tickets):
            ticket = self.tickets[ticket_id]
            if not free:
                return
            if ticket.host is None and not ticket.closed:
                ticket.host = free.pop(0)
                log.info("ticket %s gets %s", ticket_id, ticket.host)

    def take(self, tags: list[str], sandbox: str | None = None) -> int:
        with self._lock:
            ticket_id = next(self._ids)
            self.tickets[ticket_id] = _Ticket(list(tags))
            log.info("ticket %s: tags %s, sandbox %s", ticket_id, tags, sandbox)
            self._assign()
            return ticket_id

    def _state(self, ticket_id: int) -> dict:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:  # closed, or an allocator restart forgot it: the worker must ask again
            return {"ready": False, "closed": True, "failed": True, "output": None}
        ready = ticket.host is not None and not ticket.closed
        output = f"---\nhost: {ticket.host}\nname: {ticket.host}\n" if ready else None
        return {"ready": ready, "closed": ticket.closed, "failed": False, "output": output}

    def collect(self, ticket_id: int, wait: float | None = None) -> dict:
        """The ticket's state; one still waiting for a builder is held open up to `wait`
        seconds (default: the pool's collect_wait) for one to come free."""
        deadline = time.monotonic() + (self.collect_wait if wait is None else wait)
        with self._changed:
            while True:
                state = self._state(ticket_id)
                remaining = deadline - time.monotonic()
                if state["ready"] or state["closed"] or remaining <= 0:
                    return state
                self.waiting += 1
                try:
                    self._changed.wait(remaining)
                finally:
                    self.waiting -= 1

    def close(self, ticket_id: int) -> bool:
        with self._lock:
            ticket = self.tickets.pop(ticket_id, None)
            if ticket is not None:
                log.info("ticket %s closed%s", ticket_id,
                         f", {ticket.host} is free" if ticket.host else "")
            self._assign()
            self._changed.notify_all()
            return ticket is not None

    def drain(self, host: str) -> int | None:
        """Hand `host` to no new ticket; the ticket that holds it now (None: it holds no job)."""
        with self._lock:
            if host not in self.hosts:
                raise ValueError(f"unknown builder '{host}' (builders: {', '.join(self.hosts)})")
            if host not in self.drained:
                self.drained.add(host)
                log.info("%s drained: no new ticket gets it", host)
            return next((i for i, t in self.tickets.items() if t.host == host and not t.closed), None)

    def resume(self, host: str) -> bool:
        """Hand `host` to tickets again (after its replacement)."""
        with self._lock:
            if host not in self.hosts:
                raise ValueError(f"unknown builder '{host}' (builders: {', '.join(self.hosts)})")
            if host in self.drained:
                self.drained.discard(host)
                log.info("%s resumed", host)
            self._assign()
            self._changed.notify_all()
            return True


class _ThreadingServer(ThreadingMixIn, SimpleXMLRPCServer):
    """One thread per call: a held collect must not keep a close (or another collect) out."""

    daemon_threads = True


def serve(pool: Pool, host: str = "127.0.0.1", port: int = PORT) -> SimpleXMLRPCServer:
    """An XML-RPC server of `pool` (not yet serving: call serve_forever)."""
    server = _ThreadingServer((host, port), allow_none=True, logRequests=False)
    server.register_introspection_functions()
    server.register_function(pool.take, "takeTicket")
    server.register_function(lambda ticket_id: pool.collect(ticket_id), "collectTicket")
    server.register_function(pool.close, "closeTicket")
    server.register_function(pool.drain, "drainHost")
    server.register_function(pool.resume, "resumeHost")
    return server


def control(url: str, drain: str | None, resume: str | None) -> dict:
    """Drain or resume a builder of the allocator at `url`: what the window's builder step
    asks ({"host", "ticket"}: the ticket holding a drained builder, null when it holds none)."""
    proxy = xmlrpc.client.ServerProxy(url, allow_none=True)
    if drain is not None:
        return {"host": drain, "ticket": proxy.drainHost(drain)}
    proxy.resumeHost(resume)
    return {"host": resume, "ticket": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=PORT)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--drain", metavar="HOST", help="ask the running allocator to hand HOST "
                        "to no new ticket; print the ticket holding it (JSON)")
    action.add_argument("--resume", metavar="HOST", help="hand HOST to tickets again")
    args = parser.parse_args()
    if args.drain is not None or args.resume is not None:
        try:
            print(json.dumps(control(f"http://127.0.0.1:{args.port}", args.drain, args.resume)))
        except (OSError, xmlrpc.client.Error) as error:
            sys.exit(f"allocator on 127.0.0.1:{args.port}: {error}")
        return
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    hosts = os.environ.get("BUILDERS", "").split()
    server = serve(Pool(hosts, collect_wait=COLLECT_WAIT), port=args.port)
    log.info("serving %s on 127.0.0.1:%s", ", ".join(hosts), args.port)
    server.serve_forever()


if __name__ == "__main__":
    main()
