"""`main`: logging as -q/-v ask, one command run, every error turned into its exit code."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback

import requests
from podman.errors import APIError

from harness import interrupts, processes, progress
from harness.cli.grammar import parse
from harness.errors import (
    EXIT_BROKEN_PIPE, EXIT_INFRA, EXIT_INTERRUPTED, HarnessError, InputError,
)
from harness.podman import http


def log_level(args: argparse.Namespace) -> int:
    """-q: warnings only; -v: debug too; else COPR_HARNESS_LOG_LEVEL, else info."""
    if args.quiet:
        return logging.WARNING
    if args.verbose:
        return logging.DEBUG
    try:
        return progress.level_from(os.environ.get(progress.LEVEL_VARIABLE))
    except ValueError as error:
        raise InputError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    """Entry point: run one subcommand and turn errors into exit codes."""
    args = parse(argv)
    interrupts.install()
    try:
        progress.configure(log_level(args))
        code = args.func(args)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
        return code
    except BrokenPipeError:  # `copr-harness logs | head -1`: the reader has what it wanted
        processes.drop_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt as error:  # interrupts.Interrupted: SIGINT or SIGTERM
        print(f"copr-harness: {str(error) or 'interrupted'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except HarnessError as error:
        print(f"copr-harness: {error}", file=sys.stderr)
        return error.exit_code
    except (requests.ConnectionError, APIError) as error:  # Podman's API went away or failed
        print(f"copr-harness: {http.api_failure(error)}", file=sys.stderr)
        return EXIT_INFRA
    except Exception:  # noqa: BLE001 - unforeseen (a Podman API error, a bug): never "tests failed"
        traceback.print_exc()
        print("copr-harness: unexpected error (infrastructure)", file=sys.stderr)
        return EXIT_INFRA
