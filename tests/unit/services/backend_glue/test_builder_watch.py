"""The allocator's tickets outlive its process; its watch fails the tickets of dead builders,
closes the tickets of dead workers and ends their leftover builds (builder_watch.py)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from copr_backend_glue.allocator import Pool
from copr_backend_glue.builder_watch import Watch, held_tickets, lives


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def host_of(pool: Pool, ticket_id: int) -> str | None:
    output = pool.collect(ticket_id)["output"]
    return yaml.safe_load(output)["host"] if output else None


def test_tickets_survive_a_restart_of_the_allocator(tmp_path: Path) -> None:
    """A backend restarted mid-build: the builder the killed build holds is not handed to the
    next ticket (the glue forgot it before, and the next build queued behind the old one)."""
    state = tmp_path / "tickets.json"
    before = Pool(["builder-1", "builder-2"], state=state)
    held = before.take(["copr_builder"])
    assert host_of(before, held) == "builder-1"
    after = Pool(["builder-1", "builder-2"], state=state)  # a new process, the same file
    assert host_of(after, held) == "builder-1"
    new = after.take(["copr_builder"])
    assert new != held and host_of(after, new) == "builder-2"
    third = after.take(["copr_builder"])
    assert host_of(after, third) is None
    after.close(held)
    assert host_of(Pool(["builder-1", "builder-2"], state=state), third) == "builder-1"


def test_the_state_file_is_json_with_the_open_tickets(tmp_path: Path) -> None:
    state = tmp_path / "tickets.json"
    pool = Pool(["builder-1"], state=state, clock=Clock())
    first = pool.take(["copr_builder", "arch_x86_64"])
    pool.close(pool.take(["copr_builder"]))
    saved = json.loads(state.read_text())
    assert saved["next"] == 3 and list(saved["tickets"]) == [str(first)]
    assert saved["tickets"][str(first)]["host"] == "builder-1"
    assert saved["tickets"][str(first)]["taken"] == 1000.0


class Builders:
    """Which builders answer, and the leftover builds ended on them."""

    def __init__(self, *hosts: str) -> None:
        self.alive = set(hosts)
        self.ended: list[str] = []

    def check(self, host: str) -> bool:
        return host in self.alive

    def clean(self, host: str) -> bool:
        if host not in self.alive:
            return False
        self.ended.append(host)
        return True


def test_a_dead_builder_fails_its_ticket_and_gets_no_new_one_until_it_answers() -> None:
    """A builder killed mid-build: the retry of its build must go to the other builder (the
    worker closes its ticket and asks again; before, the dead builder came first again)."""
    pool = Pool(["builder-1", "builder-2"])
    builders = Builders("builder-1", "builder-2")
    watch = Watch(pool, check=builders.check, held=lambda: {1: "7:1", 2: "7:1", 3: "7:1"},
                  clean=builders.clean)
    lost = pool.take(["copr_builder"])
    assert host_of(pool, lost) == "builder-1"
    builders.alive.discard("builder-1")
    watch.tick()
    assert not pool.collect(lost)["failed"]  # one failed check is not death
    watch.tick()
    assert pool.collect(lost)["failed"]
    pool.close(lost)  # the worker gives up on it
    retry = pool.take(["copr_builder"])
    assert host_of(pool, retry) == "builder-2"
    waiting = pool.take(["copr_builder"])
    assert host_of(pool, waiting) is None
    builders.alive.add("builder-1")
    watch.tick()
    # What ran on it when it went silent is ended first (resalloc would delete the machine).
    assert builders.ended == ["builder-1"]
    assert host_of(pool, waiting) == "builder-1"


def test_a_dead_workers_ticket_is_closed_and_its_leftover_ended_before_reuse() -> None:
    """A killed worker never closes its ticket: once no process names it (2.11's title says
    ticket_id=N) and the grace is over, it is closed; its builder serves again only after
    copr-rpmbuild-cancel ended the leftover build."""
    clock = Clock()
    pool = Pool(["builder-1"], clock=clock)
    builders = Builders("builder-1")
    held: dict[int, str] = {}
    clean_ok = {"builder-1": False}
    watch = Watch(pool, check=builders.check, held=lambda: dict(held),
                  clean=lambda h: clean_ok[h] and builders.clean(h), grace=20,
                  alive=lambda holder: False)
    dead = pool.take(["copr_builder"])
    alive = pool.take(["copr_builder"])
    held[alive] = "8:100"
    clock.now += 10
    watch.tick()
    assert host_of(pool, dead) == "builder-1"  # within its grace: its worker may name it soon
    clock.now += 11
    watch.tick()
    assert pool.collect(dead)["closed"]
    assert host_of(pool, alive) is None  # the leftover is not ended yet
    clean_ok["builder-1"] = True
    watch.tick()
    assert builders.ended == ["builder-1"]
    assert host_of(pool, alive) == "builder-1"
    clock.now += 100
    watch.tick()
    assert host_of(pool, alive) == "builder-1"  # its worker names it: kept


def test_dead_workers_tickets_from_before_a_restart_are_closed(tmp_path: Path) -> None:
    state = tmp_path / "tickets.json"
    clock = Clock()
    old = Pool(["builder-1", "builder-2"], state=state, clock=clock)
    orphan = old.take(["copr_builder"])
    clock.now += 60
    pool = Pool(["builder-1", "builder-2"], state=state, clock=clock)
    builders = Builders("builder-1", "builder-2")
    new = pool.take(["copr_builder"])
    assert host_of(pool, new) == "builder-2"
    Watch(pool, check=builders.check, held=lambda: {new: "9:5"}, clean=builders.clean).tick()
    assert pool.collect(orphan)["closed"] and builders.ended == ["builder-1"]
    assert json.loads(state.read_text())["tickets"].keys() == {str(new)}


def test_a_ticket_stays_its_workers_while_the_worker_lives() -> None:
    """2.11's worker drops the id from its title while it cancels a build on a dead builder
    (`Canceling running task...`, with ssh retries): the ticket is still its own."""
    clock = Clock()
    pool = Pool(["builder-1"], clock=clock)
    builders = Builders("builder-1")
    titles = {}
    running = {"8:100"}
    watch = Watch(pool, check=builders.check, held=lambda: dict(titles), clean=builders.clean,
                  alive=lambda holder: holder in running)
    ticket = pool.take(["copr_builder"])
    titles[ticket] = "8:100"
    watch.tick()
    titles.clear()  # the title no longer names it
    clock.now += 60
    watch.tick()
    assert host_of(pool, ticket) == "builder-1" and builders.ended == []
    running.clear()  # the worker is gone
    watch.tick()
    assert pool.collect(ticket)["closed"] and builders.ended == ["builder-1"]


def _process(proc: Path, pid: int, title: bytes, start: int) -> None:
    (proc / str(pid)).mkdir()
    (proc / str(pid) / "cmdline").write_bytes(title)
    # The name field may hold spaces and parentheses; the start time is field 22.
    fields = ["S"] + ["0"] * 18 + [str(start)] + ["0"] * 5
    (proc / str(pid) / "stat").write_text(f"{pid} (copr (be) x) " + " ".join(fields) + "\n")


def test_held_tickets_are_read_from_process_titles(tmp_path: Path) -> None:
    _process(tmp_path, 10, b"Builder for task 7-fedora: Job 7, host info: ResallocHost, "
                           b"ticket_id=42 (command: copr-backend-process-build)", 555)
    _process(tmp_path, 11, b"python3\x00-m\x00copr_backend_glue.allocator\x00", 1)
    _process(tmp_path, 12, b"Builder for task 8: Waiting for VM, info: ResallocHost, ticket_id=5", 777)
    (tmp_path / "self").mkdir()
    assert held_tickets(tmp_path) == {42: "10:555", 5: "12:777"}
    assert lives("10:555", tmp_path)
    assert not lives("10:556", tmp_path)  # the pid now names another process
    assert not lives("13:555", tmp_path)
