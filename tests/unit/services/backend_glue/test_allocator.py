"""The builder allocator and its resalloc client: one builder per ticket, in request order."""

from __future__ import annotations

import threading
import time

import pytest
import yaml

from copr_backend_glue.allocator import Pool, serve
from resalloc.client import Connection


def test_each_builder_goes_to_one_ticket_and_the_next_waits() -> None:
    pool = Pool(["builder-1", "builder-2"])
    first, second, third = (pool.take(["copr_builder", "arch_x86_64"]) for _ in range(3))
    hosts = {pool.collect(first)["output"], pool.collect(second)["output"]}
    assert len(hosts) == 2 and None not in hosts
    assert pool.collect(third) == {"ready": False, "closed": False, "failed": False, "output": None}
    pool.close(first)
    assert pool.collect(third)["ready"]


def test_waiting_tickets_are_served_in_the_order_they_came() -> None:
    pool = Pool(["builder-1"])
    holder, older, newer = (pool.take(["copr_builder"]) for _ in range(3))
    pool.close(holder)
    assert pool.collect(older)["ready"] and not pool.collect(newer)["ready"]


def _collect_in_background(pool: Pool, ticket_id: int, wait: float) -> tuple[threading.Thread, list]:
    """Start a held collect of `ticket_id`; return once the pool holds it (no sleep)."""
    answers: list[dict] = []
    thread = threading.Thread(target=lambda: answers.append(pool.collect(ticket_id, wait=wait)),
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while pool.waiting == 0:
        assert thread.is_alive() and time.monotonic() < deadline, f"collect returned at once: {answers}"
        time.sleep(0.005)
    return thread, answers


def test_a_waiting_ticket_gets_its_builder_during_a_held_collect() -> None:
    """2.11's worker sleeps 3 s or more between two collects (vm_alloc.py): the collect
    itself waits for the builder, and answers as soon as another ticket gives it back."""
    pool = Pool(["builder-1"], collect_wait=60)
    holder, waiting = pool.take(["copr_builder"]), pool.take(["copr_builder"])
    thread, answers = _collect_in_background(pool, waiting, wait=60)
    pool.close(holder)
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert answers[0]["ready"] and "host: builder-1" in answers[0]["output"]


def test_closing_a_ticket_ends_its_held_collect() -> None:
    """A cancelled build closes its ticket while the collect waits: it learns at once."""
    pool = Pool(["builder-1"])
    pool.take(["copr_builder"])
    waiting = pool.take(["copr_builder"])
    thread, answers = _collect_in_background(pool, waiting, wait=60)
    pool.close(waiting)
    thread.join(timeout=10)
    assert not thread.is_alive() and answers[0]["closed"] and not answers[0]["ready"]


def test_a_held_collect_ends_not_ready_after_its_wait() -> None:
    pool = Pool(["builder-1"], collect_wait=0.05)
    pool.take(["copr_builder"])
    assert pool.collect(pool.take(["copr_builder"])) == {
        "ready": False, "closed": False, "failed": False, "output": None}


def test_an_unknown_ticket_is_closed_and_failed() -> None:
    state = Pool(["builder-1"]).collect(41)
    assert state["closed"] and state["failed"] and not state["ready"]


def test_a_pool_needs_builders() -> None:
    with pytest.raises(ValueError, match="at least one builder"):
        Pool([])


@pytest.fixture
def allocator():
    server = serve(Pool(["builder-1"]), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_client_gets_a_host_the_way_vm_alloc_reads_it(allocator: str) -> None:
    connection = Connection(allocator, request_survives_server_restart=True)
    ticket = connection.newTicket(["copr_builder", "arch_x86_64"], "alice/demo--alice")
    assert ticket.collect() and ticket.ready and not ticket.failed
    # vm_alloc.ResallocHost.parse_ticket_data: a YAML document starting with '---'.
    assert ticket.output.split("\n")[0] == "---"
    assert yaml.safe_load(ticket.output) == {"host": "builder-1", "name": "builder-1"}
    other = connection.newTicket(["copr_builder"])
    assert not other.collect()
    ticket.close()
    assert other.collect()
    assert connection.getTicket(other.id).ready


def test_without_survive_restart_a_down_allocator_is_an_error() -> None:
    with pytest.raises(OSError):
        Connection("http://127.0.0.1:9").newTicket(["copr_builder"])


def test_a_surviving_caller_gives_up_on_an_allocator_that_never_comes_back(monkeypatch) -> None:
    """request_survives_server_restart waits for a restart, not for ever."""
    from resalloc import client

    monkeypatch.setattr(client, "RESTART_TIMEOUT", 0.5)
    monkeypatch.setattr(client, "RETRY_SECONDS", 0.1)
    with pytest.raises(OSError, match=r"did not come back within 0.5s"):
        Connection("http://127.0.0.1:9", request_survives_server_restart=True).newTicket(["copr_builder"])


def test_the_server_answers_a_close_while_a_collect_is_held() -> None:
    """One call at a time would keep the close behind the held collect until its wait ends."""
    pool = Pool(["builder-1"], collect_wait=60)
    server = serve(pool, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        connection = Connection(f"http://127.0.0.1:{server.server_address[1]}")
        holder = connection.newTicket(["copr_builder"])
        assert holder.collect()
        waiting = connection.newTicket(["copr_builder"])
        done = threading.Event()
        threading.Thread(target=lambda: (waiting.collect(), done.set()), daemon=True).start()
        deadline = time.monotonic() + 10
        while pool.waiting == 0:
            assert time.monotonic() < deadline, "the collect was not held"
            time.sleep(0.005)
        closer = threading.Thread(target=holder.close, daemon=True)
        closer.start()
        closer.join(timeout=10)
        assert not closer.is_alive(), "the close waited behind the held collect"
        assert done.wait(timeout=10) and waiting.ready
    finally:
        server.shutdown()
        server.server_close()


def test_a_drained_builder_gets_no_new_ticket_and_names_the_one_it_holds() -> None:
    pool = Pool(["builder-1", "builder-2"])
    first = pool.take(["copr_builder"])
    held = yaml.safe_load(pool.collect(first)["output"])["host"]
    assert pool.drain(held) == first  # the job it holds
    other = "builder-2" if held == "builder-1" else "builder-1"
    assert pool.drain(other) is None  # holds none: it may be replaced now
    waiting = pool.take(["copr_builder"])
    pool.close(first)
    assert pool.drain(held) is None
    assert not pool.collect(waiting)["ready"]  # both drained: the ticket waits
    pool.resume(held)
    assert yaml.safe_load(pool.collect(waiting)["output"])["host"] == held


def test_draining_an_unknown_builder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown builder 'builder-9' .builders: builder-1."):
        Pool(["builder-1"]).drain("builder-9")


def test_drain_and_resume_are_asked_over_xml_rpc(allocator: str) -> None:
    from copr_backend_glue.allocator import control

    ticket = Connection(allocator).newTicket(["copr_builder"])
    assert control(allocator, "builder-1", None) == {"host": "builder-1", "ticket": ticket.id}
    ticket.close()
    assert control(allocator, "builder-1", None) == {"host": "builder-1", "ticket": None}
    later = Connection(allocator).newTicket(["copr_builder"])
    assert not later.collect()
    assert control(allocator, None, "builder-1") == {"host": "builder-1", "ticket": None}
    assert later.collect()
