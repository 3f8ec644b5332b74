"""`copr-harness ARGS` against a fake engine that knows one run, `ch-fake` (database and
frontend), so the CLI's own behaviour can be tested as a process without Podman.

FAKE_LOG_LINES: how many lines each container's log has (default 3). A followed log (`logs -f`)
gives those lines, then waits for new ones that never come, as a quiet service's log does."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

# The checkout instead of this script's folder, whose podman/ tests would shadow podman-py.
sys.path[0] = str(Path(__file__).resolve().parents[3])

from harness import cli, paths  # noqa: E402
from harness.podman.engine import Engine, RunOverview  # noqa: E402
from harness.stack import users  # noqa: E402

RUN_ID = "ch-fake"


class FakeEngine:
    """The few engine calls `logs`, `env` and `status` make, answered for one run."""

    url = "unix:///fake"
    service = None

    def __enter__(self) -> "FakeEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def run_ids(self) -> dict[str, dict[str, str]]:
        return {RUN_ID: {"copr-harness.run": RUN_ID, "copr-harness.components": "database,frontend",
                         "copr-harness.kept": "yes"}}

    def container_labels(self, label: str) -> list[dict[str, str]]:
        return []

    def published_port(self, name: str, port: int) -> int:
        return 8080

    def logs(self, name: str, tail: int | None = None) -> str:
        count = int(os.environ.get("FAKE_LOG_LINES", "3"))
        lines = [f"line {i}\n" for i in range(count)]
        return "".join(lines[-tail:] if tail else lines)

    def connection(self) -> "FakeEngine":
        return self

    def close(self) -> None:
        pass

    def follow_logs(self, name: str, tail: int | None = None) -> Iterator[str]:
        yield self.logs(name, tail)
        threading.Event().wait()  # no new line, ever: only a signal ends the command

    def runs_overview(self) -> dict[str, RunOverview]:
        return {RUN_ID: RunOverview(created=time.time() - 125, states={
            f"{RUN_ID}-database": "running", f"{RUN_ID}-frontend": "running"})}


def main() -> int:
    try:  # the users' configs, as `up` would have written them (where the folder can be made)
        folder = paths.state_dir(RUN_ID)
        folder.mkdir(parents=True, exist_ok=True)
        for name in users.USERS:
            (folder / f"copr-{name}.conf").write_text(f"[copr-cli]\nusername = {name}\n")
    except OSError:
        pass
    Engine.connect = classmethod(lambda cls, **kwargs: FakeEngine())  # type: ignore[method-assign]
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
