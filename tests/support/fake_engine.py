"""One stand-in for `harness.podman.engine.Engine` in unit tests: no Podman, every call recorded,
faults injected on demand.

- Containers live in `states` (a name not listed is running); `calls` records each operation.
- `fail(operation, error)` makes that operation raise `error` (once, or every time); this is how
  a test injects a Podman or infrastructure fault and checks the verdict and exit code.
- `answer(text, result)` sets what `exec` returns for a command line that contains `text`.
- `calls` lists the operations that change something (reads are not listed).
- `strict=True` is the bad-input engine: only the read-only run listing answers, and any other
  operation fails the test (bad input must be refused before Podman is asked to do anything).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness.podman.engine import ExecResult, Resources, RunOverview

# What a strict engine answers: listing runs, which is how a run id is resolved.
READ_ONLY = ("run_ids", "container_labels", "runs_overview")


class FakeEngine:
    """Containers in a dict, calls in a list, faults on demand."""

    def __init__(self, runs: dict[str, dict[str, str]] | None = None,
                 containers: list[dict[str, str]] | None = None, strict: bool = False) -> None:
        self.runs = runs or {}  # run id -> its marker volume's labels
        self.container_rows = containers or []  # labels of the containers `container_labels` lists
        self.strict = strict
        self.states: dict[str, str] = {}
        self.calls: list[tuple[Any, ...]] = []
        self.touched: list[str] = []  # operations a strict engine refused
        self.connected = False
        self.files: dict[tuple[str, str], dict[str, bytes]] = {}  # (container, folder) -> files
        self.logs_text: dict[str, str] = {}
        self.overview: dict[str, RunOverview] = {}  # what `runs_overview` answers (`list`)
        self.follow_end: BaseException | None = None  # raised once a followed log is printed
        self.url = "unix:///fake/podman.sock"
        self._faults: dict[str, tuple[BaseException, bool]] = {}
        self._answers: list[tuple[str, ExecResult]] = []

    # -- steering the fake --------------------------------------------------------------------

    def fail(self, operation: str, error: BaseException, always: bool = False) -> None:
        """Make the next call of `operation` (every call with `always`) raise `error`."""
        self._faults[operation] = (error, always)

    def answer(self, text: str, result: ExecResult) -> None:
        """What `exec` returns for a command line containing `text` (the first match wins;
        any other command succeeds with no output)."""
        self._answers.append((text, result))

    def _do(self, operation: str, *args: Any, read: bool = False) -> None:
        """Refuse (strict), record (unless a read: `calls` lists what changed), inject a fault."""
        if self.strict and operation not in READ_ONLY:
            self.touched.append(operation)
            raise AssertionError(f"bad input reached Podman: engine.{operation}")
        if not read:
            self.calls.append((operation, *args))
        if operation in self._faults:
            error, always = self._faults[operation]
            if not always:
                del self._faults[operation]
            raise error

    def __getattr__(self, name: str) -> Any:
        # An Engine operation this fake does not model: fail loudly rather than pass silently.
        self.touched.append(name)
        raise AssertionError(f"FakeEngine has no engine.{name}")

    # -- the Engine interface the unit tests reach --------------------------------------------

    def __enter__(self) -> "FakeEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def run_ids(self) -> dict[str, dict[str, str]]:
        self._do("run_ids", read=True)
        return self.runs

    def container_labels(self, label: str) -> list[dict[str, str]]:
        self._do("container_labels", label, read=True)
        return self.container_rows

    def image_id(self, tag: str) -> str | None:
        self._do("image_id", tag, read=True)
        return f"id-of-{tag}"

    def state(self, name: str) -> str:
        self._do("state", name, read=True)
        return self.states.get(name, "running")

    def exists(self, name: str) -> bool:
        self._do("exists", name, read=True)
        return self.states.get(name, "running") != "missing"

    def kill(self, name: str, signal_name: str = "KILL") -> None:
        self._do(f"kill-{signal_name}", name)
        self.states[name] = "exited"

    def stop(self, name: str, timeout: int = 10) -> None:
        self._do("stop", name)
        self.states[name] = "exited"

    def start(self, name: str) -> None:
        self._do("start", name)
        self.states[name] = "running"

    def exec(self, name: str, command: list[str], user: str | None = None,
             env: dict[str, str] | None = None) -> ExecResult:
        line = " ".join(command)
        self._do("exec", name, line)
        return next((result for text, result in self._answers if text in line), ExecResult(0, ""))

    def put_files(self, name: str, directory: str, files: dict[str, bytes], mode: int = 0o644) -> None:
        self._do("put_files", name, directory)
        self.files.setdefault((name, directory), {}).update(files)

    def read_files(self, name: str, directory: str) -> dict[str, bytes]:
        self._do("read_files", name, directory, read=True)
        return dict(self.files.get((name, directory), {}))

    def logs(self, name: str, tail: int | None = None) -> str:
        self._do("logs", name, read=True)
        return self.logs_text.get(name, "")

    def runs_overview(self) -> dict[str, RunOverview]:
        self._do("runs_overview", read=True)
        return self.overview

    def follow_logs(self, name: str, tail: int | None = None) -> Iterator[str]:
        """The log as `logs` has it, in one-line chunks; then `follow_end` (a Ctrl-C, say) if set."""
        self._do("follow_logs", name, read=True)
        lines = self.logs_text.get(name, "").splitlines(keepends=True)
        yield from lines[-tail:] if tail else lines
        if self.follow_end is not None:
            raise self.follow_end

    def connection(self) -> "FakeEngine":
        return self

    def close(self) -> None:
        pass

    def remove_run(self, run_id: str) -> Resources:
        self._do("remove_run", run_id)
        self.runs.pop(run_id, None)
        return Resources(containers=[], networks=[], volumes=[])

    def remove_network_leftovers(self) -> None:
        self._do("remove_network_leftovers")
