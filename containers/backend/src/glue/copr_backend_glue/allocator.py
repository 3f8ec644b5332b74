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
only when no ticket uses it. `--drain HOST` / `--resume HOST` ask a running allocator.

Like resalloc's database, the tickets outlive the allocator's process: they are kept in a state
file (STATE), so a backend restarted mid-build does not hand a builder still held by the killed
build to a new one. What resalloc does for dead machines and production's
copr-backend-unknown-resalloc-tickets does for dead workers, builder_watch.py does here: a
builder that stops answering gets no ticket (its ticket fails), and a ticket no live worker
holds is closed and its builder's leftover build ended before the builder serves again."""

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
from dataclasses import asdict, dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from xmlrpc.server import SimpleXMLRPCServer

log = logging.getLogger("copr-backend-allocator")

PORT = 49100
# The longest a collect of a waiting ticket is held open (a builder normally frees up sooner).
COLLECT_WAIT = 30.0
# Where the tickets outlive the process (the container's own filesystem survives a restart).
STATE = Path("/var/lib/copr/allocator-tickets.json")


@dataclass
class _Ticket:
    tags: list[str]
    host: str | None = None
    closed: bool = False
    failed: bool = False  # its builder died while it held it (resalloc's FAILED ticket)
    taken: float = 0.0  # wall-clock time it was taken (survives a restart, unlike monotonic)


class Pool:
    """Tickets and the builders they hold; tickets get free builders in the order they came."""

    def __init__(self, hosts: list[str], collect_wait: float = 0.0, state: Path | None = None,
                 clock=time.time) -> None:
        if not hosts:
            raise ValueError("the allocator needs at least one builder")
        self.hosts = list(hosts)
        self.collect_wait = collect_wait
        self.state = state
        self.clock = clock
        self.tickets: dict[int, _Ticket] = {}
        self.waiting = 0  # collects being held open
        self.drained: set[str] = set()  # handed to no new ticket (being replaced)
        self.down: set[str] = set()  # failing their liveness check
        # Given back by a dead worker, or by a ticket whose builder died: a leftover build may run.
        self.dirty: set[str] = set()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        if state is not None and state.exists():
            self._load(state)

    def _load(self, state: Path) -> None:
        saved = json.loads(state.read_text())
        self.tickets = {int(i): _Ticket(**t) for i, t in saved["tickets"].items()}
        self._ids = itertools.count(int(saved["next"]))
        self.drained = set(saved["drained"]) & set(self.hosts)
        self.dirty = set(saved["dirty"]) & set(self.hosts)
        # A builder the run no longer has cannot be held.
        for ticket in self.tickets.values():
            if ticket.host is not None and ticket.host not in self.hosts:
                ticket.failed = True
        log.info("%s: %d open tickets kept from before the restart", state, len(self.tickets))

    def _save(self) -> None:
        """Write the tickets (called with the lock held, after every change)."""
        if self.state is None:
            return
        next_id = next(self._ids)
        self._ids = itertools.count(next_id)
        saved = {"next": next_id, "tickets": {i: asdict(t) for i, t in self.tickets.items()},
                 "drained": sorted(self.drained), "dirty": sorted(self.dirty)}
        temporary = self.state.with_name(f".{self.state.name}.tmp")
        temporary.write_text(json.dumps(saved))
        temporary.replace(self.state)

    def _busy(self) -> set[str]:
        return {t.host for t in self.tickets.values() if t.host and not t.closed}

    def _assign(self) -> None:
        unusable = self._busy() | self.drained | self.down | self.dirty
        free = [h for h in self.hosts if h not in unusable]
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
            self.tickets[ticket_id] = _Ticket(list(tags), taken=self.clock())
            log.info("ticket %s: tags %s, sandbox %s", ticket_id, tags, sandbox)
            self._assign()
            self._save()
            return ticket_id

    def _state(self, ticket_id: int) -> dict:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:  # closed, or an allocator restart forgot it: the worker must ask again
            return {"ready": False, "closed": True, "failed": True, "output": None}
        ready = ticket.host is not None and not ticket.closed
        output = f"---\nhost: {ticket.host}\nname: {ticket.host}\n" if ready else None
        return {"ready": ready, "closed": ticket.closed, "failed": ticket.failed, "output": output}

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
            if ticket is not None and ticket.failed and ticket.host in self.hosts:
                # Its builder died under it: what ran there may run again when it answers
                # (resalloc would delete the machine); end it before the builder serves again.
                self.dirty.add(ticket.host)
                log.info("ticket %s closed, %s waits for its leftover build to end",
                         ticket_id, ticket.host)
            elif ticket is not None:
                log.info("ticket %s closed%s", ticket_id,
                         f", {ticket.host} is free" if ticket.host else "")
            self._assign()
            self._save()
            self._changed.notify_all()
            return ticket is not None

    def set_alive(self, host: str, alive: bool) -> None:
        """The liveness check's verdict on `host`: a dead builder gets no ticket, and the ticket
        holding it fails (the worker sees it, as with resalloc); it serves again once back."""
        with self._lock:
            if alive == (host not in self.down):
                return
            if alive:
                self.down.discard(host)
                log.info("%s answers again", host)
                self._assign()
                self._changed.notify_all()
            else:
                self.down.add(host)
                for ticket_id, ticket in self.tickets.items():
                    if ticket.host == host and not ticket.failed:
                        ticket.failed = True
                        log.info("ticket %s failed: %s does not answer", ticket_id, host)
                log.info("%s does not answer: no ticket gets it", host)
            self._save()

    def reap(self, held: set[int], grace: float) -> list[tuple[int, str | None]]:
        """Close the tickets taken over `grace` seconds ago that no live worker holds (`held`):
        their workers died without closing them. Their builders stay out (dirty) until their
        leftover build is ended (`cleaned`). Returns the closed tickets and their builders."""
        with self._lock:
            now = self.clock()
            dead = [(i, t.host) for i, t in self.tickets.items()
                    if i not in held and now - t.taken > grace]
            for ticket_id, host in dead:
                del self.tickets[ticket_id]
                if host is not None:
                    self.dirty.add(host)
                log.info("ticket %s: no build worker holds it (its worker died); closed%s",
                         ticket_id, f", {host} waits for its leftover build to end" if host else "")
            if dead:
                self._assign()
                self._save()
                self._changed.notify_all()
            return dead

    def open_tickets(self) -> set[int]:
        with self._lock:
            return set(self.tickets)

    def to_clean(self) -> list[str]:
        """The builders given back by dead workers that answer: their leftover can be ended."""
        with self._lock:
            return sorted(self.dirty - self.down)

    def cleaned(self, host: str) -> None:
        """`host`'s leftover build is ended: it serves tickets again."""
        with self._lock:
            self.dirty.discard(host)
            log.info("%s: the leftover build of a dead worker is ended; it serves again", host)
            self._assign()
            self._save()
            self._changed.notify_all()

    def drain(self, host: str) -> int | None:
        """Hand `host` to no new ticket; the ticket that holds it now (None: it holds no job)."""
        with self._lock:
            if host not in self.hosts:
                raise ValueError(f"unknown builder '{host}' (builders: {', '.join(self.hosts)})")
            if host not in self.drained:
                self.drained.add(host)
                log.info("%s drained: no new ticket gets it", host)
                self._save()
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
            self._save()
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
    pool = Pool(hosts, collect_wait=COLLECT_WAIT, state=STATE)
    server = serve(pool, port=args.port)
    from .builder_watch import Watch  # it imports this module
    Watch(pool).start()
    log.info("serving %s on 127.0.0.1:%s", ", ".join(hosts), args.port)
    server.serve_forever()


if __name__ == "__main__":
    main()
