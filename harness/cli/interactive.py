"""`exec -i/-t`: a command in a container with this terminal passed through.

Podman's API needs a hijacked connection for a terminal; the podman client already does that, so
the harness runs `podman --remote --url <the engine's API> exec`, against the same service.
"""

from __future__ import annotations

import logging
import shlex
import shutil
import signal
import subprocess
import sys

from harness.errors import InfraError, InputError

log = logging.getLogger(__name__)

# The shell `exec -it COMPONENT` starts: bash where the image has it, else sh.
SHELL = ["/bin/sh", "-c", "if command -v bash >/dev/null; then exec bash -l; else exec sh -l; fi"]


def check_terminal() -> None:
    """-t needs a terminal on stdin (as podman and docker say when it is not one)."""
    if not sys.stdin.isatty():
        raise InputError("exec -t: the input is not a terminal (leave out -t, or run it from one)")


def command(url: str, container: str, argv: list[str], stdin: bool, tty: bool) -> list[str]:
    """The podman command line that runs `argv` in `container` through the API at `url`."""
    flags = (["-i"] if stdin else []) + (["-t"] if tty else [])
    return ["podman", "--remote", "--url", url, "exec", *flags, container, *argv]


def run(url: str, container: str, argv: list[str], stdin: bool, tty: bool) -> int:
    """Run it with this process's stdin, stdout and stderr; return its exit code. Ctrl-C goes
    to the command (a terminal passes it as a key; without one podman forwards the signal), so
    this process notes SIGINT and waits for the command (a handler, not SIG_IGN: an ignored
    signal would stay ignored in podman too)."""
    if shutil.which("podman") is None:
        raise InfraError("exec -i/-t runs the podman client, which is not installed")
    argv = command(url, container, argv, stdin, tty)
    log.debug("running %s", shlex.join(argv))
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        child = subprocess.Popen(argv, stdin=None if stdin else subprocess.DEVNULL)
        try:
            return child.wait()
        except BaseException:  # SIGTERM (interrupts.Interrupted): the client goes too
            child.terminate()
            child.wait()
            raise
    finally:
        signal.signal(signal.SIGINT, previous)
